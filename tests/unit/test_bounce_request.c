/*
 * test_bounce_request - unit tests for lib/mail/bounce_request.c: a request
 * and each kind of reply survive the trip through the wire form, and the
 * parsers refuse what a confused or hostile peer might send (a queue
 * other than active/, a bad queue ID or action, recipients without their
 * offset or DSN, repeated or unknown fields, NULs, over-long values, too
 * many recipients, replies with missing or extra fields).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "bounce_request.h"
#include "strbuf.h"
#include "unit.h"

#define ID	"0123456789ABCDEF0"

/* sample - a two-recipient failure notice request */
static void
sample(struct bounce_request *req)
{
	bounce_request_init(req);
	snprintf(req->queue_name, sizeof(req->queue_name), "active");
	snprintf(req->queue_id, sizeof(req->queue_id), "%s", ID);
	req->action = BOUNCE_FAILED;
	req->last_attempt = 1700000000;
	bounce_request_add_rcpt(req, "a@example.net", 120, "5.1.1",
	    "smtp; 550 5.1.1 no such user", true);
	bounce_request_add_rcpt(req, "b@example.net", 180, "5.4.4",
	    "", false);
}

/* parse_list - parse list; 0 / -1 */
static int
parse_list(const struct attr_list *list, struct bounce_request *out)
{
	struct strbuf err;
	int	 rc;

	strbuf_init(&err);
	rc = bounce_request_parse(list, out, &err);
	if (rc < 0)
		ck_assert_uint_gt(err.len, 0);
	strbuf_free(&err);
	return (rc);
}

START_TEST(test_request_roundtrip)
{
	struct bounce_request req, back;
	struct attr_list list, wire_list;
	struct strbuf wire;

	sample(&req);
	attr_list_init(&list);
	attr_list_init(&wire_list);
	strbuf_init(&wire);
	bounce_request_to_list(&req, &list);
	ck_assert_int_eq(attr_to_buffer(&list, &wire), 0);
	ck_assert_int_eq(attr_from_buffer(wire.data, wire.len, &wire_list,
	    BOUNCE_REQUEST_MAX), STREAM_OK);
	bounce_request_init(&back);
	ck_assert_int_eq(parse_list(&wire_list, &back), 0);
	ck_assert_str_eq(back.queue_name, "active");
	ck_assert_str_eq(back.queue_id, ID);
	ck_assert_int_eq(back.action, BOUNCE_FAILED);
	ck_assert_int_eq((long)back.last_attempt, 1700000000L);
	ck_assert_uint_eq(back.count, 2);
	ck_assert_str_eq(back.rcpts[0].address, "a@example.net");
	ck_assert_int_eq((long)back.rcpts[0].offset, 120);
	ck_assert_str_eq(back.rcpts[0].dsn, "5.1.1");
	ck_assert_str_eq(back.rcpts[0].reason, "smtp; 550 5.1.1 no such user");
	ck_assert(back.rcpts[0].mark);
	ck_assert_str_eq(back.rcpts[1].reason, "");
	ck_assert(!back.rcpts[1].mark);
	bounce_request_free(&back);
	bounce_request_free(&req);
	attr_list_free(&list);
	attr_list_free(&wire_list);
	strbuf_free(&wire);
}
END_TEST

START_TEST(test_actions_and_long_reason)
{
	struct bounce_request req, back;
	struct attr_list list;
	char	*reason = malloc(BOUNCE_REASON_MAX * 3);

	memset(reason, 'x', BOUNCE_REASON_MAX * 3 - 1);
	reason[BOUNCE_REASON_MAX * 3 - 1] = '\0';
	for (int a = BOUNCE_FAILED; a <= BOUNCE_DELIVERED; a++) {
		sample(&req);
		req.action = (enum bounce_action)a;
		/* a reason over the limit is cut when added, not refused later */
		bounce_request_add_rcpt(&req, "c@example.net", 240, "4.4.1",
		    reason, false);
		ck_assert_uint_eq(strlen(req.rcpts[2].reason), BOUNCE_REASON_MAX);
		attr_list_init(&list);
		bounce_request_to_list(&req, &list);
		bounce_request_init(&back);
		ck_assert_int_eq(parse_list(&list, &back), 0);
		ck_assert_int_eq(back.action, a);
		bounce_request_free(&back);
		attr_list_free(&list);
		bounce_request_free(&req);
	}
	ck_assert_str_eq(bounce_action_name(BOUNCE_DELAYED), "delayed");
	free(reason);
}
END_TEST

/* edited - the sample's list with field name's nth value set to value
 * (NULL: removed) */
static void
edited(struct attr_list *out, const char *name, int nth, const char *value)
{
	struct bounce_request req;
	struct attr_list list;
	int	 seen = 0;

	sample(&req);
	attr_list_init(&list);
	bounce_request_to_list(&req, &list);
	attr_list_init(out);
	for (size_t i = 0; i < list.count; i++) {
		const struct attr *a = &list.items[i];

		if (strcmp(a->name, name) == 0 && seen++ == nth) {
			if (value != NULL)
				attr_list_add_str(out, name, value);
			continue;
		}
		attr_list_add(out, a->name, a->value, a->value_len);
	}
	attr_list_free(&list);
	bounce_request_free(&req);
}

START_TEST(test_request_refused)
{
	static const struct {
		const char *name;
		int	 nth;
		const char *value;
	} cases[] = {
		{ "request", 0, "deliver" },
		{ "request", 0, NULL },
		{ "queue_name", 0, "deferred" },
		{ "queue_name", 0, "../active" },
		{ "queue_name", 0, NULL },
		{ "queue_id", 0, "0123456789abcdef0" },
		{ "queue_id", 0, "../../etc/passwd" },
		{ "queue_id", 0, "0123456789ABCDEF" },
		{ "action", 0, "bounced" },
		{ "action", 0, NULL },
		{ "last_attempt", 0, "-1" },
		{ "last_attempt", 0, "12x" },
		{ "last_attempt", 0, NULL },
		{ "rcpt_offset", 0, NULL },
		{ "rcpt_offset", 1, "0" },
		{ "rcpt_offset", 0, "99999999999999999999999" },
		{ "rcpt_dsn", 0, NULL },
		{ "rcpt_dsn", 0, "3.1.1" },
		{ "rcpt_dsn", 1, "5.1" },
		{ "rcpt_dsn", 1, "5.1.1.1" },
		{ "rcpt_dsn", 1, "5.1.1234" },
		{ "rcpt_mark", 0, "2" },
		{ "rcpt_mark", 0, "" },
		{ "rcpt", 0, NULL },	/* its fields then belong to nobody */
	};
	struct bounce_request back;
	struct attr_list list;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		edited(&list, cases[i].name, cases[i].nth, cases[i].value);
		bounce_request_init(&back);
		if (parse_list(&list, &back) == 0)
			ck_abort_msg("case %zu (%s) accepted", i, cases[i].name);
		ck_assert_uint_eq(back.count, 0);
		attr_list_free(&list);
	}
}
END_TEST

START_TEST(test_request_structure_refused)
{
	struct bounce_request back;
	struct attr_list list;
	char	 big[BOUNCE_ADDRESS_MAX + 2];

	bounce_request_init(&back);
	/* a repeated envelope field */
	edited(&list, "nothing", 0, NULL);
	attr_list_add_str(&list, "action", "failed");
	ck_assert_int_eq(parse_list(&list, &back), -1);
	attr_list_free(&list);
	/* a repeated recipient field */
	edited(&list, "nothing", 0, NULL);
	attr_list_add_str(&list, "rcpt_dsn", "5.0.0");
	ck_assert_int_eq(parse_list(&list, &back), -1);
	attr_list_free(&list);
	/* an unknown field */
	edited(&list, "nothing", 0, NULL);
	attr_list_add_str(&list, "rcpt_notify", "4");
	ck_assert_int_eq(parse_list(&list, &back), -1);
	attr_list_free(&list);
	/* a NUL inside an address */
	edited(&list, "rcpt", 0, NULL);
	attr_list_add(&list, "rcpt", "a\0b", 3);
	attr_list_add_str(&list, "rcpt_offset", "300");
	attr_list_add_str(&list, "rcpt_dsn", "5.0.0");
	ck_assert_int_eq(parse_list(&list, &back), -1);
	attr_list_free(&list);
	/* an address over the limit */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	edited(&list, "nothing", 0, NULL);
	attr_list_add_str(&list, "rcpt", big);
	attr_list_add_str(&list, "rcpt_offset", "300");
	attr_list_add_str(&list, "rcpt_dsn", "5.0.0");
	ck_assert_int_eq(parse_list(&list, &back), -1);
	attr_list_free(&list);
	/* no recipient at all */
	attr_list_init(&list);
	attr_list_add_str(&list, "request", "notify");
	attr_list_add_str(&list, "queue_name", "active");
	attr_list_add_str(&list, "queue_id", ID);
	attr_list_add_str(&list, "action", "failed");
	attr_list_add_str(&list, "last_attempt", "1");
	ck_assert_int_eq(parse_list(&list, &back), -1);
	/* BOUNCE_RECIPIENT_MAX is accepted, one more is not */
	for (int i = 0; i < BOUNCE_RECIPIENT_MAX; i++) {
		attr_list_add_str(&list, "rcpt", "x@example.net");
		attr_list_add_long(&list, "rcpt_offset", 100 + i);
		attr_list_add_str(&list, "rcpt_dsn", "5.0.0");
	}
	ck_assert_int_eq(parse_list(&list, &back), 0);
	ck_assert_uint_eq(back.count, BOUNCE_RECIPIENT_MAX);
	attr_list_add_str(&list, "rcpt", "x@example.net");
	attr_list_add_long(&list, "rcpt_offset", 99);
	attr_list_add_str(&list, "rcpt_dsn", "5.0.0");
	ck_assert_int_eq(parse_list(&list, &back), -1);
	ck_assert_uint_eq(back.count, 0);
	attr_list_free(&list);
}
END_TEST

/* reply_back - reply through its list and the parser; the parse's rc */
static int
reply_back(const struct attr_list *list, struct bounce_reply *back)
{
	struct strbuf err;
	int	 rc;

	strbuf_init(&err);
	rc = bounce_reply_parse(list, back, &err);
	strbuf_free(&err);
	return (rc);
}

START_TEST(test_replies)
{
	struct bounce_reply reply, back;
	struct attr_list list;

	bounce_reply_init(&reply);
	bounce_reply_init(&back);
	/* queued, with the marks on disk */
	reply.status = BOUNCE_STATUS_QUEUED;
	snprintf(reply.queue_id, sizeof(reply.queue_id), "%s", ID);
	reply.marked = true;
	attr_list_init(&list);
	bounce_reply_to_list(&reply, &list);
	ck_assert_int_eq(reply_back(&list, &back), 0);
	ck_assert_int_eq(back.status, BOUNCE_STATUS_QUEUED);
	ck_assert_str_eq(back.queue_id, ID);
	ck_assert(back.marked);
	/* without its queue ID it is no reply */
	attr_list_free(&list);
	attr_list_add_str(&list, "status", "0");
	attr_list_add_str(&list, "marked", "1");
	ck_assert_int_eq(reply_back(&list, &back), -1);
	attr_list_free(&list);
	/* discarded */
	reply.status = BOUNCE_STATUS_DISCARDED;
	bounce_reply_to_list(&reply, &list);
	ck_assert_int_eq(reply_back(&list, &back), 0);
	ck_assert_int_eq(back.status, BOUNCE_STATUS_DISCARDED);
	/* an extra field */
	attr_list_add_str(&list, "queue_id", ID);
	ck_assert_int_eq(reply_back(&list, &back), -1);
	attr_list_free(&list);
	/* a temporary failure and its reason */
	reply.status = BOUNCE_STATUS_TEMPFAIL;
	strbuf_set(&reply.reason, "connect to private/cleanup: refused");
	bounce_reply_to_list(&reply, &list);
	ck_assert_int_eq(reply_back(&list, &back), 0);
	ck_assert_int_eq(back.status, BOUNCE_STATUS_TEMPFAIL);
	ck_assert_str_eq(back.reason.data,
	    "connect to private/cleanup: refused");
	attr_list_free(&list);
	/* an unknown status, no status */
	attr_list_add_str(&list, "status", "2");
	ck_assert_int_eq(reply_back(&list, &back), -1);
	attr_list_free(&list);
	attr_list_add_str(&list, "queue_id", ID);
	ck_assert_int_eq(reply_back(&list, &back), -1);
	attr_list_free(&list);
	bounce_reply_free(&reply);
	bounce_reply_free(&back);
}
END_TEST

/* bounce_request_suite - every test above */
static Suite *
bounce_request_suite(void)
{
	Suite	*s = suite_create("bounce_request");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_request_roundtrip);
	tcase_add_test(tc, test_actions_and_long_reason);
	tcase_add_test(tc, test_request_refused);
	tcase_add_test(tc, test_request_structure_refused);
	tcase_add_test(tc, test_replies);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (unit_run(bounce_request_suite()));
}
