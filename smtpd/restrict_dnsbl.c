/*
 * restrict_dnsbl - the DNS list restrictions: reject_rbl_client,
 * reject_rhsbl_client, reject_rhsbl_reverse_client, reject_rhsbl_helo,
 * reject_rhsbl_sender, reject_rhsbl_recipient, permit_dnswl_client and
 * permit_rhswl_client (restrict.h; the lists themselves: lib/dns/dnsbl.h).
 *
 * Each step's argument ("domain=filter") is parsed at load.  When a
 * session reaches one of these restrictions, the queries of that step and
 * of the DNS list steps after it in the same list (up to one that may
 * permit) are sent at once (see prefetch), and the later steps find their
 * answers waiting in the session's cache: the lists of a restriction list
 * cost one round trip, and a name is asked once per session.  The cache is the session's (struct
 * smtpd_session), in this process: no file, no process hop.
 *
 * As in Postfix: a list that cannot be asked (timeout, SERVFAIL) decides
 * nothing (a warning is logged, the restriction is skipped); an allow
 * list that cannot be asked is DEFER_IF_REJECT; an allow list never
 * lets a client past reject_unauth_destination (in the recipient stage
 * it permits only mail for our destinations).  The reply of a listed
 * client comes from rbl_reply_maps (the argument, then its domain) or
 * default_rbl_reply, expanded with the $rbl_* names and the session's.
 *
 * Parameters: default_rbl_reply, rbl_reply_maps, maps_rbl_reject_code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dnsbl.h"
#include "maps.h"
#include "mem.h"
#include "msg.h"
#include "restrict_builtin.h"
#include "smtpd.h"

/* What a step's subject is, and what it does when listed. */
enum dnsxl_subject {
	SUBJECT_CLIENT_ADDR,
	SUBJECT_CLIENT_NAME,
	SUBJECT_REVERSE_NAME,
	SUBJECT_HELO,
	SUBJECT_SENDER,
	SUBJECT_RECIPIENT,
};

struct dnsxl_step {
	struct dnsbl_list	 list;
	enum dnsxl_subject	 subject;
	bool			 allow;		/* permit_dnswl/rhswl: OK */
};

static const struct {
	const char		*name;
	enum dnsxl_subject	 subject;
	bool			 allow;
} kinds[] = {
	{ "reject_rbl_client", SUBJECT_CLIENT_ADDR, false },
	{ "reject_rbl", SUBJECT_CLIENT_ADDR, false },
	{ "permit_dnswl_client", SUBJECT_CLIENT_ADDR, true },
	{ "reject_rhsbl_client", SUBJECT_CLIENT_NAME, false },
	{ "permit_rhswl_client", SUBJECT_CLIENT_NAME, true },
	{ "reject_rhsbl_reverse_client", SUBJECT_REVERSE_NAME, false },
	{ "reject_rhsbl_helo", SUBJECT_HELO, false },
	{ "reject_rhsbl_sender", SUBJECT_SENDER, false },
	{ "reject_rhsbl_recipient", SUBJECT_RECIPIENT, false },
};

/* class_of - Postfix's $rbl_class of a subject */
static const char *
class_of(enum dnsxl_subject subject)
{
	switch (subject) {
	case SUBJECT_CLIENT_ADDR:
	case SUBJECT_CLIENT_NAME:
		return ("Client host");
	case SUBJECT_REVERSE_NAME:
		return ("Unverified Client host");
	case SUBJECT_HELO:
		return ("Helo command");
	case SUBJECT_SENDER:
		return ("Sender address");
	default:
		return ("Recipient address");
	}
}

/* subject_of - what a step looks up now, or NULL (nothing to look up) */
static const char *
subject_of(const struct restrict_ctx *ctx, enum dnsxl_subject subject)
{
	const struct smtpd_peer *peer = &ctx->session->peer;
	const char *v;

	switch (subject) {
	case SUBJECT_CLIENT_ADDR:
		v = ctx->client_addr;
		break;
	case SUBJECT_CLIENT_NAME:
		v = ctx->client_name;
		break;
	case SUBJECT_REVERSE_NAME:
		v = peer->reverse_name;
		break;
	case SUBJECT_HELO:
		v = ctx->helo;
		break;
	case SUBJECT_SENDER:
		v = ctx->sender;
		break;
	default:
		v = ctx->recipient;
		break;
	}
	if (v == NULL || *v == '\0' || strcasecmp(v, "unknown") == 0)
		return (NULL);
	return (v);
}

/* query_of - the query name of step for what; 0, 1 nothing, -1 too long */
static int
query_of(const struct dnsxl_step *d, const char *what, struct strbuf *query)
{
	if (d->subject == SUBJECT_CLIENT_ADDR)
		return (dnsbl_addr_query(what, d->list.domain, query));
	return (dnsbl_name_query(what, d->list.domain, query));
}

/* cache_of - the session's cache, made at first use */
static struct dnsbl_cache *
cache_of(struct restrict_ctx *ctx)
{
	struct smtpd_session *s = ctx->session;

	if (s->dnsbl == NULL)
		s->dnsbl = dnsbl_cache_create();
	return (s->dnsbl);
}

/* list_of - the list (a stage's or a class's) that holds step, or NULL */
static const struct restrict_list *
list_of(const struct restrict_rules *rules, const struct restrict_step *step)
{
	const struct restrict_list *l;
	size_t i, n = RESTRICTION_STAGES + rules->class_count;

	for (i = 0; i < n; i++) {
		l = i < RESTRICTION_STAGES ? &rules->stages[i] :
		    &rules->classes[i - RESTRICTION_STAGES];
		if (l->count > 0 && step >= l->steps && step < l->steps + l->count)
			return (l);
	}
	return (NULL);
}

/*
 * may_permit - can this step end the list with a permit?  A class, a
 * table, a policy server and every permit_* can; reject_*, defer_*,
 * warn_if_reject and sleep cannot.
 */
static bool
may_permit(const struct restrict_step *st)
{
	const char *name = st->word->name;

	if (st->handler == NULL)
		return (true);
	return (strncasecmp(name, "reject", 6) != 0 &&
	    strncasecmp(name, "defer", 5) != 0 &&
	    strcasecmp(name, "warn_if_reject") != 0 &&
	    strcasecmp(name, "sleep") != 0);
}

/*
 * prefetch - send the queries of step and of the DNS list steps after it
 * in its list, so that they are answered together; up to the first step
 * that may permit (an allow list included): a client that Postfix would
 * not have looked up in a list, since something permitted it first,
 * must not be shown to that list's operator.  Steps that can only
 * refuse do not stop the run: a refused client asked one list too many
 * reveals nothing the lists before did not.
 */
static void
prefetch(struct restrict_ctx *ctx, const struct restrict_step *step)
{
	const struct restrict_list *list = list_of(ctx->rules, step);
	const struct restrict_step *st, *end;
	const struct dnsxl_step *d;
	struct strbuf query;
	const char *what;

	if (list == NULL)
		return;
	strbuf_init(&query);
	end = list->steps + list->count;
	for (st = step; st < end; st++) {
		if (st->handler == NULL || st->handler->run != restrict_dnsxl ||
		    (d = st->data) == NULL) {
			if (may_permit(st))
				break;
			continue;
		}
		if ((what = subject_of(ctx, d->subject)) != NULL &&
		    query_of(d, what, &query) == 0)
			dnsbl_start(cache_of(ctx), query.data);
		if (d->allow)
			break;
	}
	strbuf_free(&query);
}

/*
 * reply_template - the rbl_reply_maps entry of the step's argument or of
 * its domain, else default_rbl_reply; NULL when a table failed
 */
static const char *
reply_template(const struct smtpd_config *cfg, const struct dnsbl_list *l,
    struct strbuf *found)
{
	int r;

	if (cfg->rbl_reply_maps == NULL)
		return (cfg->default_rbl_reply);
	r = map_list_lookup(cfg->rbl_reply_maps, l->arg, found);
	if (r == MAP_NOTFOUND && strcmp(l->arg, l->domain) != 0)
		r = map_list_lookup(cfg->rbl_reply_maps, l->domain, found);
	if (r == MAP_TEMPFAIL) {
		msg_warn("rbl_reply_maps: lookup of %s failed", l->arg);
		return (NULL);
	}
	return (r == MAP_FOUND ? found->data : cfg->default_rbl_reply);
}

/* listed_reply - the refusal of a listed subject (Postfix's wording) */
static enum restrict_result
listed_reply(struct restrict_ctx *ctx, const struct dnsxl_step *d,
    const char *what, const char *query)
{
	const struct smtpd_config *cfg = ctx->session->cfg;
	struct smtpd_expand names = { ctx->session, ctx->sender, ctx->recipient,
	    { 0 } };
	struct dnsbl_reply_vars v;
	struct strbuf found, reply, why;
	const char *tmpl;
	enum restrict_result rc;
	char *text;
	bool ok;
	int code;

	strbuf_init(&found);
	strbuf_init(&reply);
	strbuf_init(&why);
	strbuf_init(&names.buf);
	if ((tmpl = reply_template(cfg, &d->list, &found)) == NULL) {
		rc = restrict_server_error(ctx);
		goto done;
	}
	v.code = (int)cfg->maps_rbl_code;
	v.domain = d->list.domain;
	v.what = what;
	v.class = class_of(d->subject);
	/* the TXT query only when the reply shows it */
	v.reason = strstr(tmpl, "rbl_reason") != NULL ||
	    strstr(tmpl, "rbl_txt") != NULL ?
	    dnsbl_reason(cache_of(ctx), query) : "";
	v.next = smtpd_expand_lookup;
	v.next_ctx = &names;
	ok = dnsbl_reply_format(tmpl, &v, &reply, &why) == 0;
	if (!ok && tmpl != cfg->default_rbl_reply) {
		msg_warn("bad rbl_reply_maps template for %s: %s", d->list.arg,
		    why.data);
		strbuf_reset(&why);
		ok = dnsbl_reply_format(cfg->default_rbl_reply, &v, &reply,
		    &why) == 0;
	}
	if (!ok) {
		/* sluice check refuses such a default_rbl_reply */
		msg_warn("rbl response code configuration error: %s", why.data);
		rc = restrict_reject(ctx, RESTRICT_ERR_POLICY, 450, "4.7.1",
		    "Service unavailable");
		goto done;
	}
	/* "CODE X.Y.Z text", as dnsbl_reply_format makes it */
	code = atoi(reply.data);
	text = strchr(reply.data + 4, ' ');
	*text++ = '\0';
	rc = restrict_reject(ctx, RESTRICT_ERR_POLICY, code, reply.data + 4,
	    "%s", text);
done:
	strbuf_free(&found);
	strbuf_free(&reply);
	strbuf_free(&why);
	strbuf_free(&names.buf);
	return (rc);
}

/* restrict_dnsxl - the handler of every DNS list restriction */
enum restrict_result
restrict_dnsxl(struct restrict_ctx *ctx, const struct restrict_step *step)
{
	const struct dnsxl_step *d = step->data;
	enum restrict_result rc = RESTRICT_DUNNO;
	enum dnsbl_verdict verdict;
	struct strbuf query;
	const char *what;
	int made;

	if ((what = subject_of(ctx, d->subject)) == NULL)
		return (RESTRICT_DUNNO);
	/* an allow list never lets mail through to other destinations */
	if (d->allow && ctx->recipient != NULL &&
	    restrict_destination_authorized(ctx, ctx->recipient) != 1)
		return (RESTRICT_DUNNO);
	strbuf_init(&query);
	if ((made = query_of(d, what, &query)) != 0) {
		if (made < 0)
			msg_warn("%s: the query name of %s under %s would be too "
			    "long for DNS: skipped", step->word->name, what,
			    d->list.domain);
		goto done;
	}
	prefetch(ctx, step);
	verdict = dnsbl_lookup(cache_of(ctx), query.data, &d->list);
	if (verdict == DNSBL_LISTED)
		rc = d->allow ? restrict_permit(ctx, step) :
		    listed_reply(ctx, d, what, query.data);
	else if (verdict == DNSBL_TEMPFAIL && d->allow)
		rc = restrict_defer_if_reject(ctx, RESTRICT_ERR_POLICY, 450,
		    "4.7.1", "<%s>: %s rejected: Service unavailable", what,
		    class_of(d->subject));
done:
	strbuf_free(&query);
	return (rc);
}

/* restrict_dnsxl_prepare - the parsed argument of a step, at load */
int
restrict_dnsxl_prepare(struct restrict_step *step, struct smtpd_config *sc,
    struct strbuf *err)
{
	struct dnsxl_step *d;
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcasecmp(kinds[i].name, step->word->name) == 0)
			break;
	if (i == sizeof(kinds) / sizeof(kinds[0]) || step->word->arg == NULL) {
		strbuf_printf(err, "%s: no DNS list restriction with a domain",
		    step->word->name);
		return (-1);
	}
	d = xcalloc(1, sizeof(*d));
	d->subject = kinds[i].subject;
	d->allow = kinds[i].allow;
	if (dnsbl_list_parse(step->word->arg, &d->list, err) != 0) {
		free(d);
		return (-1);
	}
	step->data = d;
	return (restrict_needs_dns(step, sc, err));
}

/* restrict_dnsxl_release - what restrict_dnsxl_prepare made */
void
restrict_dnsxl_release(struct restrict_step *step)
{
	struct dnsxl_step *d = step->data;

	if (d != NULL) {
		dnsbl_list_free(&d->list);
		free(d);
		step->data = NULL;
	}
}
