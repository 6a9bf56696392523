/*
 * file - deliver to "/file" from an alias, .forward or include list.
 *
 * The file is appended to in mbox format (mbox.c: locks, ">From "
 * quoting, truncate on error) with the identity of the list's owner;
 * root's lists write as default_privs, never as root.  "/dev/null" is the
 * traditional way to discard mail and succeeds without a write.
 */
#include <string.h>

#include "local.h"

/* local_file - append to path as privs */
void
local_file(struct local_state *st, const char *path,
    const struct local_privs *privs)
{
	struct local_daemon *d = st->d;
	const char *to = st->parent ? st->parent : st->address;
	struct local_privs nobody;

	if (strcmp(path, "/dev/null") == 0) {
		local_result(st, to, 2, "2.0.0", "delivered to file: /dev/null");
		return;
	}
	if (strstr(path, "/../") != NULL || path[strlen(path) - 1] == '/') {
		local_result(st, to, 5, "5.3.5", "bad file name: \"%.100s\"", path);
		return;
	}
	if (privs == NULL || privs->uid == 0) {
		if (local_privs_lookup(d->p.default_privs, &nobody) < 0 ||
		    nobody.uid == 0) {
			local_result(st, to, 4, "4.3.5",
			    "default_privs user \"%s\" unusable", d->p.default_privs);
			return;
		}
		privs = &nobody;
	}
	local_mbox(st, path, privs, d->p.mailbox_size_limit, false,
	    (d->p.prepend_delivered & LOCAL_HDR_FILE) != 0, "file");
}
