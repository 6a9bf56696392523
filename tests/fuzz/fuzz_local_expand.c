/*
 * fuzz_local_expand - local's alias, .forward and :include: expansion
 * driven by hostile lists.
 *
 * The input is split at lines "%%" into up to nine parts: the recipient's
 * address (first line; further lines are Delivered-To: addresses already
 * in the message), the alias table ("name: value" lines), the .forward of
 * the user running the harness, and include files i1..i6.  In every part
 * "~/" stands for the harness's scratch directory and "~me" for the
 * running user's name, so an input can name its own files
 * (":include:~/i1") and reach the user's .forward ("~me").  The parts are
 * written as real files and read by the real code (forward.c read_list).
 *
 * Nothing is delivered and nothing runs: commands and files are not
 * allowed (the loop filter still sees them first), mailboxes are in a
 * spool directory that does not exist, virtual domains are empty, and
 * cleanup is a socket that does not exist (forwarded addresses defer).
 * What must hold (check_outcome): the expansion ends (a loop that
 * recursed without end would exhaust the stack, which ASan reports), the
 * recipient gets one outcome with a matching X.Y.Z code, and the work is
 * linear in the input.  The filter remembers every structural step
 * (address, alias, .forward, :include:) and at most
 * duplicate_filter_limit (here 200) leaves; each outcome line stands for
 * one step taken (plus the final loop verdict); and the steps asked
 * about are bounded by the entries of the input: every alias and file is
 * expanded at most once per identity, so no nesting can multiply them.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "local.h"
#include "mem.h"
#include "msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PARTS		9
#define INPUT_MAX	(64 * 1024)
#define FILTER_LIMIT	200

static char	 scratch[64];
static char	 me[64];

/* remove_scratch - at exit: the parts' files and the directory */
static void
remove_scratch(void)
{
	static const char *const files[] = { "i1", "i2", "i3", "i4", "i5", "i6",
	    NULL };
	char	 path[192];

	for (size_t i = 0; files[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", scratch, files[i]);
		(void)unlink(path);
	}
	snprintf(path, sizeof(path), "%s/fwd-%s", scratch, me);
	(void)unlink(path);
	(void)rmdir(scratch);
}

/* setup - the scratch directory and who we are, once */
static void
setup(void)
{
	struct passwd *pw;

	msg_open("fuzz", "/dev/null");
	/* FUZZ_LOCAL_LOG=1: the to= lines on stderr, to see what an input does */
	if (getenv("FUZZ_LOCAL_LOG") != NULL)
		msg_set_stderr(true);
	snprintf(scratch, sizeof(scratch), "/tmp/fuzz-local-XXXXXX");
	if (mkdtemp(scratch) == NULL)
		abort();
	if ((pw = getpwuid(getuid())) == NULL)
		abort();
	snprintf(me, sizeof(me), "%s", pw->pw_name);
	atexit(remove_scratch);
}

/* substitute - one part with "~/" and "~me" filled in */
static void
substitute(const char *start, size_t len, struct strbuf *out)
{
	strbuf_reset(out);
	for (size_t i = 0; i < len; i++) {
		if (start[i] == '~' && i + 1 < len && start[i + 1] == '/') {
			strbuf_puts(out, scratch);
			strbuf_putc(out, '/');
			i++;
		} else if (start[i] == '~' && i + 2 < len &&
		    strncmp(start + i + 1, "me", 2) == 0) {
			strbuf_puts(out, me);
			i += 2;
		} else if (start[i] == 0)
			strbuf_putc(out, ' ');
		else
			strbuf_putc(out, start[i]);
	}
}

/* write_file - name in the scratch directory holds text (0644) */
static void
write_file(const char *name, const struct strbuf *text)
{
	char	 path[192];
	int	 fd;

	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	(void)unlink(path);
	if (text->len == 0)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
	if (fd < 0)
		abort();
	if (write(fd, text->data, text->len) != (ssize_t)text->len)
		abort();
	close(fd);
}

/* alias_spec - "name: value" lines as an inline: table */
static void
alias_spec(const struct strbuf *text, struct strbuf *spec)
{
	const char *p = text->data;

	strbuf_set(spec, "inline:{");
	while (*p) {
		size_t	 n = strcspn(p, "\n"), colon = strcspn(p, ":\n");

		if (colon < n && colon > 0) {
			strbuf_puts(spec, " { ");
			for (size_t i = 0; i < n; i++) {
				char	 c = p[i];

				/* braces would end the item; '=' splits it once */
				if (c == '{' || c == '}')
					c = ' ';
				if (i == colon)
					c = '=';
				strbuf_putc(spec, c);
			}
			strbuf_puts(spec, " },");
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	strbuf_puts(spec, " }");
}

/* fuzz_resolver - the resolver of the harness's instance, opened once */
static struct resolver *
fuzz_resolver(void)
{
	static struct resolver *res;
	struct config *cfg;
	struct strbuf err;

	if (res != NULL)
		return (res);
	cfg = config_new("/nonexistent");
	config_set(cfg, "myhostname", "host.example");
	config_set(cfg, "mydestination", "host.example, localhost");
	config_set(cfg, "recipient_delimiter", "+");
	config_set(cfg, "inet_interfaces", "127.0.0.1");
	strbuf_init(&err);
	if ((res = resolve_open(cfg, &err)) == NULL)
		msg_fatal("resolve_open: %s", err.data);
	strbuf_free(&err);
	config_free(cfg);
	return (res);
}

/* make_daemon - a local daemon that cannot write or run anything */
static void
make_daemon(struct local_daemon *d, struct local_alias_map *am,
    const char *aliases, char *forward_path, char *cleanup_path)
{
	struct strbuf err;

	memset(d, 0, sizeof(*d));
	strbuf_init(&err);
	d->p.myhostname = "host.example";
	d->p.home_mailbox = "";
	d->p.mail_spool_directory = "/nonexistent/sluice-fuzz-spool";
	d->p.forward_path = forward_path;
	d->p.virtual_mailbox_base = "/nonexistent/sluice-fuzz-virtual";
	d->p.default_privs = "nobody";
	d->p.cleanup_path = cleanup_path;
	d->p.lock_fcntl = true;
	d->p.owner_request_special = true;
	d->p.command_time_limit = 1;
	d->p.ipc_timeout = 1;
	d->p.allow_commands = 0;
	d->p.allow_files = 0;
	d->p.prepend_delivered = LOCAL_HDR_FORWARD;
	d->p.dup_filter_limit = FILTER_LIMIT;
	d->p.mail_owner_uid = (uid_t)-1;
	d->service_name = "local";
	d->privileged = false;
	d->resolver = fuzz_resolver();
	am->map = map_open(aliases, &err);
	am->uid = getuid();
	am->gid = getgid();
	if (am->map != NULL) {
		d->alias_maps = am;
		d->alias_count = 1;
	}
	strbuf_free(&err);
}

/*
 * list_entries - at most how many entries parts 1.. hold: a list splits at
 * commas and newlines, so each of them ends one entry at most
 */
static size_t
list_entries(const struct strbuf *part, size_t count)
{
	size_t	 n = 0;

	for (size_t i = 1; i < count; i++) {
		n++;
		for (size_t j = 0; j < part[i].len; j++)
			if (part[i].data[j] == ',' || part[i].data[j] == '\n')
				n++;
	}
	return (n);
}

/*
 * check_outcome - one status with a dsn of its class; every outcome line
 * stands for one step taken (structural or leaf) or the final loop
 * verdict; the filter holds every structural step and at most the limit
 * of leaves; and the work is linear in the entries of the input.
 *
 * The work bound: an entry is expanded once for each list reading it, a
 * list is read at most twice (the harness's user, and default_privs when
 * running as root: an include read with two identities), the recipient
 * itself is one more entry; each entry asks about at most four steps (an
 * address: recipient, alias, .forward, mailbox).  Without the alias step
 * (list+1, list+2, ... each expanding alias "list" again) or the
 * structural memory of :include: files (a file of N includes of a file
 * of N entries), this grows as a product instead.
 */
static void
check_outcome(const struct local_result *res, size_t entries)
{
	const struct local_expand *x = &res->filter;

	if (res->status != 2 && res->status != 4 && res->status != 5)
		abort();
	if (res->dsn[0] != '0' + res->status || res->dsn[1] != '.')
		abort();
	if (res->leaves < 1 || (size_t)res->leaves > x->structural + x->leaves + 1)
		abort();
	if (x->leaves_kept > (size_t)FILTER_LIMIT || x->leaves_kept > x->leaves)
		abort();
	if (local_expand_kept(x) != x->structural + x->leaves_kept)
		abort();
	if (x->lookups > 4 * (2 * entries + 1))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[PARTS] = { NULL, NULL, NULL,
	    "i1", "i2", "i3", "i4", "i5", "i6" };
	struct strbuf part[PARTS], spec, fpath, cpath, fwd_name;
	struct deliver_request req;
	struct local_message m;
	struct local_daemon d;
	struct local_alias_map am;
	struct local_result res;
	struct deliver_rcpt *rcpt;
	const char *p, *end, *nl;
	char	*text;
	size_t	 n = 0;

	if (scratch[0] == 0)
		setup();
	if (size > INPUT_MAX)
		return (0);
	text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = 0;

	/* the parts, split at "%%" lines */
	for (size_t i = 0; i < PARTS; i++)
		strbuf_init(&part[i]);
	p = text;
	end = text + size;
	while (n < PARTS) {
		const char *sep = p;

		while ((sep = memmem(sep, (size_t)(end - sep), "%%", 2)) != NULL &&
		    !((sep == text || sep[-1] == '\n') &&
		    (sep + 2 == end || sep[2] == '\n')))
			sep++;
		substitute(p, (size_t)((sep ? sep : end) - p), &part[n++]);
		if (sep == NULL)
			break;
		p = sep + 2 < end ? sep + 3 : end;
	}

	/* the files */
	strbuf_init(&fwd_name);
	strbuf_printf(&fwd_name, "fwd-%s", me);
	write_file(fwd_name.data, &part[2]);
	for (size_t i = 3; i < PARTS; i++)
		write_file(names[i], &part[i]);

	strbuf_init(&spec);
	strbuf_init(&fpath);
	strbuf_init(&cpath);
	alias_spec(&part[1], &spec);
	strbuf_printf(&fpath, "%s/fwd-$user", scratch);
	strbuf_printf(&cpath, "%s/no-cleanup", scratch);
	make_daemon(&d, &am, spec.data, fpath.data, cpath.data);

	/* the request: one recipient, the Delivered-To: lines after it */
	memset(&m, 0, sizeof(m));
	deliver_request_init(&req);
	snprintf(req.queue_id, sizeof(req.queue_id), "FUZZ");
	deliver_request_set(&req, &req.sender, "sender@example.org");
	deliver_request_set(&req, &req.transport, "local");
	m.req = &req;
	m.fd = -1;
	local_expand_init(&m.delivered_to, 0);
	p = part[0].data;
	nl = strchr(p, '\n');
	{
		struct strbuf addr;

		strbuf_init(&addr);
		strbuf_append(&addr, p, nl ? (size_t)(nl - p) : strlen(p));
		strbuf_trim(&addr);
		if (addr.len == 0 || addr.len > 256)
			strbuf_set(&addr, me);
		rcpt = deliver_request_add_rcpt(&req, addr.data, addr.data, "",
		    0, 0);
		strbuf_free(&addr);
	}
	/* what local_headers_scan() would have found */
	while (nl != NULL) {
		struct strbuf addr;
		const char *next = strchr(nl + 1, '\n');

		strbuf_init(&addr);
		strbuf_append(&addr, nl + 1,
		    next ? (size_t)(next - nl - 1) : strlen(nl + 1));
		strbuf_trim(&addr);
		strbuf_lower(&addr);
		if (addr.len > 0)
			(void)local_expand_note(&m.delivered_to,
			    LOCAL_STEP_DELIVERED_TO, addr.data);
		strbuf_free(&addr);
		nl = next;
	}

	local_walk_rcpt(&d, &m, rcpt, &res);
	check_outcome(&res, list_entries(part, PARTS));
	local_result_free(&res);

	deliver_request_free(&req);
	local_expand_free(&m.delivered_to);
	if (am.map != NULL)
		map_close(am.map);
	for (size_t i = 0; i < PARTS; i++)
		strbuf_free(&part[i]);
	strbuf_free(&spec);
	strbuf_free(&fpath);
	strbuf_free(&cpath);
	strbuf_free(&fwd_name);
	free(text);
	return (0);
}
