/*
 * tls_session - the smtp client's TLS session cache, and the check of a
 * resumed session's peer against the policy of the connection that
 * resumes it.  Internal to lib/tls/tls.c (hence the OpenSSL types), except
 * tls_session_key, which smtp/tls.c also uses (with no cache) to key a
 * reused connection by the TLS policy it was made under.
 *
 * A session is only as trustworthy as the checks made when it was
 * negotiated, and a resumed handshake makes none: so a session is stored
 * under a key that carries everything those checks depended on (the
 * caller's server identity and level, the SNI name, the names the
 * certificate had to match, whether verification and TLS were required,
 * and the context's CA files, protocol ranges and ciphers), and a resumed
 * session's certificate is verified again, now, before it is believed.
 */
#ifndef SLUICE_TLS_SESSION_H
#define SLUICE_TLS_SESSION_H

#include <stdbool.h>

#include <openssl/ssl.h>

struct tls_session_cache;

/*
 * tls_session_cache_new - an empty cache whose entries live timeout
 * seconds (<= 0: nothing is cached); context_id names what the client
 * context decides once for all of its sessions (CA files, protocols,
 * ciphers), and goes into every key
 */
struct tls_session_cache *tls_session_cache_new(long timeout,
	    const char *context_id);
void	tls_session_cache_free(struct tls_session_cache *cache);

/*
 * tls_session_key - the cache key of one connection (free() it):
 * serverid (the caller's "[host]:port:level"), then a digest of the SNI
 * name, the names to match (NULL: none), require_verified, mandatory
 * and the context id
 */
char	*tls_session_key(const struct tls_session_cache *cache,
	    const char *serverid, const char *servername,
	    const char *const *match_names, bool require_verified,
	    bool mandatory);

/* tls_session_find - the live session stored under key (borrowed), or NULL */
SSL_SESSION *tls_session_find(struct tls_session_cache *cache, const char *key);
/* tls_session_store - keep session under key; 1: the reference is taken */
int	tls_session_store(struct tls_session_cache *cache, const char *key,
	    SSL_SESSION *session);
/* tls_session_forget - drop what is stored under key (a failed check) */
void	tls_session_forget(struct tls_session_cache *cache, const char *key);
/* tls_session_count - entries held (for the tests) */
size_t	tls_session_count(const struct tls_session_cache *cache);

/*
 * tls_session_recheck - verify the peer certificate of a resumed session
 * now, exactly as the handshake of ssl would have: the context's trust
 * store, the names and flags set on ssl, callback cb (which may let a
 * name mismatch pass and record it).  The verification result
 * (X509_V_OK or an X509_V_ERR_*); no certificate: X509_V_ERR_UNSPECIFIED.
 */
long	tls_session_recheck(SSL *ssl, SSL_verify_cb cb);

#endif
