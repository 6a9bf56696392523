/*
 * drop_client.c - run sluice-drop and stream one message to it; see
 * drop_client.h.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cleanup_client.h"
#include "drop_client.h"
#include "mem.h"
#include "msg.h"
#include "strbuf.h"

struct drop_client {
	pid_t		 pid;
	struct stream	*to;		/* its stdin */
	int		 from_fd;	/* its stdout */
	struct strbuf	 chunk;		/* content not yet sent */
	struct attr_list list;
};

/* spawn - fork and exec program on two fresh pipes; -1 with errno */
static pid_t
spawn(const char *program, const char *config_dir, int verbose, int *to_fd,
    int *from_fd)
{
	const char *argv[6];
	struct sigaction sa;
	sigset_t all, old_mask;
	int	 in[2], out[2], n = 0, saved;
	pid_t	 pid;

	argv[n++] = "sluice-drop";
	if (config_dir != NULL) {
		argv[n++] = "-c";
		argv[n++] = config_dir;
	}
	if (verbose > 1)
		argv[n++] = "-v";
	argv[n] = NULL;
	if (pipe2(in, O_CLOEXEC) < 0)
		return (-1);
	if (pipe2(out, O_CLOEXEC) < 0) {
		saved = errno;
		(void)close(in[0]);
		(void)close(in[1]);
		errno = saved;
		return (-1);
	}
	/*
	 * Until execv, the child runs our signal handlers: one that acts on
	 * behalf of the whole process (a cleanup, a kill of the process
	 * group) must not run there.  Signals stay blocked across fork; the
	 * child puts every caught one back to its default first.
	 */
	sigfillset(&all);
	(void)sigprocmask(SIG_BLOCK, &all, &old_mask);
	if ((pid = fork()) == 0) {
		for (int sig = 1; sig < NSIG; sig++)
			if (sigaction(sig, NULL, &sa) == 0 &&
			    sa.sa_handler != SIG_IGN && sa.sa_handler != SIG_DFL)
				(void)signal(sig, SIG_DFL);
	}
	saved = errno;
	(void)sigprocmask(SIG_SETMASK, &old_mask, NULL);
	errno = saved;
	if (pid < 0) {
		saved = errno;
		(void)close(in[0]);
		(void)close(in[1]);
		(void)close(out[0]);
		(void)close(out[1]);
		errno = saved;
		return (-1);
	}
	if (pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
			_exit(EX_OSERR);
		execv(program, (char *const *)argv);
		fprintf(stderr, "cannot run %s: %s\n", program, strerror(errno));
		_exit(EX_UNAVAILABLE);
	}
	(void)close(in[0]);
	(void)close(out[1]);
	*to_fd = in[1];
	*from_fd = out[0];
	return (pid);
}

/* drop_client_open - see drop_client.h */
struct drop_client *
drop_client_open(const char *program, const char *config_dir, int verbose,
    const struct attr_list *envelope)
{
	struct drop_client *d;
	int	 to_fd, from_fd;
	pid_t	 pid;

	if ((pid = spawn(program, config_dir, verbose, &to_fd, &from_fd)) < 0)
		return (NULL);
	d = xcalloc(1, sizeof(*d));
	d->pid = pid;
	d->to = stream_open(to_fd);
	d->from_fd = from_fd;
	strbuf_init(&d->chunk);
	attr_list_init(&d->list);
	/* errors stick to the stream: close reports them with the status */
	(void)attr_write(d->to, envelope);
	return (d);
}

/* send_chunk - the staged content as one data list */
static void
send_chunk(struct drop_client *d)
{
	if (d->chunk.len == 0)
		return;
	attr_list_add(&d->list, "data", d->chunk.data, d->chunk.len);
	(void)attr_write(d->to, &d->list);
	attr_list_reset(&d->list);
	strbuf_reset(&d->chunk);
}

/* drop_client_write - see drop_client.h */
int
drop_client_write(struct drop_client *d, const void *data, size_t len)
{
	const char *p = data;
	size_t	 take;

	while (len > 0) {
		take = CLEANUP_CHUNK_MAX - d->chunk.len;
		if (take > len)
			take = len;
		strbuf_append(&d->chunk, p, take);
		p += take;
		len -= take;
		if (d->chunk.len == CLEANUP_CHUNK_MAX)
			send_chunk(d);
	}
	return (stream_status(d->to) == STREAM_OK ? 0 : -1);
}

/* reap - the child's exit status as a sysexits code (quiet: we killed it) */
static int
reap(pid_t pid, bool quiet)
{
	int	 status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return (EX_OSERR);
	if (WIFEXITED(status))
		return (WEXITSTATUS(status));
	if (!quiet)
		msg_warn("sluice-drop killed by signal %d", WTERMSIG(status));
	return (EX_SOFTWARE);
}

/* free_client - release d (descriptors already closed) */
static void
free_client(struct drop_client *d)
{
	strbuf_free(&d->chunk);
	attr_list_free(&d->list);
	free(d);
}

/* drop_client_close - see drop_client.h */
int
drop_client_close(struct drop_client *d, char id[QUEUE_ID_SIZE])
{
	char	 buf[QUEUE_ID_SIZE + 8];
	size_t	 got = 0;
	ssize_t	 n;
	int	 status;

	send_chunk(d);
	attr_list_add_str(&d->list, "end", "1");
	(void)attr_write(d->to, &d->list);
	attr_list_reset(&d->list);
	(void)stream_flush(d->to);
	stream_close(d->to);
	while (got < sizeof(buf) - 1) {
		n = read(d->from_fd, buf + got, sizeof(buf) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = 0;
	(void)close(d->from_fd);
	status = reap(d->pid, false);
	free_client(d);
	if (status != EX_OK)
		return (status);
	buf[strcspn(buf, "\n")] = 0;
	if (!queue_id_valid(buf)) {
		msg_warn("sluice-drop gave no queue ID");
		return (EX_SOFTWARE);
	}
	memcpy(id, buf, QUEUE_ID_SIZE);
	return (EX_OK);
}

/* drop_client_abort - see drop_client.h */
void
drop_client_abort(struct drop_client *d)
{
	(void)kill(d->pid, SIGTERM);
	stream_close(d->to);
	(void)close(d->from_fd);
	(void)reap(d->pid, true);
	free_client(d);
}
