/*
 * queue_file - the on-disk message format.
 *
 * A queue file is a sequence of records: one type byte, a u32 big-endian
 * length, then that many data bytes.  In order:
 *	V version ("1")           T arrival ("sec.usec")
 *	Z content size (20 digits, patched in place when the content is done)
 *	S sender ("" for the null sender)
 *	A attribute "name=value" (client_name, client_address, helo_name,
 *	  protocol, envid, ret, ...), any number
 *	R recipient: address NUL orcpt NUL notify NUL original
 *	  (notify: decimal flags; original: the address the sender gave when
 *	  cleanup's virtual alias expansion replaced it, "" when it is the
 *	  address itself).  Written by cleanup, an R record is one final
 *	  recipient, so its done mark covers exactly one delivery.  A record
 *	  without the original field (queue files of Sluice before issue 16,
 *	  and maildrop/ files, which cleanup has not seen yet) is not
 *	  expanded: qmgr expands it at delivery as the old code did.
 *	  An R becomes D (done) by overwriting the type byte in place.
 *	M start of content; then C records of raw content (LF line ends,
 *	  dot-unstuffed), each at most QUEUE_CHUNK_MAX bytes
 *	X (optional, empty) start of the extracted segment: A and R records
 *	  that cleanup learned only while or after the content went by
 *	  (header_checks, smtpd's end-of-data decisions), as Postfix keeps
 *	  them after the message: "filter=transport:nexthop" (qmgr sends
 *	  every recipient there, content_filter's way), "redirect=addr"
 *	  (qmgr delivers every recipient to addr instead), "reject=D.D.D
 *	  text" (a local submission that header or body checks refused:
 *	  qmgr bounces every recipient with that reason, as Postfix's cleanup
 *	  does), and R records of BCC recipients.  Readers see them as if
 *	  they came before M.
 *	E end marker (empty)
 * A file is complete only when it ends in E *and* its mode is 0700: the
 * writer creates it 0600 and flips the mode right before the fsync that
 * makes it durable.  Anything else is an unfinished write, never delivered
 * and removed at start-up.  The writer holds an exclusive flock(2) on the
 * file from its creation until it is durable (or its name is gone), so a
 * reader that finds the mode flipped but the lock held knows the fsync
 * may still fail: the file is not complete yet (QUEUE_FILE_BUSY).
 *
 * A reader tells a file that is wrong (malformed: moved aside for a human)
 * from one it could not read (QUEUE_FILE_IO_ERROR: EIO, the file changing
 * under it): the latter is left where it is and tried again later, never
 * taken for corrupt or unfinished.
 */
#ifndef SLUICE_QUEUE_FILE_H
#define SLUICE_QUEUE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "attr.h"
#include "queue_id.h"
#include "strbuf.h"

#define QUEUE_REC_VERSION	'V'
#define QUEUE_REC_TIME		'T'
#define QUEUE_REC_SIZE		'Z'
#define QUEUE_REC_SENDER	'S'
#define QUEUE_REC_ATTR		'A'
#define QUEUE_REC_RCPT		'R'
#define QUEUE_REC_DONE		'D'
#define QUEUE_REC_CONTENT	'M'
#define QUEUE_REC_CHUNK		'C'
#define QUEUE_REC_EXTRACTED	'X'
#define QUEUE_REC_END		'E'

/* A records of the extracted segment (see X above) */
#define QUEUE_ATTR_FILTER	"filter"
#define QUEUE_ATTR_REDIRECT	"redirect"
#define QUEUE_ATTR_REJECT	"reject"

#define QUEUE_RECORD_MAX	(1024 * 1024)	/* any record's data */
#define QUEUE_CHUNK_MAX		(64 * 1024)
#define QUEUE_MODE_WRITING	0600
#define QUEUE_MODE_COMPLETE	0700
#define QUEUE_MODE_MAILDROP	0644	/* a finished maildrop/ file */

/* Results of the readers besides 0 and -1 (malformed) */
#define QUEUE_FILE_IO_ERROR	(-2)	/* could not read it: try again later */
#define QUEUE_FILE_BUSY		(-3)	/* its writer still holds it */

/* DSN NOTIFY (RFC 3461); 0 = not specified */
#define DSN_NOTIFY_NEVER	1
#define DSN_NOTIFY_SUCCESS	2
#define DSN_NOTIFY_FAILURE	4
#define DSN_NOTIFY_DELAY	8

struct queue_recipient {
	char	*address;
	char	*orcpt;		/* "rfc822;user@example" as given, or "" */
	int	 notify;	/* DSN_NOTIFY_* bits */
	/*
	 * The sender's address where virtual aliasing changed it, "" where
	 * it did not; NULL: a record not expanded yet (see R above).
	 */
	char	*original;
	off_t	 offset;	/* of the record's type byte (reader only) */
	bool	 done;
};

/* queue_recipient_original - what the sender wrote for this recipient */
static inline const char *
queue_recipient_original(const struct queue_recipient *r)
{
	return (r->original != NULL && r->original[0] != '\0' ?
	    r->original : r->address);
}

/* Writer: used by cleanup. Paths are relative to the current directory
 * (the queue directory). */
struct queue_writer;

/*
 * queue_writer_create - create QUEUE_DIR_SUBDIR/ID (O_CREAT|O_EXCL|
 * O_NOFOLLOW, mode 0600) under a fresh ID, and write V, T, Z.
 */
struct queue_writer *queue_writer_create(const char *subdir, struct strbuf *err);
/*
 * queue_writer_create_recycled - the same, but takes a spare file from the
 * pool directory (lib/queue/queue_recycle.h) when there is one: cleanup's way
 * of creating incoming/ files without allocating an inode.
 */
struct queue_writer *queue_writer_create_recycled(const char *subdir,
	    const char *pool, struct strbuf *err);
const char *queue_writer_id(const struct queue_writer *w);
int	queue_writer_sender(struct queue_writer *w, const char *sender);
int	queue_writer_attr(struct queue_writer *w, const char *name, const char *value);
int	queue_writer_recipient(struct queue_writer *w, const struct queue_recipient *r);
int	queue_writer_content_start(struct queue_writer *w);
int	queue_writer_content(struct queue_writer *w, const void *data, size_t len);
/*
 * After the content, queue_writer_attr and queue_writer_recipient write
 * into the extracted segment (the X record comes before the first).
 */
/*
 * queue_writer_set_final_subdir - finish() moves the file there (e.g.
 * "hold") before it becomes complete, and makes that directory's entry
 * durable: the file is never complete in the directory it was made in.
 */
void	queue_writer_set_final_subdir(struct queue_writer *w, const char *subdir);
/*
 * queue_writer_finish - write E, patch Z, flip the mode to 0700, fsync the
 * file, and wait for the fsync of its directory that began when the file
 * appeared there (lib/io/async_fsync.h; a plain fsync where that could not
 * be started).  0 on success; -1 with err filled (the file is
 * then removed, before its lock goes).  Frees w in both cases.
 */
int	queue_writer_finish(struct queue_writer *w, struct strbuf *err);
/* queue_writer_abort - remove the file and free w */
void	queue_writer_abort(struct queue_writer *w);
/*
 * queue_writer_set_final_mode - the mode finish() flips the file to instead
 * of QUEUE_MODE_COMPLETE (sluice-drop: QUEUE_MODE_MAILDROP, so that pickup
 * can read a file owned by the submitting user).  Call before finish.
 * A writer that may not open its directory (a setgid writer in a mode
 * 1730 directory) makes the entry durable with syncfs(2) instead.
 */
void	queue_writer_set_final_mode(struct queue_writer *w, mode_t mode);

/* Reader: qmgr, the queue tools, the tests. */
struct queue_message {
	char			 id[QUEUE_ID_SIZE];
	time_t			 arrival;
	long			 arrival_usec;
	long			 size;		/* content bytes */
	char			*sender;
	struct attr_list	 attrs;		/* A records as name/value */
	struct queue_recipient	*recipients;
	size_t			 recipient_count;
	off_t			 content_offset; /* of the first C record */
	bool			 complete;	/* E seen and mode 0700 */
};

/*
 * queue_file_read - parse the envelope of an open queue file (content
 * records are skipped, not loaded).  Returns 0, or -1 with err filled for a
 * malformed file (bad record type, length past EOF, missing V/T/S, ...),
 * or QUEUE_FILE_IO_ERROR with err filled when the file could not be read
 * (fstat or pread failed, the file shrank under the reader): nothing is
 * known about its content then.
 * An incomplete file parses fine with complete = false.  msg->id is the
 * file's name as /proc tells it; queue_file_read_named takes it from a
 * caller that opened the file by its ID (no readlink per read).
 */
int	queue_file_read(int fd, struct queue_message *msg, struct strbuf *err);
int	queue_file_read_named(int fd, const char *id, struct queue_message *msg,
	    struct strbuf *err);
void	queue_message_free(struct queue_message *msg);
/*
 * queue_file_read_content - call fn for each content chunk in order;
 * stops and returns fn's value when it is non-zero (fn returns positive
 * values); -1 when the content is malformed (no E record, a bad record),
 * QUEUE_FILE_IO_ERROR when it could not be read.
 */
int	queue_file_read_content(int fd, const struct queue_message *msg,
	    int (*fn)(const char *data, size_t len, void *ctx), void *ctx);
/*
 * queue_file_mark_done - flip R to D at offset; 0 / -1.  Not flushed:
 * the caller fdatasync()s once after a batch of marks.
 */
int	queue_file_mark_done(int fd, off_t offset);
/*
 * queue_file_check_complete - cheap check used to skip unfinished files:
 * 1 when complete (mode 0700, the last record is E, no writer holds it),
 * 0 when known unfinished (another mode, or the tail read and not E),
 * QUEUE_FILE_BUSY while its writer holds it, QUEUE_FILE_IO_ERROR when the
 * file could not be looked at.  Only a 0 may be removed as unfinished.
 * A complete file is left share-locked by the caller until it closes fd.
 * queue_file_is_complete - the same as a bool: 1 or not.
 */
int	queue_file_check_complete(int fd);
bool	queue_file_is_complete(int fd);
/*
 * queue_file_ends_with_end_record - the last record is an empty E,
 * whatever the mode (maildrop files, whose mode the writer chose).  Only a
 * cheap hint: content could end in the same bytes, so readers still insist
 * that queue_file_read_content() reaches the E record.
 */
bool	queue_file_ends_with_end_record(int fd);
/*
 * queue_file_check_end_record - the same with the reasons kept apart: 1,
 * 0 (no E), QUEUE_FILE_BUSY (the writer, sluice-drop, still holds it) or
 * QUEUE_FILE_IO_ERROR.
 */
int	queue_file_check_end_record(int fd);

#endif
