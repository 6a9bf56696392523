/*
 * dnsbl_cache - DNSBL lookups of one SMTP session (dnsbl.h).
 *
 * Each query name has one entry: its A query is sent by dnsbl_start()
 * and collected by dnsbl_lookup(), its TXT query only when a reply wants
 * $rbl_reason.  Queries in flight are libunbound's: a session that starts
 * five lists waits once, for the slowest.  The answer is kept as the
 * list of 127/8 addresses it gave, so that lists named with different
 * filters (zen=127.0.0.2, zen=127.0.0.[10;11]) share one query, as in
 * Postfix.  Entries are few (a session has one client, one HELO and a
 * handful of senders), so a small array searched linearly does; when
 * DNSBL_CACHE_MAX is reached the oldest answered entry makes room.
 *
 * The cache lives in the session's process and dies with the session:
 * a DNSBL lookup costs no process hop and no file.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns_impl.h"
#include "dnsbl.h"
#include "mem.h"
#include "msg.h"

#define ANSWER_ADDR_MAX	32	/* A records kept per answer */

struct dnsbl_entry {
	char			*query;
	struct dns_pending	 a_query;
	struct dns_pending	 txt_query;
	bool			 answered;
	enum dnsbl_verdict	 status;	/* LISTED: addrs holds the answer */
	unsigned char		 addrs[ANSWER_ADDR_MAX][4];
	size_t			 addr_count;
	bool			 reason_done;
	char			*reason;
};

struct dnsbl_cache {
	struct dnsbl_entry	*entries[DNSBL_CACHE_MAX];
	size_t			 count;
};

/* dnsbl_cache_create - an empty cache */
struct dnsbl_cache *
dnsbl_cache_create(void)
{
	return (xcalloc(1, sizeof(struct dnsbl_cache)));
}

/* entry_free - cancel what is in flight, release the rest */
static void
entry_free(struct dnsbl_entry *e)
{
	dns_query_cancel(&e->a_query);
	dns_query_cancel(&e->txt_query);
	free(e->query);
	free(e->reason);
	free(e);
}

/* dnsbl_cache_free - every entry, queries in flight cancelled */
void
dnsbl_cache_free(struct dnsbl_cache *cache)
{
	size_t i;

	if (cache == NULL)
		return;
	for (i = 0; i < cache->count; i++)
		entry_free(cache->entries[i]);
	free(cache);
}

/* find - the entry of query, or NULL (DNS names compare without case) */
static struct dnsbl_entry *
find(struct dnsbl_cache *cache, const char *query)
{
	size_t i;

	for (i = 0; i < cache->count; i++)
		if (strcasecmp(cache->entries[i]->query, query) == 0)
			return (cache->entries[i]);
	return (NULL);
}

/* make_room - drop the oldest answered entry (or the oldest) when full */
static void
make_room(struct dnsbl_cache *cache)
{
	size_t victim = 0, i;

	if (cache->count < DNSBL_CACHE_MAX)
		return;
	for (i = 0; i < cache->count; i++)
		if (cache->entries[i]->answered && !cache->entries[i]->txt_query.active) {
			victim = i;
			break;
		}
	entry_free(cache->entries[victim]);
	memmove(cache->entries + victim, cache->entries + victim + 1,
	    (cache->count - victim - 1) * sizeof(cache->entries[0]));
	cache->count--;
}

/* entry_get - the entry of query, created (and its A query sent) if new */
static struct dnsbl_entry *
entry_get(struct dnsbl_cache *cache, const char *query)
{
	struct dnsbl_entry *e;
	struct strbuf why;

	if ((e = find(cache, query)) != NULL)
		return (e);
	make_room(cache);
	e = xcalloc(1, sizeof(*e));
	e->query = xstrdup(query);
	strbuf_init(&why);
	if (!dns_name_valid(query)) {
		msg_warn("%s: RBL lookup error: invalid query name", query);
		e->answered = true;
		e->status = DNSBL_TEMPFAIL;
	} else if (dns_query_start(query, DNS_RR_A, &e->a_query, &why) != 0) {
		msg_warn("%s: RBL lookup error: %s", query, why.data);
		e->answered = true;
		e->status = DNSBL_TEMPFAIL;
	}
	strbuf_free(&why);
	cache->entries[cache->count++] = e;
	return (e);
}

/* dnsbl_start - send the A query now, collect it later */
void
dnsbl_start(struct dnsbl_cache *cache, const char *query)
{
	(void)entry_get(cache, query);
}

/* keep_answer - the usable A records of an answer; junk is logged */
static void
keep_answer(struct dnsbl_entry *e, const struct dns_answer *ans)
{
	size_t i;
	const unsigned char *a;

	for (i = 0; i < ans->count; i++) {
		a = ans->data[i];
		if (ans->len[i] != 4) {
			msg_warn("%s: RBL lookup error: A record of %zu bytes "
			    "ignored", e->query, ans->len[i]);
			continue;
		}
		if (a[0] != 127) {
			msg_warn("%s: RBL lookup: answer %u.%u.%u.%u is not in "
			    "127.0.0.0/8, ignored", e->query, a[0], a[1], a[2], a[3]);
			continue;
		}
		if (e->addr_count < ANSWER_ADDR_MAX)
			memcpy(e->addrs[e->addr_count++], a, 4);
	}
}

/* collect - wait for the A answer of e, once */
static void
collect(struct dnsbl_entry *e)
{
	struct dns_answer ans;
	struct strbuf why;

	if (e->answered)
		return;
	strbuf_init(&why);
	switch (dns_query_finish(&e->a_query, e->query, &ans, &why)) {
	case DNS_OK:
		keep_answer(e, &ans);
		e->status = DNSBL_LISTED;
		break;
	case DNS_NOTFOUND:
		e->status = DNSBL_UNLISTED;
		break;
	default:
		msg_warn("%s: RBL lookup error: %s", e->query, why.data);
		e->status = DNSBL_TEMPFAIL;
		break;
	}
	e->answered = true;
	dns_answer_free(&ans);
	strbuf_free(&why);
}

/* dnsbl_lookup - wait for query's answer and judge it for list */
enum dnsbl_verdict
dnsbl_lookup(struct dnsbl_cache *cache, const char *query,
    const struct dnsbl_list *list)
{
	struct dnsbl_entry *e = entry_get(cache, query);
	const unsigned char *a;
	size_t i;

	collect(e);
	if (e->status != DNSBL_LISTED)
		return (e->status);
	for (i = 0; i < e->addr_count; i++) {
		a = e->addrs[i];
		if (list->filtered) {
			if (dnsbl_filter_match(&list->filter, a))
				return (DNSBL_LISTED);
		} else if (a[1] == 255 && a[2] == 255) {
			msg_warn("%s: RBL lookup: answer %u.%u.%u.%u is an error "
			    "code of the list, not a listing: ignored", query,
			    a[0], a[1], a[2], a[3]);
		} else
			return (DNSBL_LISTED);
	}
	return (DNSBL_UNLISTED);
}

/* dnsbl_reason - the TXT text of query, fetched once */
const char *
dnsbl_reason(struct dnsbl_cache *cache, const char *query)
{
	struct dnsbl_entry *e = entry_get(cache, query);
	struct dns_answer ans;
	struct strbuf why, text;
	size_t i;

	if (e->reason_done)
		return (e->reason);
	e->reason_done = true;
	strbuf_init(&why);
	strbuf_init(&text);
	if (dns_query_start(query, DNS_RR_TXT, &e->txt_query, &why) == 0 &&
	    dns_query_finish(&e->txt_query, query, &ans, &why) == DNS_OK) {
		for (i = 0; i < ans.count && text.len < DNSBL_REASON_MAX; i++) {
			if (i > 0 && text.len + 3 < DNSBL_REASON_MAX)
				strbuf_puts(&text, " / ");
			dns_txt_decode(ans.data[i], ans.len[i], DNSBL_REASON_MAX, &text);
		}
		dns_answer_free(&ans);
	}
	e->reason = strbuf_detach(&text);
	strbuf_free(&why);
	return (e->reason);
}
