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
#include <stdint.h>
#include <string.h>

#include "msg.h"
#include "smtp.h"

#define BDAT_CHUNK	(64 * 1024)

struct scan_state {
	bool	 bol;
	bool	 has_8bit;
	long	 size;
};

/* any_8bit - a byte >= 0x80 in data; eight at a time */
static bool
any_8bit(const char *data, size_t len)
{
	uint64_t word, acc = 0;
	size_t	 i = 0;

	for (; i + sizeof(word) <= len; i += sizeof(word)) {
		memcpy(&word, data + i, sizeof(word));
		acc |= word;
	}
	for (; i < len; i++)
		acc |= (unsigned char)data[i];
	return ((acc & 0x8080808080808080ULL) != 0);
}

/* scan_chunk - 8-bit bytes and the size with CRLF */
static int
scan_chunk(const char *data, size_t len, void *ctx)
{
	struct scan_state *st = ctx;
	const char *end = data + len;

	if (!st->has_8bit && any_8bit(data, len))
		st->has_8bit = true;
	for (const char *p = data; (p = memchr(p, '\n', (size_t)(end - p)))
	    != NULL; p++)
		st->size++;
	st->size += (long)len;
	if (len > 0)
		st->bol = data[len - 1] == '\n';
	return (0);
}

/*
 * next_special - the first LF or CR in [p, end), or end: the conversions
 * below copy everything else as it is, a line at a time (a CR is rare)
 */
static const char *
next_special(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	const char *cr = memchr(p, '\r', (size_t)((nl ? nl : end) - p));

	return (cr ? cr : nl ? nl : end);
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
	const char *p = data, *end = data + len, *q;

	while (p < end) {
		if (st->bol && st->stuff && *p == '.')
			stream_write(st->s, ".", 1);
		q = next_special(p, end);
		if (q > p)
			stream_write(st->s, p, (size_t)(q - p));
		if (q == end) {
			st->bol = false;
			break;
		}
		st->bol = *q == '\n';
		stream_write(st->s, st->bol ? "\r\n" : " ", st->bol ? 2 : 1);
		p = q + 1;
	}
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
	const char *p = data, *end = data + len, *q;
	size_t	 room;

	while (p < end) {
		/* chunks of BDAT_CHUNK bytes (one more when a CRLF straddles) */
		room = BDAT_CHUNK - st->pending.len;
		q = next_special(p, (size_t)(end - p) > room ? p + room : end);
		strbuf_append(&st->pending, p, (size_t)(q - p));
		p = q;
		if (q < end && (*q == '\n' || *q == '\r') &&
		    st->pending.len < BDAT_CHUNK) {
			strbuf_append(&st->pending, *q == '\n' ? "\r\n" : " ",
			    *q == '\n' ? 2 : 1);
			p = q + 1;
		}
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
