/*
 * alias - aliases(5) lookups and the expansion of destination lists.
 *
 * The same list syntax serves aliases, .forward and :include: files:
 * comma- or newline-separated entries, each an address, "\user" (the
 * user's mailbox, no further expansion), "/file", "|command" or
 * ":include:/path"; double quotes protect commas and spaces; in files a
 * line starting with '#' is a comment.  Files and commands run with the
 * identity that owns the list (an alias table owned by root gets
 * default_privs) and only when allow_mail_to_files/commands allows the
 * list's class.  Addresses that this agent delivers itself (local and
 * virtual mailbox domains) recurse in-process; anything else, or anything
 * virtual_alias_maps rewrites, is re-injected as one new message per list
 * (forward_inject.c).  With owner_request_special, a list NAME that has an
 * owner-NAME alias sends its forwarded copies from owner-NAME@myhostname.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "local.h"
#include "mem.h"
#include "msg.h"

#define ALIAS_TOKEN_MAX	4096

/* alias_lookup - first table holding key; which table in *which */
static int
alias_lookup(struct local_daemon *d, const char *key, struct strbuf *value,
    size_t *which)
{
	for (size_t i = 0; i < d->alias_count; i++) {
		int	 rc = map_lookup(d->alias_maps[i].map, key, value);

		if (rc != MAP_NOTFOUND) {
			*which = i;
			return (rc);
		}
	}
	return (MAP_NOTFOUND);
}

/* table_privs - owner of an alias table, default_privs for root */
static int
table_privs(struct local_daemon *d, const struct local_alias_map *am,
    struct local_privs *out)
{
	if (am->uid != 0)
		return (local_privs_from_uid(am->uid, am->gid, out));
	if (local_privs_lookup(d->p.default_privs, out) < 0 || out->uid == 0)
		return (-1);
	return (0);
}

/* local_alias - expand local_part if it is an alias; 1 = handled */
int
local_alias(struct local_state *st, const char *local_part)
{
	struct local_daemon *d = st->d;
	struct local_privs privs;
	struct strbuf value, key, owner, step;
	const char *sender = st->sender;
	size_t	 which = 0, n;
	int	 rc;

	if (d->alias_count == 0)
		return (0);
	strbuf_init(&value);
	strbuf_init(&key);
	strbuf_init(&owner);
	strbuf_init(&step);
	strbuf_set(&key, local_part);
	rc = alias_lookup(d, key.data, &value, &which);
	if (rc == MAP_NOTFOUND && (n = resolve_extension(d->resolver,
	    local_part, strlen(local_part))) > 0) {
		strbuf_truncate(&key, n);
		rc = alias_lookup(d, key.data, &value, &which);
	}
	if (rc == MAP_NOTFOUND)
		goto out;
	if (rc == MAP_TEMPFAIL) {
		local_result(st, st->address, 4, "4.3.0",
		    "alias database unavailable");
		goto out;
	}
	/*
	 * An alias is expanded once per recipient, however many addresses
	 * reach it (other domains of ours, extensions: list+1, list+2, ...):
	 * the entries were all taken the first time, and reading them again
	 * per address would multiply the work by the length of the list.
	 */
	strbuf_printf(&step, "%zu %s", which, key.data);
	if (local_expand_step(st, st->address, LOCAL_STEP_ALIAS, step.data) !=
	    LOCAL_GO)
		goto out;
	if (table_privs(d, &d->alias_maps[which], &privs) < 0) {
		local_result(st, st->address, 4, "4.3.5",
		    "cannot find default_privs user \"%s\" (or it is root)",
		    d->p.default_privs);
		goto out;
	}
	if (d->p.owner_request_special && strncmp(key.data, "owner-", 6) != 0) {
		struct strbuf ignored;
		size_t	 w;

		strbuf_init(&ignored);
		strbuf_printf(&owner, "owner-%s", key.data);
		if (alias_lookup(d, owner.data, &ignored, &w) == MAP_FOUND) {
			strbuf_printf(&owner, "@%s", d->p.myhostname);
			sender = owner.data;
		}
		strbuf_free(&ignored);
	}
	local_expand_list(st, value.data, LOCAL_CLASS_ALIAS, &privs, sender,
	    st->address);
out:
	strbuf_free(&value);
	strbuf_free(&key);
	strbuf_free(&owner);
	strbuf_free(&step);
	return (rc != MAP_NOTFOUND);
}

/* next_token - one list entry; returns false at the end of text */
static bool
next_token(const char **textp, struct strbuf *tok)
{
	const char *p = *textp;
	bool	 quoted = false, line_start = true;

	strbuf_reset(tok);
	for (;;) {
		/* skip separators and comment lines */
		while (*p == ',' || isspace((unsigned char)*p)) {
			if (*p == '\n')
				line_start = true;
			p++;
		}
		if (*p == '#' && line_start) {
			while (*p && *p != '\n')
				p++;
			continue;
		}
		break;
	}
	if (*p == 0) {
		*textp = p;
		return (false);
	}
	for (; *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && (*p == ',' || *p == '\n'))
			break;
		if (tok->len < ALIAS_TOKEN_MAX)
			strbuf_putc(tok, *p);
	}
	*textp = p;
	strbuf_trim(tok);
	/* "|cmd arg", "/path with space": the whole entry quoted */
	if (tok->len >= 2 && tok->data[0] == '"' && tok->data[tok->len - 1] == '"') {
		memmove(tok->data, tok->data + 1, tok->len - 2);
		strbuf_truncate(tok, tok->len - 2);
	}
	return (true);
}

/* same_local_address - does token name the address being expanded */
static bool
same_local_address(struct local_daemon *d, const char *a, const char *b)
{
	struct strbuf la, lb;
	bool	 same;

	if (strcasecmp(a, b) == 0)
		return (true);
	if (local_address_is_local(d, a) != 1 || local_address_is_local(d, b) != 1)
		return (false);
	strbuf_init(&la);
	strbuf_init(&lb);
	address_local_part(a, &la);
	address_local_part(b, &lb);
	same = strcasecmp(la.data, lb.data) == 0;
	strbuf_free(&la);
	strbuf_free(&lb);
	return (same);
}

/* needs_forwarding - an address this agent does not deliver itself */
static int
needs_forwarding(struct local_daemon *d, const char *address)
{
	/* a virtual alias (or a table failure): cleanup expands it */
	if (resolve_alias_match(d->resolver, address) != 0)
		return (1);
	if (local_address_is_local(d, address) == 1 ||
	    local_address_is_virtual(d, address) == 1)
		return (0);
	return (1);
}

/* address_ok - a plausible address: bounded, no controls or spaces */
static bool
address_ok(const char *a)
{
	size_t	 len = strlen(a);

	if (len == 0 || len > SMTP_ADDRESS_MAX)
		return (false);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)a[i] <= 0x20 || a[i] == 0x7f)
			return (false);
	return (true);
}

/* entry_step - the filter's verdict on a "|command" or "/file" entry */
static enum local_verdict
entry_step(struct local_state *child, const char *to, enum local_step kind,
    const struct local_privs *privs, const char *entry)
{
	struct strbuf name;
	enum local_verdict v;

	strbuf_init(&name);
	strbuf_printf(&name, "%ld %s", privs ? (long)privs->uid : -1L, entry);
	v = local_expand_step(child, to, kind, name.data);
	strbuf_free(&name);
	return (v);
}

/* local_expand_list - deliver every entry of an alias/forward/include list */
void
local_expand_list(struct local_state *st, const char *text, unsigned source,
    const struct local_privs *privs, const char *sender,
    const char *delivered_to)
{
	struct local_daemon *d = st->d;
	struct strlist forward;
	struct strbuf tok, key;
	const char *p = text;

	strlist_init(&forward);
	strbuf_init(&tok);
	strbuf_init(&key);
	while (next_token(&p, &tok)) {
		struct local_state child = *st;
		char	*t = tok.data;

		child.parent = st->address;
		child.depth = st->depth + 1;
		child.source = source;
		child.privs = privs;
		child.sender = sender;
		child.no_alias = false;
		child.address = t;
		if (tok.len == 0)
			continue;
		if (*t == '|') {
			if (entry_step(&child, st->address, LOCAL_STEP_COMMAND, privs,
			    t + 1) != LOCAL_GO)
				continue;
			if ((d->p.allow_commands & source) == 0)
				local_result(&child, st->address, 5, "5.7.1",
				    "mail to command is restricted");
			else
				local_pipe(&child, t + 1, privs);
		} else if (*t == '/') {
			if (entry_step(&child, st->address, LOCAL_STEP_FILE, privs,
			    t) != LOCAL_GO)
				continue;
			if ((d->p.allow_files & source) == 0)
				local_result(&child, st->address, 5, "5.7.1",
				    "mail to file is restricted");
			else
				local_file(&child, t, privs);
		} else if (strncasecmp(t, ":include:", 9) == 0) {
			child.address = st->address;
			local_include(&child, t + 9, source);
		} else {
			if (*t == '\\') {
				child.no_alias = true;
				child.address = ++t;
			}
			if (*t == '<' && t[strlen(t) - 1] == '>') {
				t[strlen(t) - 1] = 0;
				child.address = ++t;
			}
			if (!address_ok(t)) {
				/* reported once, as any other address */
				if (local_expand_step(&child, st->address,
				    LOCAL_STEP_RECIPIENT, t) == LOCAL_GO)
					local_result(&child, st->address, 5,
					    "5.1.3", "bad address syntax in list: "
					    "\"%.100s\"", t);
				continue;
			}
			if (!child.no_alias && same_local_address(d, t, st->address))
				child.no_alias = true;
			if (!child.no_alias && needs_forwarding(d, t)) {
				/*
				 * The one filter also makes forward[] unique
				 * (up to duplicate_filter_limit, as Postfix)
				 */
				local_rcpt_key(d, t, false, &key);
				if (local_expand_step(&child, st->address,
				    LOCAL_STEP_REMOTE, key.data) == LOCAL_GO)
					strlist_add(&forward, t);
			} else {
				local_deliver_address(&child);
			}
		}
	}
	if (forward.count > 0)
		local_forward_inject(st, &forward, sender, delivered_to);
	strlist_free(&forward);
	strbuf_free(&tok);
	strbuf_free(&key);
}
