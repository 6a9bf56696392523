/*
 * json_write - JSON text for the machine-readable outputs (sluice-queue -j).
 *
 * Only what a writer of flat records needs: string literals and numbers
 * appended to a strbuf.  Strings come from queue files and so from the
 * network: every byte sequence yields valid JSON that is also valid UTF-8.
 * Well-formed UTF-8 passes through; each byte of an ill-formed sequence
 * (overlong forms, surrogates, code points past U+10FFFF, truncations)
 * becomes \ufffd; control characters, '"' and '\\' are escaped, and so are
 * U+2028/U+2029 (legal JSON, but they end lines in JavaScript).
 */
#ifndef SLUICE_JSON_WRITE_H
#define SLUICE_JSON_WRITE_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

/* json_write_string - append len bytes of s as a quoted JSON string */
void	json_write_string(struct strbuf *sb, const char *s, size_t len);
/* json_write_member - append "name": (name is trusted ASCII) */
void	json_write_member(struct strbuf *sb, const char *name);
/* json_write_long - append a decimal number */
void	json_write_long(struct strbuf *sb, long value);
/* json_write_bool - append true or false */
void	json_write_bool(struct strbuf *sb, bool value);
/*
 * json_utf8_sequence - length (1..4) of the well-formed UTF-8 sequence at
 * p (at most len bytes), or 0 when the first byte does not start one.
 */
size_t	json_utf8_sequence(const unsigned char *p, size_t len);

#endif
