/*
 * fuzz_anvil_serve - anvil's request loop (anvil/serve.c) on arbitrary
 * bytes from a client connection.
 *
 * The input is what a client sends; it is in one end of a socketpair,
 * closed for writing, before anvil_serve() serves the other end exactly
 * as in the daemon, against a fresh counter table.  Checked: every reply
 * anvil wrote is a well-formed attribute list with a status of 0 or 1,
 * and when the connection ends every session it registered is released
 * (past the rate window the table is empty: a session left counted would
 * keep its ident, and block that client for good).  Inputs over 8 KiB are
 * skipped: replies are at most about twice the requests, so they fit the
 * socket's buffer and nothing needs a reader thread.
 */
#include <sys/socket.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "anvil.h"
#include "attr.h"
#include "msg.h"
#include "stream.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_INPUT_MAX	8192
#define FUZZ_TIME_UNIT	60

/* replies_check - what anvil wrote to fd: attribute lists, status 0 or 1 */
static void
replies_check(int fd)
{
	struct attr_list list;
	struct stream *s;
	const char *status;
	int	 r;

	s = stream_open(fd);
	attr_list_init(&list);
	while ((r = attr_read(s, &list, 1024)) == STREAM_OK) {
		status = attr_list_get(&list, "status");
		if (status == NULL || (strcmp(status, "0") != 0 &&
		    strcmp(status, "1") != 0))
			abort();
	}
	if (r != STREAM_EOF)
		abort();		/* a reply cut short or malformed */
	attr_list_free(&list);
	stream_close(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct anvil_daemon d;
	struct service_context ctx;
	int	 sv[2];

	static bool opened;

	if (size > FUZZ_INPUT_MAX)
		return (0);
	if (!opened) {
		msg_open("anvil", "/dev/null");	/* its warnings are expected */
		opened = true;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	if (size > 0 && write(sv[0], data, size) != (ssize_t)size)
		abort();
	if (shutdown(sv[0], SHUT_WR) < 0)
		abort();
	memset(&d, 0, sizeof(d));
	d.time_unit = FUZZ_TIME_UNIT;
	d.status_update = 600;
	d.next_status = time(NULL) + d.status_update;
	d.table = anvil_table_create(d.time_unit);
	memset(&ctx, 0, sizeof(ctx));
	ctx.service_name = "anvil";
	ctx.app = &d;
	anvil_serve(&ctx, sv[1]);
	close(sv[1]);
	replies_check(sv[0]);
	anvil_table_expire(d.table, time(NULL) + 2 * FUZZ_TIME_UNIT);
	if (anvil_table_size(d.table) != 0)
		abort();		/* a session outlived its connection */
	anvil_table_free(d.table);
	return (0);
}
