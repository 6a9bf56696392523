/*
 * pipe - deliver to "|command" from an alias, .forward or include list.
 *
 * The command text comes only from the owner of the list; nothing from
 * the message reaches the shell's command line.  The child gives up root
 * for good (the list owner, or default_privs for root's lists), gets a new
 * session, a clean environment (HOME USER LOGNAME SHELL PATH SENDER
 * RECIPIENT ORIGINAL_RECIPIENT DOMAIN LOCAL EXTENSION, as Postfix sets),
 * the message on stdin (From_ line, Return-Path, Delivered-To per
 * prepend_delivered_header) and an unlinked temporary file as stdout and
 * stderr, whose first line becomes the bounce reason.  Writing to a file
 * rather than a pipe means a chatty command can never deadlock us.
 * command_time_limit kills the whole process group.  Exit statuses map as
 * sysexits(3) says: 0 sent, EX_TEMPFAIL and anything unknown deferred,
 * the permanent ones bounced.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "address.h"
#include "local.h"
#include "msg.h"

#define PIPE_REASON_MAX	200

/* sysexits(3) and what they mean for the recipient */
static const struct {
	int		 code;
	int		 status;
	const char	*dsn;
	const char	*text;
} exit_map[] = {
	{ 64, 5, "5.3.0", "command line usage error" },
	{ 65, 5, "5.6.0", "data format error" },
	{ 66, 5, "5.3.0", "cannot open input" },
	{ 67, 5, "5.1.1", "user unknown" },
	{ 68, 5, "5.1.2", "host name unknown" },
	{ 69, 5, "5.3.0", "service unavailable" },
	{ 70, 5, "5.3.0", "internal software error" },
	{ 71, 4, "4.3.0", "system resource problem" },
	{ 72, 5, "5.3.0", "critical OS file missing" },
	{ 73, 5, "5.2.0", "can't create user output file" },
	{ 74, 5, "5.3.0", "input/output error" },
	{ 75, 4, "4.3.0", "temporary failure" },
	{ 76, 5, "5.5.0", "remote protocol error" },
	{ 77, 5, "5.7.0", "permission denied" },
	{ 78, 5, "5.3.5", "local configuration error" },
	{ 0, 0, NULL, NULL },
};

/* on_alarm - interrupt blocking writes and waits */
static void
on_alarm(int sig)
{
	(void)sig;
	local_timed_out = 1;
}

/* output_file - an unlinked file for the command's stdout and stderr */
static int
output_file(void)
{
	char	 path[] = "/tmp/sluice-local.XXXXXX";
	int	 fd;

	fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return (fd);
	if ((fd = mkostemp(path, O_CLOEXEC)) >= 0)
		(void)unlink(path);
	return (fd);
}

/* first_line - the command's first line of output, printable */
static void
first_line(int fd, struct strbuf *out)
{
	char	 buf[PIPE_REASON_MAX + 1];
	ssize_t	 n;

	strbuf_reset(out);
	if ((n = pread(fd, buf, PIPE_REASON_MAX, 0)) <= 0)
		return;
	for (ssize_t i = 0; i < n && buf[i] != '\n'; i++)
		strbuf_putc(out, (unsigned char)buf[i] < 0x20 ||
		    (unsigned char)buf[i] == 0x7f ? ' ' : buf[i]);
	strbuf_trim(out);
}

/* child_env - the environment Postfix gives delivery commands */
static void
child_env(struct local_state *st, const struct local_privs *privs,
    const char *recipient)
{
	struct strbuf local, ext;
	const char *domain = address_domain(recipient);
	size_t	 n;

	strbuf_init(&local);
	strbuf_init(&ext);
	address_local_part(recipient, &local);
	if ((n = resolve_extension(st->d->resolver, local.data, local.len)) > 0) {
		strbuf_set(&ext, local.data + n + 1);
		strbuf_truncate(&local, n);
	}
	(void)clearenv();
	setenv("HOME", privs->home, 1);
	setenv("USER", privs->user, 1);
	setenv("LOGNAME", privs->user, 1);
	setenv("SHELL", privs->shell, 1);
	setenv("PATH", "/usr/bin:/bin", 1);
	setenv("SENDER", st->m->req->sender, 1);
	setenv("RECIPIENT", recipient, 1);
	setenv("ORIGINAL_RECIPIENT", st->rcpt->original, 1);
	setenv("DOMAIN", *domain ? domain : st->d->p.myhostname, 1);
	setenv("LOCAL", local.data, 1);
	setenv("EXTENSION", ext.data, 1);
}

/* run_child - the forked child: drop root, set up, exec the shell */
static void __attribute__((noreturn))
run_child(struct local_state *st, const char *command,
    const struct local_privs *privs, int in_fd, int out_fd,
    const char *recipient)
{
	(void)setsid();
	(void)signal(SIGPIPE, SIG_DFL);
	(void)signal(SIGXFSZ, SIG_DFL);
	(void)signal(SIGALRM, SIG_DFL);
	if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		_exit(75);
	closefrom(3);
	if (local_privs_apply_child(privs) < 0)
		_exit(75);
	if (chdir(privs->home) < 0 && chdir("/") < 0)
		_exit(75);
	umask(077);
	child_env(st, privs, recipient);
	execl("/bin/sh", "sh", "-c", command, (char *)NULL);
	_exit(75);
}

/* wait_child - reap with the deadline still running; -1 on timeout */
static int
wait_child(pid_t pid, int *wstatus)
{
	for (;;) {
		/* the alarm may have fired while we were still writing */
		if (local_timed_out)
			return (-1);
		if (waitpid(pid, wstatus, 0) == pid)
			return (0);
		if (errno != EINTR)
			return (-1);
	}
}

/* local_pipe - deliver to command as privs */
void
local_pipe(struct local_state *st, const char *command,
    const struct local_privs *privs)
{
	struct local_daemon *d = st->d;
	const char *to = st->parent ? st->parent : st->address;
	struct local_privs nobody;
	struct sigaction sa, old_sa;
	struct strbuf err, line, deliv;
	int	 pfd[2] = { -1, -1 }, out = -1, wstatus = 0, copy_rc, copy_errno;
	pid_t	 pid;

	strbuf_init(&err);
	strbuf_init(&line);
	strbuf_init(&deliv);
	strbuf_set(&deliv, to);
	if (strchr(to, '@') == NULL)
		strbuf_printf(&deliv, "@%s", d->p.myhostname);
	while (*command == ' ' || *command == '\t')
		command++;
	if (*command == 0) {
		local_result(st, to, 5, "5.3.5", "empty command");
		goto out;
	}
	/* root's own lists run their commands as default_privs */
	if (privs == NULL || privs->uid == 0) {
		if (local_privs_lookup(d->p.default_privs, &nobody) < 0 ||
		    nobody.uid == 0) {
			local_result(st, to, 4, "4.3.5",
			    "default_privs user \"%s\" unusable", d->p.default_privs);
			goto out;
		}
		privs = &nobody;
	}
	if ((out = output_file()) < 0 || pipe2(pfd, O_CLOEXEC) < 0) {
		local_result(st, to, 4, "4.3.0", "cannot run command: %s",
		    strerror(errno));
		goto out;
	}
	if ((pid = fork()) < 0) {
		local_result(st, to, 4, "4.3.0", "cannot fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		run_child(st, command, privs, pfd[0], out, deliv.data);
	close(pfd[0]);
	pfd[0] = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;		/* no SA_RESTART: interrupt write/waitpid */
	sigaction(SIGALRM, &sa, &old_sa);
	local_timed_out = 0;
	alarm((unsigned)d->p.command_time_limit);
	copy_rc = local_copy(st, pfd[1], LOCAL_COPY_FROM | LOCAL_COPY_RETURN_PATH |
	    ((d->p.prepend_delivered & LOCAL_HDR_COMMAND) ? LOCAL_COPY_DELIVERED : 0),
	    deliv.data, &err);
	copy_errno = copy_rc < 0 ? errno : 0;
	close(pfd[1]);
	pfd[1] = -1;
	if (wait_child(pid, &wstatus) < 0) {
		(void)kill(-pid, SIGKILL);
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, &wstatus, 0);
		alarm(0);
		sigaction(SIGALRM, &old_sa, NULL);
		local_result(st, to, 4, "4.3.0", "command time limit exceeded: \"%.100s\"",
		    command);
		goto out;
	}
	alarm(0);
	sigaction(SIGALRM, &old_sa, NULL);
	first_line(out, &line);
	/* EPIPE: the command stopped reading; its exit status decides. */
	if (copy_rc < 0 && copy_errno != EPIPE && WIFEXITED(wstatus) &&
	    WEXITSTATUS(wstatus) == 0) {
		local_result(st, to, 4, "4.3.0", "error writing to command: %s",
		    err.data);
	} else if (WIFSIGNALED(wstatus)) {
		local_result(st, to, 4, "4.3.0", "command died with signal %d%s%s",
		    WTERMSIG(wstatus), line.len ? ": " : "", line.data);
	} else if (WEXITSTATUS(wstatus) == 0) {
		local_result(st, to, 2, "2.0.0", "delivered to command: %.100s",
		    command);
	} else {
		int	 code = WEXITSTATUS(wstatus);
		size_t	 i;

		for (i = 0; exit_map[i].code != 0; i++)
			if (exit_map[i].code == code)
				break;
		if (exit_map[i].code == 0)
			local_result(st, to, 4, "4.3.0",
			    "command exited with status %d%s%s", code,
			    line.len ? ": " : "", line.data);
		else
			local_result(st, to, exit_map[i].status, exit_map[i].dsn,
			    "%s", line.len ? line.data : exit_map[i].text);
	}
out:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (out >= 0)
		close(out);
	strbuf_free(&err);
	strbuf_free(&line);
	strbuf_free(&deliv);
}
