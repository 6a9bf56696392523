/*
 * forward - ~/.forward files and :include: lists.
 *
 * Both are files written by someone other than the mail system, so both
 * are read with that someone's identity (the user; for an include, the
 * identity of the list that named it), opened with O_NOFOLLOW, must be
 * regular files of bounded size, and a .forward must belong to its user
 * and not be writable by group or others.  forward_path is a list of
 * candidate paths with $home, $user, $local, $extension, $domain and
 * $recipient (also as ${name}); the first file that exists wins.  Each
 * file is one step of expand.c's filter, by name and, once open, by
 * device and inode: a file that includes itself, or a cycle of them, is
 * read once and the walk ends, and a file named many ways (hard links,
 * "//", "/./") is still read once per identity that reads it.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "address.h"
#include "local.h"
#include "mem.h"
#include "msg.h"

/* list_file_id - the filter's name of a list file read with privs */
static void
list_file_id(const struct local_privs *privs, const struct stat *stp,
    struct strbuf *id)
{
	strbuf_reset(id);
	strbuf_printf(id, "%ld %ju:%ju", (long)privs->uid,
	    (uintmax_t)stp->st_dev, (uintmax_t)stp->st_ino);
}

/*
 * read_list - read a list file as privs; 1 read, 0 absent, -1 error, 2
 * this very file (device and inode) was read with these rights before in
 * this expansion, under another name: not read again, so that names of
 * one file (hard links, "//", "/./", directory symlinks) cannot multiply
 * the work the way distinct files would
 */
static int
read_list(struct local_state *st, const char *path,
    const struct local_privs *privs, bool is_forward, struct strbuf *text,
    struct stat *stp, struct strbuf *why)
{
	struct strbuf id;
	char	 buf[8192];
	ssize_t	 n;
	int	 fd, rc = 1;

	if (local_privs_enter(st->d, privs) < 0) {
		strbuf_set(why, "cannot switch identity");
		return (-1);
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR || (is_forward && errno == EACCES))
			rc = 0;
		else {
			strbuf_printf(why, "cannot open %s: %s", path, strerror(errno));
			rc = -1;
		}
		goto out;
	}
	if (fstat(fd, stp) < 0 || !S_ISREG(stp->st_mode)) {
		strbuf_printf(why, "%s is not a regular file", path);
		rc = -1;
		goto out;
	}
	if (is_forward && (stp->st_uid != privs->uid ||
	    (stp->st_mode & (S_IWGRP | S_IWOTH)) != 0)) {
		msg_warn("%s: ignoring insecure %s (owner or mode)",
		    st->m->req->queue_id, path);
		rc = 0;
		goto out;
	}
	if (stp->st_size > LOCAL_LIST_SIZE_MAX) {
		strbuf_printf(why, "%s is too large", path);
		rc = -1;
		goto out;
	}
	strbuf_init(&id);
	list_file_id(privs, stp, &id);
	if (!local_expand_note(&st->result->filter, LOCAL_STEP_LIST_FILE,
	    id.data)) {
		msg_debug("%s: %s: list file already read as %s",
		    st->m->req->queue_id, path, id.data);
		rc = 2;
	}
	strbuf_free(&id);
	if (rc == 2)
		goto out;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (text->len + (size_t)n > LOCAL_LIST_SIZE_MAX) {
			strbuf_printf(why, "%s is too large", path);
			rc = -1;
			goto out;
		}
		strbuf_append(text, buf, (size_t)n);
	}
	if (n < 0) {
		strbuf_printf(why, "read %s: %s", path, strerror(errno));
		rc = -1;
	}
out:
	if (fd >= 0)
		close(fd);
	local_privs_leave(st->d);
	return (rc);
}

/* expand_path - one forward_path entry with its $names filled in */
static bool
expand_path(const char *pattern, const char *const *names,
    const char *const *values, struct strbuf *out)
{
	const char *p = pattern;

	strbuf_reset(out);
	while (*p) {
		char	 name[32];
		size_t	 n = 0;
		bool	 brace;

		if (*p != '$') {
			strbuf_putc(out, *p++);
			continue;
		}
		p++;
		brace = (*p == '{');
		if (brace)
			p++;
		while ((isalnum((unsigned char)*p) || *p == '_') && n < sizeof(name) - 1)
			name[n++] = *p++;
		name[n] = 0;
		if (brace) {
			if (*p != '}')
				return (false);
			p++;
		}
		for (n = 0; names[n] != NULL; n++)
			if (strcmp(names[n], name) == 0)
				break;
		if (names[n] == NULL)
			return (false);
		strbuf_puts(out, values[n]);
	}
	return (out->len > 0 && out->data[0] == '/');
}

/* local_forward - expand the user's .forward if there is one; 1 = handled */
int
local_forward(struct local_state *st, const struct local_privs *user,
    const char *local_part, const char *extension)
{
	const char *const *names = local_forward_names;
	const char *values[7];
	struct strlist paths;
	struct strbuf path, text, why, id;
	struct stat sb;
	const char *domain = address_domain(st->address);
	int	 rc = 0;

	values[0] = user->home;
	values[1] = user->user;
	values[2] = local_part;
	values[3] = extension;
	values[4] = *domain ? domain : st->d->p.myhostname;
	values[5] = st->address;
	values[6] = NULL;
	strlist_init(&paths);
	strbuf_init(&path);
	strbuf_init(&text);
	strbuf_init(&why);
	strbuf_init(&id);
	strlist_split(&paths, st->d->p.forward_path, ", \t\r\n");
	for (size_t i = 0; i < paths.count && rc == 0; i++) {
		const char *p = paths.items[i];

		/* an entry naming the extension only applies when there is one */
		if (strstr(p, "extension") != NULL && *extension == 0)
			continue;
		if (!expand_path(p, names, values, &path)) {
			msg_warn("forward_path: cannot expand \"%s\"", p);
			continue;
		}
		/*
		 * A file met before in this expansion is not read again.  Met
		 * after its expansion, it is done; met during it, the file
		 * names (an alias of) its own user: the mailbox, as in Postfix
		 * and sendmail.
		 */
		if (local_expand_has(&st->result->filter,
		    LOCAL_STEP_FORWARD_DONE, path.data)) {
			rc = 1;
			goto out;
		}
		if (local_expand_has(&st->result->filter, LOCAL_STEP_FORWARD,
		    path.data))
			goto out;
		strbuf_reset(&text);
		rc = read_list(st, path.data, user, true, &text, &sb, &why);
		if (rc == 2) {
			/* the same file by another name: decided as that one */
			list_file_id(user, &sb, &id);
			rc = local_expand_has(&st->result->filter,
			    LOCAL_STEP_FORWARD_DONE, id.data);
			goto out;
		}
		if (rc > 0 && text.data[strspn(text.data, " \t\r\n")] == 0)
			rc = 0;		/* an empty .forward is no .forward */
	}
	if (rc < 0)
		local_result(st, st->address, 4, "4.3.0", "%s", why.data);
	else if (rc > 0 && local_expand_step(st, st->address,
	    LOCAL_STEP_FORWARD, path.data) == LOCAL_GO) {
		local_expand_list(st, text.data, LOCAL_CLASS_FORWARD, user,
		    st->sender, st->address);
		(void)local_expand_note(&st->result->filter,
		    LOCAL_STEP_FORWARD_DONE, path.data);
		list_file_id(user, &sb, &id);
		(void)local_expand_note(&st->result->filter,
		    LOCAL_STEP_FORWARD_DONE, id.data);
	}
out:
	strlist_free(&paths);
	strbuf_free(&path);
	strbuf_free(&text);
	strbuf_free(&why);
	strbuf_free(&id);
	return (rc != 0);
}

/* include_file - read an :include: file as privs and expand it */
static void
include_file(struct local_state *st, const char *path,
    const struct local_privs *privs)
{
	struct local_privs owner;
	struct strbuf text, why;
	struct stat sb;
	int	 rc;

	strbuf_init(&text);
	strbuf_init(&why);
	rc = read_list(st, path, privs, false, &text, &sb, &why);
	if (rc == 2)
		;		/* read before by another name: a repeat */
	else if (rc < 0)
		local_result(st, st->address, 4, "4.3.0", "%s", why.data);
	else if (rc == 0)
		local_result(st, st->address, 5, "5.3.5",
		    ":include: file %s does not exist", path);
	else {
		/* the file's owner speaks for its entries, unless that is root */
		if (sb.st_uid != 0 &&
		    local_privs_from_uid(sb.st_uid, sb.st_gid, &owner) == 0)
			privs = &owner;
		local_expand_list(st, text.data, LOCAL_CLASS_INCLUDE, privs,
		    st->sender, st->address);
	}
	strbuf_free(&text);
	strbuf_free(&why);
}

/* local_include - expand an :include: file named by a list */
int
local_include(struct local_state *st, const char *path, unsigned source)
{
	const struct local_privs *privs = st->privs;
	struct strbuf key;
	enum local_verdict v;

	(void)source;
	/* the same file read with the same rights is read once: loops end */
	strbuf_init(&key);
	strbuf_printf(&key, "%ld %s", privs ? (long)privs->uid : -1L, path);
	v = local_expand_step(st, st->address, LOCAL_STEP_INCLUDE, key.data);
	strbuf_free(&key);
	if (v != LOCAL_GO)
		return (1);
	if (*path != '/')
		local_result(st, st->address, 5, "5.3.5",
		    ":include: needs an absolute path: \"%.100s\"", path);
	else if (privs == NULL)
		local_result(st, st->address, 4, "4.3.5",
		    ":include: without an owner identity");
	else
		include_file(st, path, privs);
	return (1);
}
