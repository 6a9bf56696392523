/*
 * strbuf - growable, always NUL-terminated byte strings.
 *
 * The one string type of the code base.  Binary-safe (len counts bytes, the
 * trailing NUL is a convenience for C string functions).  Callers that read
 * hostile input bound the size themselves before appending.
 */
#ifndef SLUICE_STRBUF_H
#define SLUICE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char	*data;		/* always NUL-terminated, never NULL after init */
	size_t	 len;		/* bytes in use, excluding the NUL */
	size_t	 cap;		/* bytes allocated */
};

void	 strbuf_init(struct strbuf *sb);
void	 strbuf_free(struct strbuf *sb);
void	 strbuf_reset(struct strbuf *sb);		/* len = 0 */
void	 strbuf_truncate(struct strbuf *sb, size_t len);
void	 strbuf_append(struct strbuf *sb, const void *p, size_t n);
void	 strbuf_puts(struct strbuf *sb, const char *s);
void	 strbuf_putc(struct strbuf *sb, int c);
void	 strbuf_printf(struct strbuf *sb, const char *fmt, ...)
	     __attribute__((format(printf, 2, 3)));	/* appends */
void	 strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap);
void	 strbuf_set(struct strbuf *sb, const char *s);	/* reset + puts */
/* strbuf_detach - hand the buffer to the caller; sb is left empty, owning
 * nothing (strbuf_free is then optional) and reusable as it is */
char	*strbuf_detach(struct strbuf *sb);
/* strbuf_lower - ASCII lower-case in place */
void	 strbuf_lower(struct strbuf *sb);
/* strbuf_trim - strip ASCII white space at both ends */
void	 strbuf_trim(struct strbuf *sb);

#endif
