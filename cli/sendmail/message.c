/*
 * message - sendmail's usual job: a message on standard input, to queue.
 *
 * The header section is read first and held (at most header_size_limit
 * bytes), because -t needs its To:, Cc: and Bcc: before the envelope can
 * be sent (Resent-To/Cc/Bcc instead, when the message has Resent-
 * headers, as in Postfix), and Bcc: must go before anyone sees the
 * message.  The body is then streamed to sluice-drop.  Lines may end in
 * CRLF or LF; LF goes on.  Unless -i/-oi, a line with a single dot ends
 * the input, as in classic sendmail.  A leading mbox "From " line is
 * dropped.  Message-ID, Date and From: are cleanup's job (local mail);
 * only -F needs a From: written here, and only when there is none.
 */
#include <sys/types.h>

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "mem.h"
#include "sendmail.h"

struct header_state {
	struct strbuf	 out;		/* header section as it will be sent */
	struct strbuf	 cur;		/* the logical header being collected */
	struct strlist	 rcpts;		/* To/Cc/Bcc */
	struct strlist	 resent_rcpts;	/* Resent-To/Cc/Bcc */
	bool		 have_from;
	bool		 have_resent;
};

/* header_name_len - length of the name in "name:" / "name :", else 0 */
static size_t
header_name_len(const char *line, size_t len)
{
	size_t i, n;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)line[i];

		if (ch == ':' || ch < 33 || ch > 126)
			break;
	}
	n = i;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return (n > 0 && i < len && line[i] == ':' ? n : 0);
}

/* name_is - case-insensitive header name match */
static bool
name_is(const char *name, size_t len, const char *want)
{
	return (strlen(want) == len && strncasecmp(name, want, len) == 0);
}

/* flush_header - classify the collected header, keep it unless Bcc */
static void
flush_header(struct header_state *hs)
{
	const char *h = hs->cur.data, *value;
	size_t n;

	if (hs->cur.len == 0)
		return;
	n = header_name_len(h, hs->cur.len);
	value = (const char *)memchr(h, ':', hs->cur.len) + 1;
	if (n >= 7 && strncasecmp(h, "Resent-", 7) == 0)
		hs->have_resent = true;
	if (name_is(h, n, "From"))
		hs->have_from = true;
	if (name_is(h, n, "To") || name_is(h, n, "Cc") || name_is(h, n, "Bcc"))
		sm_address_list(value, hs->cur.len - (size_t)(value - h),
		    &hs->rcpts);
	if (name_is(h, n, "Resent-To") || name_is(h, n, "Resent-Cc") ||
	    name_is(h, n, "Resent-Bcc"))
		sm_address_list(value, hs->cur.len - (size_t)(value - h),
		    &hs->resent_rcpts);
	if (!name_is(h, n, "Bcc") && !name_is(h, n, "Resent-Bcc"))
		strbuf_append(&hs->out, h, hs->cur.len);
	strbuf_reset(&hs->cur);
}

/* is_dot_line - a lone "." ends the input unless -i */
static bool
is_dot_line(const struct sm_options *o, const struct strbuf *line)
{
	return (!o->ignore_dots && line->data[0] == '.' &&
	    (line->len == 1 || (line->len == 2 && line->data[1] == '\n')));
}

/* read_piece - the next piece of a line, CRLF made LF; false at the end */
static bool
read_piece(struct stream *in, struct strbuf *line, size_t limit)
{
	int status = stream_getline_chunk(in, line, limit);

	if (status == STREAM_EOF)
		return (false);
	if (status != STREAM_OK && status != STREAM_TOOLONG)
		sm_fatal(EX_IOERR, "error reading standard input: %s",
		    stream_status_text(status));
	if (line->len >= 2 && line->data[line->len - 2] == '\r' &&
	    line->data[line->len - 1] == '\n') {
		line->data[line->len - 2] = '\n';
		strbuf_truncate(line, line->len - 1);
	}
	return (true);
}

/*
 * read_headers - the header section into hs.  Returns true when input
 * goes on; line then holds the first piece of the body (maybe empty line).
 */
static bool
read_headers(const struct sm_options *o, struct stream *in,
    struct header_state *hs, struct strbuf *line)
{
	size_t budget = (size_t)o->header_limit;
	bool first = true;

	for (;;) {
		if (!read_piece(in, line, budget > 0 ? budget : 1))
			return (false);
		if (is_dot_line(o, line))
			return (false);
		if (first && line->len >= 5 && strncmp(line->data, "From ", 5) == 0
		    && line->data[line->len - 1] == '\n') {
			first = false;
			continue;
		}
		first = false;
		if (line->data[line->len - 1] != '\n' || line->len > budget)
			break;		/* too long for a header: body from here */
		if ((line->data[0] == ' ' || line->data[0] == '\t') &&
		    hs->cur.len > 0) {
			strbuf_append(&hs->cur, line->data, line->len);
		} else if (header_name_len(line->data, line->len) > 0) {
			flush_header(hs);
			strbuf_append(&hs->cur, line->data, line->len);
		} else
			break;		/* empty line or body text */
		budget -= line->len;
	}
	flush_header(hs);
	return (true);
}

/* login_address - the caller's login name at $myorigin */
static void
login_address(const struct sm_options *o, struct strbuf *out)
{
	struct passwd *pw = getpwuid(getuid());

	if (pw != NULL && pw->pw_name[0] != 0)
		strbuf_puts(out, pw->pw_name);
	else
		strbuf_printf(out, "#%lu", (unsigned long)getuid());
	strbuf_printf(out, "@%s", o->myorigin);
}

/* add_full_name_from - -F: From: "Full Name" <sender>, when there is none */
static void
add_full_name_from(const struct sm_options *o, struct header_state *hs)
{
	struct strbuf addr;

	if (o->full_name == NULL || hs->have_from ||
	    (o->sender != NULL && o->sender[0] == 0))
		return;
	strbuf_init(&addr);
	if (o->sender != NULL) {
		strbuf_puts(&addr, o->sender);
		if (strchr(o->sender, '@') == NULL)
			strbuf_printf(&addr, "@%s", o->myorigin);
	} else
		login_address(o, &addr);
	strbuf_puts(&hs->out, "From: \"");
	for (const char *p = o->full_name; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			continue;
		if (*p == '"' || *p == '\\')
			strbuf_putc(&hs->out, '\\');
		strbuf_putc(&hs->out, *p);
	}
	strbuf_printf(&hs->out, "\" <%s>\n", addr.data);
	strbuf_free(&addr);
}

/* add_recipients - checked, deduplicated, with the -N notify bits */
static void
add_recipients(const struct sm_options *o, struct sm_envelope *env,
    const struct strlist *list)
{
	for (size_t i = 0; i < list->count; i++) {
		if (!sm_address_valid(list->items[i]))
			sm_fatal(EX_DATAERR, "bad recipient address syntax: "
			    "\"%.100s\"", list->items[i]);
		if (sm_envelope_add(env, list->items[i], "", o->notify) < 0)
			sm_fatal(EX_DATAERR, "too many recipients (limit %d)",
			    SM_RCPT_MAX);
	}
}

/* stream_body - the rest of stdin to sluice-drop */
static void
stream_body(const struct sm_options *o, struct stream *in,
    struct sm_drop *drop, struct strbuf *line, bool have_line,
    long long *total)
{
	bool line_start = true;

	while (have_line) {
		if (line_start && is_dot_line(o, line))
			break;
		if (line->len == 0 || line->data[line->len - 1] != '\n') {
			/* a piece of a long line, or a last line without LF */
			line_start = false;
		} else
			line_start = true;
		*total += (long long)line->len;
		if (o->size_limit > 0 && *total > o->size_limit) {
			sm_drop_abort(drop);
			sm_fatal(EX_DATAERR, "message too large (limit %ld bytes)",
			    o->size_limit);
		}
		if (sm_drop_write(drop, line->data, line->len) < 0)
			return;		/* sluice-drop gave up; close says why */
		have_line = read_piece(in, line, SM_LINE_PIECE);
	}
	if (!line_start)
		(void)sm_drop_write(drop, "\n", 1);
}

/* sm_send_stdin - read, address and queue the message on stdin */
int
sm_send_stdin(const struct sm_options *o, const struct strlist *rcpts)
{
	struct header_state hs;
	struct sm_envelope env;
	struct sm_drop *drop;
	struct stream *in = stream_open(dup(0));
	struct strbuf line;
	char id[QUEUE_ID_SIZE];
	long long total;
	bool more;
	int status;

	/* refused before a byte is read: the caller keeps the message */
	strbuf_init(&line);
	if (!sm_queue_space_ok(o, &line))
		sm_fatal(EX_TEMPFAIL, "Insufficient system storage in the queue "
		    "file system: %s: message not accepted, try again later",
		    line.data);
	strbuf_reset(&line);
	memset(&hs, 0, sizeof(hs));
	strbuf_init(&hs.out);
	strbuf_init(&hs.cur);
	strlist_init(&hs.rcpts);
	strlist_init(&hs.resent_rcpts);
	more = read_headers(o, in, &hs, &line);
	add_full_name_from(o, &hs);
	sm_envelope_init(&env);
	env.sender = o->sender;
	env.envid = o->envid;
	env.ret = o->ret;
	add_recipients(o, &env, rcpts);
	if (o->extract)
		add_recipients(o, &env, hs.have_resent ? &hs.resent_rcpts :
		    &hs.rcpts);
	if (env.rcpt_count == 0)
		sm_fatal(EX_USAGE, o->extract ? "no recipient addresses found "
		    "in message header" : "Recipient addresses must be "
		    "specified on the command line or via the -t option");
	drop = sm_drop_open(o, &env);
	total = (long long)hs.out.len;
	(void)sm_drop_write(drop, hs.out.data, hs.out.len);
	stream_body(o, in, drop, &line, more, &total);
	status = sm_drop_close(drop, id);
	if (status == EX_OK && o->verbose)
		fprintf(stderr, "sendmail: queued as %s\n", id);
	stream_close(in);
	strbuf_free(&line);
	strbuf_free(&hs.out);
	strbuf_free(&hs.cur);
	strlist_free(&hs.rcpts);
	strlist_free(&hs.resent_rcpts);
	env.sender = NULL;
	env.envid = NULL;
	sm_envelope_free(&env);
	return (status);
}
