/*
 * dsn_code - RFC 3463 enhanced status codes ("5.7.1") in reply texts,
 * queue logs and bounce requests.
 *
 * One reading of the syntax for every place that takes a code from a
 * peer, a table or a file: class 2, 4 or 5, then a subject and a detail
 * of one to three digits each.
 */
#ifndef SLUICE_DSN_CODE_H
#define SLUICE_DSN_CODE_H

#include <stdbool.h>
#include <stddef.h>

/* DSN_CODE_MAX - the longest code, "5.123.123", without its NUL */
#define DSN_CODE_MAX	9

/*
 * dsn_code_span - the length of the code at the start of text[0..len)
 * when the code ends there or a space or tab follows it; else 0
 */
size_t	dsn_code_span(const char *text, size_t len);

/* dsn_code_valid - the whole NUL-terminated string is one code */
bool	dsn_code_valid(const char *text);

#endif
