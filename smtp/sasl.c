/*
 * sasl - AUTH PLAIN / LOGIN towards a relay that wants a password.
 *
 * With smtp_sasl_auth_enable = yes, the credentials come from
 * smtp_sasl_password_maps as "username:password", looked up by the next
 * hop as written ("[relay.example]:587"), then by the host name.  They
 * are sent only inside TLS unless smtp_sasl_tls_only = no, and only when
 * the server offers AUTH with PLAIN or LOGIN.  A refused login is a
 * session failure: the next host is tried and the mail deferred (4.7.0),
 * never bounced, since the fault is ours.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "msg.h"
#include "smtp.h"

#define SASL_CRED_MAX	1024

/* b64 - base64 of len bytes into out (replaced) */
static void
b64(struct strbuf *out, const char *in, size_t len)
{
	unsigned char *buf = xmalloc(4 * ((len + 2) / 3) + 1);
	int	 n = EVP_EncodeBlock(buf, (const unsigned char *)in, (int)len);

	strbuf_reset(out);
	strbuf_append(out, buf, (size_t)n);
	free(buf);
}

/* has_mech - the AUTH keyword lists mech */
static bool
has_mech(const char *mechs, const char *mech)
{
	size_t	 n = strlen(mech);

	for (const char *p = mechs; p != NULL && *p != '\0'; ) {
		size_t	 w;

		p += strspn(p, " \t");
		w = strcspn(p, " \t");
		if (w == n && strncasecmp(p, mech, n) == 0)
			return (true);
		p += w;
	}
	return (false);
}

/* step - send one line, read the reply */
static int
step(struct smtp_session *sess, const char *line, struct smtp_reply *r)
{
	stream_printf(sess->s, "%s\r\n", line);
	if (stream_flush(sess->s) < 0)
		return (0);
	return (smtp_reply_read(sess->s, r));
}

/* smtp_sasl_authenticate - AUTH when enabled and possible; 0 or -1 */
int
smtp_sasl_authenticate(struct smtp_agent *a, struct smtp_session *sess,
    struct strbuf *why, int *status, char dsn[16])
{
	struct strbuf cred, line, enc;
	struct smtp_reply r;
	const char *key = a->nexthop_key;
	char	*colon;
	int	 rc = 0, code;

	if (!a->sasl_enable || a->sasl_password_maps == NULL ||
	    !(sess->features & SMTP_FEATURE_AUTH))
		return (0);
	strbuf_init(&cred);
	strbuf_init(&line);
	strbuf_init(&enc);
	smtp_reply_init(&r);
	if ((key == NULL || map_list_lookup(a->sasl_password_maps, key, &cred)
	    != MAP_FOUND) && map_list_lookup(a->sasl_password_maps,
	    sess->hostname, &cred) != MAP_FOUND)
		goto out;
	if (a->sasl_tls_only && !sess->tls_active) {
		msg_warn("not sending the SASL password for %s: no TLS "
		    "(smtp_sasl_tls_only)", sess->relay);
		goto out;
	}
	if (cred.len > SASL_CRED_MAX || (colon = strchr(cred.data, ':')) == NULL) {
		msg_warn("smtp_sasl_password_maps: malformed entry for %s",
		    key ? key : sess->hostname);
		goto out;
	}
	*colon = '\0';
	stream_set_timeout(sess->s, a->p.helo_timeout);
	if (has_mech(sess->auth_mechs, "PLAIN")) {
		struct strbuf raw;

		/* authzid NUL authcid NUL password */
		strbuf_init(&raw);
		strbuf_putc(&raw, '\0');
		strbuf_puts(&raw, cred.data);
		strbuf_putc(&raw, '\0');
		strbuf_puts(&raw, colon + 1);
		b64(&enc, raw.data, raw.len);
		strbuf_free(&raw);
		strbuf_printf(&line, "AUTH PLAIN %s", enc.data);
		code = step(sess, line.data, &r);
	} else if (has_mech(sess->auth_mechs, "LOGIN")) {
		code = step(sess, "AUTH LOGIN", &r);
		if (code == 334) {
			b64(&enc, cred.data, strlen(cred.data));
			code = step(sess, enc.data, &r);
		}
		if (code == 334) {
			b64(&enc, colon + 1, strlen(colon + 1));
			code = step(sess, enc.data, &r);
		}
	} else {
		msg_warn("%s offers no SASL mechanism we have (PLAIN, LOGIN)",
		    sess->relay);
		goto out;
	}
	if (code != 235) {
		strbuf_reset(why);
		if (code == 0)
			smtp_reply_describe(sess, &r, "AUTH", why);
		else
			strbuf_printf(why, "SASL authentication failed; server %s[%s] "
			    "said: %d %s", sess->hostname, sess->addr, code,
			    r.text.data);
		*status = 4;
		snprintf(dsn, 16, "4.7.0");
		rc = -1;
	}
out:
	/* the password does not linger in freed memory */
	if (cred.data != NULL)
		memset(cred.data, 0, cred.len);
	if (line.data != NULL)
		memset(line.data, 0, line.len);
	if (enc.data != NULL)
		memset(enc.data, 0, enc.len);
	strbuf_free(&cred);
	strbuf_free(&line);
	strbuf_free(&enc);
	smtp_reply_free(&r);
	return (rc);
}
