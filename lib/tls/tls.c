/*
 * tls - TLS on a stream, for smtpd and the smtp client (OpenSSL 3).
 *
 * Contexts are built once per process (before the privilege drop, so the
 * server key can be root-only).  A handshake runs over the stream's
 * non-blocking descriptor with poll(2) and the caller's timeout; then the
 * stream's transport is replaced by SSL_read_ex/SSL_write_ex wrappers,
 * whose "want read/write" results become EAGAIN plus the direction the
 * stream must wait for.  The SSL object itself is the stream's I/O context.
 *
 * The client keeps an in-memory session cache (lib/tls/tls_session.c) keyed
 * by the caller's server identity plus everything that decided how its
 * peer was checked (names, levels, CAs, protocols, ciphers); sessions are
 * stored when OpenSSL hands them over (for TLS 1.3 that is after the
 * handshake, with the ticket).  A resumed session's certificate is
 * verified again against the current connection's names and CAs: what
 * OpenSSL remembers of the first handshake is never taken on trust.
 *
 * Parameters: smtpd_tls_cert_file, smtpd_tls_key_file, smtpd_tls_protocols,
 * smtpd_tls_mandatory_protocols (with smtpd_tls_security_level = encrypt),
 * smtp_tls_CAfile, smtp_tls_CApath, smtp_tls_protocols,
 * smtp_tls_mandatory_protocols (levels encrypt and up),
 * smtp_tls_session_cache_timeout, read through the tables
 * tls_server_params and tls_client_params.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "clock.h"
#include "coro.h"
#include "config_table.h"
#include "mem.h"
#include "msg.h"
#include "tls.h"
#include "tls_session.h"

struct tls_context {
	SSL_CTX		*ssl_ctx;
	bool		 server;
	int		 mandatory_min;		/* client: the protocol range */
	int		 mandatory_max;		/* where TLS is required */
	struct tls_session_cache *cache;	/* client only */
};

static int tls_ex_index = -1;	/* SSL -> struct tls_context */
static int tls_key_index = -1;	/* SSL -> session key (char *) */
static int tls_mismatch_index = -1;	/* SSL -> non-NULL: name mismatch seen */

/* ssl_errors - append the OpenSSL error queue to err, then clear it */
static void
ssl_errors(struct strbuf *err)
{
	unsigned long code;
	char text[256];
	int n = 0;

	while ((code = ERR_get_error()) != 0) {
		if (n++ < 3) {
			ERR_error_string_n(code, text, sizeof(text));
			strbuf_printf(err, ": %s", text);
		}
	}
}

/* key_free - ex_data destructor for the session key */
static void
key_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	free(ptr);
}

/* tls_init - library set-up and the ex_data slots, once */
static void
tls_init(void)
{
	struct sigaction sa;

	if (tls_ex_index >= 0)
		return;
	/*
	 * OpenSSL writes to the socket without MSG_NOSIGNAL: a vanished peer
	 * must be an I/O error, not a killed process.
	 */
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		(void)signal(SIGPIPE, SIG_IGN);
	OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS |
	    OPENSSL_INIT_LOAD_CRYPTO_STRINGS, NULL);
	tls_ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	tls_key_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, key_free);
	tls_mismatch_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (tls_ex_index < 0 || tls_key_index < 0 || tls_mismatch_index < 0)
		msg_fatal("tls: cannot allocate SSL ex_data slots");
}

/* protocol_version - "TLSv1.2" -> rank 0..5, -1 when unknown */
static int
protocol_rank(const char *name)
{
	static const char *const names[] = {
		"SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(name, names[i]) == 0)
			return ((int)i);
	return (-1);
}

/*
 * parse_protocols - a Postfix-style protocol list ("!TLSv1.1, !TLSv1.2" or
 * "TLSv1.3") narrows the TLS 1.2..1.3 window; it can never widen it.
 * The window's ends go to *min and *max (OpenSSL version numbers).
 */
static int
parse_protocols(const char *name, const char *value, int *min, int *max,
    struct strbuf *err)
{
	bool included[6] = { false }, excluded[6] = { false }, any_included = false;
	char *copy = xstrdup(value), *cursor = copy, *token;
	int rank, lo = -1, hi = -1, i;
	static const int versions[6] = { 0, 0, 0, 0, TLS1_2_VERSION, TLS1_3_VERSION };

	while ((token = strsep(&cursor, ", \t:")) != NULL) {
		bool negate = false;

		if (*token == '\0')
			continue;
		if (*token == '!') {
			negate = true;
			token++;
		}
		if ((rank = protocol_rank(token)) < 0) {
			strbuf_printf(err, "%s: unknown protocol \"%s\"", name, token);
			free(copy);
			return (-1);
		}
		if (negate)
			excluded[rank] = true;
		else
			included[rank] = any_included = true;
	}
	free(copy);
	for (i = 4; i <= 5; i++) {
		if (excluded[i] || (any_included && !included[i]))
			continue;
		if (lo < 0)
			lo = i;
		hi = i;
	}
	if (lo < 0) {
		strbuf_printf(err, "%s: no TLS protocol version 1.2 or later left "
		    "enabled by \"%s\"", name, value);
		return (-1);
	}
	*min = versions[lo];
	*max = versions[hi];
	return (0);
}

/* apply_protocols - parse_protocols, then set the context's range */
static int
apply_protocols(SSL_CTX *ssl_ctx, const char *name, const char *value,
    struct strbuf *err)
{
	int	 min, max;

	if (parse_protocols(name, value, &min, &max, err) != 0)
		return (-1);
	if (SSL_CTX_set_min_proto_version(ssl_ctx, min) != 1 ||
	    SSL_CTX_set_max_proto_version(ssl_ctx, max) != 1) {
		strbuf_printf(err, "%s: cannot set the protocol range", name);
		return (-1);
	}
	return (0);
}

/* context_new - common SSL_CTX settings for both sides */
static struct tls_context *
context_new(const SSL_METHOD *method, bool server, struct strbuf *err)
{
	struct tls_context *ctx;
	SSL_CTX *ssl_ctx;

	tls_init();
	if ((ssl_ctx = SSL_CTX_new(method)) == NULL) {
		strbuf_set(err, "cannot create TLS context");
		ssl_errors(err);
		return (NULL);
	}
	/* Floor first: nothing below may lower it. */
	(void)SSL_CTX_set_min_proto_version(ssl_ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ssl_ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	ctx = xcalloc(1, sizeof(*ctx));
	ctx->ssl_ctx = ssl_ctx;
	ctx->server = server;
	return (ctx);
}

/* What tls_server_context() reads (tls_server_params). */
struct tls_server_settings {
	char		*cert_file;
	char		*key_file;
	char		*security_level;
	char		*protocols;
	char		*mandatory_protocols;
};

#define SERVER_ROW(name, kind, field) \
	CONFIG_ROW(name, kind, struct tls_server_settings, field)

const struct config_table tls_server_params[] = {
	SERVER_ROW("smtpd_tls_cert_file", CONF_FILE, cert_file),
	SERVER_ROW("smtpd_tls_key_file", CONF_FILE, key_file),
	SERVER_ROW("smtpd_tls_security_level", CONF_STR, security_level),
	SERVER_ROW("smtpd_tls_protocols", CONF_STR, protocols),
	SERVER_ROW("smtpd_tls_mandatory_protocols", CONF_STR,
	    mandatory_protocols),
	CONFIG_TABLE_END,
};

/* What tls_client_context() reads (tls_client_params). */
struct tls_client_settings {
	char		*cafile;
	char		*capath;
	char		*protocols;
	char		*mandatory_protocols;
	long		 cache_timeout;
};

#define CLIENT_ROW(name, kind, field) \
	CONFIG_ROW(name, kind, struct tls_client_settings, field)

const struct config_table tls_client_params[] = {
	CLIENT_ROW("smtp_tls_CAfile", CONF_FILE, cafile),
	CLIENT_ROW("smtp_tls_CApath", CONF_STR, capath),
	CLIENT_ROW("smtp_tls_protocols", CONF_STR, protocols),
	CLIENT_ROW("smtp_tls_mandatory_protocols", CONF_STR,
	    mandatory_protocols),
	CLIENT_ROW("smtp_tls_session_cache_timeout", CONF_TIME, cache_timeout),
	CONFIG_TABLE_END,
};

static struct tls_context *tls_server_setup(const struct tls_server_settings *,
	    struct strbuf *);
static struct tls_context *tls_client_setup(const struct tls_client_settings *,
	    struct strbuf *);

/* tls_server_context - certificate chain and key, checked against each other */
struct tls_context *
tls_server_context(struct config *cfg, struct strbuf *err)
{
	struct tls_server_settings set;
	struct tls_context *ctx;

	memset(&set, 0, sizeof(set));
	strbuf_reset(err);
	if (config_table_read(cfg, tls_server_params, &set, err) > 0) {
		config_table_release(tls_server_params, &set);
		return (NULL);
	}
	ctx = tls_server_setup(&set, err);
	config_table_release(tls_server_params, &set);
	return (ctx);
}

/* tls_server_setup - tls_server_context() with its settings read */
static struct tls_context *
tls_server_setup(const struct tls_server_settings *set, struct strbuf *err)
{
	struct tls_context *ctx;
	const char *cert = set->cert_file;
	const char *key = set->key_file;
	bool mandatory;

	if (*cert == '\0') {
		strbuf_set(err, "smtpd_tls_cert_file is not set");
		return (NULL);
	}
	if (*key == '\0')
		key = cert;
	if ((ctx = context_new(TLS_server_method(), true, err)) == NULL)
		return (NULL);
	/* Where TLS is mandatory, the mandatory list applies (as in Postfix). */
	mandatory = strcasecmp(set->security_level, "encrypt") == 0;
	if (apply_protocols(ctx->ssl_ctx, mandatory ?
	    "smtpd_tls_mandatory_protocols" : "smtpd_tls_protocols",
	    mandatory ? set->mandatory_protocols : set->protocols, err) != 0)
		goto fail;
	if (SSL_CTX_use_certificate_chain_file(ctx->ssl_ctx, cert) != 1) {
		strbuf_printf(err, "cannot load certificate chain from %s", cert);
		ssl_errors(err);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx->ssl_ctx, key, SSL_FILETYPE_PEM) != 1) {
		if (ERR_GET_REASON(ERR_peek_last_error()) ==
		    X509_R_KEY_VALUES_MISMATCH)
			strbuf_printf(err, "private key %s does not match "
			    "certificate %s", key, cert);
		else
			strbuf_printf(err, "cannot load private key from %s", key);
		ssl_errors(err);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx->ssl_ctx) != 1) {
		strbuf_printf(err, "private key %s does not match certificate %s",
		    key, cert);
		ssl_errors(err);
		goto fail;
	}
	/*
	 * No stateful server cache: a client resumes with a ticket sealed by
	 * this process's own key (OpenSSL's default), which is enough for the
	 * sessions one smtpd process serves and needs no shared store.
	 */
	SSL_CTX_set_session_cache_mode(ctx->ssl_ctx, SSL_SESS_CACHE_OFF);
	return (ctx);

fail:
	tls_context_free(ctx);
	return (NULL);
}

/* new_session - OpenSSL hands over a resumable session: remember it */
static int
new_session(SSL *ssl, SSL_SESSION *session)
{
	struct tls_context *ctx = SSL_get_ex_data(ssl, tls_ex_index);
	const char *key = SSL_get_ex_data(ssl, tls_key_index);

	if (ctx == NULL || key == NULL)
		return (0);
	/* 1: the reference is ours */
	return (tls_session_store(ctx->cache, key, session));
}

/*
 * verify_callback - let verification go on past a host name mismatch, so
 * that the chain is still judged on its own; the mismatch is remembered.
 */
static int
verify_callback(int preverify_ok, X509_STORE_CTX *store)
{
	SSL *ssl;

	if (preverify_ok || X509_STORE_CTX_get_error(store) !=
	    X509_V_ERR_HOSTNAME_MISMATCH)
		return (preverify_ok);
	ssl = X509_STORE_CTX_get_ex_data(store,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	if (ssl != NULL)
		SSL_set_ex_data(ssl, tls_mismatch_index, (void *)1);
	return (1);
}

/*
 * context_id - what a client context decides for all of its sessions,
 * for the session cache keys: the CA files (as named; the store is read
 * once, with the cache, per process), both protocol ranges and the
 * cipher lists in effect
 */
static void
context_id(struct tls_context *ctx, const char *cafile, const char *capath,
    struct strbuf *id)
{
	STACK_OF(SSL_CIPHER) *ciphers = SSL_CTX_get_ciphers(ctx->ssl_ctx);
	int	 i;

	strbuf_printf(id, "CAfile=%zu:%s\nCApath=%zu:%s\n", strlen(cafile),
	    cafile, strlen(capath), capath);
	strbuf_printf(id, "protocols=%ld-%ld\nmandatory=%d-%d\nciphers=",
	    (long)SSL_CTX_get_min_proto_version(ctx->ssl_ctx),
	    (long)SSL_CTX_get_max_proto_version(ctx->ssl_ctx),
	    ctx->mandatory_min, ctx->mandatory_max);
	for (i = 0; ciphers != NULL && i < sk_SSL_CIPHER_num(ciphers); i++)
		strbuf_printf(id, "%s:",
		    SSL_CIPHER_get_name(sk_SSL_CIPHER_value(ciphers, i)));
}

/* tls_client_context - CAs, protocols and the client session cache */
struct tls_context *
tls_client_context(struct config *cfg, struct strbuf *err)
{
	struct tls_client_settings set;
	struct tls_context *ctx;

	memset(&set, 0, sizeof(set));
	strbuf_reset(err);
	if (config_table_read(cfg, tls_client_params, &set, err) > 0) {
		config_table_release(tls_client_params, &set);
		return (NULL);
	}
	ctx = tls_client_setup(&set, err);
	config_table_release(tls_client_params, &set);
	return (ctx);
}

/* tls_client_setup - tls_client_context() with its settings read */
static struct tls_context *
tls_client_setup(const struct tls_client_settings *set, struct strbuf *err)
{
	struct tls_context *ctx;
	const char *cafile = set->cafile;
	const char *capath = set->capath;
	struct strbuf id;

	if ((ctx = context_new(TLS_client_method(), false, err)) == NULL)
		return (NULL);
	strbuf_init(&id);
	if (apply_protocols(ctx->ssl_ctx, "smtp_tls_protocols",
	    set->protocols, err) != 0 ||
	    parse_protocols("smtp_tls_mandatory_protocols",
	    set->mandatory_protocols,
	    &ctx->mandatory_min, &ctx->mandatory_max, err) != 0)
		goto fail;
	if ((*cafile != '\0' || *capath != '\0') &&
	    SSL_CTX_load_verify_locations(ctx->ssl_ctx,
	    *cafile ? cafile : NULL, *capath ? capath : NULL) != 1) {
		strbuf_printf(err, "cannot load CA certificates from %s%s%s",
		    cafile, *cafile && *capath ? " and " : "", capath);
		ssl_errors(err);
		goto fail;
	}
	/* Verification is judged by the caller (levels may/encrypt go on). */
	SSL_CTX_set_verify(ctx->ssl_ctx, SSL_VERIFY_NONE, verify_callback);
	context_id(ctx, cafile, capath, &id);
	ctx->cache = tls_session_cache_new(set->cache_timeout, id.data);
	strbuf_free(&id);
	SSL_CTX_set_session_cache_mode(ctx->ssl_ctx, SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx->ssl_ctx, new_session);
	return (ctx);

fail:
	strbuf_free(&id);
	tls_context_free(ctx);
	return (NULL);
}

/* tls_context_free - the context and every cached session */
void
tls_context_free(struct tls_context *ctx)
{
	if (ctx == NULL)
		return;
	tls_session_cache_free(ctx->cache);
	SSL_CTX_free(ctx->ssl_ctx);
	free(ctx);
}

/* tls_stream_read - SSL_read_ex as a stream transport */
static ssize_t
tls_stream_read(void *io_ctx, void *buf, size_t len, int *want_write)
{
	SSL *ssl = io_ctx;
	size_t done = 0;

	*want_write = 0;
	ERR_clear_error();
	if (SSL_read_ex(ssl, buf, len, &done) == 1)
		return ((ssize_t)done);
	switch (SSL_get_error(ssl, 0)) {
	case SSL_ERROR_WANT_WRITE:
		*want_write = 1;
		/* FALLTHROUGH */
	case SSL_ERROR_WANT_READ:
		errno = EAGAIN;
		return (-1);
	case SSL_ERROR_ZERO_RETURN:
		return (0);
	default:
		ERR_clear_error();
		if (errno == 0 || errno == EAGAIN || errno == EINTR)
			errno = EIO;
		return (-1);
	}
}

/* tls_stream_write - SSL_write_ex as a stream transport */
static ssize_t
tls_stream_write(void *io_ctx, const void *buf, size_t len, int *want_read)
{
	SSL *ssl = io_ctx;
	size_t done = 0;

	*want_read = 0;
	ERR_clear_error();
	if (SSL_write_ex(ssl, buf, len, &done) == 1)
		return ((ssize_t)done);
	switch (SSL_get_error(ssl, 0)) {
	case SSL_ERROR_WANT_READ:
		*want_read = 1;
		/* FALLTHROUGH */
	case SSL_ERROR_WANT_WRITE:
		errno = EAGAIN;
		return (-1);
	default:
		ERR_clear_error();
		if (errno == 0 || errno == EAGAIN || errno == EINTR)
			errno = EPIPE;
		return (-1);
	}
}

/*
 * handshake - drive SSL_do_handshake with poll until done or the deadline;
 * timeout bounds the whole handshake, not each read (a peer that drips a
 * byte at a time is cut off all the same), and the stream's watched
 * descriptor ends it too (the smtp agent's request withdrawn by qmgr)
 */
static int
handshake(SSL *ssl, struct stream *s, int timeout, struct strbuf *err)
{
	long long deadline = clock_monotonic_ms() + (long long)timeout * 1000;
	int r, ssl_err;
	long long left;

	for (;;) {
		ERR_clear_error();
		errno = 0;
		if ((r = SSL_do_handshake(ssl)) == 1)
			return (0);
		ssl_err = SSL_get_error(ssl, r);
		if (ssl_err != SSL_ERROR_WANT_READ && ssl_err != SSL_ERROR_WANT_WRITE) {
			if (ssl_err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
				strbuf_set(err, errno ? strerror(errno) :
				    "lost connection");
			else
				strbuf_set(err, "handshake failed");
			ssl_errors(err);
			return (-1);
		}
		left = timeout > 0 ? deadline - clock_monotonic_ms() : -1;
		if (timeout > 0 && left <= 0) {
			strbuf_set(err, "timeout");
			return (-1);
		}
		r = stream_poll(s, ssl_err == SSL_ERROR_WANT_READ ? POLLIN :
		    POLLOUT, timeout > 0 ? (int)left : -1);
		if (r == STREAM_CANCELED) {
			strbuf_set(err, stream_status_text(r));
			return (-1);
		}
		if (r < 0) {
			strbuf_printf(err, "poll: %s", strerror(errno));
			return (-1);
		}
	}
}

/* fill_info - what the callers log and put in Received: */
static void
fill_info(SSL *ssl, struct tls_session_info *info)
{
	const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);
	X509 *peer;
	int alg_bits = 0;

	memset(info, 0, sizeof(*info));
	(void)snprintf(info->protocol, sizeof(info->protocol), "%s",
	    SSL_get_version(ssl));
	if (cipher != NULL) {
		(void)snprintf(info->cipher, sizeof(info->cipher), "%s",
		    SSL_CIPHER_get_name(cipher));
		info->bits = SSL_CIPHER_get_bits(cipher, &alg_bits);
	}
	if ((peer = SSL_get1_peer_certificate(ssl)) != NULL) {
		X509_NAME *subject = X509_get_subject_name(peer);

		if (subject != NULL)
			(void)X509_NAME_get_text_by_NID(subject, NID_commonName,
			    info->peer_cn, sizeof(info->peer_cn));
		X509_free(peer);
	}
}

/* attach - run the handshake and, on success, put TLS under the stream */
static int
attach(SSL *ssl, struct stream *s, int timeout, struct tls_session_info *info,
    struct strbuf *err)
{
	int fd = stream_fd(s);

	if (SSL_set_fd(ssl, fd) != 1) {
		strbuf_set(err, "cannot attach TLS to the connection");
		ssl_errors(err);
		SSL_free(ssl);
		return (-1);
	}
	if (handshake(ssl, s, timeout, err) != 0) {
		SSL_free(ssl);
		return (-1);
	}
	fill_info(ssl, info);
	stream_set_io(s, tls_stream_read, tls_stream_write, ssl);
	return (0);
}

/* tls_start_server - server handshake on s */
int
tls_start_server(struct tls_context *ctx, struct stream *s, int timeout,
    struct tls_session_info *info, struct strbuf *err)
{
	SSL *ssl;

	strbuf_reset(err);
	if ((ssl = SSL_new(ctx->ssl_ctx)) == NULL) {
		strbuf_set(err, "cannot create TLS session");
		ssl_errors(err);
		return (-1);
	}
	SSL_set_accept_state(ssl);
	return (attach(ssl, s, timeout, info, err));
}

/*
 * client_verdict - how far the peer of a finished client handshake is
 * trusted.  A fresh handshake was verified as it ran (verify_callback
 * noted a name mismatch); a resumed one made no check at all, and the
 * result it remembers belongs to whichever connection negotiated it, so
 * its certificate is verified again here against this connection's names.
 */
static long
client_verdict(SSL *ssl, const char *const *match_names,
    struct tls_session_info *info)
{
	X509 *peer = SSL_get0_peer_certificate(ssl);
	long	 verify;
	bool	 mismatch;

	info->resumed = SSL_session_reused(ssl) == 1;
	if (info->resumed) {
		SSL_set_ex_data(ssl, tls_mismatch_index, NULL);
		verify = tls_session_recheck(ssl, verify_callback);
	} else
		verify = SSL_get_verify_result(ssl);
	mismatch = SSL_get_ex_data(ssl, tls_mismatch_index) != NULL;
	info->peer_verified = peer != NULL && (verify == X509_V_OK ||
	    (mismatch && verify == X509_V_ERR_HOSTNAME_MISMATCH));
	/* an empty list of names matches nothing, not everything */
	info->peer_name_matched = match_names != NULL &&
	    match_names[0] != NULL && info->peer_verified && !mismatch;
	if (peer == NULL)
		return (X509_V_ERR_UNSPECIFIED);
	if (verify == X509_V_OK && match_names != NULL && match_names[0] == NULL)
		return (X509_V_ERR_HOSTNAME_MISMATCH);
	return (verify);
}

/* tls_start_client - client handshake on s, with SNI, name check, resumption */
int
tls_start_client(struct tls_context *ctx, struct stream *s, int timeout,
    const char *servername, const char *const *match_names,
    bool require_verified, bool mandatory, const char *session_key,
    struct tls_session_info *info, struct strbuf *err)
{
	X509_VERIFY_PARAM *param;
	SSL_SESSION *cached;
	SSL *ssl;
	char	*key = NULL;
	long verify;
	size_t i;

	strbuf_reset(err);
	if ((ssl = SSL_new(ctx->ssl_ctx)) == NULL) {
		strbuf_set(err, "cannot create TLS session");
		ssl_errors(err);
		return (-1);
	}
	SSL_set_connect_state(ssl);
	SSL_set_ex_data(ssl, tls_ex_index, ctx);
	/* as in Postfix: where TLS is required, the mandatory list rules */
	if (mandatory && (SSL_set_min_proto_version(ssl, ctx->mandatory_min) != 1
	    || SSL_set_max_proto_version(ssl, ctx->mandatory_max) != 1)) {
		strbuf_set(err, "cannot set the mandatory protocol range");
		ssl_errors(err);
		SSL_free(ssl);
		return (-1);
	}
	if (servername != NULL && *servername != '\0' &&
	    SSL_set_tlsext_host_name(ssl, servername) != 1) {
		strbuf_printf(err, "bad server name \"%s\"", servername);
		ERR_clear_error();
		SSL_free(ssl);
		return (-1);
	}
	if (match_names != NULL) {
		param = SSL_get0_param(ssl);
		X509_VERIFY_PARAM_set_hostflags(param,
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		for (i = 0; match_names[i] != NULL; i++) {
			if ((i == 0 ? X509_VERIFY_PARAM_set1_host(param,
			    match_names[i], 0) : X509_VERIFY_PARAM_add1_host(param,
			    match_names[i], 0)) != 1) {
				strbuf_printf(err, "bad match name \"%s\"",
				    match_names[i]);
				ERR_clear_error();
				SSL_free(ssl);
				return (-1);
			}
		}
	}
	/*
	 * The full key, not the caller's "[host]:port": a session negotiated
	 * without a name check (or for other names, CAs or protocols) must
	 * not be offered where this connection's checks are required.
	 */
	if (session_key != NULL && *session_key != '\0') {
		key = tls_session_key(ctx->cache, session_key, servername,
		    match_names, require_verified, mandatory);
		SSL_set_ex_data(ssl, tls_key_index, xstrdup(key));
		if ((cached = tls_session_find(ctx->cache, key)) != NULL)
			(void)SSL_set_session(ssl, cached);
	}
	if (attach(ssl, s, timeout, info, err) != 0) {
		if (key != NULL)
			tls_session_forget(ctx->cache, key);
		free(key);
		return (-1);
	}
	verify = client_verdict(ssl, match_names, info);
	if (require_verified && (!info->peer_verified ||
	    (match_names != NULL && !info->peer_name_matched))) {
		strbuf_printf(err, "server certificate verification failed: %s",
		    verify == X509_V_ERR_UNSPECIFIED &&
		    SSL_get0_peer_certificate(ssl) == NULL ? "no certificate" :
		    X509_verify_cert_error_string(verify));
		/* as in Postfix: a session that failed its checks is not kept */
		if (key != NULL)
			tls_session_forget(ctx->cache, key);
		free(key);
		tls_stop(s);
		return (-1);
	}
	free(key);
	return (0);
}

/* tls_stop - close_notify (one non-blocking attempt) and back to plaintext */
void
tls_stop(struct stream *s)
{
	SSL *ssl = stream_io_context(s);

	if (ssl == NULL)
		return;
	ERR_clear_error();
	(void)SSL_shutdown(ssl);
	ERR_clear_error();
	SSL_free(ssl);
	stream_set_io(s, NULL, NULL, NULL);
}
