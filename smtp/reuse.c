/*
 * reuse - keep the last session open for the next request.
 *
 * qmgr sends requests for the same next hop back to back; reusing the
 * session saves the connect, greeting and EHLO.  One idle session is
 * kept, keyed by the next-hop text, for smtp_connection_cache_time_limit
 * seconds; its next transaction starts with RSET (smtp_transaction, which
 * pipelines it when it can), and it gets QUIT when it expires, when a
 * request for another next hop comes, or at exit.
 *
 * The next hop alone is not enough: the TLS policy for it comes from
 * smtp_tls_policy_maps at every delivery, and a rebuilt table may ask
 * for more (say "secure" where the session was made at "may") while the
 * session sits idle.  So a session carries the digest of the policy it
 * was set up under (smtp_tls_policy_key), and one whose policy differs
 * from the current delivery's gets QUIT instead of the message: the new
 * connection then meets the new policy, as Postfix keys its connection
 * cache with the TLS policy too.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "msg.h"
#include "smtp.h"

/* smtp_reuse_take - the cached session for key (RSET pending), or NULL */
struct smtp_session *
smtp_reuse_take(struct smtp_agent *a, const char *key)
{
	struct smtp_session *sess = a->cached;
	char	*policy;
	bool	 same;

	if (sess == NULL)
		return (NULL);
	a->cached = NULL;
	if (strcmp(sess->key, key) != 0 ||
	    time(NULL) - sess->idle_since > a->p.cache_time_limit) {
		smtp_session_quit(a, sess);
		smtp_session_free(sess);
		return (NULL);
	}
	policy = smtp_tls_policy_key(a, sess);
	same = sess->tls_policy_key != NULL &&
	    strcmp(sess->tls_policy_key, policy) == 0;
	free(policy);
	if (!same) {
		msg_info("%s: TLS policy changed since the connection was made; "
		    "not reusing it", sess->relay);
		smtp_session_quit(a, sess);
		smtp_session_free(sess);
		return (NULL);
	}
	sess->rset_pending = true;
	return (sess);
}

/* smtp_reuse_keep - park a healthy session (or close it when disabled) */
void
smtp_reuse_keep(struct smtp_agent *a, struct smtp_session *sess)
{
	smtp_reuse_expire(a, true);
	if (a->p.cache_time_limit <= 0) {
		smtp_session_quit(a, sess);
		smtp_session_free(sess);
		return;
	}
	sess->idle_since = time(NULL);
	a->cached = sess;
}

/* smtp_reuse_expire - close the cached session when too old (or always) */
void
smtp_reuse_expire(struct smtp_agent *a, bool all)
{
	struct smtp_session *sess = a->cached;

	if (sess == NULL)
		return;
	if (!all && time(NULL) - sess->idle_since < a->p.cache_time_limit)
		return;
	a->cached = NULL;
	smtp_session_quit(a, sess);
	smtp_session_free(sess);
}

/* smtp_reuse_wait_ms - how long to wait for qmgr before expiring; -1 none */
int
smtp_reuse_wait_ms(struct smtp_agent *a)
{
	long	 left;

	if (a->cached == NULL)
		return (-1);
	left = a->p.cache_time_limit - (long)(time(NULL) - a->cached->idle_since);
	return (left > 0 ? (int)(left * 1000) : 0);
}
