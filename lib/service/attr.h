/*
 * attr - the IPC attribute protocol spoken on every internal socket.
 *
 * A request or reply is a list of (name, value) pairs ended by an empty
 * name.  On the wire each pair is
 *	u32 name_len (big endian), name bytes, u32 value_len, value bytes
 * and the list ends with a u32 zero.  Names are 1..ATTR_NAME_MAX bytes of
 * [a-z0-9_]; values are binary-safe, at most ATTR_VALUE_MAX bytes.  A name
 * may repeat (recipient lists); order is kept.  The reader enforces the
 * limits and a caller-supplied total size, so a confused or hostile peer
 * gets an error, never an unbounded allocation.
 */
#ifndef SLUICE_ATTR_H
#define SLUICE_ATTR_H

#include <stdbool.h>
#include <stddef.h>

#include "stream.h"
#include "strbuf.h"

#define ATTR_NAME_MAX	64
#define ATTR_VALUE_MAX	(1024 * 1024)
#define ATTR_COUNT_MAX	65536
#define ATTR_TOTAL_DEFAULT (4 * 1024 * 1024)

struct attr {
	char	*name;		/* NUL-terminated */
	char	*value;		/* NUL-terminated copy, may contain NULs */
	size_t	 value_len;
};

struct attr_list {
	struct attr	*items;
	size_t		 count;
	size_t		 cap;
};

void	attr_list_init(struct attr_list *list);
void	attr_list_free(struct attr_list *list);
void	attr_list_reset(struct attr_list *list);
void	attr_list_add(struct attr_list *list, const char *name, const void *value,
	    size_t len);
void	attr_list_add_str(struct attr_list *list, const char *name, const char *value);
void	attr_list_add_long(struct attr_list *list, const char *name, long value);

/* attr_list_get - first value of name as a C string, or NULL */
const char *attr_list_get(const struct attr_list *list, const char *name);
const struct attr *attr_list_find(const struct attr_list *list, const char *name);
/*
 * attr_list_get_long - parse the first value of name as a decimal long.
 * Returns 0, or -1 when absent or not a clean number.
 */
int	attr_list_get_long(const struct attr_list *list, const char *name, long *out);

/* attr_write - serialize and buffer the list on s (caller flushes). 0 / -1 */
int	attr_write(struct stream *s, const struct attr_list *list);
/*
 * attr_read - read one list into list (reset first).  Returns STREAM_OK,
 * STREAM_EOF (clean EOF before the first byte), or STREAM_ERROR for any
 * malformation (bad name, over a limit, truncated), or the stream's status.
 */
int	attr_read(struct stream *s, struct attr_list *list, size_t max_total);

/*
 * attr_wire_complete - the length of the first complete list at the start
 * of buf (bytes collected from a non-blocking socket), 0 when more bytes
 * are needed, -1 when they cannot be a valid list (a name or value over
 * its limit, too many pairs).  Lets an event loop wait for a whole reply
 * before it parses one, never in a blocking read.
 */
long	attr_wire_complete(const void *buf, size_t len);
/* attr_to_buffer - list as wire bytes appended to out; 0 / -1 (invalid) */
int	attr_to_buffer(const struct attr_list *list, struct strbuf *out);
/*
 * attr_from_buffer - the one list that buf holds (as attr_wire_complete
 * measured it), with attr_read's checks.  STREAM_OK, or STREAM_ERROR
 * for a malformed list or bytes left over after it.
 */
int	attr_from_buffer(const void *buf, size_t len, struct attr_list *list,
	    size_t max_total);

/* attr_name_valid - is this a legal attribute name */
bool	attr_name_valid(const char *name, size_t len);

#endif
