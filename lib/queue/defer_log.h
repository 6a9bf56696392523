/*
 * defer_log - why recipients of a queued message are still waiting.
 *
 * qmgr keeps, per message with deferred recipients, a small text file
 * defer/ID (in the queue directory) that it replaces atomically (write
 * a temporary file, fsync, rename) after each delivery attempt:
 *	warned=0|1                  (delay warning already sent)
 *	OFFSET<TAB>DSN<TAB>REASON   (one line per deferred R record)
 *	sent=OFFSET<TAB>ADDRESS     (finished already: see below)
 * showq and sluice-queue read it for the delay_reason of postqueue -j;
 * qmgr reads it back after a restart.  It is removed with the message.
 *
 * One R record can become several addresses (virtual aliases), and the
 * record is marked done only when all of them are; the sent= lines name
 * the addresses of a still pending record that were delivered (or that
 * failed and had their notice queued), so that the next attempt does
 * not deliver them again.  In the middle of an
 * attempt qmgr appends them (defer_log_append) as the agents answer,
 * and flushes the file once per batch of answers (defer_log_sync); a
 * last line without its newline is such an append cut short by a crash,
 * and is ignored.  Entries are found by offset, and addresses by offset
 * and address, in constant time (lib/util/htable.h): a message may have a
 * million addresses.
 */
#ifndef SLUICE_DEFER_LOG_H
#define SLUICE_DEFER_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "htable.h"
#include "strbuf.h"

#define DEFER_LOG_DIR		"defer"
#define DEFER_REASON_MAX	1000
#define DEFER_ADDRESS_MAX	1024

struct defer_entry {
	off_t	 offset;	/* of the recipient's R record */
	char	 dsn[16];
	char	*reason;
};

struct defer_sent {
	off_t	 offset;	/* of the R record the address came from */
	char	*address;
};

struct defer_log {
	bool			 warned;
	struct defer_entry	*entries;
	size_t			 count;
	struct defer_sent	*sent;
	size_t			 sent_count;
	size_t			 entries_cap;	/* allocated, for appends */
	size_t			 sent_cap;
	struct htable		*by_offset;	/* entries: index in num */
	struct htable		*by_sent;	/* "OFFSET<TAB>address" */
};

void	defer_log_init(struct defer_log *log);
void	defer_log_free(struct defer_log *log);
/* defer_log_set - add or replace the entry for offset */
void	defer_log_set(struct defer_log *log, off_t offset, const char *dsn,
	    const char *reason);
const struct defer_entry *defer_log_find(const struct defer_log *log, off_t offset);
/*
 * defer_log_add_sent - address (from the R record at offset) is delivered;
 * an address too long or with control characters is not recorded (it
 * would then be delivered again: at least once, never lost)
 */
void	defer_log_add_sent(struct defer_log *log, off_t offset,
	    const char *address);
/* defer_log_was_sent - was address of the record at offset delivered */
bool	defer_log_was_sent(const struct defer_log *log, off_t offset,
	    const char *address);
/*
 * defer_log_write - replace defer/ID atomically (a temporary file,
 * fsync, rename); 0, or -1 + err with the old defer/ID unchanged and no
 * temporary file left.  Paths are relative to the queue directory (the
 * cwd of every daemon).
 */
int	defer_log_write(const char *queue_id, const struct defer_log *log,
	    struct strbuf *err);
/*
 * defer_log_append - add the sent= lines of add to defer/ID, unflushed.
 * When there is no defer/ID (or its last line is cut short), the file is
 * written whole instead, as defer_log_write would write base with add's
 * addresses added.  0, or -1 + err; a failed append is cut back to the
 * old end, so that no torn line stays behind.
 */
int	defer_log_append(const char *queue_id, const struct defer_log *base,
	    const struct defer_log *add, struct strbuf *err);
/* defer_log_sync - flush defer/ID to disk (absent: nothing to do) */
int	defer_log_sync(const char *queue_id, struct strbuf *err);
/*
 * defer_log_read - 0 (an absent file is an empty log) or -1 + err, with
 * errno EBADMSG when the file is malformed (its content is lost for
 * good), else the error that kept it from being read (EIO, ...: try
 * again later; going on without its sent= lines would deliver them
 * again)
 */
int	defer_log_read(const char *queue_id, struct defer_log *log, struct strbuf *err);
void	defer_log_remove(const char *queue_id);

#endif
