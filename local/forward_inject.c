/*
 * forward_inject - hand addresses we do not deliver to cleanup as a new
 * message.
 *
 * The copy keeps the original content, gains a Delivered-To: header for
 * the address whose list forwarded it (prepend_delivered_header "forward";
 * it is what stops a forwarding loop when the copy comes back), and keeps
 * the DSN envelope (ENVID, RET, each recipient's ORCPT and NOTIFY).  The
 * sender is the original one, or owner-NAME@myhostname for a list with an
 * owner.  Only cleanup's final OK (queue file fsync'ed) makes the original
 * recipient count as delivered: "2.0.0 forwarded as NEWID".
 */
#include <stdio.h>
#include <string.h>

#include "attr.h"
#include "cleanup_client.h"
#include "local.h"
#include "msg.h"

/* copy_chunk - queue content into the cleanup stream */
static int
copy_chunk(const char *data, size_t len, void *ctx)
{
	return (cleanup_write(ctx, data, len) < 0 ? -1 : 0);
}

/* fail_all - one outcome for every forwarded address */
static void
fail_all(struct local_state *st, const struct strlist *addrs, int status,
    const char *reason)
{
	const char *p = reason;
	char	 dsn[16];
	int	 c, s, d, n = 0;

	/* reason is a reply text like "451 4.3.0 ..." or just "4.3.0 ..." */
	if (strlen(p) > 4 && p[3] == ' ' && p[0] >= '2' && p[0] <= '5')
		p += 4;
	if (sscanf(p, "%1d.%3d.%3d%n", &c, &s, &d, &n) == 3 && c == status &&
	    (p[n] == ' ' || p[n] == 0)) {
		snprintf(dsn, sizeof(dsn), "%d.%d.%d", c, s, d);
		p += n;
		while (*p == ' ')
			p++;
	} else
		snprintf(dsn, sizeof(dsn), "%d.3.0", status);
	for (size_t i = 0; i < addrs->count; i++)
		local_result(st, addrs->items[i], status, dsn,
		    "cannot forward: %s", p);
}

/* local_forward_inject - one new message for addrs; outcomes per address */
void
local_forward_inject(struct local_state *st, const struct strlist *addrs,
    const char *sender, const char *delivered_to)
{
	struct local_daemon *d = st->d;
	struct deliver_request *req = st->m->req;
	struct cleanup_client *c;
	struct attr_list env;
	struct strbuf reason, hdr;
	char	 id[QUEUE_ID_SIZE];
	int	 status = 4, rc;

	attr_list_init(&env);
	strbuf_init(&reason);
	strbuf_init(&hdr);
	attr_list_add_str(&env, "request", "message");
	attr_list_add_str(&env, "sender", sender ? sender : "");
	attr_list_add_long(&env, "flags", 0);
	attr_list_add_str(&env, "log_ident", req->queue_id);
	if (req->envid && *req->envid)
		attr_list_add_str(&env, "envid", req->envid);
	if (req->ret && *req->ret)
		attr_list_add_str(&env, "ret", req->ret);
	for (size_t i = 0; i < addrs->count; i++) {
		attr_list_add_str(&env, "rcpt", addrs->items[i]);
		attr_list_add_str(&env, "rcpt_orcpt", st->rcpt->orcpt);
		attr_list_add_long(&env, "rcpt_notify", st->rcpt->notify);
	}
	c = cleanup_open(d->p.cleanup_path, (int)d->p.ipc_timeout, &env, id,
	    &status, &reason);
	if (c == NULL) {
		fail_all(st, addrs, status == 5 ? 5 : 4, reason.data);
		goto out;
	}
	if (d->p.prepend_delivered & LOCAL_HDR_FORWARD) {
		strbuf_printf(&hdr, "Delivered-To: %s", delivered_to);
		if (strchr(delivered_to, '@') == NULL)
			strbuf_printf(&hdr, "@%s", d->p.myhostname);
		strbuf_putc(&hdr, '\n');
		if (cleanup_write(c, hdr.data, hdr.len) < 0) {
			cleanup_abort(c);
			fail_all(st, addrs, 4, "4.3.0 lost connection with cleanup");
			goto out;
		}
	}
	rc = queue_file_read_content(st->m->fd, &st->m->msg, copy_chunk, c);
	if (rc != 0) {
		cleanup_abort(c);
		fail_all(st, addrs, 4, rc < 0 ? "4.3.0 queue file read error" :
		    "4.3.0 lost connection with cleanup");
		goto out;
	}
	if (cleanup_finish(c, &status, &reason) != 0) {
		fail_all(st, addrs, status == 5 ? 5 : 4, reason.data);
		goto out;
	}
	msg_info("%s: forwarded as %s", req->queue_id, id);
	for (size_t i = 0; i < addrs->count; i++)
		local_result(st, addrs->items[i], 2, "2.0.0", "forwarded as %s", id);
out:
	attr_list_free(&env);
	strbuf_free(&reason);
	strbuf_free(&hdr);
}
