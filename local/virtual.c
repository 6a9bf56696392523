/*
 * virtual - virtual mailbox domains: mailboxes that are not system users.
 *
 * virtual_mailbox_maps maps the full address (then without its extension,
 * then "@domain", a catch-all)
 * to a path relative to virtual_mailbox_base: a trailing '/' means a
 * Maildir, anything else an mbox file.  The path comes from a table an
 * administrator wrote, but it still may not be absolute or climb out with
 * "..".  The owner comes from virtual_uid_maps and virtual_gid_maps
 * (usually static:N); uid 0 is always refused and uids below
 * virtual_minimum_uid unless they are mail_owner's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "local.h"
#include "msg.h"

/*
 * lookup_addr - the address in Postfix's order (user+ext@domain,
 * user@domain, @domain: the resolver's, as smtpd validated it); MAP_*
 */
static int
lookup_addr(struct local_daemon *d, struct map_list *maps, const char *address,
    struct strbuf *value)
{
	return (resolve_lookup(d->resolver, maps, address, value));
}

/* lookup_id - a numeric uid/gid from a map; -1 when missing or bad */
static long
lookup_id(struct local_daemon *d, struct map_list *maps, const char *address,
    int *tempfail)
{
	struct strbuf value;
	char	*end;
	long	 id = -1;
	int	 rc;

	strbuf_init(&value);
	rc = lookup_addr(d, maps, address, &value);
	if (rc == MAP_TEMPFAIL)
		*tempfail = 1;
	if (rc == MAP_FOUND) {
		strbuf_trim(&value);
		errno = 0;
		id = strtol(value.data, &end, 10);
		if (value.len == 0 || *end != 0 || errno != 0 || id < 0 ||
		    id > 0x7fffffffL)
			id = -1;
	}
	strbuf_free(&value);
	return (id);
}

/* path_ok - relative, no ".." component, no empty name */
static bool
path_ok(const char *p)
{
	if (*p == 0 || *p == '/')
		return (false);
	for (const char *c = p; *c; ) {
		size_t	 n = strcspn(c, "/");

		if ((n == 2 && strncmp(c, "..", 2) == 0) || (n == 1 && *c == '.'))
			return (false);
		c += n;
		if (*c == '/')
			c++;
	}
	for (const char *c = p; *c; c++)
		if ((unsigned char)*c < 0x20)
			return (false);
	return (true);
}

/* local_virtual - deliver st->address to its virtual mailbox */
void
local_virtual(struct local_state *st)
{
	struct local_daemon *d = st->d;
	struct local_privs owner;
	struct strbuf addr, value, path;
	long	 uid, gid;
	int	 tempfail = 0, rc;

	strbuf_init(&addr);
	strbuf_init(&value);
	strbuf_init(&path);
	strbuf_set(&addr, st->address);
	strbuf_lower(&addr);
	rc = lookup_addr(d, d->vmailbox_maps, addr.data, &value);
	if (rc == MAP_TEMPFAIL) {
		local_result(st, st->address, 4, "4.3.0",
		    "virtual_mailbox_maps lookup failed");
		goto out;
	}
	if (rc == MAP_NOTFOUND) {
		local_result(st, st->address, 5, "5.1.1", "unknown user: \"%s\"",
		    addr.data);
		goto out;
	}
	strbuf_trim(&value);
	if (*d->p.virtual_mailbox_base != '/' || !path_ok(value.data)) {
		local_result(st, st->address, 4, "4.3.5",
		    "bad virtual mailbox path \"%.100s\" or virtual_mailbox_base",
		    value.data);
		goto out;
	}
	uid = lookup_id(d, d->vuid_maps, addr.data, &tempfail);
	gid = lookup_id(d, d->vgid_maps, addr.data, &tempfail);
	if (tempfail) {
		local_result(st, st->address, 4, "4.3.0",
		    "virtual_uid_maps/virtual_gid_maps lookup failed");
		goto out;
	}
	if (uid < 0 || gid < 0) {
		local_result(st, st->address, 4, "4.3.5",
		    "no valid uid/gid in virtual_uid_maps/virtual_gid_maps");
		goto out;
	}
	if (uid == 0 || (uid < d->p.virtual_minimum_uid &&
	    (uid_t)uid != d->p.mail_owner_uid)) {
		local_result(st, st->address, 4, "4.3.5",
		    "refusing uid %ld below virtual_minimum_uid", uid);
		goto out;
	}
	(void)local_privs_from_uid((uid_t)uid, (gid_t)gid, &owner);
	strbuf_printf(&path, "%s/%s", d->p.virtual_mailbox_base, value.data);
	if (path.data[path.len - 1] == '/')
		local_maildir(st, path.data, &owner, d->p.virtual_mailbox_limit,
		    addr.data);
	else
		local_mbox(st, path.data, &owner, d->p.virtual_mailbox_limit,
		    false, true, "mailbox");
out:
	strbuf_free(&addr);
	strbuf_free(&value);
	strbuf_free(&path);
}
