/*
 * fuzz_attr - attr_read() on arbitrary bytes.
 *
 * The input is served from a memfd through a stream, with a small total
 * limit so the size checks are exercised too.  Every list that parses is
 * written back out and must read back identically.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* memfd_stream - a stream over a fresh memfd holding data */
static struct stream *
memfd_stream(const void *data, size_t size)
{
	int fd = memfd_create("fuzz_attr", MFD_CLOEXEC);

	if (fd < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
	return (stream_open(fd));
}

/* check_roundtrip - serialize list and read it back unchanged */
static void
check_roundtrip(const struct attr_list *list)
{
	struct stream *s = memfd_stream("", 0);
	struct attr_list again;

	attr_list_init(&again);
	if (attr_write(s, list) != 0 || stream_flush(s) != STREAM_OK)
		abort();
	if (lseek(stream_fd(s), 0, SEEK_SET) != 0)
		abort();
	if (attr_read(s, &again, 0) != STREAM_OK || again.count != list->count)
		abort();
	for (size_t i = 0; i < list->count; i++)
		if (strcmp(again.items[i].name, list->items[i].name) != 0 ||
		    again.items[i].value_len != list->items[i].value_len ||
		    memcmp(again.items[i].value, list->items[i].value,
		    list->items[i].value_len) != 0 ||
		    again.items[i].value[again.items[i].value_len] != 0)
			abort();
	attr_list_free(&again);
	stream_close(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stream *s = memfd_stream(data, size);
	struct attr_list list;
	long num;

	attr_list_init(&list);
	/* several lists in a row, as on a real connection */
	for (int i = 0; i < 16; i++) {
		if (attr_read(s, &list, 64 * 1024) != STREAM_OK)
			break;
		check_roundtrip(&list);
		(void)attr_list_get_long(&list, "status", &num);
		(void)attr_list_get(&list, "request");
	}
	attr_list_free(&list);
	stream_close(s);
	return (0);
}
