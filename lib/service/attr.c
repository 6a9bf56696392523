/*
 * attr - the IPC attribute protocol spoken on every internal socket.
 *
 * Lists of (name, value) pairs, written as length-prefixed fields and read
 * back with every length checked before anything is allocated: a peer that
 * is confused or compromised can make a read fail, never make it allocate
 * more than the limits allow.  The writer validates the whole list first so
 * that a bad list never leaves half a request on the wire.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "mem.h"

/* attr_list_init - an empty list */
void
attr_list_init(struct attr_list *list)
{
	list->items = NULL;
	list->count = 0;
	list->cap = 0;
}

/* attr_list_reset - drop every pair, keep the array */
void
attr_list_reset(struct attr_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i].name);
		free(list->items[i].value);
	}
	list->count = 0;
}

/* attr_list_free - release everything; the list is empty afterwards */
void
attr_list_free(struct attr_list *list)
{
	attr_list_reset(list);
	free(list->items);
	attr_list_init(list);
}

/* attr_list_push - append a pair whose strings the list now owns */
static void
attr_list_push(struct attr_list *list, char *name, char *value, size_t len)
{
	if (list->count == list->cap) {
		list->cap = list->cap ? list->cap * 2 : 8;
		list->items = xrealloc(list->items,
		    list->cap * sizeof(list->items[0]));
	}
	list->items[list->count].name = name;
	list->items[list->count].value = value;
	list->items[list->count].value_len = len;
	list->count++;
}

/* attr_list_add - append a copy of name and the binary value */
void
attr_list_add(struct attr_list *list, const char *name, const void *value,
    size_t len)
{
	attr_list_push(list, xstrdup(name), xmemdup(len ? value : "", len), len);
}

/* attr_list_add_str - append a C string value */
void
attr_list_add_str(struct attr_list *list, const char *name, const char *value)
{
	attr_list_add(list, name, value, strlen(value));
}

/* attr_list_add_long - append a decimal number */
void
attr_list_add_long(struct attr_list *list, const char *name, long value)
{
	char buf[32];
	int n;

	n = snprintf(buf, sizeof(buf), "%ld", value);
	attr_list_add(list, name, buf, (size_t)n);
}

/* attr_list_find - first pair named name, or NULL */
const struct attr *
attr_list_find(const struct attr_list *list, const char *name)
{
	for (size_t i = 0; i < list->count; i++)
		if (strcmp(list->items[i].name, name) == 0)
			return (&list->items[i]);
	return (NULL);
}

/* attr_list_get - first value of name as a C string, or NULL */
const char *
attr_list_get(const struct attr_list *list, const char *name)
{
	const struct attr *a = attr_list_find(list, name);

	return (a != NULL ? a->value : NULL);
}

/* attr_list_get_long - first value of name as a clean decimal long */
int
attr_list_get_long(const struct attr_list *list, const char *name, long *out)
{
	const struct attr *a;
	const char *p;
	char *end;
	long val;

	if ((a = attr_list_find(list, name)) == NULL || a->value_len == 0)
		return (-1);
	p = a->value;
	/* strtol would accept leading blanks and a '+': the protocol does not */
	if (!(*p == '-' || (*p >= '0' && *p <= '9')))
		return (-1);
	errno = 0;
	val = strtol(p, &end, 10);
	if (errno != 0 || end == p || (size_t)(end - p) != a->value_len)
		return (-1);
	*out = val;
	return (0);
}

/* attr_name_valid - 1..ATTR_NAME_MAX bytes of [a-z0-9_] */
bool
attr_name_valid(const char *name, size_t len)
{
	if (len == 0 || len > ATTR_NAME_MAX)
		return (false);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_'))
			return (false);
	}
	return (true);
}

/* put_u32 - a big-endian length */
static void
put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* get_u32 - a big-endian length */
static uint32_t
get_u32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3]);
}

/* attr_write - serialize list onto s; the caller flushes */
int
attr_write(struct stream *s, const struct attr_list *list)
{
	unsigned char len[4];
	size_t nlen;

	if (list->count > ATTR_COUNT_MAX)
		return (-1);
	for (size_t i = 0; i < list->count; i++) {
		const struct attr *a = &list->items[i];

		if (!attr_name_valid(a->name, strlen(a->name)) ||
		    a->value_len > ATTR_VALUE_MAX)
			return (-1);
	}
	for (size_t i = 0; i < list->count; i++) {
		const struct attr *a = &list->items[i];

		nlen = strlen(a->name);
		put_u32(len, (uint32_t)nlen);
		if (stream_write(s, len, 4) != STREAM_OK ||
		    stream_write(s, a->name, nlen) != STREAM_OK)
			return (-1);
		put_u32(len, (uint32_t)a->value_len);
		if (stream_write(s, len, 4) != STREAM_OK ||
		    stream_write(s, a->value, a->value_len) != STREAM_OK)
			return (-1);
	}
	put_u32(len, 0);
	return (stream_write(s, len, 4) == STREAM_OK ? 0 : -1);
}

/*
 * read_first_len - the first length word, telling a clean EOF (nothing at
 * all arrived) apart from a list cut short.
 */
static int
read_first_len(struct stream *s, uint32_t *out)
{
	unsigned char buf[4];
	ssize_t n;
	int r;

	if ((n = stream_read(s, buf, sizeof(buf))) < 0)
		return ((int)n);
	if (n < 4 && (r = stream_read_exact(s, buf + n, 4 - (size_t)n)) != STREAM_OK)
		return (r == STREAM_EOF ? STREAM_ERROR : r);
	*out = get_u32(buf);
	return (STREAM_OK);
}

/* read_len - a length word inside the list: EOF here is truncation */
static int
read_len(struct stream *s, uint32_t *out)
{
	unsigned char buf[4];
	int r;

	if ((r = stream_read_exact(s, buf, sizeof(buf))) != STREAM_OK)
		return (r == STREAM_EOF ? STREAM_ERROR : r);
	*out = get_u32(buf);
	return (STREAM_OK);
}

/* attr_read_pairs - the body of attr_read; list is cleaned by the caller */
static int
attr_read_pairs(struct stream *s, struct attr_list *list, size_t max_total)
{
	char name[ATTR_NAME_MAX + 1];
	uint32_t name_len = 0, value_len = 0;
	size_t total;
	char *value;
	int r;

	if ((r = read_first_len(s, &name_len)) != STREAM_OK)
		return (r);
	total = 4;
	for (;;) {
		if (name_len == 0)
			return (total <= max_total ? STREAM_OK : STREAM_ERROR);
		if (name_len > ATTR_NAME_MAX || list->count >= ATTR_COUNT_MAX)
			return (STREAM_ERROR);
		total += (size_t)name_len + 4;
		if (total > max_total)
			return (STREAM_ERROR);
		if ((r = stream_read_exact(s, name, name_len)) != STREAM_OK)
			return (r == STREAM_EOF ? STREAM_ERROR : r);
		if (!attr_name_valid(name, name_len))
			return (STREAM_ERROR);
		name[name_len] = 0;
		if ((r = read_len(s, &value_len)) != STREAM_OK)
			return (r);
		if (value_len > ATTR_VALUE_MAX)
			return (STREAM_ERROR);
		/* the value, plus the next length word that must follow it */
		total += (size_t)value_len + 4;
		if (total > max_total)
			return (STREAM_ERROR);
		value = xmalloc((size_t)value_len + 1);
		if ((r = stream_read_exact(s, value, value_len)) != STREAM_OK) {
			free(value);
			return (r == STREAM_EOF ? STREAM_ERROR : r);
		}
		value[value_len] = 0;
		attr_list_push(list, xstrdup(name), value, value_len);
		if ((r = read_len(s, &name_len)) != STREAM_OK)
			return (r);
	}
}

/*
 * attr_read - read one list.  max_total bounds the whole list on the wire
 * (every length word included); 0 means ATTR_TOTAL_DEFAULT.
 */
int
attr_read(struct stream *s, struct attr_list *list, size_t max_total)
{
	int r;

	attr_list_reset(list);
	if (max_total == 0)
		max_total = ATTR_TOTAL_DEFAULT;
	if ((r = attr_read_pairs(s, list, max_total)) != STREAM_OK)
		attr_list_reset(list);
	return (r);
}

/* attr_wire_complete - measure the first list in buf without parsing it */
long
attr_wire_complete(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t	 pos = 0, count = 0;
	uint32_t n;

	for (;;) {
		if (len - pos < 4)
			return (0);
		n = get_u32(p + pos);
		pos += 4;
		if (n == 0)
			return (pos > LONG_MAX ? -1 : (long)pos);
		if (n > ATTR_NAME_MAX || ++count > ATTR_COUNT_MAX)
			return (-1);
		if (len - pos < (size_t)n + 4)
			return (0);
		pos += n;
		n = get_u32(p + pos);
		pos += 4;
		if (n > ATTR_VALUE_MAX)
			return (-1);
		if (len - pos < n)
			return (0);
		pos += n;
	}
}

/* what a memory stream reads from */
struct attr_memory {
	const unsigned char *data;
	size_t		 len;
	size_t		 pos;
	struct strbuf	*out;
};

/* memory_read - a stream's input from a buffer: EOF at its end */
static ssize_t
memory_read(void *ctx, void *buf, size_t len, int *want_write)
{
	struct attr_memory *m = ctx;

	*want_write = 0;
	if (len > m->len - m->pos)
		len = m->len - m->pos;
	memcpy(buf, m->data + m->pos, len);
	m->pos += len;
	return ((ssize_t)len);
}

/* memory_write - a stream's output appended to a strbuf */
static ssize_t
memory_write(void *ctx, const void *buf, size_t len, int *want_read)
{
	struct attr_memory *m = ctx;

	*want_read = 0;
	strbuf_append(m->out, buf, len);
	return ((ssize_t)len);
}

/* attr_to_buffer - serialize through a stream that writes to memory */
int
attr_to_buffer(const struct attr_list *list, struct strbuf *out)
{
	struct attr_memory m = { .out = out };
	struct stream *s;
	int	 rc;

	s = stream_open(-1);
	stream_set_io(s, memory_read, memory_write, &m);
	rc = attr_write(s, list) == 0 && stream_flush(s) == STREAM_OK ? 0 : -1;
	stream_close(s);
	return (rc);
}

/* attr_from_buffer - parse through a stream that reads from memory */
int
attr_from_buffer(const void *buf, size_t len, struct attr_list *list,
    size_t max_total)
{
	struct attr_memory m = { .data = buf, .len = len };
	struct stream *s;
	int	 r;

	s = stream_open(-1);
	stream_set_io(s, memory_read, memory_write, &m);
	r = attr_read(s, list, max_total);
	if (r == STREAM_OK && (m.pos != len || stream_pending(s) > 0)) {
		attr_list_reset(list);
		r = STREAM_ERROR;
	}
	stream_close(s);
	return (r == STREAM_EOF ? STREAM_ERROR : r);
}
