/*
 * fuzz_policy_reply - the policy server reply parser
 * (lib/service/policy_proto.c) on hostile bytes.  A completed reply must
 * lie within the input and POLICY_REPLY_MAX, carry a one-line action
 * without NUL, and parse the same from its own bytes; "more" is only
 * said of input under the limit; and the verdict on a prefix never
 * contradicts the verdict on the whole (the client parses what it has
 * so far, read by read).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy_proto.h"
#include "strbuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check_prefix - what a cut at len says agrees with the whole's verdict */
static void
check_prefix(const char *buf, size_t len, enum policy_reply_status whole,
    size_t whole_used, const struct strbuf *whole_action)
{
	struct strbuf action, why;
	enum policy_reply_status st;
	size_t	 used = 0;

	strbuf_init(&action);
	strbuf_init(&why);
	st = policy_reply_parse(buf, len, &action, &used, &why);
	if (st == POLICY_REPLY_DONE && (whole != POLICY_REPLY_DONE ||
	    used != whole_used || strcmp(action.data, whole_action->data) != 0))
		abort();
	if (st == POLICY_REPLY_BAD && whole != POLICY_REPLY_BAD)
		abort();
	if (whole == POLICY_REPLY_DONE && len >= whole_used &&
	    st != POLICY_REPLY_DONE)
		abort();
	strbuf_free(&action);
	strbuf_free(&why);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct strbuf action, why;
	enum policy_reply_status st;
	size_t	 used = 0;

	strbuf_init(&action);
	strbuf_init(&why);
	st = policy_reply_parse(buf, size, &action, &used, &why);
	switch (st) {
	case POLICY_REPLY_DONE:
		if (used > size || used > POLICY_REPLY_MAX || action.len == 0 ||
		    memchr(action.data, '\n', action.len) != NULL ||
		    strlen(action.data) != action.len)
			abort();
		check_prefix(buf, used, st, used, &action);
		break;
	case POLICY_REPLY_MORE:
		if (size >= POLICY_REPLY_MAX || action.len != 0)
			abort();
		break;
	case POLICY_REPLY_BAD:
		if (why.len == 0 || action.len != 0)
			abort();
		break;
	default:
		abort();
	}
	check_prefix(buf, size / 2, st, used, &action);
	check_prefix(buf, size > 0 ? size - 1 : 0, st, used, &action);
	strbuf_free(&action);
	strbuf_free(&why);
	return (0);
}
