/*
 * strbuf - growable, always NUL-terminated byte strings.
 *
 * Growth is geometric so appending a byte at a time stays linear; the size
 * arithmetic is checked because lengths may come from hostile input.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "msg.h"
#include "strbuf.h"

#define STRBUF_MIN_CAP	64

/*
 * What a detached strbuf points at: an empty string that owns no memory
 * (cap 0), so that detaching leaves nothing to free and strbuf_free() after
 * a detach is still harmless.  Writable, because reset writes its NUL.
 */
static char strbuf_no_data[1];

/* strbuf_reserve - make room for extra more bytes plus the NUL */
static void
strbuf_reserve(struct strbuf *sb, size_t extra)
{
	size_t need, cap;

	if (extra > (size_t)-1 - sb->len - 1)
		msg_fatal("strbuf: size overflow");
	need = sb->len + extra + 1;
	if (need <= sb->cap)
		return;
	cap = sb->cap ? sb->cap : STRBUF_MIN_CAP;
	while (cap < need)
		cap = cap > (size_t)-1 / 2 ? need : cap * 2;
	sb->data = xrealloc(sb->cap ? sb->data : NULL, cap);
	if (sb->len == 0)
		sb->data[0] = '\0';
	sb->cap = cap;
}

/* strbuf_init - an empty string with a small buffer */
void
strbuf_init(struct strbuf *sb)
{
	sb->cap = STRBUF_MIN_CAP;
	sb->len = 0;
	sb->data = xmalloc(sb->cap);
	sb->data[0] = '\0';
}

/* strbuf_free - release the buffer; sb may be initialised again */
void
strbuf_free(struct strbuf *sb)
{
	if (sb->cap)
		free(sb->data);
	sb->data = NULL;
	sb->len = sb->cap = 0;
}

/* strbuf_reset - empty the string, keep the buffer */
void
strbuf_reset(struct strbuf *sb)
{
	strbuf_truncate(sb, 0);
}

/* strbuf_truncate - shorten to len bytes (never lengthens) */
void
strbuf_truncate(struct strbuf *sb, size_t len)
{
	if (sb->data == NULL)
		strbuf_init(sb);
	if (len < sb->len) {
		sb->len = len;
		sb->data[len] = '\0';
	}
}

/* strbuf_append - append n bytes (binary-safe) */
void
strbuf_append(struct strbuf *sb, const void *p, size_t n)
{
	const char *src = p;
	size_t offset;

	if (sb->data == NULL)
		strbuf_init(sb);
	/* appending part of sb to itself must survive the reallocation */
	if (src >= sb->data && src < sb->data + sb->cap) {
		offset = (size_t)(src - sb->data);
		strbuf_reserve(sb, n);
		src = sb->data + offset;
	} else
		strbuf_reserve(sb, n);
	if (n > 0)
		memmove(sb->data + sb->len, src, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
}

/* strbuf_puts - append a C string */
void
strbuf_puts(struct strbuf *sb, const char *s)
{
	strbuf_append(sb, s, strlen(s));
}

/* strbuf_putc - append one byte */
void
strbuf_putc(struct strbuf *sb, int c)
{
	if (sb->data == NULL)
		strbuf_init(sb);
	strbuf_reserve(sb, 1);
	sb->data[sb->len++] = (char)c;
	sb->data[sb->len] = '\0';
}

/* strbuf_printf - append formatted text */
void
strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vprintf(sb, fmt, ap);
	va_end(ap);
}

/* strbuf_vprintf - append formatted text, growing as needed */
void
strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list copy;
	int n;

	if (sb->data == NULL)
		strbuf_init(sb);
	va_copy(copy, ap);
	n = vsnprintf(sb->data + sb->len, sb->cap - sb->len, fmt, copy);
	va_end(copy);
	if (n < 0)
		msg_fatal("strbuf_vprintf: bad format");
	if ((size_t)n >= sb->cap - sb->len) {
		strbuf_reserve(sb, (size_t)n);
		n = vsnprintf(sb->data + sb->len, sb->cap - sb->len, fmt, ap);
		if (n < 0)
			msg_fatal("strbuf_vprintf: bad format");
	}
	sb->len += (size_t)n;
}

/* strbuf_set - replace the contents with s */
void
strbuf_set(struct strbuf *sb, const char *s)
{
	size_t n = strlen(s);

	if (sb->data == s) {
		sb->len = n;
		return;
	}
	strbuf_reset(sb);
	strbuf_append(sb, s, n);
}

/* strbuf_detach - hand the buffer to the caller, leave sb empty */
char *
strbuf_detach(struct strbuf *sb)
{
	char *p;

	if (sb->cap == 0)
		return (xstrdup(""));
	p = sb->data;
	strbuf_no_data[0] = '\0';
	sb->data = strbuf_no_data;
	sb->len = sb->cap = 0;
	return (p);
}

/* strbuf_lower - ASCII lower-case in place */
void
strbuf_lower(struct strbuf *sb)
{
	for (size_t i = 0; i < sb->len; i++)
		if (sb->data[i] >= 'A' && sb->data[i] <= 'Z')
			sb->data[i] += 'a' - 'A';
}

/* strbuf_trim - strip ASCII white space at both ends */
void
strbuf_trim(struct strbuf *sb)
{
	size_t start = 0, end = sb->len;

	while (end > 0 && isspace((unsigned char)sb->data[end - 1]))
		end--;
	while (start < end && isspace((unsigned char)sb->data[start]))
		start++;
	if (start > 0)
		memmove(sb->data, sb->data + start, end - start);
	sb->len = end - start;
	if (sb->data != NULL)
		sb->data[sb->len] = '\0';
}
