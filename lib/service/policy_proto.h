/*
 * policy_proto - the wire format of Postfix's policy delegation protocol
 * (SMTPD_POLICY_README), without any I/O: smtpd's request and the policy
 * server's reply.
 *
 * A request is lines "name=value" ending with an empty line; the reply
 * likewise, and of its attributes only "action" means anything (others
 * are skipped, as is a second action: Postfix takes the first).  Both
 * sides are text a hostile peer may shape: a value can never carry a
 * line break into the request, and a reply is refused when it is longer
 * than POLICY_REPLY_MAX, has a line that is no name=value, a NUL, no
 * action, an empty one, or one that is not valid UTF-8.  The client
 * (policy_client.c) moves the bytes; the fuzz harness fuzz_policy_reply
 * drives the parser.
 */
#ifndef SLUICE_POLICY_PROTO_H
#define SLUICE_POLICY_PROTO_H

#include <stddef.h>

#include "strbuf.h"

#define POLICY_REPLY_MAX	4096	/* bytes, the empty line included */

/*
 * policy_request_attr - append "name=value\n" to req; CR, LF and NUL in
 * value become spaces (a client's text must not end the line)
 */
void	policy_request_attr(struct strbuf *req, const char *name,
	    const char *value);
/* policy_request_end - the empty line that ends a request */
void	policy_request_end(struct strbuf *req);

enum policy_reply_status {
	POLICY_REPLY_DONE,	/* action set, *used bytes make up the reply */
	POLICY_REPLY_MORE,	/* no empty line yet: read more and call again */
	POLICY_REPLY_BAD,	/* refused; why says how */
};

/*
 * policy_reply_parse - look at the len bytes received so far (the start
 * of a reply).  DONE with the action's value in action and the reply's
 * length in *used (bytes after it are not this reply's); MORE while
 * the reply is incomplete and within POLICY_REPLY_MAX; BAD with the
 * reason in why.  A line may end in CRLF; the CR is not part of it.
 */
enum policy_reply_status policy_reply_parse(const char *buf, size_t len,
	    struct strbuf *action, size_t *used, struct strbuf *why);

#endif
