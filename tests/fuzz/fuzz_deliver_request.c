/*
 * fuzz_deliver_request - hostile bytes on a delivery agent's socket.
 *
 * The input is split by its first byte: even feeds the agent side
 * (deliver_request_read, what local and smtp read from qmgr), odd the
 * qmgr side (deliver_reply_read against a two-recipient request).  Both
 * must refuse malformed lists cleanly, never crash or leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "deliver_request.h"
#include "msg.h"
#include "stream.h"
#include "strbuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int initialized;
	struct deliver_request req;
	struct strbuf err;
	struct stream *s;
	FILE	*fp;

	if (!initialized) {
		msg_open("fuzz", "/dev/null");
		initialized = 1;
	}
	if (size == 0 || (fp = tmpfile()) == NULL)
		return (0);
	if (fwrite(data + 1, 1, size - 1, fp) != size - 1 || fflush(fp) != 0 ||
	    fseek(fp, 0, SEEK_SET) != 0) {
		fclose(fp);
		return (0);
	}
	s = stream_open(dup(fileno(fp)));
	fclose(fp);
	stream_set_timeout(s, 1);
	strbuf_init(&err);
	deliver_request_init(&req);
	if ((data[0] & 1) == 0) {
		while (deliver_request_read(s, &req, &err) == STREAM_OK)
			;
	} else {
		deliver_request_add_rcpt(&req, "a@example", NULL, NULL, 0, 10);
		deliver_request_add_rcpt(&req, "b@example", NULL, NULL, 0, 20);
		(void)deliver_reply_read(s, &req, &err);
	}
	deliver_request_free(&req);
	strbuf_free(&err);
	stream_close(s);
	return (0);
}
