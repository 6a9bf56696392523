/*
 * drop - run sluice-drop and stream one message to it.
 *
 * sendmail runs as the user and cannot write the queue; sluice-drop
 * (setgid setgid_group, in daemon_directory) can.  It is started with
 * execv (never a shell) on two pipes: its standard input gets the
 * envelope and the content as attr(3) lists, the shape of the cleanup
 * conversation; its standard output gives back the maildrop queue ID.
 * Its complaints go straight to our standard error, and its exit status
 * (sysexits) becomes ours.  Before any of that, sm_queue_space_ok()
 * looks at the free space of the queue file system, so that a message
 * that could not be stored is refused before it is read (EX_TEMPFAIL).
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "cleanup_client.h"
#include "mem.h"
#include "queue_space.h"
#include "sendmail.h"

struct sm_drop {
	pid_t		 pid;
	struct stream	*to;		/* its stdin */
	int		 from_fd;	/* its stdout */
	struct strbuf	 chunk;		/* content not yet sent */
	struct attr_list list;
};

/* sm_envelope_init - empty envelope */
void
sm_envelope_init(struct sm_envelope *env)
{
	memset(env, 0, sizeof(*env));
}

/* sm_envelope_free - release the recipients */
void
sm_envelope_free(struct sm_envelope *env)
{
	for (size_t i = 0; i < env->rcpt_count; i++) {
		free(env->rcpts[i].address);
		free(env->rcpts[i].orcpt);
	}
	free(env->rcpts);
	memset(env, 0, sizeof(*env));
}

/* sm_envelope_add - append a recipient unless it is already there */
int
sm_envelope_add(struct sm_envelope *env, const char *address,
    const char *orcpt, int notify)
{
	for (size_t i = 0; i < env->rcpt_count; i++)
		if (strcmp(env->rcpts[i].address, address) == 0)
			return (0);
	if (env->rcpt_count >= SM_RCPT_MAX)
		return (-1);
	if (env->rcpt_count == env->rcpt_cap) {
		env->rcpt_cap = env->rcpt_cap ? env->rcpt_cap * 2 : 8;
		env->rcpts = xrealloc(env->rcpts,
		    env->rcpt_cap * sizeof(*env->rcpts));
	}
	env->rcpts[env->rcpt_count].address = xstrdup(address);
	env->rcpts[env->rcpt_count].orcpt = xstrdup(orcpt ? orcpt : "");
	env->rcpts[env->rcpt_count].notify = notify;
	env->rcpt_count++;
	return (0);
}

/* spawn - fork and exec sluice-drop on two fresh pipes */
static pid_t
spawn(const struct sm_options *o, int *to_fd, int *from_fd)
{
	char *path = sm_program_path(o, "sluice-drop", true);
	const char *argv[6];
	int in[2], out[2], n = 0;
	pid_t pid;

	argv[n++] = "sluice-drop";
	if (o->explicit_config) {
		argv[n++] = "-c";
		argv[n++] = o->config_dir;
	}
	if (o->verbose > 1)
		argv[n++] = "-v";
	argv[n] = NULL;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		sm_fatal(EX_OSERR, "pipe: %s", strerror(errno));
	if ((pid = fork()) < 0)
		sm_fatal(EX_OSERR, "fork: %s", strerror(errno));
	if (pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
			_exit(EX_OSERR);
		execv(path, (char *const *)argv);
		sm_warn("cannot run %s: %s", path, strerror(errno));
		_exit(EX_UNAVAILABLE);
	}
	(void)close(in[0]);
	(void)close(out[1]);
	*to_fd = in[1];
	*from_fd = out[0];
	free(path);
	return (pid);
}

/* send_list - one attr list to sluice-drop; errors stick to the stream */
static void
send_list(struct sm_drop *d)
{
	(void)attr_write(d->to, &d->list);
	attr_list_reset(&d->list);
}

/* sm_drop_open - start sluice-drop and send it the envelope */
struct sm_drop *
sm_drop_open(const struct sm_options *o, const struct sm_envelope *env)
{
	struct sm_drop *d = xcalloc(1, sizeof(*d));
	int to_fd;

	d->pid = spawn(o, &to_fd, &d->from_fd);
	d->to = stream_open(to_fd);
	strbuf_init(&d->chunk);
	attr_list_init(&d->list);
	attr_list_add_str(&d->list, "request", "message");
	if (env->sender != NULL)
		attr_list_add_str(&d->list, "sender", env->sender);
	if (env->envid != NULL)
		attr_list_add_str(&d->list, "envid", env->envid);
	if (env->ret != NULL)
		attr_list_add_str(&d->list, "ret", env->ret);
	for (size_t i = 0; i < env->rcpt_count; i++) {
		attr_list_add_str(&d->list, "rcpt", env->rcpts[i].address);
		if (env->rcpts[i].orcpt[0] != 0)
			attr_list_add_str(&d->list, "rcpt_orcpt",
			    env->rcpts[i].orcpt);
		if (env->rcpts[i].notify != 0)
			attr_list_add_long(&d->list, "rcpt_notify",
			    env->rcpts[i].notify);
	}
	send_list(d);
	return (d);
}

/* send_chunk - the staged content as one data list */
static void
send_chunk(struct sm_drop *d)
{
	if (d->chunk.len == 0)
		return;
	attr_list_add(&d->list, "data", d->chunk.data, d->chunk.len);
	send_list(d);
	strbuf_reset(&d->chunk);
}

/* sm_drop_write - content, in lists of at most CLEANUP_CHUNK_MAX bytes */
int
sm_drop_write(struct sm_drop *d, const void *data, size_t len)
{
	const char *p = data;
	size_t take;

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

/* reap - the child's exit status as a sysexits code */
static int
reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return (EX_OSERR);
	if (WIFEXITED(status))
		return (WEXITSTATUS(status));
	sm_warn("sluice-drop killed by signal %d", WTERMSIG(status));
	return (EX_SOFTWARE);
}

/* free_drop - release d (descriptors already closed) */
static void
free_drop(struct sm_drop *d)
{
	strbuf_free(&d->chunk);
	attr_list_free(&d->list);
	free(d);
}

/* sm_drop_close - end=1, then the ID and the exit status */
int
sm_drop_close(struct sm_drop *d, char id[QUEUE_ID_SIZE])
{
	char buf[QUEUE_ID_SIZE + 8];
	size_t got = 0;
	ssize_t n;
	int status;

	send_chunk(d);
	attr_list_add_str(&d->list, "end", "1");
	send_list(d);
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
	status = reap(d->pid);
	free_drop(d);
	if (status != EX_OK)
		return (status);
	buf[strcspn(buf, "\n")] = 0;
	if (!queue_id_valid(buf)) {
		sm_warn("sluice-drop gave no queue ID");
		return (EX_SOFTWARE);
	}
	memcpy(id, buf, QUEUE_ID_SIZE);
	return (EX_OK);
}

/* sm_drop_abort - stop sluice-drop; it removes its unfinished file */
void
sm_drop_abort(struct sm_drop *d)
{
	(void)kill(d->pid, SIGTERM);
	stream_close(d->to);
	(void)close(d->from_fd);
	(void)reap(d->pid);
	free_drop(d);
}

/*
 * sm_queue_space_ok - room in the queue file system for new mail, by
 * queue_minfree and message_size_limit (lib/queue_space.h); false with
 * the numbers in why when not.  A file system that cannot be measured
 * counts as room: sluice-drop still fails cleanly on a write error.
 */
bool
sm_queue_space_ok(const struct sm_options *o, struct strbuf *why)
{
	struct queue_space qs;
	bool ok;

	queue_space_init_config(&qs, o->cfg, config_get(o->cfg,
	    "queue_directory"));
	ok = queue_space_check(&qs, 0) != QUEUE_SPACE_LOW;
	if (!ok)
		queue_space_describe(why, &qs.usage, qs.minfree, qs.size_limit);
	queue_space_free(&qs);
	return (ok);
}
