/*
 * tls - TLS on a stream, for smtpd and the smtp client (OpenSSL 3).
 *
 * One code path for both sides: a context is built once per process from
 * the configuration (before chroot and the privilege drop, which is when
 * the key file can be read), and tls_start_* runs the handshake on an
 * existing stream, then replaces the stream's I/O functions
 * (stream_set_io) so that everything above keeps reading and writing the
 * stream as before.  TLS 1.2 is the minimum, whatever the *_protocols
 * parameters say; compression and renegotiation are off.
 */
#ifndef SLUICE_TLS_H
#define SLUICE_TLS_H

#include <stdbool.h>

#include "config.h"
#include "config_table.h"
#include "stream.h"
#include "strbuf.h"

struct tls_context;

/* server side: smtpd_tls_cert_file/key_file/protocols; NULL + err */
struct tls_context *tls_server_context(struct config *cfg, struct strbuf *err);
/*
 * client side: smtp_tls_CAfile/CApath/protocols/mandatory_protocols,
 * session cache; NULL + err.
 */
struct tls_context *tls_client_context(struct config *cfg, struct strbuf *err);
/*
 * The parameters each context reads (through config_table_read), for the
 * tables of the programs that make one (lib/config/config_programs.c)
 */
extern const struct config_table tls_server_params[], tls_client_params[];
void	tls_context_free(struct tls_context *ctx);

struct tls_session_info {
	char	protocol[16];		/* "TLSv1.3" */
	char	cipher[64];		/* "TLS_AES_256_GCM_SHA384" */
	int	bits;
	bool	peer_verified;		/* chain verified against the CAs */
	bool	peer_name_matched;	/* and the name matched what was asked */
	bool	resumed;		/* a cached session, checked again */
	char	peer_cn[256];
};

/*
 * tls_start_server - handshake as server on s (after "220 Ready to start
 * TLS", or at once in wrapper mode).  The caller discards buffered
 * plaintext BEFORE calling (stream_discard_pending).  0 or -1 + err.
 */
int	tls_start_server(struct tls_context *ctx, struct stream *s, int timeout,
	    struct tls_session_info *info, struct strbuf *err);
/*
 * tls_start_client - handshake as client; servername is sent as SNI and,
 * when match_names is non-NULL (a NULL-terminated list), the certificate
 * must match one of them (verify/secure levels).  mandatory: TLS is
 * required (level encrypt and up), so smtp_tls_mandatory_protocols sets
 * the protocol range instead of smtp_tls_protocols.  session_key names
 * the server and the caller's policy ("[host]:port:level"; NULL: no
 * session cache); the cache key adds servername, match_names, both flags
 * and the context's CAs, protocols and ciphers, so a session is offered
 * again only where the same checks apply.  A resumed session's
 * certificate is verified again (chain and names) as a new one would be;
 * one that fails, here or in a new handshake, leaves the cache.  0 or -1
 * + err.
 */
int	tls_start_client(struct tls_context *ctx, struct stream *s, int timeout,
	    const char *servername, const char *const *match_names,
	    bool require_verified, bool mandatory, const char *session_key,
	    struct tls_session_info *info, struct strbuf *err);
/* tls_stop - send close_notify (best effort) and free the session */
void	tls_stop(struct stream *s);

#endif
