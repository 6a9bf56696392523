/*
 * drop - read one submission from sendmail and write it to maildrop/.
 *
 * The input is the shape of the cleanup conversation (cleanup_client.h),
 * so a submitter writes it the same way: one attr list with the envelope
 *	[request=message] [sender=ADDR] [flags=N] [envid=TEXT] [ret=FULL|HDRS]
 *	then per recipient: rcpt=ADDR [rcpt_orcpt=TEXT] [rcpt_notify=N]
 * ("sender" absent: pickup uses the submitter's login name; present and
 * empty: the null sender), then lists of one data=BYTES each (the message,
 * LF line ends), then a list end=1.  Everything is checked before it is
 * written, and nothing the protocol does not know is accepted: the caller
 * is an unprivileged user and sluice-drop has the group that may write
 * maildrop/.  The file is written with queue_writer(3) and flips to
 * QUEUE_MODE_MAILDROP when complete.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "attr.h"
#include "cleanup_client.h"
#include "msg.h"
#include "queue_file.h"
#include "sluice_drop.h"
#include "strbuf.h"

#define DROP_DATA_TOTAL	(CLEANUP_CHUNK_MAX + 1024)

/* printable - no control characters, no DEL */
static bool
printable(const struct attr *a)
{
	for (size_t i = 0; i < a->value_len; i++) {
		unsigned char ch = (unsigned char)a->value[i];

		if (ch < 0x20 || ch == 0x7f)
			return (false);
	}
	return (true);
}

/*
 * address_ok - the syntax smtpd would accept in MAIL FROM/RCPT TO, plus
 * an unqualified local part ("root"), which pickup qualifies
 */
static bool
address_ok(const struct attr *a, bool is_sender)
{
	struct smtp_path path;
	struct strbuf text;
	const char *params, *error;
	bool ok;

	if (a->value_len == 0 || a->value_len > SMTP_ADDRESS_MAX ||
	    !printable(a) || strchr(a->value, '<') || strchr(a->value, '>'))
		return (false);
	strbuf_init(&text);
	strbuf_printf(&text, "<%s%s>", a->value,
	    strchr(a->value, '@') ? "" : "@localhost");
	smtp_path_init(&path);
	ok = smtp_path_parse(text.data, SMTP_PATH_UTF8, is_sender, &path,
	    &params, &error) == 0 && *params == 0;
	smtp_path_free(&path);
	strbuf_free(&text);
	return (ok);
}

/* number_ok - a clean decimal in [0, max] */
static bool
number_ok(const struct attr *a, long max, long *out)
{
	long v = 0;

	if (a->value_len == 0 || a->value_len > 10)
		return (false);
	for (size_t i = 0; i < a->value_len; i++) {
		if (a->value[i] < '0' || a->value[i] > '9')
			return (false);
		v = v * 10 + (a->value[i] - '0');
	}
	*out = v;
	return (v <= max);
}

/* notify_ok - DSN NOTIFY bits: NEVER alone, or any of the others */
static bool
notify_ok(const struct attr *a)
{
	long v;

	if (!number_ok(a, DSN_NOTIFY_NEVER | DSN_NOTIFY_SUCCESS |
	    DSN_NOTIFY_FAILURE | DSN_NOTIFY_DELAY, &v))
		return (false);
	return ((v & DSN_NOTIFY_NEVER) == 0 || v == DSN_NOTIFY_NEVER);
}

/* orcpt_ok - "addr-type;address" (RFC 3461 ORCPT, decoded), or "" */
static bool
orcpt_ok(const struct attr *a)
{
	if (a->value_len == 0)
		return (true);
	return (a->value_len <= DROP_ORCPT_MAX && printable(a) &&
	    strchr(a->value, ';') != NULL && a->value[0] != ';');
}

/* envid_ok - printable ASCII, at most DROP_ENVID_MAX */
static bool
envid_ok(const struct attr *a)
{
	for (size_t i = 0; i < a->value_len; i++)
		if ((unsigned char)a->value[i] < 0x21 ||
		    (unsigned char)a->value[i] > 0x7e)
			return (false);
	return (a->value_len > 0 && a->value_len <= DROP_ENVID_MAX);
}

/* check_envelope - every attribute of the envelope list, in order */
static void
check_envelope(const struct attr_list *env)
{
	bool have_sender = false, have_flags = false, have_envid = false;
	bool have_ret = false, have_orcpt = false, have_notify = false;
	size_t rcpts = 0;
	long flags;

	for (size_t i = 0; i < env->count; i++) {
		const struct attr *a = &env->items[i];
		const char *n = a->name;
		bool bad = false;

		if (strcmp(n, "request") == 0)
			bad = i != 0 || strcmp(a->value, "message") != 0;
		else if (strcmp(n, "rcpt") == 0) {
			if (!address_ok(a, false))
				drop_fatal(EX_DATAERR, "bad recipient address "
				    "syntax: \"%.100s\"", a->value);
			if (++rcpts > DROP_RCPT_MAX)
				drop_fatal(EX_DATAERR, "too many recipients "
				    "(limit %d)", DROP_RCPT_MAX);
			have_orcpt = have_notify = false;
		} else if (strcmp(n, "rcpt_orcpt") == 0) {
			bad = rcpts == 0 || have_orcpt || !orcpt_ok(a);
			have_orcpt = true;
		} else if (strcmp(n, "rcpt_notify") == 0) {
			bad = rcpts == 0 || have_notify || !notify_ok(a);
			have_notify = true;
		} else if (rcpts > 0) {
			drop_fatal(EX_DATAERR, "envelope attribute \"%s\" after "
			    "the recipients", n);
		} else if (strcmp(n, "sender") == 0) {
			if (have_sender || (a->value_len > 0 &&
			    !address_ok(a, true)))
				drop_fatal(EX_DATAERR, "bad sender address "
				    "syntax: \"%.100s\"", a->value);
			have_sender = true;
		} else if (strcmp(n, "flags") == 0) {
			bad = have_flags || !number_ok(a, 0x7fffffffL, &flags);
			have_flags = true;
		} else if (strcmp(n, "envid") == 0) {
			bad = have_envid || !envid_ok(a);
			have_envid = true;
		} else if (strcmp(n, "ret") == 0) {
			bad = have_ret || (strcmp(a->value, "FULL") != 0 &&
			    strcmp(a->value, "HDRS") != 0);
			have_ret = true;
		} else
			drop_fatal(EX_DATAERR, "unknown envelope attribute "
			    "\"%.64s\"", n);
		if (bad)
			drop_fatal(EX_DATAERR, "duplicate, misplaced or "
			    "malformed %s", n);
	}
	if (rcpts == 0)
		drop_fatal(EX_DATAERR, "no recipients specified");
}

/* write_envelope - the S, A and R records of a checked list */
static void
write_envelope(struct queue_writer *w, const struct attr_list *env)
{
	const char *sender = attr_list_get(env, "sender");
	struct queue_recipient r = { 0 };
	bool open_rcpt = false;
	long v;

	queue_writer_sender(w, sender ? sender : "");
	if (sender != NULL && sender[0] == 0)
		queue_writer_attr(w, "null_sender", "1");
	for (size_t i = 0; i < env->count; i++) {
		const struct attr *a = &env->items[i];

		if (strcmp(a->name, "envid") == 0 || strcmp(a->name, "ret") == 0)
			queue_writer_attr(w, a->name, a->value);
		else if (strcmp(a->name, "rcpt") == 0) {
			if (open_rcpt)
				queue_writer_recipient(w, &r);
			r.address = a->value;
			r.orcpt = "";
			r.notify = 0;
			open_rcpt = true;
		} else if (strcmp(a->name, "rcpt_orcpt") == 0)
			r.orcpt = a->value;
		else if (strcmp(a->name, "rcpt_notify") == 0 &&
		    number_ok(a, 0xffff, &v))
			r.notify = (int)v;
	}
	if (open_rcpt)
		queue_writer_recipient(w, &r);
	queue_writer_content_start(w);
}

/* read_list - one attr list from the submitter, or a fatal error */
static void
read_list(struct stream *in, struct attr_list *list, size_t max_total)
{
	int status = attr_read(in, list, max_total);

	if (status == STREAM_EOF)
		drop_fatal(EX_DATAERR, "premature end of input");
	if (status != STREAM_OK)
		drop_fatal(EX_DATAERR, "malformed input: %s",
		    stream_status_text(status));
}

/* copy_content - data lists into the file until end=1 */
static void
copy_content(struct stream *in, struct queue_writer *w, long size_limit)
{
	struct attr_list list;
	long long total = 0;

	attr_list_init(&list);
	for (;;) {
		read_list(in, &list, DROP_DATA_TOTAL);
		if (list.count != 1)
			drop_fatal(EX_DATAERR, "malformed content list");
		if (strcmp(list.items[0].name, "end") == 0 &&
		    strcmp(list.items[0].value, "1") == 0)
			break;
		if (strcmp(list.items[0].name, "data") != 0 ||
		    list.items[0].value_len > CLEANUP_CHUNK_MAX)
			drop_fatal(EX_DATAERR, "malformed content list");
		total += (long long)list.items[0].value_len;
		if (size_limit > 0 && total > size_limit)
			drop_fatal(EX_DATAERR, "message too large (limit %ld "
			    "bytes)", size_limit);
		if (queue_writer_content(w, list.items[0].value,
		    list.items[0].value_len) < 0)
			break;		/* finish() reports the error */
	}
	attr_list_free(&list);
}

/* drop_message - see sluice_drop.h */
void
drop_message(struct stream *in, long size_limit, char id[QUEUE_ID_SIZE])
{
	struct attr_list env;
	struct queue_writer *w;
	struct strbuf err, path;
	sigset_t block, saved;

	attr_list_init(&env);
	strbuf_init(&err);
	strbuf_init(&path);
	read_list(in, &env, DROP_ENVELOPE_TOTAL);
	check_envelope(&env);
	/*
	 * A queue file that cannot be created or written (a full disk, a
	 * quota, EIO) is a temporary failure, as Postfix's sendmail makes
	 * it: the caller keeps the message and tries again.
	 */
	if ((w = queue_writer_create("maildrop", &err)) == NULL)
		drop_fatal(EX_TEMPFAIL, "%s", err.data);
	strbuf_printf(&path, "maildrop/%s", queue_writer_id(w));
	drop_set_unfinished(path.data);
	queue_writer_set_final_mode(w, QUEUE_MODE_MAILDROP);
	memcpy(id, queue_writer_id(w), QUEUE_ID_SIZE);
	write_envelope(w, &env);
	attr_list_free(&env);
	copy_content(in, w, size_limit);
	/* a signal after this point must not remove a finished file */
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGQUIT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &saved);
	if (queue_writer_finish(w, &err) < 0)
		drop_fatal(EX_TEMPFAIL, "%s", err.data);
	drop_set_unfinished(NULL);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	strbuf_free(&err);
	strbuf_free(&path);
}
