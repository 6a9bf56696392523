/*
 * data - DATA: the message content in the classic dot-terminated form.
 *
 * Only CRLF "." CRLF ends the content (RFC 5321 4.1.1.4), never "\n.\n",
 * "\n.\r\n" or "\r.\r\n": that difference between servers is what SMTP
 * smuggling exploits.  This file only finds that end and removes the
 * leading dot of a line (dot-unstuffing; a bare LF ends a line here too,
 * but never the content); the line ends and the bare CR/LF policy are the
 * content scanner's, the same for BDAT (content.c): with
 * smtpd_forbid_bare_newline a bare LF or bare CR anywhere in the content
 * ends the session with 521 and the message is dropped.  Lines are read
 * in bounded chunks so that a long line is streamed, not refused.  A
 * message over a limit is read to its end, then refused.
 */
#include <string.h>

#include "smtpd.h"

#define DATA_CHUNK	8192

enum data_result {
	DATA_END,		/* "." line seen */
	DATA_DROP,		/* answered already (521/421), hang up */
};

/* smtpd_data_check - sequence and syntax of DATA */
int
smtpd_data_check(struct smtpd_session *s, const char *args)
{
	if (!s->txn.active) {
		smtpd_reply(s, "503 5.5.1 Error: need MAIL command");
		return (-1);
	}
	if (s->txn.mode == CONTENT_BDAT) {
		smtpd_reply(s, "503 5.5.1 Error: DATA cannot follow BDAT");
		return (-1);
	}
	if (s->txn.rcpt_count == 0) {
		smtpd_reply(s, "503 5.5.1 Error: need RCPT command");
		return (-1);
	}
	if (strcmp(s->txn.body_type, "BINARYMIME") == 0) {
		smtpd_reply(s, "503 5.5.1 Error: BODY=BINARYMIME requires BDAT");
		return (-1);
	}
	if (*args != '\0') {
		smtpd_reply(s, "501 5.5.4 Syntax: DATA");
		return (-1);
	}
	return (0);
}

/* lone_dot - a complete line of just "." (kept as data when not the end) */
static bool
lone_dot(const char *line, size_t len)
{
	return (len == 2 || (len == 3 && line[1] == '\r'));
}

/* read_content - copy the content to the sink up to the final "." */
static enum data_result
read_content(struct smtpd_session *s, struct content_sink *sink)
{
	bool line_start = true, prev_crlf = true, held_cr = false;
	struct strbuf buf;
	enum data_result result;
	const char *piece, *bare;
	size_t len;
	bool complete;
	int status;

	strbuf_init(&buf);
	for (;;) {
		status = stream_getline_chunk(s->stream, &buf, DATA_CHUNK);
		if (status != STREAM_OK && status != STREAM_TOOLONG) {
			smtpd_read_failed(s, status);
			result = DATA_DROP;
			break;
		}
		complete = status == STREAM_OK;
		if (buf.len == 0 || (complete && buf.data[buf.len - 1] != '\n')) {
			smtpd_read_failed(s, STREAM_EOF);	/* EOF cut the line */
			result = DATA_DROP;
			break;
		}
		piece = buf.data;
		len = buf.len;
		if (line_start && piece[0] == '.') {
			if (complete && prev_crlf && len == 3 && piece[1] == '\r') {
				result = DATA_END;
				break;
			}
			if (!complete || !lone_dot(piece, len)) {
				piece++;
				len--;
			}
		}
		if ((bare = content_sink_wire(sink, piece, len)) != NULL) {
			smtpd_bare_newline(s, bare);
			result = DATA_DROP;
			break;
		}
		/* only a line after CRLF may end the content */
		if (complete)
			prev_crlf = buf.len >= 2 ? buf.data[buf.len - 2] == '\r'
			    : held_cr;
		held_cr = buf.data[buf.len - 1] == '\r';
		line_start = complete;
	}
	strbuf_free(&buf);
	return (result);
}

/* smtpd_data - DATA: hand the content to cleanup, answer for it */
int
smtpd_data(struct smtpd_session *s, const char *args)
{
	struct strbuf reply;

	(void)args;
	if (restrict_check_data(s) != 0)
		return (0);		/* smtpd_data_restrictions: replied */
	strbuf_init(&reply);
	if (smtpd_queue_open(s, &reply) != 0) {
		/*
		 * The transaction ends here, as it would after the content:
		 * clients such as Python's smtplib send the next MAIL without
		 * an RSET after a refused DATA.
		 */
		smtpd_reject(s, "DATA", NULL, "%s", reply.data);
		smtpd_txn_reset(s);
		strbuf_free(&reply);
		return (0);
	}
	strbuf_free(&reply);
	s->txn.mode = CONTENT_DATA;
	smtpd_reply(s, "354 End data with <CR><LF>.<CR><LF>");
	smtpd_flush(s);
	if (read_content(s, &s->txn.sink) != DATA_END) {
		smtpd_queue_abort(s);
		return (-1);
	}
	smtpd_queue_finish(s);
	return (0);
}
