/*
 * test_policy_proto - the policy delegation wire format
 * (lib/service/policy_proto.c): request lines that a client's text cannot
 * break, and the reply parser's answers for complete, partial, long and
 * malformed replies.
 */
#include <check.h>
#include <string.h>

#include "policy_proto.h"
#include "strbuf.h"
#include "unit.h"

/* parse - run the parser on a C string */
static enum policy_reply_status
parse(const char *text, struct strbuf *action, size_t *used, struct strbuf *why)
{
	return (policy_reply_parse(text, strlen(text), action, used, why));
}

START_TEST(test_request_lines)
{
	struct strbuf req;

	strbuf_init(&req);
	policy_request_attr(&req, "request", "smtpd_access_policy");
	policy_request_attr(&req, "helo_name", "evil\r\naction=OK\n");
	policy_request_attr(&req, "sender", NULL);
	policy_request_end(&req);
	ck_assert_str_eq(req.data, "request=smtpd_access_policy\n"
	    "helo_name=evil  action=OK \nsender=\n\n");
	strbuf_free(&req);
}
END_TEST

START_TEST(test_reply_complete)
{
	struct strbuf action, why;
	size_t	 used = 0;
	const char *two = "action=DEFER_IF_PERMIT Greylisted\n\naction=OK\n\n";

	strbuf_init(&action);
	strbuf_init(&why);
	ck_assert_int_eq(parse("action=dunno\n\n", &action, &used, &why),
	    POLICY_REPLY_DONE);
	ck_assert_str_eq(action.data, "dunno");
	ck_assert_uint_eq(used, 14);
	/* other attributes are skipped, CRLF tolerated */
	ck_assert_int_eq(parse("foo=bar\r\naction=PREPEND X-Greylist: delayed"
	    "\r\nbaz=\r\n\r\n", &action, &used, &why), POLICY_REPLY_DONE);
	ck_assert_str_eq(action.data, "PREPEND X-Greylist: delayed");
	/* only the first reply counts; used says where it ends */
	ck_assert_int_eq(parse(two, &action, &used, &why), POLICY_REPLY_DONE);
	ck_assert_str_eq(action.data, "DEFER_IF_PERMIT Greylisted");
	ck_assert_uint_eq(used, strlen("action=DEFER_IF_PERMIT Greylisted\n\n"));
	/* a second action is skipped, as Postfix does */
	ck_assert_int_eq(parse("action=OK\naction=REJECT\n\n", &action, &used,
	    &why), POLICY_REPLY_DONE);
	ck_assert_str_eq(action.data, "OK");
	/* UTF-8 text passes */
	ck_assert_int_eq(parse("action=REJECT gr\xc3\xbc\xc3\x9f\n\n", &action,
	    &used, &why), POLICY_REPLY_DONE);
	/* '=' inside the value is the value's */
	ck_assert_int_eq(parse("action=450 4.7.1 a=b\n\n", &action, &used,
	    &why), POLICY_REPLY_DONE);
	ck_assert_str_eq(action.data, "450 4.7.1 a=b");
	strbuf_free(&action);
	strbuf_free(&why);
}
END_TEST

START_TEST(test_reply_partial)
{
	struct strbuf action, why;
	size_t	 used = 0;

	strbuf_init(&action);
	strbuf_init(&why);
	ck_assert_int_eq(parse("", &action, &used, &why), POLICY_REPLY_MORE);
	ck_assert_int_eq(parse("act", &action, &used, &why), POLICY_REPLY_MORE);
	ck_assert_int_eq(parse("action=OK\n", &action, &used, &why),
	    POLICY_REPLY_MORE);
	ck_assert_uint_eq(action.len, 0);
	ck_assert_int_eq(parse("action=OK\n\r", &action, &used, &why),
	    POLICY_REPLY_MORE);
	strbuf_free(&action);
	strbuf_free(&why);
}
END_TEST

START_TEST(test_reply_refused)
{
	static const char *const bad[] = {
		"\n",				/* no action */
		"foo=bar\n\n",			/* no action */
		"garbage\n",			/* no name=value */
		"=OK\n\n",			/* no name */
		"action=\n\n",			/* empty action */
		"action=REJECT \xc3\x28\n\n",		/* bad UTF-8 */
		"HTTP/1.0 400 Bad Request\r\n",
	};
	struct strbuf action, why;
	size_t	 used = 0;

	strbuf_init(&action);
	strbuf_init(&why);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(parse(bad[i], &action, &used, &why) ==
		    POLICY_REPLY_BAD, "accepted: %s", bad[i]);
		ck_assert(why.len > 0);
		ck_assert_uint_eq(action.len, 0);
	}
	ck_assert_int_eq(policy_reply_parse("action=O\0K\n\n", 12, &action,
	    &used, &why), POLICY_REPLY_BAD);
	ck_assert_str_eq(why.data, "NUL byte in reply");
	strbuf_free(&action);
	strbuf_free(&why);
}
END_TEST

START_TEST(test_reply_limit)
{
	struct strbuf reply, action, why;
	size_t	 used = 0;

	strbuf_init(&reply);
	strbuf_init(&action);
	strbuf_init(&why);
	/* exactly the limit, the empty line included: accepted */
	strbuf_puts(&reply, "action=REJECT ");
	while (reply.len < POLICY_REPLY_MAX - 2)
		strbuf_putc(&reply, 'x');
	strbuf_puts(&reply, "\n\n");
	ck_assert_int_eq(policy_reply_parse(reply.data, reply.len, &action,
	    &used, &why), POLICY_REPLY_DONE);
	ck_assert_uint_eq(used, POLICY_REPLY_MAX);
	/* one byte more: refused, also before the end has come */
	strbuf_truncate(&reply, POLICY_REPLY_MAX - 2);
	strbuf_puts(&reply, "y\n\n");
	ck_assert_int_eq(policy_reply_parse(reply.data, reply.len, &action,
	    &used, &why), POLICY_REPLY_BAD);
	ck_assert_str_eq(why.data, "reply longer than 4096 bytes");
	strbuf_truncate(&reply, POLICY_REPLY_MAX);
	ck_assert_int_eq(policy_reply_parse(reply.data, reply.len, &action,
	    &used, &why), POLICY_REPLY_BAD);
	/* many short lines add up the same way */
	strbuf_reset(&reply);
	while (reply.len <= POLICY_REPLY_MAX)
		strbuf_puts(&reply, "a=b\n");
	ck_assert_int_eq(policy_reply_parse(reply.data, reply.len, &action,
	    &used, &why), POLICY_REPLY_BAD);
	strbuf_free(&reply);
	strbuf_free(&action);
	strbuf_free(&why);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("policy_proto");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_request_lines);
	tcase_add_test(tc, test_reply_complete);
	tcase_add_test(tc, test_reply_partial);
	tcase_add_test(tc, test_reply_refused);
	tcase_add_test(tc, test_reply_limit);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
