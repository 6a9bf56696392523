/*
 * test_bounce - unit tests for the bounce service's notice builder
 * (bounce/notice.c and bounce/notice_text.c).
 *
 * Each test writes a real queue file with queue_writer in a private queue
 * directory, builds a notification with bounce_build and checks its
 * structure: envelope, MIME boundary and parts, the delivery-status
 * fields, what is returned (full, headers, size limit), double bounces and
 * discards, hostile diagnostics.  When /usr/bin/python3 exists the text is
 * also fed to Python's email package, a real MIME parser.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notice.h"
#include "config.h"
#include "mem.h"
#include "queue_file.h"
#include "strbuf.h"
#include "unit.h"

#define PYTHON	"/usr/bin/python3"

static char qdir[64];
static char old_cwd[PATH_MAX];
static struct config *cfg;
static struct bounce_settings set;
static struct strbuf text, to, from, err;

static const char *body =
    "From: Sender <sender@example.org>\n"
    "To: rcpt@example.net\n"
    "Subject: hello there\n"
    "Message-ID: <m1@example.org>\n"
    "\n"
    "First body line.\n"
    "Second body line, SECRET-BODY-MARKER.\n";

/* settings - cfg as the bounce service reads it (its table, bounce/params.c) */
static const struct bounce_settings *
settings(void)
{
	struct strbuf why;

	config_table_release(bounce_params, &set);
	memset(&set, 0, sizeof(set));
	strbuf_init(&why);
	ck_assert_msg(config_table_read(cfg, bounce_params, &set, &why) == 0,
	    "%s", why.data);
	strbuf_free(&why);
	return (&set);
}

/* setup - a queue directory with incoming/, and the working directory there */
static void
setup(void)
{
	ck_assert_ptr_nonnull(getcwd(old_cwd, sizeof(old_cwd)));
	snprintf(qdir, sizeof(qdir), "/tmp/test_bounce.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(qdir));
	ck_assert_int_eq(chdir(qdir), 0);
	ck_assert_int_eq(mkdir("incoming", 0700), 0);
	cfg = config_new(qdir);
	config_set(cfg, "myhostname", "host.example");
	config_set(cfg, "queue_directory", qdir);
	strbuf_init(&text);
	strbuf_init(&to);
	strbuf_init(&from);
	strbuf_init(&err);
}

/* teardown - remove the queue directory */
static void
teardown(void)
{
	char cmd[256];

	config_table_release(bounce_params, &set);
	memset(&set, 0, sizeof(set));
	config_free(cfg);
	strbuf_free(&text);
	strbuf_free(&to);
	strbuf_free(&from);
	strbuf_free(&err);
	ck_assert_int_eq(chdir(old_cwd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", qdir);
	ck_assert_int_eq(system(cmd), 0);
}

/*
 * queue_message - write a complete queue file; open it, parse it into msg
 * and return the descriptor.  attrs: NULL-terminated name, value pairs.
 */
static int
queue_message(const char *sender, const char *const *attrs, const char *content,
    struct queue_message *msg)
{
	struct queue_recipient r = { .address = "rcpt@example.net",
	    .orcpt = "rfc822;Rcpt@Example.NET", .notify = DSN_NOTIFY_FAILURE };
	struct queue_writer *w;
	struct strbuf e, path;
	int fd;

	strbuf_init(&e);
	strbuf_init(&path);
	w = queue_writer_create("incoming", &e);
	ck_assert_msg(w != NULL, "%s", e.data);
	strbuf_printf(&path, "incoming/%s", queue_writer_id(w));
	ck_assert_int_eq(queue_writer_sender(w, sender), 0);
	for (; attrs != NULL && attrs[0] != NULL; attrs += 2)
		ck_assert_int_eq(queue_writer_attr(w, attrs[0], attrs[1]), 0);
	ck_assert_int_eq(queue_writer_recipient(w, &r), 0);
	ck_assert_int_eq(queue_writer_content_start(w), 0);
	ck_assert_int_eq(queue_writer_content(w, content, strlen(content)), 0);
	ck_assert_int_eq(queue_writer_finish(w, &e), 0);
	fd = open(path.data, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	memset(msg, 0, sizeof(*msg));
	ck_assert_int_eq(queue_file_read(fd, msg, &e), 0);
	ck_assert(msg->complete);
	strbuf_free(&e);
	strbuf_free(&path);
	return (fd);
}

/* one_rcpt - the usual failed recipient */
static struct bounce_rcpt
one_rcpt(void)
{
	struct bounce_rcpt r = {
		.final_recipient = "rcpt@example.net",
		.original_recipient = "rcpt@example.net",
		.orcpt = "rfc822;Rcpt@Example.NET",
		.status = "5.1.1",
		.diagnostic = "unknown user: \"rcpt\"",
		.last_attempt = 1700000000,
	};

	return (r);
}

/* build_as - queue a message and build the notice (or copy) about it */
static int
build_as(bool postmaster, const char *sender, const char *const *attrs,
    const char *content, enum bounce_action action,
    const struct bounce_rcpt *rcpts, size_t n)
{
	struct queue_message msg;
	int fd, rc;

	fd = queue_message(sender, attrs, content, &msg);
	rc = bounce_build(settings(), fd, &msg, action, postmaster, rcpts, n, &text,
	    &to, &from, &err);
	close(fd);
	queue_message_free(&msg);
	return (rc);
}

/* build - the notice to the sender */
static int
build(const char *sender, const char *const *attrs, const char *content,
    enum bounce_action action, const struct bounce_rcpt *rcpts, size_t n)
{
	return (build_as(false, sender, attrs, content, action, rcpts, n));
}

/* boundary_of - the boundary parameter of the notice's Content-Type */
static char *
boundary_of(const char *t)
{
	const char *b = strstr(t, "boundary=\"");

	ck_assert_ptr_nonnull(b);
	b += strlen("boundary=\"");
	return (xstrndup(b, strcspn(b, "\"")));
}

/* count - occurrences of needle in hay */
static int
count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return (n);
}

/* python_check - run Python's email parser over the notice, if available */
static void
python_check(const char *status, const char *final, const char *returned_type,
    const char *report_type)
{
	static const char script[] =
	    "import sys, email\n"
	    "m = email.message_from_binary_file(open(sys.argv[1], 'rb'))\n"
	    "assert m.get_content_type() == 'multipart/report', m.get_content_type()\n"
	    "assert m.get_param('report-type') == sys.argv[5], m.get_param('report-type')\n"
	    "assert not m.defects, m.defects\n"
	    "p = m.get_payload()\n"
	    "assert len(p) == 3, len(p)\n"
	    "assert p[0].get_content_type() == 'text/plain'\n"
	    "assert p[1].get_content_type() == 'message/' + sys.argv[5]\n"
	    "g = p[1].get_payload()\n"
	    "assert g[0]['Reporting-MTA'] == 'dns; host.example', g[0]['Reporting-MTA']\n"
	    "assert g[1]['Status'] == sys.argv[2], g[1]['Status']\n"
	    "assert g[1]['Final-Recipient'] == sys.argv[3], g[1]['Final-Recipient']\n"
	    "assert p[2].get_content_type() == sys.argv[4], p[2].get_content_type()\n";
	char path[128];
	pid_t pid;
	int fd, st;

	if (access(PYTHON, X_OK) != 0)
		return;
	snprintf(path, sizeof(path), "%s/notice.eml", qdir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text.data, text.len), (ssize_t)text.len);
	close(fd);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execl(PYTHON, PYTHON, "-c", script, path, status, final,
		    returned_type, report_type, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "python3 email parser rejected the notice:\n%s", text.data);
	unlink(path);
}

START_TEST(test_failed_full)
{
	struct bounce_rcpt r = one_rcpt();
	const char *const attrs[] = { "envid", "ENV-42", NULL };
	char *b, delim[128];

	ck_assert_int_eq(build("sender@example.org", attrs, body, BOUNCE_FAILED,
	    &r, 1), BOUNCE_QUEUED);
	ck_assert_str_eq(to.data, "sender@example.org");
	ck_assert_str_eq(from.data, "");
	ck_assert_ptr_nonnull(strstr(text.data,
	    "From: MAILER-DAEMON@host.example (Mail Delivery System)\n"));
	ck_assert_ptr_nonnull(strstr(text.data, "To: <sender@example.org>\n"));
	ck_assert_ptr_nonnull(strstr(text.data,
	    "Subject: Undelivered Mail Returned to Sender\n"));
	ck_assert_ptr_nonnull(strstr(text.data, "Auto-Submitted: auto-replied\n"));
	ck_assert_ptr_nonnull(strstr(text.data, "MIME-Version: 1.0\n"));
	ck_assert_ptr_nonnull(strstr(text.data, "\nDate: "));
	ck_assert_ptr_nonnull(strstr(text.data, "\nMessage-ID: <"));
	ck_assert_ptr_nonnull(strstr(text.data,
	    "Content-Type: multipart/report; report-type=delivery-status;"));
	ck_assert_ptr_null(strchr(text.data, '\r'));

	/* the boundary: header, three parts, the closing delimiter */
	b = boundary_of(text.data);
	ck_assert_int_le(strlen(b), 70);
	ck_assert_int_eq(count(text.data, b), 5);
	snprintf(delim, sizeof(delim), "\n--%s--\n", b);
	ck_assert_int_eq(count(text.data, delim), 1);
	ck_assert_str_eq(text.data + text.len - strlen(delim), delim);
	free(b);

	ck_assert_ptr_nonnull(strstr(text.data, "This is the mail system at host "
	    "host.example."));
	ck_assert_ptr_nonnull(strstr(text.data, "could not\nbe delivered"));
	ck_assert_ptr_nonnull(strstr(text.data, "Content-Type: message/delivery-status\n"));
	ck_assert_ptr_nonnull(strstr(text.data, "\n\nReporting-MTA: dns; host.example\n"));
	ck_assert_ptr_nonnull(strstr(text.data, "X-Sluice-Queue-ID: "));
	ck_assert_ptr_nonnull(strstr(text.data,
	    "X-Sluice-Sender: rfc822; sender@example.org\n"));
	ck_assert_ptr_nonnull(strstr(text.data, "Original-Envelope-Id: ENV-42\n"));
	ck_assert_ptr_nonnull(strstr(text.data, "Arrival-Date: "));
	/* per-recipient group, after a blank line */
	ck_assert_ptr_nonnull(strstr(text.data,
	    "\n\nFinal-Recipient: rfc822; rcpt@example.net\n"
	    "Original-Recipient: rfc822; Rcpt@Example.NET\n"
	    "Action: failed\n"
	    "Status: 5.1.1\n"
	    "Diagnostic-Code: x-unix; unknown user: \"rcpt\"\n"
	    "Last-Attempt-Date: "));
	ck_assert_ptr_null(strstr(text.data, "Will-Retry-Until"));
	/* the whole original, byte for byte */
	ck_assert_ptr_nonnull(strstr(text.data, "Content-Type: message/rfc822\n\n"));
	ck_assert_ptr_nonnull(strstr(text.data, body));
	python_check("5.1.1", "rfc822; rcpt@example.net", "message/rfc822",
	    "delivery-status");
}
END_TEST

START_TEST(test_ret_hdrs)
{
	struct bounce_rcpt r = one_rcpt();
	const char *const attrs[] = { "ret", "HDRS", NULL };

	ck_assert_int_eq(build("sender@example.org", attrs, body, BOUNCE_FAILED,
	    &r, 1), BOUNCE_QUEUED);
	ck_assert_ptr_nonnull(strstr(text.data, "Content-Type: text/rfc822-headers\n"));
	ck_assert_ptr_nonnull(strstr(text.data, "Subject: hello there\n"));
	ck_assert_ptr_null(strstr(text.data, "SECRET-BODY-MARKER"));
	ck_assert_ptr_null(strstr(text.data, "message/rfc822"));
	python_check("5.1.1", "rfc822; rcpt@example.net", "text/rfc822-headers",
	    "delivery-status");
}
END_TEST

START_TEST(test_size_limit)
{
	struct bounce_rcpt r = one_rcpt();

	/* exactly the content size still fits */
	config_set(cfg, "bounce_size_limit", "161");
	ck_assert_int_eq(strlen(body), 161);
	ck_assert_int_eq(build("s@example.org", NULL, body, BOUNCE_FAILED, &r, 1),
	    BOUNCE_QUEUED);
	ck_assert_ptr_nonnull(strstr(text.data, "SECRET-BODY-MARKER"));
	/* one byte less does not */
	config_set(cfg, "bounce_size_limit", "160");
	ck_assert_int_eq(build("s@example.org", NULL, body, BOUNCE_FAILED, &r, 1),
	    BOUNCE_QUEUED);
	ck_assert_ptr_null(strstr(text.data, "SECRET-BODY-MARKER"));
	ck_assert_ptr_nonnull(strstr(text.data, "Content-Type: text/rfc822-headers\n"));
	ck_assert_ptr_nonnull(strstr(text.data, "Message-ID: <m1@example.org>\n"));
}
END_TEST

START_TEST(test_double_bounce)
{
	struct bounce_rcpt r = one_rcpt();

	ck_assert_int_eq(build("", NULL, body, BOUNCE_FAILED, &r, 1),
	    BOUNCE_QUEUED);
	ck_assert_str_eq(to.data, "postmaster@host.example");
	ck_assert_str_eq(from.data, "double-bounce@host.example");
	ck_assert_ptr_nonnull(strstr(text.data, "To: <postmaster@host.example>\n"));

	/* an already qualified 2bounce_notice_recipient stays as it is */
	config_set(cfg, "2bounce_notice_recipient", "admin@other.example");
	ck_assert_int_eq(build("", NULL, body, BOUNCE_FAILED, &r, 1),
	    BOUNCE_QUEUED);
	ck_assert_str_eq(to.data, "admin@other.example");
}
END_TEST

START_TEST(test_double_bounce_notify_classes)
{
	struct bounce_rcpt r = one_rcpt();

	/* Postfix's default: no 2bounce, no bounce: discarded */
	config_set(cfg, "notify_classes", "resource, software");
	ck_assert_int_eq(build("", NULL, body, BOUNCE_FAILED, &r, 1),
	    BOUNCE_DISCARDED);
	ck_assert_uint_eq(text.len, 0);
	config_set(cfg, "notify_classes", "bounce");
	ck_assert_int_eq(build("", NULL, body, BOUNCE_FAILED, &r, 1),
	    BOUNCE_QUEUED);
	ck_assert_str_eq(to.data, "postmaster@host.example");
}
END_TEST

START_TEST(test_postmaster_copy)
{
	struct bounce_rcpt r = one_rcpt();

	/* not asked for (Sluice's default): no copy */
	ck_assert_int_eq(build_as(true, "sender@example.org", NULL, body,
	    BOUNCE_FAILED, &r, 1), BOUNCE_DISCARDED);
	config_set(cfg, "notify_classes", "bounce, delay");
	config_set(cfg, "bounce_notice_recipient", "bounces");
	config_set(cfg, "delay_notice_recipient", "delays@other.example");
	ck_assert_int_eq(build_as(true, "sender@example.org", NULL, body,
	    BOUNCE_FAILED, &r, 1), BOUNCE_QUEUED);
	ck_assert_str_eq(to.data, "bounces@host.example");
	ck_assert_str_eq(from.data, "double-bounce@host.example");
	/* the headers only, never the content, whatever its size */
	ck_assert_ptr_nonnull(strstr(text.data, "Content-Type: text/rfc822-headers\n"));
	ck_assert_ptr_nonnull(strstr(text.data, "Subject: hello there\n"));
	ck_assert_ptr_null(strstr(text.data, "SECRET-BODY-MARKER"));
	ck_assert_ptr_nonnull(strstr(text.data, "Final-Recipient: rfc822; "
	    "rcpt@example.net"));
	ck_assert_int_eq(build_as(true, "sender@example.org", NULL, body,
	    BOUNCE_DELAYED, &r, 1), BOUNCE_QUEUED);
	ck_assert_str_eq(to.data, "delays@other.example");
	/* no copy of a bounce's bounce (that is 2bounce's) nor of a success */
	ck_assert_int_eq(build_as(true, "", NULL, body, BOUNCE_FAILED, &r, 1),
	    BOUNCE_DISCARDED);
	ck_assert_int_eq(build_as(true, "sender@example.org", NULL, body,
	    BOUNCE_DELIVERED, &r, 1), BOUNCE_DISCARDED);
	/* delay copies only with the class delay */
	config_set(cfg, "notify_classes", "bounce");
	ck_assert_int_eq(build_as(true, "sender@example.org", NULL, body,
	    BOUNCE_DELAYED, &r, 1), BOUNCE_DISCARDED);
}
END_TEST

START_TEST(test_discard)
{
	struct bounce_rcpt r = one_rcpt();

	ck_assert_int_eq(build("double-bounce@host.example", NULL, body,
	    BOUNCE_FAILED, &r, 1), BOUNCE_DISCARDED);
	ck_assert_str_eq(to.data, "");
	ck_assert_uint_eq(text.len, 0);
	ck_assert_int_eq(build("Double-Bounce@HOST.example", NULL, body,
	    BOUNCE_FAILED, &r, 1), BOUNCE_DISCARDED);
	/* someone else at that host is notified as usual */
	ck_assert_int_eq(build("double@host.example", NULL, body,
	    BOUNCE_FAILED, &r, 1), BOUNCE_QUEUED);
}
END_TEST

START_TEST(test_delayed)
{
	struct bounce_rcpt r = one_rcpt();

	r.status = "4.4.1";
	r.diagnostic = "smtp; 451 4.4.1 try later";
	ck_assert_int_eq(build("s@example.org", NULL, body, BOUNCE_DELAYED, &r, 1),
	    BOUNCE_QUEUED);
	ck_assert_ptr_nonnull(strstr(text.data,
	    "Subject: Delayed Mail (still being retried)\n"));
	ck_assert_ptr_nonnull(strstr(text.data, "THIS IS A WARNING ONLY. YOU DO NOT "
	    "NEED TO RESEND YOUR MESSAGE."));
	ck_assert_ptr_nonnull(strstr(text.data, "Action: delayed\nStatus: 4.4.1\n"
	    "Diagnostic-Code: smtp; 451 4.4.1 try later\n"));
	ck_assert_ptr_nonnull(strstr(text.data, "\nWill-Retry-Until: "));
	/* a warning returns the headers only */
	ck_assert_ptr_null(strstr(text.data, "SECRET-BODY-MARKER"));
	python_check("4.4.1", "rfc822; rcpt@example.net", "text/rfc822-headers",
	    "delivery-status");
}
END_TEST

START_TEST(test_delivered_many)
{
	struct bounce_rcpt r[2] = { one_rcpt(), one_rcpt() };

	r[0].status = "2.0.0";
	r[0].diagnostic = "";
	r[0].orcpt = "";
	r[1].final_recipient = "other@example.net";
	r[1].orcpt = "";
	r[1].status = "bogus";
	r[1].diagnostic = NULL;
	ck_assert_int_eq(build("s@example.org", NULL, body, BOUNCE_DELIVERED, r, 2),
	    BOUNCE_QUEUED);
	ck_assert_ptr_nonnull(strstr(text.data,
	    "Subject: Successful Mail Delivery Report\n"));
	ck_assert_ptr_nonnull(strstr(text.data, "your message\nwas successfully "
	    "delivered"));
	ck_assert_int_eq(count(text.data, "Action: delivered\n"), 2);
	ck_assert_int_eq(count(text.data, "Status: 2.0.0\n"), 2);
	ck_assert_ptr_null(strstr(text.data, "Diagnostic-Code"));
	/* no ORCPT: the R address, since it differs from the final one */
	ck_assert_ptr_nonnull(strstr(text.data, "Final-Recipient: rfc822; "
	    "other@example.net\nOriginal-Recipient: rfc822; rcpt@example.net\n"));
	ck_assert_int_eq(count(text.data, "Original-Recipient"), 1);
	python_check("2.0.0", "rfc822; rcpt@example.net", "text/rfc822-headers",
	    "delivery-status");
}
END_TEST

START_TEST(test_hostile_diagnostic)
{
	struct bounce_rcpt r = one_rcpt();

	r.diagnostic = "smtp; 550 bad\nAction: delivered\r\nX-Evil: 1\n\n--x";
	r.final_recipient = "a\nb@example.net";
	ck_assert_int_eq(build("s@example.org", NULL, body, BOUNCE_FAILED, &r, 1),
	    BOUNCE_QUEUED);
	ck_assert_ptr_null(strstr(text.data, "\nAction: delivered"));
	ck_assert_ptr_null(strstr(text.data, "\nX-Evil"));
	ck_assert_ptr_nonnull(strstr(text.data, "Final-Recipient: rfc822; a b@example.net\n"));
	ck_assert_ptr_null(strchr(text.data, '\r'));
}
END_TEST

START_TEST(test_long_diagnostic_folded)
{
	struct bounce_rcpt r = one_rcpt();
	struct strbuf d;
	const char *line, *nl;

	strbuf_init(&d);
	strbuf_puts(&d, "smtp; 550 5.7.1");
	for (int i = 0; i < 60; i++)
		strbuf_puts(&d, " word");
	r.diagnostic = d.data;
	ck_assert_int_eq(build("s@example.org", NULL, body, BOUNCE_FAILED, &r, 1),
	    BOUNCE_QUEUED);
	line = strstr(text.data, "Diagnostic-Code: smtp; 550 5.7.1 word");
	ck_assert_ptr_nonnull(line);
	nl = strchr(line, '\n');
	ck_assert_int_le(nl - line, 78);
	ck_assert(nl[1] == ' ');
	strbuf_free(&d);
	python_check("5.1.1", "rfc822; rcpt@example.net", "message/rfc822",
	    "delivery-status");
}
END_TEST

START_TEST(test_smtputf8)
{
	struct bounce_rcpt r = one_rcpt();
	const char *const attrs[] = { "smtputf8", "1", NULL };
	const char *u8body = "From: J\xc3\xb6rg <j@example.org>\n"
	    "Subject: gr\xc3\xbc\xc3\x9f" "e\n\nk\xc3\xa4se\n";

	r.final_recipient = "j\xc3\xb6rg@example.net";
	r.orcpt = "";
	ck_assert_int_eq(build("s@example.org", attrs, u8body, BOUNCE_FAILED, &r, 1),
	    BOUNCE_QUEUED);
	ck_assert_ptr_nonnull(strstr(text.data,
	    "report-type=global-delivery-status"));
	ck_assert_ptr_nonnull(strstr(text.data,
	    "Content-Type: message/global-delivery-status\n"));
	ck_assert_ptr_nonnull(strstr(text.data, "Content-Type: message/global\n"));
	ck_assert_ptr_nonnull(strstr(text.data,
	    "Final-Recipient: utf-8; j\xc3\xb6rg@example.net\n"));
	ck_assert_ptr_nonnull(strstr(text.data, "k\xc3\xa4se\n"));
	ck_assert_ptr_nonnull(strstr(text.data, "Content-Transfer-Encoding: 8bit\n"));

	/* headers only: message/global-headers */
	config_set(cfg, "bounce_size_limit", "1");
	ck_assert_int_eq(build("s@example.org", attrs, u8body, BOUNCE_FAILED, &r, 1),
	    BOUNCE_QUEUED);
	ck_assert_ptr_nonnull(strstr(text.data,
	    "Content-Type: message/global-headers\n"));
	ck_assert_ptr_null(strstr(text.data, "k\xc3\xa4se"));
}
END_TEST

START_TEST(test_global_diagnostic_invalid_utf8)
{
	struct bounce_rcpt r = one_rcpt();
	const char *const attrs[] = { "smtputf8", "1", NULL };

	/* a remote reply's stray bytes never reach even a UTF-8 report raw */
	r.diagnostic = "smtp; 550 5.1.1 \xff\xfe bad \xc3\xa4 \xc3";
	ck_assert_int_eq(build("s@example.org", attrs, body, BOUNCE_FAILED, &r, 1),
	    BOUNCE_QUEUED);
	ck_assert_ptr_nonnull(strstr(text.data,
	    "Diagnostic-Code: smtp; 550 5.1.1 ?? bad \xc3\xa4 ?\n"));
	ck_assert_ptr_null(strchr(text.data, '\xff'));
}
END_TEST

START_TEST(test_non_utf8_8bit_addresses)
{
	struct bounce_rcpt r = one_rcpt();

	/* without SMTPUTF8 the report stays ASCII */
	r.final_recipient = "j\xc3\xb6rg@example.net";
	ck_assert_int_eq(build("s@example.org", NULL, body, BOUNCE_FAILED, &r, 1),
	    BOUNCE_QUEUED);
	ck_assert_ptr_nonnull(strstr(text.data,
	    "Final-Recipient: rfc822; j??rg@example.net\n"));
	ck_assert_ptr_nonnull(strstr(text.data, "Content-Transfer-Encoding: 7bit\n"));
}
END_TEST

START_TEST(test_odd_content)
{
	struct bounce_rcpt r = one_rcpt();
	const char *no_nl = "Subject: x\n\nno final newline";
	char *b, *tail;

	ck_assert_int_eq(build("s@example.org", NULL, no_nl, BOUNCE_FAILED, &r, 1),
	    BOUNCE_QUEUED);
	b = boundary_of(text.data);
	tail = xmalloc(strlen(b) + 64);
	snprintf(tail, strlen(b) + 64, "no final newline\n\n--%s--\n", b);
	ck_assert_ptr_nonnull(strstr(text.data, tail));
	free(tail);
	free(b);

	/* a body without headers; headers-only gives an empty part */
	config_set(cfg, "bounce_size_limit", "1");
	ck_assert_int_eq(build("s@example.org", NULL, "\nbody only\n",
	    BOUNCE_FAILED, &r, 1), BOUNCE_QUEUED);
	ck_assert_ptr_null(strstr(text.data, "body only"));
	ck_assert_ptr_nonnull(strstr(text.data, "text/rfc822-headers\n\n\n--"));
}
END_TEST

START_TEST(test_errors)
{
	struct bounce_rcpt r = one_rcpt();
	struct queue_message msg;
	char id[QUEUE_ID_SIZE];
	int fd;

	fd = queue_message("s@example.org", NULL, body, &msg);
	/* unreadable content */
	ck_assert_int_eq(bounce_build(settings(), -1, &msg, BOUNCE_FAILED, false, &r, 1,
	    &text, &to, &from, &err), BOUNCE_ERROR);
	ck_assert_uint_gt(err.len, 0);
	ck_assert_uint_eq(text.len, 0);
	/* a nonsense action */
	strbuf_reset(&err);
	ck_assert_int_eq(bounce_build(settings(), fd, &msg, (enum bounce_action)7, false, &r, 1,
	    &text, &to, &from, &err), BOUNCE_ERROR);
	/* no cleanup listening: an error the caller retries later */
	strbuf_reset(&err);
	ck_assert_int_eq(bounce_send(settings(), fd, &msg, BOUNCE_FAILED, false, &r, 1, id,
	    &err), BOUNCE_ERROR);
	ck_assert_ptr_nonnull(strstr(err.data, "queue notification"));
	/* discarding needs no cleanup at all */
	free(msg.sender);
	msg.sender = xstrdup("double-bounce@host.example");
	ck_assert_int_eq(bounce_send(settings(), fd, &msg, BOUNCE_FAILED, false, &r, 1, id,
	    &err), BOUNCE_DISCARDED);
	close(fd);
	queue_message_free(&msg);
}
END_TEST

/* bounce_suite - every test above */
static Suite *
bounce_suite(void)
{
	Suite *s = suite_create("bounce");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_failed_full);
	tcase_add_test(tc, test_ret_hdrs);
	tcase_add_test(tc, test_size_limit);
	tcase_add_test(tc, test_double_bounce);
	tcase_add_test(tc, test_double_bounce_notify_classes);
	tcase_add_test(tc, test_postmaster_copy);
	tcase_add_test(tc, test_discard);
	tcase_add_test(tc, test_delayed);
	tcase_add_test(tc, test_delivered_many);
	tcase_add_test(tc, test_hostile_diagnostic);
	tcase_add_test(tc, test_long_diagnostic_folded);
	tcase_add_test(tc, test_smtputf8);
	tcase_add_test(tc, test_global_diagnostic_invalid_utf8);
	tcase_add_test(tc, test_non_utf8_8bit_addresses);
	tcase_add_test(tc, test_odd_content);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (unit_run(bounce_suite()));
}
