/*
 * test_deliver_request - unit tests for lib/mail/deliver_request.c: a request
 * and its reply travel over a socketpair intact, and both readers refuse
 * what a confused or hostile peer might send (wrong outcome counts, a
 * dsn whose class disagrees with the status, a queue_name other than
 * active, missing or unknown fields, control characters); the agent
 * marks the records qmgr asked it to mark, and no others.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "deliver_request.h"
#include "queue_file.h"
#include "stream.h"

#define ID	"0123456789ABCDEF0"

static struct stream *qside, *aside;	/* qmgr end, agent end */

/* setup - a connected pair of streams */
static void
setup(void)
{
	int	 sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	qside = stream_open(sv[0]);
	aside = stream_open(sv[1]);
	stream_set_timeout(qside, 5);
	stream_set_timeout(aside, 5);
}

/* teardown - close both ends */
static void
teardown(void)
{
	stream_close(qside);
	stream_close(aside);
}

/* fill_request - a valid two-recipient request */
static void
fill_request(struct deliver_request *req)
{
	deliver_request_init(req);
	strcpy(req->queue_name, "active");
	strcpy(req->queue_id, ID);
	deliver_request_set(req, &req->transport, "local");
	deliver_request_set(req, &req->nexthop, "localhost");
	deliver_request_set(req, &req->sender, "");
	deliver_request_set(req, &req->envid, "env-1");
	deliver_request_set(req, &req->ret, "HDRS");
	req->arrival = 1700000000;
	req->flags = 3;
	(void)deliver_request_add_rcpt(req, "u@example.test", "postmaster@localhost",
	    "rfc822;postmaster@localhost", DSN_NOTIFY_FAILURE | DSN_NOTIFY_DELAY, 321);
	deliver_request_add_rcpt(req, "v@example.test", NULL, NULL, 0,
	    400)->mark_done = true;
	ck_assert(deliver_rcpt_add_also(req, &req->rcpts[1], 450));
	ck_assert(deliver_rcpt_add_also(req, &req->rcpts[1], 500));
}

/* send_list - write a raw attr list (name, value pairs, NULL-ended) */
static void
send_list(struct stream *s, const char *const *pairs)
{
	struct attr_list list;

	attr_list_init(&list);
	for (size_t i = 0; pairs[i] != NULL; i += 2)
		attr_list_add_str(&list, pairs[i], pairs[i + 1]);
	ck_assert_int_eq(attr_write(s, &list), 0);
	ck_assert_int_eq(stream_flush(s), 0);
	attr_list_free(&list);
}

START_TEST(test_roundtrip)
{
	struct deliver_request req, got;
	struct strbuf err;

	fill_request(&req);
	deliver_request_init(&got);
	strbuf_init(&err);
	ck_assert_int_eq(deliver_request_write(qside, &req), 0);
	ck_assert_int_eq(deliver_request_read(aside, &got, &err), STREAM_OK);
	ck_assert_str_eq(got.queue_name, "active");
	ck_assert_str_eq(got.queue_id, ID);
	ck_assert_str_eq(got.transport, "local");
	ck_assert_str_eq(got.nexthop, "localhost");
	ck_assert_str_eq(got.sender, "");
	ck_assert_str_eq(got.envid, "env-1");
	ck_assert_str_eq(got.ret, "HDRS");
	ck_assert_int_eq(got.arrival, 1700000000);
	ck_assert_int_eq(got.flags, 3);
	ck_assert_uint_eq(got.rcpt_count, 2);
	ck_assert_str_eq(got.rcpts[0].address, "u@example.test");
	ck_assert_str_eq(got.rcpts[0].original, "postmaster@localhost");
	ck_assert_str_eq(got.rcpts[0].orcpt, "rfc822;postmaster@localhost");
	ck_assert_int_eq(got.rcpts[0].notify, DSN_NOTIFY_FAILURE | DSN_NOTIFY_DELAY);
	ck_assert_int_eq(got.rcpts[0].offset, 321);
	ck_assert_str_eq(got.rcpts[1].original, "v@example.test");
	ck_assert_int_eq(got.rcpts[1].offset, 400);
	ck_assert(!got.rcpts[0].mark_done);
	ck_assert(got.rcpts[1].mark_done);
	ck_assert_uint_eq(got.rcpts[0].also_count, 0);
	ck_assert_uint_eq(got.rcpts[1].also_count, 2);
	ck_assert_int_eq(got.rcpts[1].also[0], 450);
	ck_assert_int_eq(got.rcpts[1].also[1], 500);

	/* the agent answers; qmgr reads the outcomes in order */
	deliver_rcpt_status(&got.rcpts[0], 2, "2.0.0", "delivered to %s", "maildir");
	deliver_rcpt_status(&got.rcpts[1], 5, "5.1.1", "unknown user:\r\n \"v\"");
	ck_assert_int_eq(deliver_reply_write(aside, &got), 0);
	ck_assert_int_eq(deliver_reply_read(qside, &req, &err), STREAM_OK);
	ck_assert_int_eq(req.rcpts[0].status, 2);
	ck_assert_str_eq(req.rcpts[0].dsn, "2.0.0");
	ck_assert_str_eq(req.rcpts[0].reason.data, "delivered to maildir");
	ck_assert_int_eq(req.rcpts[1].status, 5);
	ck_assert_str_eq(req.rcpts[1].dsn, "5.1.1");
	/* no line breaks survive into logs and DSNs */
	ck_assert_ptr_null(strpbrk(req.rcpts[1].reason.data, "\r\n"));

	/* the connection stays usable; a clean close is EOF, not an error */
	stream_close(qside);
	qside = stream_open(-1);
	ck_assert_int_eq(deliver_request_read(aside, &got, &err), STREAM_EOF);
	deliver_request_free(&req);
	deliver_request_free(&got);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_missing_status_defaults_to_defer)
{
	struct deliver_request req;
	struct strbuf err;

	fill_request(&req);
	strbuf_init(&err);
	/* an agent that forgot a recipient must not make it "delivered" */
	deliver_rcpt_status(&req.rcpts[0], 2, "2.0.0", "ok");
	ck_assert_int_eq(deliver_reply_write(aside, &req), 0);
	ck_assert_int_eq(deliver_reply_read(qside, &req, &err), STREAM_OK);
	ck_assert_int_eq(req.rcpts[1].status, 4);
	deliver_request_free(&req);
	strbuf_free(&err);
}
END_TEST

/* reply_refused - qmgr must reject this reply to a two-recipient request */
static void
reply_refused(const char *const *pairs)
{
	struct deliver_request req;
	struct strbuf err;

	fill_request(&req);
	strbuf_init(&err);
	send_list(aside, pairs);
	ck_assert_int_ne(deliver_reply_read(qside, &req, &err), STREAM_OK);
	ck_assert_uint_gt(err.len, 0);
	deliver_request_free(&req);
	strbuf_free(&err);
}

START_TEST(test_reply_too_few)
{
	const char *const pairs[] = { "status", "2", "dsn", "2.0.0", "reason",
	    "ok", NULL };

	reply_refused(pairs);
}
END_TEST

START_TEST(test_reply_too_many)
{
	const char *const pairs[] = {
		"status", "2", "dsn", "2.0.0", "reason", "ok",
		"status", "2", "dsn", "2.0.0", "reason", "ok",
		"status", "2", "dsn", "2.0.0", "reason", "ok", NULL };

	reply_refused(pairs);
}
END_TEST

START_TEST(test_reply_class_mismatch)
{
	const char *const pairs[] = {
		"status", "2", "dsn", "5.1.1", "reason", "ok",
		"status", "2", "dsn", "2.0.0", "reason", "ok", NULL };

	reply_refused(pairs);
}
END_TEST

START_TEST(test_reply_bad_status)
{
	const char *const pairs[] = {
		"status", "3", "dsn", "3.0.0", "reason", "ok",
		"status", "2", "dsn", "2.0.0", "reason", "ok", NULL };

	reply_refused(pairs);
}
END_TEST

START_TEST(test_reply_bad_dsn_syntax)
{
	const char *const pairs[] = {
		"status", "4", "dsn", "4.x.1", "reason", "later",
		"status", "2", "dsn", "2.0.0", "reason", "ok", NULL };

	reply_refused(pairs);
}
END_TEST

START_TEST(test_reply_out_of_order)
{
	const char *const pairs[] = {
		"dsn", "2.0.0", "status", "2", "reason", "ok",
		"status", "2", "dsn", "2.0.0", "reason", "ok", NULL };

	reply_refused(pairs);
}
END_TEST

START_TEST(test_reply_control_chars)
{
	const char *const pairs[] = {
		"status", "2", "dsn", "2.0.0", "reason", "ok\nforged: line",
		"status", "2", "dsn", "2.0.0", "reason", "ok", NULL };

	reply_refused(pairs);
}
END_TEST

START_TEST(test_reply_truncated)
{
	struct deliver_request req;
	struct strbuf err;
	const unsigned char partial[] = { 0, 0, 0, 6, 's', 't' };

	fill_request(&req);
	strbuf_init(&err);
	ck_assert_int_eq(stream_write(aside, partial, sizeof(partial)), 0);
	ck_assert_int_eq(stream_flush(aside), 0);
	stream_close(aside);
	aside = stream_open(-1);
	ck_assert_int_ne(deliver_reply_read(qside, &req, &err), STREAM_OK);
	deliver_request_free(&req);
	strbuf_free(&err);
}
END_TEST

/* request_refused - the agent must reject this request */
static void
request_refused(const char *const *pairs)
{
	struct deliver_request req;
	struct strbuf err;

	deliver_request_init(&req);
	strbuf_init(&err);
	send_list(qside, pairs);
	ck_assert_int_eq(deliver_request_read(aside, &req, &err), STREAM_ERROR);
	ck_assert_uint_gt(err.len, 0);
	deliver_request_free(&req);
	strbuf_free(&err);
}

START_TEST(test_request_bad_queue_name)
{
	static const char *const names[] = { "incoming", "../active", "deferred",
	    "" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *const pairs[] = { "request", "deliver", "queue_name",
		    names[i], "queue_id", ID, "sender", "", "rcpt", "a@b", NULL };

		request_refused(pairs);
	}
}
END_TEST

START_TEST(test_request_bad_queue_id)
{
	const char *const pairs[] = { "request", "deliver", "queue_name",
	    "active", "queue_id", "../../etc/passwd", "sender", "", "rcpt",
	    "a@b", NULL };

	request_refused(pairs);
}
END_TEST

START_TEST(test_request_missing_fields)
{
	const char *const no_rcpt[] = { "request", "deliver", "queue_name",
	    "active", "queue_id", ID, "sender", "", NULL };
	const char *const no_sender[] = { "request", "deliver", "queue_name",
	    "active", "queue_id", ID, "rcpt", "a@b", NULL };
	const char *const no_request[] = { "queue_name", "active", "queue_id",
	    ID, "sender", "", "rcpt", "a@b", NULL };
	const char *const no_id[] = { "request", "deliver", "queue_name",
	    "active", "sender", "", "rcpt", "a@b", NULL };

	request_refused(no_rcpt);
	request_refused(no_sender);
	request_refused(no_request);
	request_refused(no_id);
}
END_TEST

START_TEST(test_request_bad_fields)
{
	const char *const unknown[] = { "request", "deliver", "queue_name",
	    "active", "queue_id", ID, "sender", "", "rcpt", "a@b", "shell",
	    "rm -rf /", NULL };
	const char *const orphan[] = { "request", "deliver", "queue_name",
	    "active", "queue_id", ID, "sender", "", "rcpt_offset", "5", "rcpt",
	    "a@b", NULL };
	const char *const bad_notify[] = { "request", "deliver", "queue_name",
	    "active", "queue_id", ID, "sender", "", "rcpt", "a@b",
	    "rcpt_notify", "16", NULL };
	const char *const bad_offset[] = { "request", "deliver", "queue_name",
	    "active", "queue_id", ID, "sender", "", "rcpt", "a@b",
	    "rcpt_offset", "-4", NULL };
	const char *const bad_mark[] = { "request", "deliver", "queue_name",
	    "active", "queue_id", ID, "sender", "", "rcpt", "a@b",
	    "rcpt_mark", "2", NULL };
	/* rcpt_also only after rcpt_mark: records marked with a delivery */
	const char *const also_unmarked[] = { "request", "deliver",
	    "queue_name", "active", "queue_id", ID, "sender", "", "rcpt",
	    "a@b", "rcpt_also", "40", NULL };
	const char *const bad_also[] = { "request", "deliver", "queue_name",
	    "active", "queue_id", ID, "sender", "", "rcpt", "a@b",
	    "rcpt_mark", "1", "rcpt_also", "x", NULL };
	const char *const empty_rcpt[] = { "request", "deliver", "queue_name",
	    "active", "queue_id", ID, "sender", "", "rcpt", "", NULL };
	const char *const ctl_sender[] = { "request", "deliver", "queue_name",
	    "active", "queue_id", ID, "sender", "a\r\nb", "rcpt", "a@b", NULL };
	const char *const other[] = { "request", "expand", "queue_name",
	    "active", "queue_id", ID, "sender", "", "rcpt", "a@b", NULL };

	request_refused(unknown);
	request_refused(orphan);
	request_refused(bad_notify);
	request_refused(bad_offset);
	request_refused(bad_mark);
	request_refused(also_unmarked);
	request_refused(bad_also);
	request_refused(empty_rcpt);
	request_refused(ctl_sender);
	request_refused(other);
}
END_TEST

/* deliver_all - the agent's deliver(): delivered, but "defer..." */
static void
deliver_all(void *ctx, struct deliver_request *req)
{
	(void)ctx;
	for (size_t i = 0; i < req->rcpt_count; i++) {
		bool	 defer = strncmp(req->rcpts[i].address, "defer", 5) == 0;

		deliver_rcpt_status(&req->rcpts[i], defer ? 4 : 2,
		    defer ? "4.4.1" : "2.0.0", "test");
	}
}

/* request_for_active - an empty request for active/ID */
static void
request_for_active(struct deliver_request *req)
{
	deliver_request_init(req);
	strcpy(req->queue_name, "active");
	strcpy(req->queue_id, ID);
	deliver_request_set(req, &req->sender, "s@example.test");
}

/*
 * serve_one - req goes to deliver_agent_serve (deliver_all) over a fresh
 * socketpair, which ends when qmgr's side stops writing; the reply waits
 * on qside
 */
static void
serve_one(const struct deliver_request *req)
{
	int	 sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	stream_close(qside);
	qside = stream_open(sv[0]);
	stream_set_timeout(qside, 5);
	ck_assert_int_eq(deliver_request_write(qside, req), 0);
	ck_assert_int_eq(shutdown(sv[0], SHUT_WR), 0);
	deliver_agent_serve(sv[1], 5, deliver_all, NULL, NULL);
	close(sv[1]);
}

/*
 * The agent marks the R records qmgr asked it to (rcpt_mark), of the
 * recipients it delivered, in active/ID, before its reply goes back;
 * the others stay R (qmgr decides about them).
 */
START_TEST(test_agent_marks_asked_records_before_replying)
{
	struct deliver_request req;
	struct strbuf err;
	char	 dir[] = "/tmp/test_deliver_request.XXXXXX", body[64];
	int	 fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(mkdir("active", 0700), 0);
	memset(body, 'x', sizeof(body));
	body[10] = body[20] = body[30] = body[40] = body[50] = QUEUE_REC_RCPT;
	body[5] = body[15] = body[25] = QUEUE_REC_RCPT;
	fd = open("active/" ID, O_WRONLY | O_CREAT | O_EXCL, 0700);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, body, sizeof(body)), (ssize_t)sizeof(body));
	close(fd);

	request_for_active(&req);
	deliver_request_add_rcpt(&req, "a@x", NULL, NULL, 0, 10)->mark_done = true;
	/* the records that are a@x again go with it (rcpt_also) */
	ck_assert(deliver_rcpt_add_also(&req, &req.rcpts[0], 5));
	ck_assert(deliver_rcpt_add_also(&req, &req.rcpts[0], 15));
	(void)deliver_request_add_rcpt(&req, "b@x", NULL, NULL, 0, 20);
	deliver_request_add_rcpt(&req, "defer-c@x", NULL, NULL, 0,
	    30)->mark_done = true;
	/* ... but not with a recipient that was not delivered */
	ck_assert(deliver_rcpt_add_also(&req, &req.rcpts[2], 25));
	/* one record, two recipients: marked only when both are delivered */
	deliver_request_add_rcpt(&req, "d1@x", NULL, NULL, 0, 40)->mark_done = true;
	deliver_request_add_rcpt(&req, "d2@x", NULL, NULL, 0, 40)->mark_done = true;
	deliver_request_add_rcpt(&req, "e1@x", NULL, NULL, 0, 50)->mark_done = true;
	deliver_request_add_rcpt(&req, "defer-e2@x", NULL, NULL, 0,
	    50)->mark_done = true;
	serve_one(&req);
	strbuf_init(&err);
	ck_assert_int_eq(deliver_reply_read(qside, &req, &err), STREAM_OK);

	fd = open("active/" ID, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, body, sizeof(body)), (ssize_t)sizeof(body));
	close(fd);
	ck_assert_int_eq(body[10], QUEUE_REC_DONE);	/* asked, delivered */
	ck_assert_int_eq(body[5], QUEUE_REC_DONE);	/* with a@x */
	ck_assert_int_eq(body[15], QUEUE_REC_DONE);	/* with a@x */
	ck_assert_int_eq(body[25], QUEUE_REC_RCPT);	/* with c, deferred */
	ck_assert_int_eq(body[20], QUEUE_REC_RCPT);	/* not asked */
	ck_assert_int_eq(body[30], QUEUE_REC_RCPT);	/* asked, deferred */
	ck_assert_int_eq(body[40], QUEUE_REC_DONE);	/* both delivered */
	ck_assert_int_eq(body[50], QUEUE_REC_RCPT);	/* one deferred */
	ck_assert_int_eq(body[11], 'x');
	(void)unlink("active/" ID);
	(void)rmdir("active");
	(void)rmdir(dir);
	deliver_request_free(&req);
	strbuf_free(&err);
}
END_TEST

/*
 * A queue file with a second name (a hard link to a file that is not the
 * queue's) is not written: local, which marks as root, must not become a
 * way to flip a byte in somebody else's file.
 */
START_TEST(test_agent_leaves_linked_file_alone)
{
	struct deliver_request req;
	struct strbuf err;
	char	 dir[] = "/tmp/test_deliver_request.XXXXXX", body[16], got;
	int	 fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(mkdir("active", 0700), 0);
	memset(body, 'x', sizeof(body));
	body[4] = QUEUE_REC_RCPT;
	fd = open("other", O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, body, sizeof(body)), (ssize_t)sizeof(body));
	close(fd);
	ck_assert_int_eq(link("other", "active/" ID), 0);

	request_for_active(&req);
	deliver_request_add_rcpt(&req, "a@x", NULL, NULL, 0, 4)->mark_done = true;
	serve_one(&req);
	strbuf_init(&err);
	/* the delivery is still reported; only the mark is skipped */
	ck_assert_int_eq(deliver_reply_read(qside, &req, &err), STREAM_OK);
	ck_assert_int_eq(req.rcpts[0].status, 2);

	fd = open("other", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &got, 1, 4), 1);
	close(fd);
	ck_assert_int_eq(got, QUEUE_REC_RCPT);
	(void)unlink("active/" ID);
	(void)unlink("other");
	(void)rmdir("active");
	(void)rmdir(dir);
	deliver_request_free(&req);
	strbuf_free(&err);
}
END_TEST

/* deliver_request_suite - all cases */
static Suite *
deliver_request_suite(void)
{
	Suite	*s = suite_create("deliver_request");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_missing_status_defaults_to_defer);
	tcase_add_test(tc, test_reply_too_few);
	tcase_add_test(tc, test_reply_too_many);
	tcase_add_test(tc, test_reply_class_mismatch);
	tcase_add_test(tc, test_reply_bad_status);
	tcase_add_test(tc, test_reply_bad_dsn_syntax);
	tcase_add_test(tc, test_reply_out_of_order);
	tcase_add_test(tc, test_reply_control_chars);
	tcase_add_test(tc, test_reply_truncated);
	tcase_add_test(tc, test_request_bad_queue_name);
	tcase_add_test(tc, test_request_bad_queue_id);
	tcase_add_test(tc, test_request_missing_fields);
	tcase_add_test(tc, test_request_bad_fields);
	tcase_add_test(tc, test_agent_marks_asked_records_before_replying);
	tcase_add_test(tc, test_agent_leaves_linked_file_alone);
	suite_add_tcase(s, tc);
	return (s);
}

/* main - run the suite */
int
main(void)
{
	SRunner	*sr = srunner_create(deliver_request_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
