/*
 * spawn.c - start one child of a service.
 *
 * The child is always exec'd, so every daemon starts with a clean address
 * space.  Descriptors follow service.h: fd 3 the status pipe's write end,
 * fd 4 the flow page (lib/io/flow.h), fds 5.. the service's listeners;
 * everything else the master holds is close-on-exec and disappears.  Arguments:
 *	PROGRAM -c CONFIG_DIR -n SERVICE -t TYPE -s NFDS [-u] [-r] [-v] ARGS...
 * where ARGS are the master.cf arguments after the command (-o name=value).
 * The environment holds only what import_environment names.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "master.h"
#include "mem.h"
#include "msg.h"
#include "service.h"

/* master_child_fds - move svc's descriptors onto 3, 4, 5..; child side only */
static int
master_child_fds(const struct master_state *ms,
    const struct master_service *svc)
{
	int	 tmp[2 + 64];
	int	 base, i, n;

	n = 2 + svc->listen_count;
	if (n > (int)(sizeof(tmp) / sizeof(tmp[0])))
		return (-1);
	/* Park above the target range first, so no dup2 clobbers a source. */
	base = SERVICE_LISTEN_FD + svc->listen_count;
	if ((tmp[0] = fcntl(svc->status_wr, F_DUPFD_CLOEXEC, base)) < 0 ||
	    (tmp[1] = fcntl(ms->flow_fd, F_DUPFD_CLOEXEC, base)) < 0)
		return (-1);
	for (i = 0; i < svc->listen_count; i++)
		if ((tmp[i + 2] = fcntl(svc->listen_fds[i], F_DUPFD_CLOEXEC,
		    base)) < 0)
			return (-1);
	/* dup2 clears FD_CLOEXEC on the target: exactly these survive exec. */
	if (dup2(tmp[0], SERVICE_STATUS_FD) < 0 ||
	    dup2(tmp[1], SERVICE_FLOW_FD) < 0)
		return (-1);
	for (i = 0; i < svc->listen_count; i++)
		if (dup2(tmp[i + 2], SERVICE_LISTEN_FD + i) < 0)
			return (-1);
	return (0);
}

/* master_child_argv - the argument vector of service.h */
static char **
master_child_argv(struct master_state *ms, const struct master_service *svc)
{
	struct strlist args;
	char	 count[16];
	size_t	 i;

	strlist_init(&args);
	strlist_add(&args, svc->path);
	strlist_add(&args, "-c");
	strlist_add(&args, ms->config_dir);
	if (ms->snapshot_path != NULL) {
		strlist_add(&args, "-m");
		strlist_add(&args, ms->snapshot_path);
	}
	strlist_add(&args, "-n");
	strlist_add(&args, svc->name);
	strlist_add(&args, "-t");
	strlist_add(&args, svc->type);
	strlist_add(&args, "-s");
	(void)snprintf(count, sizeof(count), "%d", svc->listen_count);
	strlist_add(&args, count);
	if (svc->unpriv)
		strlist_add(&args, "-u");
	if (svc->chroot)
		strlist_add(&args, "-r");
	if (ms->verbose)
		strlist_add(&args, "-v");
	for (i = 1; i < svc->argv.count; i++)
		strlist_add(&args, svc->argv.items[i]);
	return (args.items);	/* NULL-terminated; the child execs or exits */
}

/* master_child_exec - runs in the new process; never returns */
static void
master_child_exec(struct master_state *ms, const struct master_service *svc)
{
	struct sigaction sa;
	sigset_t none;
	char	**argv;
	char	*empty_env[] = {NULL};
	int	 sig;

	/* The master's handlers and mask must not leak into the daemon. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (master_child_fds(ms, svc) < 0) {
		msg_error("%s: cannot set up descriptors: %s", svc->path,
		    strerror(errno));
		_exit(1);
	}
	argv = master_child_argv(ms, svc);
	(void)execve(svc->path, argv,
	    ms->env.count > 0 ? ms->env.items : empty_env);
	msg_error("exec %s: %s", svc->path, strerror(errno));
	_exit(1);
}

/* master_spawn - fork and exec one more child of svc */
void
master_spawn(struct master_state *ms, struct master_service *svc)
{
	struct master_child *child;
	pid_t	 pid;

	if (svc->status_wr < 0)
		return;
	pid = fork();
	if (pid < 0) {
		msg_warn("fork: %s", strerror(errno));
		master_throttle(ms, svc);
		return;
	}
	if (pid == 0)
		master_child_exec(ms, svc);
	child = xcalloc(1, sizeof(*child));
	child->pid = pid;
	child->service = svc;
	child->next = ms->children;
	ms->children = child;
	svc->child_count++;
	svc->avail_count++;	/* counts as available until it says busy */
	msg_debug("spawned %s pid %ld", svc->path, (long)pid);
}
