/*
 * defer_log - why recipients of a queued message are still waiting.
 *
 * qmgr keeps, per message with deferred recipients, a small text file
 * defer/ID (in the queue directory) that it replaces atomically (write
 * a temporary file, fsync, rename) after each delivery attempt:
 *	warned=0|1                  (delay warning already sent)
 *	OFFSET<TAB>DSN<TAB>REASON   (one line per deferred R record)
 *	sent=OFFSET<TAB>ADDRESS     (delivered already: see below)
 * showq and sluice-queue read it for the delay_reason of postqueue -j;
 * qmgr reads it back after a restart.  It is removed with the message.
 *
 * One R record can become several addresses (virtual aliases), and the
 * record is marked done only when all of them are; the sent= lines name
 * the addresses of a still pending record that were delivered, so that
 * the next attempt does not deliver them again.
 */
#ifndef SLUICE_DEFER_LOG_H
#define SLUICE_DEFER_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

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
/* paths are relative to the queue directory (the cwd of every daemon) */
int	defer_log_write(const char *queue_id, const struct defer_log *log,
	    struct strbuf *err);
/* defer_log_read - 0 (an absent file is an empty log) or -1 + err */
int	defer_log_read(const char *queue_id, struct defer_log *log, struct strbuf *err);
void	defer_log_remove(const char *queue_id);

#endif
