/*
 * bdat - BDAT, the CHUNKING extension (RFC 3030).
 *
 * "BDAT size [LAST]": exactly size octets of content follow the command
 * line, binary-safe, with no dot-stuffing and no terminator.  Those
 * octets are always read, even when the command is refused, or the rest
 * of the chunk would be taken for commands.  A size that cannot be parsed
 * leaves no way to stay in step with the client, so the session ends.
 * The octets go through the content scanner of DATA (content.c), so the
 * queue file looks the same as after DATA and the same bare CR/LF policy
 * holds: CRLF becomes LF (also across chunk boundaries), and with
 * smtpd_forbid_bare_newline a bare CR or LF, wherever it is in a chunk or
 * at the end of the last one, ends the session with 521 and the message
 * is dropped.  After a failed chunk the transaction only
 * collects the client's remaining chunks, answering each with the same
 * error, until BDAT LAST or RSET.
 *
 * smtpd_data_restrictions run at the first BDAT, as at DATA; a refusal
 * answers every chunk until BDAT LAST, as a failed queue file does.
 *
 * Parameters: message_size_limit, header_size_limit,
 * smtpd_forbid_bare_newline, smtpd_forbid_bare_newline_exclusions.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "smtpd.h"

#define BDAT_SIZE_DIGITS	18	/* fits a long without overflow */
#define BDAT_READ_CHUNK		(64 * 1024)

/* parse_bdat - "size" or "size LAST"; -1 on anything else */
static int
parse_bdat(const char *args, long *size, bool *last)
{
	size_t digits = strspn(args, "0123456789");
	const char *rest = args + digits;

	if (digits == 0 || digits > BDAT_SIZE_DIGITS)
		return (-1);
	*size = strtol(args, NULL, 10);
	while (*rest == ' ')
		rest++;
	if (*rest == '\0' && rest == args + digits) {
		*last = false;
		return (0);
	}
	if (rest > args + digits && strcasecmp(rest, "LAST") == 0) {
		*last = true;
		return (0);
	}
	return (-1);
}

/*
 * read_chunk - size octets; through the content scanner when keep, else
 * dropped.  -1 when the session ends: input lost, or a bare CR or LF
 * refused (answered with 521 here).
 */
static int
read_chunk(struct smtpd_session *s, long size, bool keep)
{
	char *buf = xmalloc(BDAT_READ_CHUNK);
	const char *bare = NULL;
	size_t want;
	int status = STREAM_OK;

	while (size > 0 && bare == NULL) {
		want = size > BDAT_READ_CHUNK ? BDAT_READ_CHUNK : (size_t)size;
		if ((status = stream_read_exact(s->stream, buf, want)) != STREAM_OK)
			break;
		if (keep)
			bare = content_sink_wire(&s->txn.sink, buf, want);
		size -= want;
	}
	free(buf);
	if (status != STREAM_OK) {
		smtpd_read_failed(s, status);
		return (-1);
	}
	if (bare != NULL) {
		smtpd_bare_newline(s, bare);
		return (-1);
	}
	return (0);
}

/* refusal - why this chunk cannot be taken, or NULL */
static const char *
refusal(const struct smtpd_session *s)
{
	if (!s->txn.active)
		return ("503 5.5.1 Error: need MAIL command");
	if (s->txn.rcpt_count == 0)
		return ("503 5.5.1 Error: need RCPT command");
	return (s->txn.bdat_fail);
}

/* fail_transaction - drop the message; later chunks get the same reply */
static void
fail_transaction(struct smtpd_session *s, const char *reply)
{
	smtpd_queue_abort(s);
	free(s->txn.bdat_fail);
	s->txn.bdat_fail = xstrdup(reply);
}

/* sink_failure - the reply for a chunk that broke a limit, or NULL */
static const char *
sink_failure(const struct content_sink *sink)
{
	if (sink->too_big)
		return ("552 5.3.4 Message size exceeds fixed limit");
	if (sink->header_too_big)
		return ("552 5.6.0 Message header size exceeds limit");
	if (sink->write_error)
		return ("451 4.3.0 Error: queue file write error");
	return (NULL);
}

/* smtpd_bdat - one BDAT command and its chunk */
int
smtpd_bdat(struct smtpd_session *s, const char *args)
{
	struct smtpd_txn *t = &s->txn;
	struct strbuf reply;
	const char *why;
	long size;
	bool last;

	if (parse_bdat(args, &size, &last) != 0) {
		smtpd_reply(s, "501 5.5.4 Syntax: BDAT count [LAST]");
		return (-1);
	}
	if ((why = refusal(s)) != NULL) {
		char *text = xstrdup(why);

		if (read_chunk(s, size, false) != 0) {
			free(text);
			return (-1);
		}
		smtpd_reply(s, "%s", text);
		free(text);
		if (last && t->bdat_fail != NULL)
			smtpd_txn_reset(s);
		return (0);
	}
	if (t->mode == CONTENT_NONE) {
		strbuf_init(&reply);
		if (restrict_check_bdat(s, &reply) != 0 ||
		    smtpd_queue_open(s, &reply) != 0) {
			fail_transaction(s, reply.data);
			strbuf_free(&reply);
			if (read_chunk(s, size, false) != 0)
				return (-1);
			smtpd_reply(s, "%s", t->bdat_fail);
			if (last)
				smtpd_txn_reset(s);
			return (0);
		}
		strbuf_free(&reply);
		t->mode = CONTENT_BDAT;
	}
	if (read_chunk(s, size, true) != 0) {
		smtpd_queue_abort(s);
		return (-1);
	}
	if (last && (why = content_sink_wire_end(&t->sink)) != NULL) {
		smtpd_bare_newline(s, why);
		smtpd_queue_abort(s);
		return (-1);
	}
	if ((why = sink_failure(&t->sink)) != NULL) {
		fail_transaction(s, why);
		smtpd_reject(s, last ? "END-OF-MESSAGE" : "BDAT", NULL, "%s", why);
		if (last)
			smtpd_txn_reset(s);
		return (0);
	}
	if (last)
		smtpd_queue_finish(s);
	else
		smtpd_reply(s, "250 2.0.0 Ok: %ld bytes", size);
	return (0);
}
