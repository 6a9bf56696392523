/*
 * fuzz_smtp_reply - what a hostile SMTP/LMTP server can send the smtp
 * client, and the next-hop syntax of transport and relayhost tables.
 *
 * The input is the server's byte stream: replies are read from it with
 * smtp_reply_read() until it fails, each reply's lines are fed to the
 * EHLO keyword parser as well, and the derived DSN and the description
 * must stay within their bounds.  The first line of the input, as text,
 * also goes through smtp_nexthop_parse() for SMTP and LMTP.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "smtp.h"
#include "stream.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check_reply - what the rest of the client relies on */
static void
check_reply(const struct smtp_reply *r)
{
	if (r->code < 200 || r->code > 599)
		abort();
	if (strlen(r->dsn) >= sizeof(r->dsn) || (r->dsn[0] != '\0' &&
	    (r->dsn[0] < '2' || r->dsn[0] > '5' || r->dsn[1] != '.')))
		abort();
	if (strlen(r->text.data) != r->text.len ||
	    strlen(r->first.data) != r->first.len)
		abort();
	for (size_t i = 0; i < r->text.len; i++)
		if ((unsigned char)r->text.data[i] < 0x20)
			abort();	/* goes into logs and bounces */
}

/* nexthops - the first input line as a next hop, both protocols */
static void
nexthops(const uint8_t *data, size_t size)
{
	struct smtp_params p;
	struct smtp_nexthop nh;
	struct strbuf err;
	size_t	 n = 0;
	char	*text;

	while (n < size && n < 1024 && data[n] != '\n')
		n++;
	text = xmemdup(data, n);	/* NUL-terminated copy */
	memset(&p, 0, sizeof(p));
	p.smtp_port = "smtp";
	p.lmtp_port = "24";
	strbuf_init(&err);
	for (int lmtp = 0; lmtp < 2; lmtp++) {
		memset(&nh, 0, sizeof(nh));
		if (smtp_nexthop_parse(text, lmtp, &p, &nh, &err) == 0)
			smtp_nexthop_free(&nh);
		strbuf_reset(&err);
	}
	strbuf_free(&err);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_session sess;
	struct smtp_reply r;
	struct stream *s;
	int	 fd;

	nexthops(data, size);
	if ((fd = memfd_create("fuzz_smtp_reply", MFD_CLOEXEC)) < 0)
		return (0);
	if (size > 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return (0);
	}
	(void)lseek(fd, 0, SEEK_SET);
	s = stream_open(fd);
	stream_set_timeout(s, 1);
	memset(&sess, 0, sizeof(sess));
	smtp_reply_init(&r);
	for (int replies = 0; replies < 64; replies++) {
		if (smtp_reply_read(s, &r) <= 0)
			break;
		check_reply(&r);
		smtp_parse_ehlo_line(&sess, r.first.data);
	}
	smtp_reply_free(&r);
	free(sess.auth_mechs);
	stream_close(s);
	return (0);
}
