/*
 * starttls - STARTTLS (RFC 3207) and the implicit-TLS wrapper mode.
 *
 * The server context (certificate and key) is built in pre_jail, while the
 * root-only key file can still be read.  At STARTTLS the plaintext that
 * the client already sent after the command is thrown away before the
 * handshake (the CVE-2011-0411 class of command injection), and after the
 * handshake the session starts over: the client must say EHLO again, and
 * nothing learned in plaintext is kept.  At level "encrypt" no mail
 * transaction is allowed before that.
 *
 * Parameters: smtpd_tls_security_level, smtpd_tls_wrappermode,
 * smtpd_tls_cert_file, smtpd_tls_key_file, smtpd_tls_protocols,
 * smtpd_timeout.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "smtpd.h"

/* tls_level - smtpd_tls_security_level; empty means none */
static enum smtpd_tls_level
tls_level(const char *value)
{
	if (*value == '\0' || strcasecmp(value, "none") == 0)
		return (SMTPD_TLS_NONE);
	if (strcasecmp(value, "may") == 0)
		return (SMTPD_TLS_MAY);
	if (strcasecmp(value, "encrypt") == 0)
		return (SMTPD_TLS_ENCRYPT);
	msg_fatal("smtpd_tls_security_level: unknown value \"%s\"", value);
}

/*
 * smtpd_tls_setup - build the server context when TLS is wanted.  Where
 * TLS is mandatory (encrypt, wrapper mode) a broken set-up is fatal:
 * better no service than plaintext where encryption was promised.
 */
void
smtpd_tls_setup(struct smtpd_config *sc, struct config *cfg)
{
	struct strbuf err;
	bool mandatory;

	sc->tls_level = tls_level(sc->tls_level_word);
	sc->tls_ctx = NULL;
	if (sc->tls_level == SMTPD_TLS_NONE && !sc->tls_wrappermode)
		return;
	mandatory = sc->tls_level == SMTPD_TLS_ENCRYPT || sc->tls_wrappermode;
	strbuf_init(&err);
	if ((sc->tls_ctx = tls_server_context(cfg, &err)) == NULL) {
		if (mandatory)
			msg_fatal("cannot set up TLS: %s", err.data);
		msg_warn("cannot set up TLS, STARTTLS disabled: %s", err.data);
		sc->tls_level = SMTPD_TLS_NONE;
	}
	strbuf_free(&err);
}

/* smtpd_starttls_offered - EHLO lists STARTTLS */
bool
smtpd_starttls_offered(const struct smtpd_session *s)
{
	return (s->cfg->tls_ctx != NULL && !s->tls_active &&
	    !s->cfg->tls_wrappermode && s->cfg->tls_level != SMTPD_TLS_NONE);
}

/* smtpd_tls_required - level encrypt refuses mail before STARTTLS */
bool
smtpd_tls_required(struct smtpd_session *s)
{
	if (s->tls_active || s->cfg->tls_level != SMTPD_TLS_ENCRYPT)
		return (false);
	smtpd_reply(s, "530 5.7.0 Must issue a STARTTLS command first");
	return (true);
}

/* handshake - run the server handshake and log it; 0 or -1 */
static int
handshake(struct smtpd_session *s)
{
	struct strbuf err;
	int rc;

	strbuf_init(&err);
	rc = tls_start_server(s->cfg->tls_ctx, s->stream, (int)s->cfg->timeout,
	    &s->tls_info, &err);
	if (rc != 0) {
		msg_info("SSL_accept error from %s: %s", s->peer.namaddr,
		    err.data);
	} else {
		s->tls_active = true;
		msg_info("Anonymous TLS connection established from %s: "
		    "%s with cipher %s (%d/%d bits)", s->peer.namaddr,
		    s->tls_info.protocol, s->tls_info.cipher,
		    s->tls_info.bits, s->tls_info.bits);
	}
	strbuf_free(&err);
	return (rc);
}

/* smtpd_starttls - the STARTTLS command; -1 ends the session */
int
smtpd_starttls(struct smtpd_session *s, const char *args)
{
	if (*args != '\0') {
		smtpd_reply(s, "501 5.5.4 Syntax: STARTTLS");
		return (0);
	}
	if (s->tls_active) {
		smtpd_reply(s, "554 5.5.1 Error: TLS already active");
		return (0);
	}
	if (!smtpd_starttls_offered(s)) {
		smtpd_reply(s, "502 5.5.1 Error: command not implemented");
		return (0);
	}
	if (s->txn.active) {
		smtpd_reply(s, "503 5.5.1 Error: MAIL transaction in progress");
		return (0);
	}
	smtpd_reply(s, "220 2.0.0 Ready to start TLS");
	smtpd_flush(s);
	if (stream_status(s->stream) != STREAM_OK) {
		smtpd_read_failed(s, stream_status(s->stream));
		return (-1);
	}
	/* Whatever came with the command was sent in the clear: drop it. */
	stream_discard_pending(s->stream);
	if (handshake(s) != 0)
		return (-1);
	/* RFC 3207 4.2: forget everything learned before TLS. */
	smtpd_txn_reset(s);
	free(s->helo_name);
	s->helo_name = NULL;
	s->esmtp = false;
	return (0);
}

/* smtpd_tls_wrapper_start - implicit TLS (smtps): handshake before the banner */
int
smtpd_tls_wrapper_start(struct smtpd_session *s)
{
	if (s->cfg->tls_ctx == NULL) {
		msg_warn("smtpd_tls_wrappermode without a TLS context");
		return (-1);
	}
	return (handshake(s));
}
