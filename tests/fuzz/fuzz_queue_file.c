/*
 * fuzz_queue_file - queue_file_read() and friends on arbitrary bytes.
 *
 * The input becomes a memfd with mode 0700 (so that "complete" files reach
 * the size check); whatever parses has its content streamed, its
 * recipients marked done, and is parsed again.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "queue_file.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* count_content - read_content callback summing chunk sizes */
static int
count_content(const char *data, size_t len, void *ctx)
{
	long *total = ctx;

	if (len > 0 && data == NULL)
		abort();
	*total += (long)len;
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct queue_message msg;
	struct strbuf err;
	long total = 0;
	int fd;

	if ((fd = memfd_create("fuzz_queue_file", MFD_CLOEXEC)) < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	(void)fchmod(fd, QUEUE_MODE_COMPLETE);
	strbuf_init(&err);
	(void)queue_file_is_complete(fd);
	if (queue_file_read(fd, &msg, &err) == 0) {
		if (msg.complete) {
			if (queue_file_read_content(fd, &msg, count_content,
			    &total) != 0 || total != msg.size)
				abort();
		}
		for (size_t i = 0; i < msg.recipient_count; i++)
			if (queue_file_mark_done(fd, msg.recipients[i].offset) != 0)
				abort();
		queue_message_free(&msg);
		if (queue_file_read(fd, &msg, &err) != 0)
			abort();
		for (size_t i = 0; i < msg.recipient_count; i++)
			if (!msg.recipients[i].done)
				abort();
		queue_message_free(&msg);
	} else if (err.len == 0)
		abort();
	strbuf_free(&err);
	close(fd);
	return (0);
}
