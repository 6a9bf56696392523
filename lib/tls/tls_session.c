/*
 * tls_session - the smtp client's TLS session cache and the re-check of
 * a resumed session's peer certificate (see tls_session.h for why).
 *
 * The cache is a list in age order, in the memory of one smtp process,
 * bounded by TLS_SESSION_MAX entries and smtp_tls_session_cache_timeout.
 * A key is "serverid&digest": the serverid keeps keys readable, the
 * SHA-256 digest covers every input that decided how far the session's
 * peer was checked, each field length-prefixed so that no two different
 * inputs run together into the same text.  Sessions negotiated under a
 * weaker policy (no name check, another CA list) thus never come back for
 * a stronger one, as Postfix salts its serverid with the protocols,
 * ciphers and trust anchors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "mem.h"
#include "strbuf.h"
#include "tls_session.h"

#define TLS_SESSION_MAX	256	/* sessions kept by one client process */

struct tls_session_entry {
	char		*key;
	SSL_SESSION	*session;
	time_t		 stored;
	struct tls_session_entry *next;
};

struct tls_session_cache {
	long		 timeout;	/* seconds; <= 0: cache nothing */
	char		*context_id;
	struct tls_session_entry *list;	/* oldest first */
	size_t		 count;
};

/* tls_session_cache_new - an empty cache */
struct tls_session_cache *
tls_session_cache_new(long timeout, const char *context_id)
{
	struct tls_session_cache *cache = xcalloc(1, sizeof(*cache));

	cache->timeout = timeout;
	cache->context_id = xstrdup(context_id);
	return (cache);
}

/* entry_drop - unlink and free one entry */
static void
entry_drop(struct tls_session_cache *cache, struct tls_session_entry **link)
{
	struct tls_session_entry *entry = *link;

	*link = entry->next;
	SSL_SESSION_free(entry->session);
	free(entry->key);
	free(entry);
	cache->count--;
}

/* tls_session_cache_free - every entry, then the cache */
void
tls_session_cache_free(struct tls_session_cache *cache)
{
	if (cache == NULL)
		return;
	while (cache->list != NULL)
		entry_drop(cache, &cache->list);
	free(cache->context_id);
	free(cache);
}

/* field - one length-prefixed field of the digested key material */
static void
field(struct strbuf *sb, const char *name, const char *value)
{
	strbuf_printf(sb, "%s=%zu:%s\n", name, strlen(value), value);
}

/*
 * session_md - SHA-256, fetched once: smtp asks for a key at every
 * delivery (its connection cache too), and OpenSSL 3 looks an implicit
 * EVP_sha256() up again at every digest, a quarter of smtp's
 * instructions per relayed message
 */
static const EVP_MD *
session_md(void)
{
	static EVP_MD *fetched;

	if (fetched == NULL)
		fetched = EVP_MD_fetch(NULL, "SHA256", NULL);
	return (fetched != NULL ? fetched : EVP_sha256());
}

static const char hex_digits[] = "0123456789abcdef";

/* tls_session_key - serverid&sha256(everything the trust depended on) */
char *
tls_session_key(const struct tls_session_cache *cache, const char *serverid,
    const char *servername, const char *const *match_names,
    bool require_verified, bool mandatory)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0, i;
	struct strbuf material, key;
	size_t	 n;

	strbuf_init(&material);
	field(&material, "serverid", serverid);
	field(&material, "sni", servername != NULL ? servername : "");
	field(&material, "verified", require_verified ? "required" : "no");
	field(&material, "tls", mandatory ? "required" : "may");
	for (n = 0; match_names != NULL && match_names[n] != NULL; n++)
		field(&material, "match", match_names[n]);
	strbuf_printf(&material, "matches=%zu\n", n);
	field(&material, "context", cache != NULL ? cache->context_id : "");
	strbuf_init(&key);
	strbuf_puts(&key, serverid);
	strbuf_putc(&key, '&');
	if (EVP_Digest(material.data, material.len, md, &md_len, session_md(),
	    NULL) == 1) {
		for (i = 0; i < md_len; i++) {
			strbuf_putc(&key, hex_digits[md[i] >> 4]);
			strbuf_putc(&key, hex_digits[md[i] & 0xf]);
		}
	} else {
		/* no digest: the material itself is the key, only longer */
		strbuf_append(&key, material.data, material.len);
	}
	strbuf_free(&material);
	return (strbuf_detach(&key));
}

/* find_link - the link to the live entry for key; expired ones go on the way */
static struct tls_session_entry **
find_link(struct tls_session_cache *cache, const char *key)
{
	struct tls_session_entry **link = &cache->list;
	time_t	 now = time(NULL);

	while (*link != NULL) {
		if (now - (*link)->stored > cache->timeout) {
			entry_drop(cache, link);
			continue;
		}
		if (strcmp((*link)->key, key) == 0)
			return (link);
		link = &(*link)->next;
	}
	return (NULL);
}

/* tls_session_find - the stored session for key, or NULL */
SSL_SESSION *
tls_session_find(struct tls_session_cache *cache, const char *key)
{
	struct tls_session_entry **link;

	if (cache == NULL || cache->timeout <= 0)
		return (NULL);
	link = find_link(cache, key);
	return (link != NULL ? (*link)->session : NULL);
}

/* tls_session_store - replace what key had; the oldest goes when full */
int
tls_session_store(struct tls_session_cache *cache, const char *key,
    SSL_SESSION *session)
{
	struct tls_session_entry **link, *entry;

	if (cache == NULL || cache->timeout <= 0 ||
	    !SSL_SESSION_is_resumable(session))
		return (0);
	if ((link = find_link(cache, key)) != NULL)
		entry_drop(cache, link);
	if (cache->count >= TLS_SESSION_MAX && cache->list != NULL)
		entry_drop(cache, &cache->list);
	entry = xcalloc(1, sizeof(*entry));
	entry->key = xstrdup(key);
	entry->session = session;
	entry->stored = time(NULL);
	for (link = &cache->list; *link != NULL; link = &(*link)->next)
		;
	*link = entry;
	cache->count++;
	return (1);
}

/* tls_session_forget - drop key's entry, if any */
void
tls_session_forget(struct tls_session_cache *cache, const char *key)
{
	struct tls_session_entry **link;

	if (cache != NULL && (link = find_link(cache, key)) != NULL)
		entry_drop(cache, link);
}

/* tls_session_count - entries held */
size_t
tls_session_count(const struct tls_session_cache *cache)
{
	return (cache != NULL ? cache->count : 0);
}

/*
 * tls_session_recheck - verify a resumed session's peer now.  The steps
 * are OpenSSL's own for a full handshake (its ssl_verify_cert_chain):
 * the context's store, the chain the peer sent (kept in the session),
 * the "ssl_server" defaults, then the parameters of ssl, which carry the
 * names to match; so a resumed session passes exactly when a full
 * handshake with the same certificate would pass today.  The result the
 * session remembers from its own handshake is not consulted: it was
 * judged against whatever that connection asked for.
 */
long
tls_session_recheck(SSL *ssl, SSL_verify_cb cb)
{
	X509 *peer = SSL_get0_peer_certificate(ssl);
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
	X509_STORE *store = SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl));
	X509_STORE_CTX *vctx;
	long	 result = X509_V_ERR_UNSPECIFIED;

	if (peer == NULL || store == NULL || (vctx = X509_STORE_CTX_new()) == NULL)
		return (result);
	if (X509_STORE_CTX_init(vctx, store, peer, chain) == 1 &&
	    X509_STORE_CTX_set_ex_data(vctx,
	    SSL_get_ex_data_X509_STORE_CTX_idx(), ssl) == 1 &&
	    X509_STORE_CTX_set_default(vctx, "ssl_server") == 1 &&
	    X509_VERIFY_PARAM_set1(X509_STORE_CTX_get0_param(vctx),
	    SSL_get0_param(ssl)) == 1) {
		if (cb != NULL)
			X509_STORE_CTX_set_verify_cb(vctx, cb);
		if (X509_verify_cert(vctx) == 1)
			result = X509_STORE_CTX_get_error(vctx);
		else if ((result = X509_STORE_CTX_get_error(vctx)) == X509_V_OK)
			result = X509_V_ERR_UNSPECIFIED;
	}
	X509_STORE_CTX_free(vctx);
	return (result);
}
