/*
 * notice.c - build and queue delivery status notifications (RFC 3464).
 *
 * This file decides who gets a notice and from whom (the null sender to
 * the original sender; a bounce of a bounce goes from double_bounce_sender
 * to 2bounce_notice_recipient when notify_classes has 2bounce or bounce,
 * else it is discarded; mail from double_bounce_sender itself is never
 * notified about; with the class bounce (delay), the postmaster gets a
 * copy of a non-delivery (delay) notice, with the message headers only,
 * at bounce_notice_recipient (delay_notice_recipient), from
 * double_bounce_sender, as in Postfix), writes the top-level headers and the MIME
 * structure around the parts that notice_text.c builds, and hands the
 * result to cleanup like any other local mail.
 *
 * The MIME boundary is random and checked against every part, so no
 * returned content can end a part early.  SMTPUTF8 originals get the
 * RFC 6533 types (message/global-delivery-status, message/global).
 *
 * Parameters: myhostname, double_bounce_sender, 2bounce_notice_recipient,
 * bounce_notice_recipient, delay_notice_recipient, notify_classes,
 * bounce_size_limit, maximal_queue_lifetime, bounce_queue_lifetime,
 * cleanup_service_name, ipc_timeout.
 */
#include <sys/random.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "attr.h"
#include "notice.h"
#include "notice_impl.h"
#include "cleanup_client.h"
#include "mem.h"
#include "msg.h"
#include "strbuf.h"

#define BOUNCE_BOUNDARY_TRIES	16

/* random_hex - n random bytes as 2n hex digits appended to out */
static void
random_hex(struct strbuf *out, size_t n)
{
	unsigned char buf[32];
	static unsigned long counter;
	size_t i;

	if (n > sizeof(buf))
		n = sizeof(buf);
	if (getrandom(buf, n, GRND_NONBLOCK) != (ssize_t)n) {
		/* unpredictability is nice, uniqueness is what matters */
		unsigned long seed = (unsigned long)time(NULL) ^
		    ((unsigned long)getpid() << 16) ^ (++counter * 2654435761UL);
		for (i = 0; i < n; i++) {
			seed = seed * 6364136223846793005UL + 1442695040888963407UL;
			buf[i] = (unsigned char)(seed >> 33);
		}
	}
	for (i = 0; i < n; i++)
		strbuf_printf(out, "%02X", buf[i]);
}

/* qualify - addr, with "@domain" added when it has none */
static void
qualify(struct strbuf *out, const char *addr, const char *domain)
{
	strbuf_set(out, addr);
	if (strchr(addr, '@') == NULL)
		strbuf_printf(out, "@%s", domain);
}

/* notify_class - is class one of the words of notify_classes? */
static bool
notify_class(const struct bounce_settings *set, const char *class)
{
	return (strlist_contains_ci(&set->notify_classes, class));
}

/*
 * choose_envelope - who sends and who gets the notice (postmaster: the
 * postmaster's copy).  Returns BOUNCE_QUEUED or BOUNCE_DISCARDED.
 */
static int
choose_envelope(const struct bounce_settings *set,
    const struct queue_message *msg, enum bounce_action action,
    bool postmaster, struct strbuf *to, struct strbuf *from)
{
	struct strbuf dbl;
	const char *myhostname = set->myhostname;
	const char *dbl_local = set->double_bounce_sender;
	int rc = BOUNCE_QUEUED;

	strbuf_init(&dbl);
	qualify(&dbl, dbl_local, myhostname);
	strbuf_reset(to);
	strbuf_reset(from);
	if (strcasecmp(msg->sender, dbl.data) == 0
	    || strcasecmp(msg->sender, dbl_local) == 0) {
		/* a notice about a notice about a notice: stop here */
		rc = BOUNCE_DISCARDED;
	} else if (postmaster) {
		/* only for mail with a sender of its own, in the asked class */
		if (msg->sender[0] == 0 || action == BOUNCE_DELIVERED ||
		    !notify_class(set, action == BOUNCE_FAILED ? "bounce" :
		    "delay"))
			rc = BOUNCE_DISCARDED;
		else
			qualify(to, action == BOUNCE_FAILED ?
			    set->bounce_notice_recipient :
			    set->delay_notice_recipient, myhostname);
		strbuf_set(from, dbl.data);
	} else if (msg->sender[0] == 0) {
		if (!notify_class(set, "2bounce") && !notify_class(set, "bounce"))
			rc = BOUNCE_DISCARDED;
		qualify(to, set->double_bounce_recipient, myhostname);
		strbuf_set(from, dbl.data);
	} else {
		strbuf_set(to, msg->sender);
	}
	strbuf_free(&dbl);
	return (rc);
}

/* boundary_free - the boundary occurs in none of the parts */
static bool
boundary_free(const char *boundary, struct strbuf **parts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (memmem(parts[i]->data, parts[i]->len, boundary,
		    strlen(boundary)) != NULL)
			return (false);
	return (true);
}

/* has_8bit_bytes - any byte above 0x7f in sb */
static bool
has_8bit_bytes(const struct strbuf *sb)
{
	for (size_t i = 0; i < sb->len; i++)
		if ((unsigned char)sb->data[i] >= 0x80)
			return (true);
	return (false);
}

/* put_headers - the notice's own header section */
static void
put_headers(const struct bounce_job *job, struct strbuf *text,
    const char *to, const char *boundary, bool eightbit)
{
	static const char *const subjects[] = {
		"Undelivered Mail Returned to Sender",
		"Delayed Mail (still being retried)",
		"Successful Mail Delivery Report",
	};
	struct strbuf val;

	strbuf_init(&val);
	strbuf_printf(text, "From: MAILER-DAEMON@%s (Mail Delivery System)\n",
	    job->set->myhostname);
	strbuf_puts(&val, "<");
	bounce_clean(&val, to, job->global);
	strbuf_puts(&val, ">");
	bounce_field(text, "To", val.data);
	bounce_field(text, "Subject", subjects[job->action]);
	strbuf_reset(&val);
	bounce_date(&val, job->now);
	bounce_field(text, "Date", val.data);
	strbuf_printf(text, "Message-ID: <%lld.", (long long)job->now);
	random_hex(text, 8);
	strbuf_printf(text, ".%s@%s>\n", job->msg->id, job->set->myhostname);
	strbuf_puts(text, "Auto-Submitted: auto-replied\n");
	strbuf_puts(text, "MIME-Version: 1.0\n");
	strbuf_printf(text, "Content-Type: multipart/report; "
	    "report-type=%s;\n\tboundary=\"%s\"\n",
	    job->global ? "global-delivery-status" : "delivery-status", boundary);
	strbuf_printf(text, "Content-Transfer-Encoding: %s\n",
	    eightbit ? "8bit" : "7bit");
	strbuf_puts(text, "\nThis is a MIME-encapsulated message.\n\n");
	strbuf_free(&val);
}

/* bounce_build - the whole notification text and its envelope */
int
bounce_build(const struct bounce_settings *set, int queue_fd, const struct queue_message *msg,
    enum bounce_action action, bool postmaster, const struct bounce_rcpt *rcpts,
    size_t count, struct strbuf *text, struct strbuf *notify_to,
    struct strbuf *notify_from, struct strbuf *err)
{
	struct bounce_job job;
	struct strbuf human, status, returned, boundary;
	struct strbuf *parts[3] = { &human, &status, &returned };
	const char *utf8;
	bool full, eightbit;
	int tries, rc;

	if ((unsigned)action > BOUNCE_DELIVERED || (count > 0 && rcpts == NULL)) {
		strbuf_puts(err, "bounce: bad request");
		return (BOUNCE_ERROR);
	}
	memset(&job, 0, sizeof(job));
	job.set = set;
	job.msg = msg;
	job.action = action;
	job.rcpts = rcpts;
	job.count = count;
	job.postmaster = postmaster;
	job.global = (utf8 = attr_list_get(&msg->attrs, "smtputf8")) != NULL
	    && strcmp(utf8, "1") == 0;
	job.now = time(NULL);

	strbuf_reset(text);
	if (choose_envelope(set, msg, action, postmaster, notify_to,
	    notify_from) == BOUNCE_DISCARDED)
		return (BOUNCE_DISCARDED);

	strbuf_init(&human);
	strbuf_init(&status);
	strbuf_init(&returned);
	strbuf_init(&boundary);
	rc = BOUNCE_QUEUED;
	bounce_human_text(&job, &human);
	bounce_status_text(&job, &status);
	if (bounce_returned_text(&job, queue_fd, &returned, &full, err) < 0) {
		rc = BOUNCE_ERROR;
		goto out;
	}
	for (tries = 0;; tries++) {
		strbuf_set(&boundary, "=_sluice_");
		random_hex(&boundary, 12);
		strbuf_printf(&boundary, "_%s", msg->id);
		if (boundary_free(boundary.data, parts, 3))
			break;
		if (tries == BOUNCE_BOUNDARY_TRIES) {
			strbuf_printf(err, "%s: no usable MIME boundary", msg->id);
			rc = BOUNCE_ERROR;
			goto out;
		}
	}
	eightbit = has_8bit_bytes(&returned) || has_8bit_bytes(&human)
	    || has_8bit_bytes(&status);

	put_headers(&job, text, notify_to->data, boundary.data, eightbit);
	strbuf_printf(text, "--%s\nContent-Description: Notification\n"
	    "Content-Type: text/plain; charset=%s\n\n", boundary.data,
	    has_8bit_bytes(&human) ? "utf-8" : "us-ascii");
	strbuf_append(text, human.data, human.len);
	strbuf_printf(text, "\n--%s\nContent-Description: Delivery report\n"
	    "Content-Type: message/%sdelivery-status\n\n", boundary.data,
	    job.global ? "global-" : "");
	strbuf_append(text, status.data, status.len);
	strbuf_printf(text, "\n--%s\nContent-Description: %s\n"
	    "Content-Type: %s\n", boundary.data,
	    full ? "Undelivered Message" : "Undelivered Message Headers",
	    full ? (job.global ? "message/global" : "message/rfc822") :
	    (job.global ? "message/global-headers" : "text/rfc822-headers"));
	if (has_8bit_bytes(&returned))
		strbuf_puts(text, "Content-Transfer-Encoding: 8bit\n");
	strbuf_putc(text, '\n');
	strbuf_append(text, returned.data, returned.len);
	/* the delimiter's own line break must not eat the content's last one */
	if (returned.len > 0 && returned.data[returned.len - 1] != '\n')
		strbuf_putc(text, '\n');
	strbuf_printf(text, "\n--%s--\n", boundary.data);
out:
	strbuf_free(&human);
	strbuf_free(&status);
	strbuf_free(&returned);
	strbuf_free(&boundary);
	if (rc != BOUNCE_QUEUED)
		strbuf_reset(text);
	return (rc);
}

/* bounce_send - build the notice and queue it through cleanup */
int
bounce_send(const struct bounce_settings *set, int queue_fd, const struct queue_message *msg,
    enum bounce_action action, bool postmaster, const struct bounce_rcpt *rcpts,
    size_t count, char bounce_id[QUEUE_ID_SIZE], struct strbuf *err)
{
	struct strbuf text, to, from, path, reason;
	struct attr_list env;
	struct cleanup_client *c;
	const char *utf8;
	int rc, status;

	strbuf_init(&text);
	strbuf_init(&to);
	strbuf_init(&from);
	rc = bounce_build(set, queue_fd, msg, action, postmaster, rcpts, count,
	    &text, &to, &from, err);
	if (rc != BOUNCE_QUEUED) {
		strbuf_free(&text);
		strbuf_free(&to);
		strbuf_free(&from);
		return (rc);
	}

	strbuf_init(&path);
	strbuf_init(&reason);
	attr_list_init(&env);
	attr_list_add_str(&env, "request", "message");
	attr_list_add_str(&env, "sender", from.data);
	attr_list_add_long(&env, "flags", 0);
	attr_list_add_str(&env, "protocol", "LOCAL");
	utf8 = attr_list_get(&msg->attrs, "smtputf8");
	attr_list_add_str(&env, "smtputf8", utf8 != NULL && strcmp(utf8, "1") == 0 ?
	    "1" : "0");
	attr_list_add_str(&env, "body_type", has_8bit_bytes(&text) ?
	    "8BITMIME" : "7BIT");
	attr_list_add_str(&env, "log_ident", msg->id);
	attr_list_add_str(&env, "rcpt", to.data);
	attr_list_add_str(&env, "rcpt_orcpt", "");
	attr_list_add_long(&env, "rcpt_notify", 0);
	strbuf_printf(&path, "private/%s", set->cleanup_service_name);

	c = cleanup_open(path.data, (int)set->ipc_timeout,
	    &env, bounce_id, &status, &reason);
	if (c == NULL) {
		strbuf_printf(err, "queue notification: %s", reason.data);
		rc = BOUNCE_ERROR;
	} else if (cleanup_write(c, text.data, text.len) < 0) {
		cleanup_abort(c);
		strbuf_puts(err, "queue notification: lost connection to cleanup");
		rc = BOUNCE_ERROR;
	} else if (cleanup_finish(c, &status, &reason) < 0) {
		strbuf_printf(err, "queue notification: %s", reason.data);
		rc = BOUNCE_ERROR;
	}
	attr_list_free(&env);
	strbuf_free(&path);
	strbuf_free(&reason);
	strbuf_free(&text);
	strbuf_free(&to);
	strbuf_free(&from);
	return (rc);
}
