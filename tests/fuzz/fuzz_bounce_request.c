/*
 * fuzz_bounce_request - hostile bytes on the bounce service's socket.
 *
 * The input is split by its first byte: even feeds the service's side
 * (one attribute list of at most BOUNCE_REQUEST_MAX bytes, then
 * bounce_request_parse, what bounce(8) does with what arrives on
 * private/bounce), odd qmgr's side (attr_wire_complete on the bytes
 * gathered so far, then bounce_reply_parse).  Both must refuse malformed
 * input cleanly; what is accepted must survive its own wire form
 * unchanged (else qmgr and bounce could read one request two ways).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "bounce_request.h"
#include "msg.h"
#include "strbuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* request_again - req through its wire form: the same request */
static void
request_again(const struct bounce_request *req)
{
	struct bounce_request back;
	struct attr_list list;
	struct strbuf err;

	attr_list_init(&list);
	strbuf_init(&err);
	bounce_request_init(&back);
	bounce_request_to_list(req, &list);
	if (bounce_request_parse(&list, &back, &err) < 0 ||
	    back.count != req->count || back.action != req->action ||
	    back.last_attempt != req->last_attempt ||
	    strcmp(back.queue_id, req->queue_id) != 0)
		abort();
	for (size_t i = 0; i < req->count; i++)
		if (strcmp(back.rcpts[i].address, req->rcpts[i].address) != 0 ||
		    strcmp(back.rcpts[i].reason, req->rcpts[i].reason) != 0 ||
		    strcmp(back.rcpts[i].dsn, req->rcpts[i].dsn) != 0 ||
		    back.rcpts[i].offset != req->rcpts[i].offset ||
		    back.rcpts[i].mark != req->rcpts[i].mark)
			abort();
	bounce_request_free(&back);
	attr_list_free(&list);
	strbuf_free(&err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int initialized;
	struct bounce_request req;
	struct bounce_reply reply;
	struct attr_list list;
	struct strbuf err;
	long	 whole;

	if (!initialized) {
		msg_open("fuzz", "/dev/null");
		initialized = 1;
	}
	if (size == 0)
		return (0);
	attr_list_init(&list);
	strbuf_init(&err);
	if ((data[0] & 1) == 0) {
		bounce_request_init(&req);
		if (attr_from_buffer(data + 1, size - 1, &list,
		    BOUNCE_REQUEST_MAX) == STREAM_OK &&
		    bounce_request_parse(&list, &req, &err) == 0)
			request_again(&req);
		bounce_request_free(&req);
	} else {
		bounce_reply_init(&reply);
		whole = attr_wire_complete(data + 1, size - 1);
		if (whole > 0 && (size_t)whole > size - 1)
			abort();	/* measured past what is there */
		if (whole > 0 && attr_from_buffer(data + 1, (size_t)whole,
		    &list, BOUNCE_REPLY_MAX) == STREAM_OK)
			(void)bounce_reply_parse(&list, &reply, &err);
		bounce_reply_free(&reply);
	}
	attr_list_free(&list);
	strbuf_free(&err);
	return (0);
}
