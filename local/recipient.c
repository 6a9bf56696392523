/*
 * recipient - decide what kind of delivery an address gets.
 *
 * A request recipient starts a tree: a virtual mailbox address goes to
 * virtual.c; a local address is looked up as an alias, then as a system
 * user (getpwnam on the local part without its extension), whose .forward
 * may expand it further, and finally lands in the user's mailbox.  Loops
 * are stopped by the Delivered-To headers already in the message and by
 * expand.c (one depth limit and one duplicate filter for every kind of
 * expansion in this tree).  Every leaf reports through local_result(),
 * which logs the Postfix-style to= line and folds the outcome into the one
 * status qmgr gets for the recipient.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "local.h"
#include "mem.h"
#include "msg.h"

/* status_rank - which outcome wins when a tree has several */
static int
status_rank(int status)
{
	return (status == 4 ? 3 : status == 5 ? 2 : status == 2 ? 1 : 0);
}

/* local_result - log one leaf delivery and fold it into the recipient */
void
local_result(struct local_state *st, const char *to, int status,
    const char *dsn, const char *fmt, ...)
{
	struct local_result *res = st->result;
	struct deliver_request *req = st->m->req;
	struct strbuf why, orig, full;
	va_list	 ap;

	strbuf_init(&why);
	strbuf_init(&orig);
	strbuf_init(&full);
	va_start(ap, fmt);
	strbuf_vprintf(&why, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < why.len; i++)
		if ((unsigned char)why.data[i] < 0x20)
			why.data[i] = ' ';
	if (strchr(to, '@') == NULL) {
		strbuf_printf(&full, "%s@%s", to, st->d->p.myhostname);
		to = full.data;
	}
	if (strcasecmp(st->rcpt->original, to) != 0)
		strbuf_printf(&orig, " orig_to=<%s>,", st->rcpt->original);
	msg_info("%s: to=<%s>,%s relay=%s, delay=%.2f, dsn=%s, status=%s (%s)",
	    req->queue_id, to, orig.data,
	    req->transport && *req->transport ? req->transport : st->d->service_name,
	    local_now() - st->m->arrival, dsn,
	    status == 2 ? "sent" : status == 4 ? "deferred" : "bounced", why.data);
	res->leaves++;
	if (status_rank(status) > status_rank(res->status)) {
		res->status = status;
		snprintf(res->dsn, sizeof(res->dsn), "%s", dsn);
		strbuf_set(&res->reason, why.data);
	}
	strbuf_free(&why);
	strbuf_free(&orig);
	strbuf_free(&full);
}

/* local_address_is_local - no domain, or a local domain (resolver) */
int
local_address_is_local(struct local_daemon *d, const char *address)
{
	const char *domain = address_domain(address);

	if (*domain == 0)
		return (1);
	return (resolve_is_local(d->resolver, domain));
}

/* local_address_is_virtual - the domain is a virtual mailbox domain */
int
local_address_is_virtual(struct local_daemon *d, const char *address)
{
	const char *domain = address_domain(address);
	enum resolve_class class;

	if (*domain == 0)
		return (0);
	if ((class = resolve_domain_class(d->resolver, domain)) ==
	    RESOLVE_CLASS_NONE)
		return (-1);
	return (class == RESOLVE_CLASS_VIRTUAL);
}

/* split_extension - "user+ext" into user and ext per recipient_delimiter */
static void
split_extension(struct local_daemon *d, const char *local_part,
    struct strbuf *user, struct strbuf *ext)
{
	size_t	 n = resolve_extension(d->resolver, local_part,
	    strlen(local_part));

	strbuf_set(user, local_part);
	strbuf_reset(ext);
	if (n == 0)
		return;
	strbuf_truncate(user, n);
	strbuf_set(ext, local_part + n + 1);
}

/* deliver_mailbox - the user's own mailbox: home_mailbox or the spool */
static void
deliver_mailbox(struct local_state *st, const struct local_privs *user,
    const char *address)
{
	struct local_daemon *d = st->d;
	const char *hm = d->p.home_mailbox;
	struct strbuf path, full;
	size_t	 len = strlen(hm);

	strbuf_init(&path);
	strbuf_init(&full);
	strbuf_set(&full, address);
	if (strchr(address, '@') == NULL)
		strbuf_printf(&full, "@%s", d->p.myhostname);
	address = full.data;
	if (len > 0) {
		strbuf_printf(&path, "%s/%s", user->home, hm);
		if (hm[len - 1] == '/')
			local_maildir(st, path.data, user, d->p.mailbox_size_limit,
			    address);
		else
			local_mbox(st, path.data, user, d->p.mailbox_size_limit,
			    false, true, "mailbox");
	} else {
		strbuf_printf(&path, "%s/%s", d->p.mail_spool_directory, user->user);
		local_mbox(st, path.data, user, d->p.mailbox_size_limit, true,
		    true, "mailbox");
	}
	strbuf_free(&path);
	strbuf_free(&full);
}

/* deliver_local - alias, user, .forward, mailbox */
static void
deliver_local(struct local_state *st, const char *address)
{
	struct local_privs user;
	struct strbuf local, name, ext;

	strbuf_init(&local);
	strbuf_init(&name);
	strbuf_init(&ext);
	address_local_part(address, &local);
	strbuf_lower(&local);
	if (local.len == 0 || local.len > 64 || strchr(local.data, '/') != NULL) {
		local_result(st, address, 5, "5.1.3", "bad address syntax");
		goto out;
	}
	if (!st->no_alias && local_alias(st, local.data))
		goto out;
	split_extension(st->d, local.data, &name, &ext);
	if (local_privs_lookup(name.data, &user) < 0) {
		local_result(st, address, 5, "5.1.1", "unknown user: \"%s\"",
		    local.data);
		goto out;
	}
	if (!st->no_alias && local_forward(st, &user, local.data, ext.data))
		goto out;
	/* one copy per mailbox, however many addresses lead there */
	if (local_expand_step(st, address, LOCAL_STEP_MAILBOX, local.data) ==
	    LOCAL_GO)
		deliver_mailbox(st, &user, address);
out:
	strbuf_free(&local);
	strbuf_free(&name);
	strbuf_free(&ext);
}

/* local_deliver_address - deliver st->address, recursing as needed */
void
local_deliver_address(struct local_state *st)
{
	struct strbuf addr, key;
	int	 virt;

	strbuf_init(&addr);
	strbuf_init(&key);
	strbuf_set(&addr, st->address);
	strbuf_lower(&addr);
	/* nesting and repeats (loops, and addresses reached twice) */
	local_rcpt_key(st->d, addr.data, st->no_alias, &key);
	if (local_expand_step(st, st->address, LOCAL_STEP_RECIPIENT, key.data) !=
	    LOCAL_GO)
		goto out;
	local_rcpt_key(st->d, addr.data, false, &key);
	if (local_headers_loop(st->m, key.data)) {
		local_result(st, st->address, 5, "5.4.6",
		    "mail forwarding loop for %s", key.data);
		goto out;
	}

	virt = local_address_is_virtual(st->d, addr.data);
	if (virt < 0) {
		local_result(st, st->address, 4, "4.3.0",
		    "virtual_mailbox_domains lookup failed");
		goto out;
	}
	if (virt == 0 && strcmp(st->d->service_name, "virtual") == 0 &&
	    local_address_is_local(st->d, addr.data) != 1)
		virt = 1;
	if (virt)
		local_virtual(st);
	else
		deliver_local(st, addr.data);
out:
	strbuf_free(&addr);
	strbuf_free(&key);
}

/* local_walk_rcpt - expand and deliver one request recipient into *res */
void
local_walk_rcpt(struct local_daemon *d, struct local_message *m,
    struct deliver_rcpt *rcpt, struct local_result *res)
{
	struct local_state st;

	memset(res, 0, sizeof(*res));
	strbuf_init(&res->reason);
	local_expand_init(&res->filter, d->p.dup_filter_limit);
	memset(&st, 0, sizeof(st));
	st.d = d;
	st.m = m;
	st.rcpt = rcpt;
	st.result = res;
	st.address = rcpt->address;
	st.sender = m->req->sender;
	local_deliver_address(&st);
	if (res->status == 0)
		/* every branch ended in a repeat: an alias/forward/include loop */
		local_result(&st, rcpt->address, 5, "5.4.6",
		    "mail forwarding loop for %s", rcpt->address);
}

/* local_result_free - what local_walk_rcpt() left in *res */
void
local_result_free(struct local_result *res)
{
	strbuf_free(&res->reason);
	local_expand_free(&res->filter);
}

/* local_deliver_rcpt - one request recipient: expand, deliver, fold */
void
local_deliver_rcpt(struct local_daemon *d, struct local_message *m,
    struct deliver_rcpt *rcpt)
{
	struct local_result res;

	local_walk_rcpt(d, m, rcpt, &res);
	deliver_rcpt_status(rcpt, res.status, res.dsn, "%s", res.reason.data);
	local_result_free(&res);
}
