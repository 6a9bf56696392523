/*
 * content - the message content on the wire.
 *
 * The queue file holds the content with LF line ends and without dot
 * stuffing; DATA needs CRLF and a dot doubled at the start of a line, BDAT
 * (CHUNKING) needs CRLF only.  The content is read from the queue file in
 * chunks, so a line may span two chunks: the "at the start of a line"
 * state carries over.
 *
 * Whatever the queue file holds, no bare CR or LF goes on the wire: every
 * LF goes out as CRLF, and a CR in the content (cleanup replaces them
 * unless cleanup_replace_stray_cr_lf = no, but a queue file may come from
 * elsewhere) goes out as a space, in DATA and in BDAT alike.  A next hop
 * that ends DATA at "<CR>.<CR><LF>" could otherwise be made to see a
 * second, forged message in one of ours (outbound SMTP smuggling).  The
 * size announced with SIZE is not changed by this.
 */
#include <string.h>

#include "msg.h"
#include "smtp.h"

#define BDAT_CHUNK	(64 * 1024)

struct scan_state {
	bool	 bol;
	bool	 has_8bit;
	long	 size;
};

/* scan_chunk - 8-bit bytes and the size with CRLF */
static int
scan_chunk(const char *data, size_t len, void *ctx)
{
	struct scan_state *st = ctx;

	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)data[i] >= 0x80)
			st->has_8bit = true;
		if (data[i] == '\n')
			st->size++;
	}
	st->size += (long)len;
	if (len > 0)
		st->bol = data[len - 1] == '\n';
	return (0);
}

/* smtp_content_scan - fill has_8bit and size; 0 or -1 (read error) */
int
smtp_content_scan(struct smtp_message *m)
{
	struct scan_state st = { true, false, 0 };

	if (queue_file_read_content(m->fd, &m->msg, scan_chunk, &st) != 0)
		return (-1);
	m->has_8bit = st.has_8bit;
	m->size = st.size + (st.bol ? 0 : 2);
	return (0);
}

struct data_state {
	struct stream	*s;
	bool		 bol;
	bool		 stuff;		/* DATA: double leading dots */
};

/* put_converted - write data with LF as CRLF, CR as space (and dot stuffing) */
static int
put_converted(const char *data, size_t len, void *ctx)
{
	struct data_state *st = ctx;
	size_t	 start = 0;

	for (size_t i = 0; i < len; i++) {
		if (st->bol && st->stuff && data[i] == '.') {
			if (i > start)
				stream_write(st->s, data + start, i - start);
			stream_write(st->s, ".", 1);
			start = i;
		}
		st->bol = false;
		if (data[i] == '\n' || data[i] == '\r') {
			if (i > start)
				stream_write(st->s, data + start, i - start);
			stream_write(st->s, data[i] == '\n' ? "\r\n" : " ",
			    data[i] == '\n' ? 2 : 1);
			start = i + 1;
			st->bol = data[i] == '\n';
		}
	}
	if (len > start)
		stream_write(st->s, data + start, len - start);
	return (stream_status(st->s) == STREAM_OK ? 0 : 1);
}

/* smtp_content_send_data - the content and the final dot; 0 or -1 */
int
smtp_content_send_data(struct smtp_session *sess, struct smtp_message *m)
{
	struct data_state st = { sess->s, true, true };

	if (queue_file_read_content(m->fd, &m->msg, put_converted, &st) != 0)
		return (-1);
	if (!st.bol)
		stream_write(sess->s, "\r\n", 2);
	stream_write(sess->s, ".\r\n", 3);
	return (stream_flush(sess->s) == 0 ? 0 : -1);
}

struct bdat_state {
	struct smtp_session	*sess;
	struct smtp_reply	*reply;
	struct strbuf		 pending;	/* converted, not yet sent */
	bool			 bol;
	bool			 failed;
};

/* bdat_send - one BDAT command with its data; reads the reply unless last */
static int
bdat_send(struct bdat_state *st, bool last)
{
	struct stream *s = st->sess->s;

	stream_printf(s, "BDAT %zu%s\r\n", st->pending.len, last ? " LAST" : "");
	stream_write(s, st->pending.data, st->pending.len);
	strbuf_reset(&st->pending);
	if (stream_flush(s) < 0)
		return (-1);
	if (last)
		return (0);
	if (smtp_reply_read(s, st->reply) / 100 != 2) {
		st->failed = true;
		return (-1);
	}
	return (0);
}

/* bdat_chunk - convert into pending (LF as CRLF, CR as space); send full chunks */
static int
bdat_chunk(const char *data, size_t len, void *ctx)
{
	struct bdat_state *st = ctx;

	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n')
			strbuf_putc(&st->pending, '\r');
		strbuf_putc(&st->pending, data[i] == '\r' ? ' ' : data[i]);
		if (st->pending.len >= BDAT_CHUNK && bdat_send(st, false) < 0)
			return (1);
	}
	if (len > 0)
		st->bol = data[len - 1] == '\n';
	return (0);
}

/*
 * smtp_content_send_bdat - the content as BDAT chunks, the last one marked
 * LAST.  0 when LAST was sent (its reply is for the caller to read), -1
 * for an I/O failure, 1 when the server refused a chunk (reply filled).
 */
int
smtp_content_send_bdat(struct smtp_session *sess, struct smtp_message *m,
    struct smtp_reply *reply)
{
	struct bdat_state st;
	int	 rc;

	memset(&st, 0, sizeof(st));
	st.sess = sess;
	st.reply = reply;
	st.bol = true;
	strbuf_init(&st.pending);
	rc = queue_file_read_content(m->fd, &m->msg, bdat_chunk, &st);
	if (rc == 0) {
		if (!st.bol)
			strbuf_puts(&st.pending, "\r\n");
		rc = bdat_send(&st, true);
	} else
		rc = st.failed ? 1 : -1;
	strbuf_free(&st.pending);
	return (rc);
}
