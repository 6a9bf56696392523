/*
 * tls - STARTTLS for the smtp client (lib/tls/tls.h does the OpenSSL work).
 *
 * The level comes from smtp_tls_policy_maps (keyed by the next hop as
 * written, e.g. "[mail.example]:587", then by its bare domain) or else
 * smtp_tls_security_level: none, may (opportunistic: plaintext when the
 * server offers no STARTTLS, refuses it, or the handshake fails, in which
 * case the same host is tried again without TLS), encrypt (TLS required,
 * any certificate), verify (a verified chain and a matching name: the MX
 * host name by default, smtp_tls_verify_cert_match), secure (the same,
 * names from the next hop, smtp_tls_secure_cert_match).  Where TLS is
 * required and cannot be had, the delivery is deferred (4.7.5).
 * A policy entry is "LEVEL [match=name:name...]".
 *
 * TLS sessions are cached per process (lib/tls/tls_session.c) under
 * "[host]:port:level" plus the names the certificate must match, the CA
 * files, protocols and ciphers: a session made at "may" (no name check)
 * is never offered at "verify" or "secure", and a resumed session's
 * certificate is verified again against the current policy, failing as
 * a new handshake would (4.7.5, "hostname mismatch").
 *
 * The same digest (smtp_tls_policy_key) is kept with a session that
 * reuse.c parks: the policy map may change while it sits idle, and the
 * next delivery must not ride a connection set up under another level.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "msg.h"
#include "smtp.h"
#include "strlist.h"
#include "tls_session.h"

static const char *const level_names[] = {
	[SMTP_TLS_NONE] = "none", [SMTP_TLS_MAY] = "may",
	[SMTP_TLS_ENCRYPT] = "encrypt", [SMTP_TLS_VERIFY] = "verify",
	[SMTP_TLS_SECURE] = "secure",
};

/* level_parse - a level name; -1 when unknown */
static int
level_parse(const char *text, size_t len)
{
	if (len == 0)
		return (SMTP_TLS_NONE);
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strlen(level_names[i]) == len &&
		    strncasecmp(level_names[i], text, len) == 0)
			return ((int)i);
	/* Postfix's "dane" needs DANE (a later issue): ask for verification */
	if (len == 4 && strncasecmp(text, "dane", 4) == 0)
		return (SMTP_TLS_VERIFY);
	return (-1);
}

/* smtp_tls_setup - parameters and the client context (before chroot) */
void
smtp_tls_setup(struct smtp_agent *a, struct config *cfg)
{
	struct strbuf err;
	int	 l;

	/* a value sluice check refuses: qmgr defers the mail and retries */
	strbuf_init(&err);
	if (config_table_read(cfg, smtp_tls_params, a, &err) > 0)
		config_table_fatal(&err);
	strbuf_free(&err);
	if ((l = level_parse(a->tls_level_word, strlen(a->tls_level_word))) < 0)
		msg_fatal("smtp_tls_security_level: unknown level \"%s\"",
		    a->tls_level_word);
	a->tls_level = (enum smtp_tls_level)l;
	if (a->tls_level == SMTP_TLS_NONE && a->tls_policy_maps == NULL)
		return;
	strbuf_init(&err);
	if ((a->tls = tls_client_context(cfg, &err)) == NULL)
		msg_warn("TLS client context unavailable: %s", err.data);
	strbuf_free(&err);
}

/* smtp_tls_policy_find - the policy for a next hop */
void
smtp_tls_policy_find(struct smtp_agent *a, const char *nexthop_text,
    const char *nexthop_host, struct smtp_tls_policy *out)
{
	struct strbuf value;
	const char *v, *m;
	size_t	 n;
	int	 rc = MAP_NOTFOUND, l;

	memset(out, 0, sizeof(*out));
	out->level = a->tls_level;
	out->nexthop = xstrdup(nexthop_host);
	if (a->tls_policy_maps == NULL)
		return;
	strbuf_init(&value);
	rc = map_list_lookup(a->tls_policy_maps, nexthop_text, &value);
	if (rc == MAP_NOTFOUND && strcmp(nexthop_text, nexthop_host) != 0)
		rc = map_list_lookup(a->tls_policy_maps, nexthop_host, &value);
	if (rc == MAP_TEMPFAIL) {
		/* cannot tell what is required: insist on the strongest */
		msg_warn("smtp_tls_policy_maps lookup failure for %s", nexthop_text);
		out->level = SMTP_TLS_SECURE;
	} else if (rc == MAP_FOUND) {
		v = value.data + strspn(value.data, " \t");
		n = strcspn(v, " \t");
		if ((l = level_parse(v, n)) < 0) {
			msg_warn("smtp_tls_policy_maps: %s: unknown level \"%.*s\"; "
			    "using \"secure\"", nexthop_text, (int)n, v);
			l = SMTP_TLS_SECURE;
		}
		out->level = (enum smtp_tls_level)l;
		if ((m = strstr(v + n, "match=")) != NULL)
			out->match = strndup(m + 6, strcspn(m + 6, " \t"));
	}
	strbuf_free(&value);
}

/* smtp_tls_policy_free - release */
void
smtp_tls_policy_free(struct smtp_tls_policy *pol)
{
	free(pol->match);
	free(pol->nexthop);
	memset(pol, 0, sizeof(*pol));
}

/* match_names - the names a certificate must carry at verify/secure */
static void
match_names(struct smtp_agent *a, const struct smtp_session *sess,
    int level, struct strlist *names)
{
	const struct smtp_tls_policy *pol = a->policy;
	const char *spec = pol != NULL && pol->match != NULL ? pol->match :
	    level == SMTP_TLS_SECURE ? a->tls_secure_match :
	    a->tls_verify_match;
	const char *nexthop = pol != NULL ? pol->nexthop : sess->hostname;
	char	*copy = xstrdup(spec), *word, *save = NULL;
	struct strbuf dot;

	strbuf_init(&dot);
	for (word = strtok_r(copy, ":, \t", &save); word != NULL;
	    word = strtok_r(NULL, ":, \t", &save)) {
		if (strcasecmp(word, "hostname") == 0)
			strlist_add(names, sess->hostname);
		else if (strcasecmp(word, "nexthop") == 0)
			strlist_add(names, nexthop);
		else if (strcasecmp(word, "dot-nexthop") == 0) {
			strbuf_set(&dot, ".");
			strbuf_puts(&dot, nexthop);
			strlist_add(names, dot.data);
		} else
			strlist_add(names, word);
	}
	strbuf_free(&dot);
	free(copy);
}

/* required - fail a delivery that needs TLS it cannot have */
static int
required(struct smtp_session *sess, const char *what, struct strbuf *why,
    int *status, char dsn[16])
{
	strbuf_reset(why);
	strbuf_printf(why, "TLS is required, but %s host %s[%s]", what,
	    sess->hostname, sess->addr);
	*status = 4;
	snprintf(dsn, 16, "4.7.5");
	return (-1);
}

/*
 * smtp_tls_negotiate - STARTTLS per the session's level.  0: go on in
 * plaintext; 1: TLS is up, EHLO again; -1: failure with why (at "may" a
 * failed handshake sets tls_retry_plain).
 */
int
smtp_tls_negotiate(struct smtp_agent *a, struct smtp_session *sess,
    struct strbuf *why, int *status, char dsn[16])
{
	struct tls_session_info info;
	struct smtp_reply r;
	struct strlist names;
	struct strbuf err, key;
	const char **list = NULL;
	bool	 may = sess->tls_level == SMTP_TLS_MAY;
	int	 rc;

	if (sess->tls_level == SMTP_TLS_NONE || sess->tls_active ||
	    strcmp(sess->addr, "unix") == 0)
		return (0);
	if (!(sess->features & SMTP_FEATURE_STARTTLS))
		return (may ? 0 : required(sess, "STARTTLS was not offered by",
		    why, status, dsn));
	if (a->tls == NULL)
		return (may ? 0 : required(sess, "no TLS client context for",
		    why, status, dsn));
	smtp_reply_init(&r);
	stream_set_timeout(sess->s, a->p.helo_timeout);
	stream_puts(sess->s, "STARTTLS\r\n");
	if (stream_flush(sess->s) < 0 || smtp_reply_read(sess->s, &r) == 0) {
		smtp_reply_describe(sess, &r, "STARTTLS", why);
		*status = 4;
		snprintf(dsn, 16, "4.4.2");
		smtp_reply_free(&r);
		return (-1);
	}
	if (r.code != 220) {
		smtp_reply_describe(sess, &r, "STARTTLS", why);
		smtp_reply_free(&r);
		if (may) {
			msg_info("%s; continuing in plaintext", why->data);
			return (0);
		}
		*status = 4;
		snprintf(dsn, 16, "4.7.5");
		return (-1);
	}
	smtp_reply_free(&r);
	/* nothing the server sent before the handshake may be used after */
	stream_discard_pending(sess->s);
	strlist_init(&names);
	strbuf_init(&err);
	strbuf_init(&key);
	if (sess->tls_level >= SMTP_TLS_VERIFY) {
		match_names(a, sess, sess->tls_level, &names);
		list = xcalloc(names.count + 1, sizeof(*list));
		for (size_t i = 0; i < names.count; i++)
			list[i] = names.items[i];
	}
	/* the server and the level; lib/tls adds names, CAs and protocols */
	strbuf_printf(&key, "[%s]:%d:%s", sess->hostname, sess->port,
	    level_names[sess->tls_level]);
	memset(&info, 0, sizeof(info));
	rc = tls_start_client(a->tls, sess->s, a->p.helo_timeout, sess->hostname,
	    list, sess->tls_level >= SMTP_TLS_VERIFY,
	    sess->tls_level >= SMTP_TLS_ENCRYPT, key.data, &info, &err);
	if (rc < 0) {
		strbuf_reset(why);
		strbuf_printf(why, "TLS handshake with %s[%s] failed: %s",
		    sess->hostname, sess->addr, err.data);
		*status = 4;
		snprintf(dsn, 16, may ? "4.4.2" : "4.7.5");
		sess->tls_retry_plain = may;
	} else {
		sess->tls_active = true;
		if (info.resumed)
			msg_info("Reusing old TLS session with %s", sess->relay);
		msg_info("%s TLS connection established to %s: %s with cipher "
		    "%s (%d bits)", sess->tls_level >= SMTP_TLS_VERIFY &&
		    info.peer_name_matched ? "Verified" :
		    info.peer_verified ? "Trusted" : "Untrusted", sess->relay,
		    info.protocol, info.cipher, info.bits);
		rc = 1;
	}
	free(list);
	strlist_free(&names);
	strbuf_free(&err);
	strbuf_free(&key);
	return (rc);
}

/*
 * smtp_tls_policy_key - what the current delivery's policy asks of a
 * session with sess's server, as one string: the level, and at verify
 * and secure the names the certificate must match, digested as the TLS
 * session cache digests them (tls_session_key, one function for both).
 * The policy's level, not the one in force: a "may" session that fell
 * back to plaintext was still made under "may".  The client context (CA
 * files, protocols) is the same for the whole process, so it is left out.
 */
char *
smtp_tls_policy_key(struct smtp_agent *a, const struct smtp_session *sess)
{
	int	 level = a->policy != NULL ? (int)a->policy->level :
	    SMTP_TLS_NONE;
	struct strlist names;
	struct strbuf serverid;
	const char **list = NULL;
	char	*key;

	strlist_init(&names);
	strbuf_init(&serverid);
	if (level >= SMTP_TLS_VERIFY) {
		match_names(a, sess, level, &names);
		list = xcalloc(names.count + 1, sizeof(*list));
		for (size_t i = 0; i < names.count; i++)
			list[i] = names.items[i];
	}
	strbuf_printf(&serverid, "[%s]:%d:%s", sess->hostname, sess->port,
	    level_names[level]);
	key = tls_session_key(NULL, serverid.data, sess->hostname, list,
	    level >= SMTP_TLS_VERIFY, level >= SMTP_TLS_ENCRYPT);
	free(list);
	strlist_free(&names);
	strbuf_free(&serverid);
	return (key);
}
