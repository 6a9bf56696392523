/*
 * drop - sendmail's envelope, handed to sluice-drop (lib/drop_client).
 *
 * sendmail runs as the user and cannot write the queue; sluice-drop
 * (setgid setgid_group, in daemon_directory) can.  Its complaints go
 * straight to our standard error, and its exit status (sysexits) becomes
 * ours.  Before any of that, sm_queue_space_ok() looks at the free space
 * of the queue file system, so that a message that could not be stored
 * is refused before it is read (EX_TEMPFAIL).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "drop_client.h"
#include "mem.h"
#include "queue_space.h"
#include "sendmail.h"

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

/*
 * sm_drop_open - start sluice-drop and send it the envelope; a program
 * that cannot be started is fatal (EX_OSERR), as before anything is read
 */
struct sm_drop *
sm_drop_open(const struct sm_options *o, const struct sm_envelope *env)
{
	char	*path = sm_program_path(o, "sluice-drop", true);
	struct attr_list list;
	struct drop_client *d;

	attr_list_init(&list);
	attr_list_add_str(&list, "request", "message");
	if (env->sender != NULL)
		attr_list_add_str(&list, "sender", env->sender);
	if (env->envid != NULL)
		attr_list_add_str(&list, "envid", env->envid);
	if (env->ret != NULL)
		attr_list_add_str(&list, "ret", env->ret);
	for (size_t i = 0; i < env->rcpt_count; i++) {
		attr_list_add_str(&list, "rcpt", env->rcpts[i].address);
		if (env->rcpts[i].orcpt[0] != 0)
			attr_list_add_str(&list, "rcpt_orcpt",
			    env->rcpts[i].orcpt);
		if (env->rcpts[i].notify != 0)
			attr_list_add_long(&list, "rcpt_notify",
			    env->rcpts[i].notify);
	}
	d = drop_client_open(path, o->explicit_config ? o->config_dir : NULL,
	    o->verbose, &list);
	if (d == NULL)
		sm_fatal(EX_OSERR, "cannot run %s: %s", path, strerror(errno));
	attr_list_free(&list);
	free(path);
	return ((struct sm_drop *)d);
}

/* sm_drop_write - content, in lists of at most CLEANUP_CHUNK_MAX bytes */
int
sm_drop_write(struct sm_drop *d, const void *data, size_t len)
{
	return (drop_client_write((struct drop_client *)d, data, len));
}

/* sm_drop_close - end=1, then the ID and the exit status */
int
sm_drop_close(struct sm_drop *d, char id[QUEUE_ID_SIZE])
{
	return (drop_client_close((struct drop_client *)d, id));
}

/* sm_drop_abort - stop sluice-drop; it removes its unfinished file */
void
sm_drop_abort(struct sm_drop *d)
{
	drop_client_abort((struct drop_client *)d);
}

/*
 * sm_queue_space_ok - room in the queue file system for new mail, by
 * queue_minfree and message_size_limit (lib/queue/queue_space.h); false with
 * the numbers in why when not.  A file system that cannot be measured
 * counts as room: sluice-drop still fails cleanly on a write error.
 */
bool
sm_queue_space_ok(const struct sm_options *o, struct strbuf *why)
{
	struct queue_space qs;
	bool ok;

	if (queue_space_init_config(&qs, o->cfg, o->queue_directory, why) != 0) {
		queue_space_free(&qs);
		return (false);
	}
	ok = queue_space_check(&qs, 0) != QUEUE_SPACE_LOW;
	if (!ok)
		queue_space_describe(why, &qs.usage, qs.minfree, qs.size_limit);
	queue_space_free(&qs);
	return (ok);
}
