/*
 * queue_file - the on-disk message format: the writer.
 *
 * The writer (cleanup) creates the file 0600 under a fresh ID with O_EXCL,
 * buffers records so that a message costs a few large write(2)s, splits
 * content into C records, and on finish patches the content size, flips the
 * mode to 0700 and fsyncs the file and its directory: only then may the
 * client be told the message is queued.  Any failure removes the file.
 * From creation until then the writer holds an exclusive flock(2) on the
 * file, and on failure the name goes before the lock: a reader (qmgr,
 * pickup) that sees the mode flipped while the fsync is still running
 * finds the file busy, so a file whose fsync then fails is never taken.
 * The lock is let go by the close, which is what qmgr waits for
 * (IN_CLOSE_WRITE, qmgr/watch.c).
 *
 * The reader (qmgr, queue tools) trusts nothing: every record's type,
 * length and position in the record order is checked, and a file whose
 * records run past its end is malformed.  Content is skipped, not loaded;
 * queue_file_read_content() streams it later.  A recipient is marked done
 * by overwriting its type byte R with D in place.  The reading half lives
 * in queue_file_read.c.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dir_sync.h"
#include "mem.h"
#include "queue_file.h"
#include "queue_recycle.h"

#define QF_HEADER_LEN	5		/* type byte + u32 length */
#define QF_SIZE_DIGITS	20
#define QF_WBUF_SIZE	(64 * 1024)
#define QF_READAHEAD	(256 * 1024)
#define QF_CREATE_TRIES	100

struct queue_writer {
	int		 fd;
	char		 id[QUEUE_ID_SIZE];
	char		*subdir;
	char		*path;
	off_t		 offset;	/* logical end of file, buffer included */
	off_t		 size_offset;	/* of the Z record's digits */
	long long	 content_size;
	bool		 have_sender;
	bool		 in_content;
	bool		 in_extracted;	/* X written: A and R records again */
	char		*final_subdir;	/* finish() moves the file there */
	bool		 failed;
	bool		 recycled;	/* old content past offset to cut off */
	off_t		 recycled_size;	/* how much old content there was */
	bool		 dir_sync_marked; /* dir_sync holds the entry's mark */
	struct dir_sync	 dir_sync;	/* of the directory entry */
	mode_t		 final_mode;	/* QUEUE_MODE_COMPLETE unless told */
	struct strbuf	 error;		/* first failure, for finish() */
	size_t		 wlen;
	unsigned char	 wbuf[QF_WBUF_SIZE];
	size_t		 clen;		/* content staged for the next C record */
	unsigned char	 cbuf[QUEUE_CHUNK_MAX];
};

/* put_u32 - big-endian record length */
static void
put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* writer_fail - remember the first error; later calls all fail */
static int
writer_fail(struct queue_writer *w, const char *what, int err)
{
	if (!w->failed) {
		w->failed = true;
		strbuf_printf(&w->error, "%s %s/%s: %s", what, w->subdir, w->id,
		    strerror(err));
	}
	return (-1);
}

/* write_iov - write every byte of iov, resuming after short writes */
static int
write_iov(int fd, struct iovec *iov, int cnt)
{
	ssize_t n;

	while (cnt > 0) {
		n = writev(fd, iov, cnt);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return (-1);
		}
		while (cnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return (0);
}

/* writer_flush - write out buffered records, plus extra bytes if given */
static int
writer_flush(struct queue_writer *w, const void *extra, size_t extra_len)
{
	struct iovec iov[2];
	int cnt = 0;

	if (w->failed)
		return (-1);
	if (w->wlen > 0) {
		iov[cnt].iov_base = w->wbuf;
		iov[cnt++].iov_len = w->wlen;
	}
	if (extra_len > 0) {
		iov[cnt].iov_base = (void *)extra;
		iov[cnt++].iov_len = extra_len;
	}
	if (cnt > 0 && write_iov(w->fd, iov, cnt) < 0)
		return (writer_fail(w, "write", errno));
	w->wlen = 0;
	return (0);
}

/* writer_bytes - append raw bytes to the file through the buffer */
static int
writer_bytes(struct queue_writer *w, const void *data, size_t len)
{
	if (w->failed)
		return (-1);
	if (len > sizeof(w->wbuf) - w->wlen) {
		/* big data goes out in one writev with what is buffered */
		if (len >= sizeof(w->wbuf) / 2) {
			if (writer_flush(w, data, len) < 0)
				return (-1);
			w->offset += (off_t)len;
			return (0);
		}
		if (writer_flush(w, NULL, 0) < 0)
			return (-1);
	}
	memcpy(w->wbuf + w->wlen, data, len);
	w->wlen += len;
	w->offset += (off_t)len;
	return (0);
}

/* writer_header - a record's type and length; the data must follow */
static int
writer_header(struct queue_writer *w, int type, size_t len)
{
	unsigned char hdr[QF_HEADER_LEN];

	if (w->failed)
		return (-1);
	if (len > QUEUE_RECORD_MAX)
		return (writer_fail(w, "record too long for", EMSGSIZE));
	hdr[0] = (unsigned char)type;
	put_u32(hdr + 1, (uint32_t)len);
	return (writer_bytes(w, hdr, sizeof(hdr)));
}

/* writer_record - one complete record */
static int
writer_record(struct queue_writer *w, int type, const void *data, size_t len)
{
	if (writer_header(w, type, len) < 0)
		return (-1);
	return (writer_bytes(w, data, len));
}

static void writer_free(struct queue_writer *);

/* writer_new - an empty writer for subdir */
static struct queue_writer *
writer_new(const char *subdir)
{
	struct queue_writer *w;

	w = xcalloc(1, sizeof(*w));
	w->fd = -1;
	w->final_mode = QUEUE_MODE_COMPLETE;
	w->subdir = xstrdup(subdir);
	strbuf_init(&w->error);
	return (w);
}

/*
 * subdir_fd - a descriptor of the queue subdirectory, kept open for the
 * process's life (the asynchronous fsync needs it until it completes);
 * -1 when it cannot be opened (a setgid writer in maildrop/).
 */
static int
subdir_fd(const char *subdir)
{
	static char *cached_dir;
	static int cached_fd = -1;

	if (cached_dir != NULL && strcmp(cached_dir, subdir) == 0)
		return (cached_fd);
	if (cached_fd >= 0)
		close(cached_fd);
	free(cached_dir);
	cached_dir = xstrdup(subdir);
	cached_fd = open(subdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return (cached_fd);
}

/*
 * writer_mark_dir_sync - the entry exists now: note it for the group
 * commit of the directory's fsync (dir_sync.h)
 */
static void
writer_mark_dir_sync(struct queue_writer *w)
{
	static bool table_tried;
	int	 fd = subdir_fd(w->subdir);

	if (fd < 0)
		return;		/* finish() syncs the directory itself */
	/* the master's table; without it every finish syncs on its own */
	if (!table_tried) {
		table_tried = true;
		(void)dir_sync_table_open(DIR_SYNC_TABLE, geteuid());
	}
	dir_sync_mark(&w->dir_sync, fd);
	w->dir_sync_marked = true;
}

/* writer_start - mode and the V, T, Z records; w or NULL (w freed) */
static struct queue_writer *
writer_start(struct queue_writer *w, struct strbuf *err)
{
	struct timeval tv;
	char buf[64];
	int n;

	/*
	 * The umask must not decide the mode that "unfinished" depends on
	 * (a recycled file was set to it before it was renamed in).
	 */
	if (!w->recycled && fchmod(w->fd, QUEUE_MODE_WRITING) < 0)
		writer_fail(w, "chmod", errno);
	/* nobody else locks a file that is not complete: never a wait */
	if (!w->failed && flock(w->fd, LOCK_EX | LOCK_NB) < 0)
		writer_fail(w, "lock", errno);
	writer_mark_dir_sync(w);
	gettimeofday(&tv, NULL);
	writer_record(w, QUEUE_REC_VERSION, "1", 1);
	n = snprintf(buf, sizeof(buf), "%lld.%06ld", (long long)tv.tv_sec,
	    (long)tv.tv_usec);
	writer_record(w, QUEUE_REC_TIME, buf, (size_t)n);
	writer_header(w, QUEUE_REC_SIZE, QF_SIZE_DIGITS);
	w->size_offset = w->offset;
	memset(buf, '0', QF_SIZE_DIGITS);
	writer_bytes(w, buf, QF_SIZE_DIGITS);
	if (w->failed) {
		strbuf_reset(err);
		strbuf_printf(err, "queue file write error: %s", w->error.data);
		queue_writer_abort(w);
		return (NULL);
	}
	return (w);
}

/* queue_writer_create - a new queue file under a fresh ID */
struct queue_writer *
queue_writer_create(const char *subdir, struct strbuf *err)
{
	struct queue_writer *w;
	struct strbuf path;
	int saved = EEXIST;

	w = writer_new(subdir);
	strbuf_init(&path);
	for (int i = 0; i < QF_CREATE_TRIES && w->fd < 0; i++) {
		queue_id_new(w->id);
		strbuf_reset(&path);
		strbuf_printf(&path, "%s/%s", subdir, w->id);
		w->fd = open(path.data, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, QUEUE_MODE_WRITING);
		if (w->fd < 0 && (saved = errno) != EEXIST)
			break;
	}
	w->path = strbuf_detach(&path);
	strbuf_free(&path);
	if (w->fd < 0) {
		strbuf_reset(err);
		strbuf_printf(err, "queue file write error: create %s: %s",
		    w->path, strerror(saved));
		writer_free(w);
		return (NULL);
	}
	return (writer_start(w, err));
}

/* queue_writer_create_recycled - like create, reusing a pool file if any */
struct queue_writer *
queue_writer_create_recycled(const char *subdir, const char *pool,
    struct strbuf *err)
{
	struct queue_writer *w;
	struct strbuf path;
	char id[QUEUE_ID_SIZE];
	int fd;

	off_t old_size;

	if ((fd = queue_recycle_take(pool, subdir, id, &old_size)) < 0)
		return (queue_writer_create(subdir, err));
	w = writer_new(subdir);
	memcpy(w->id, id, QUEUE_ID_SIZE);
	w->fd = fd;
	w->recycled = true;
	w->recycled_size = old_size;
	strbuf_init(&path);
	strbuf_printf(&path, "%s/%s", subdir, w->id);
	w->path = strbuf_detach(&path);
	strbuf_free(&path);
	return (writer_start(w, err));
}

/* queue_writer_id - the ID the file was created under */
const char *
queue_writer_id(const struct queue_writer *w)
{
	return (w->id);
}

/*
 * queue_writer_set_final_mode - the mode finish() flips to (maildrop files
 * end 0644 so that pickup, not their owner, can read them)
 */
void
queue_writer_set_final_mode(struct queue_writer *w, mode_t mode)
{
	w->final_mode = mode & 0777;
}

/* queue_writer_set_final_subdir - where finish() puts the file */
void
queue_writer_set_final_subdir(struct queue_writer *w, const char *subdir)
{
	free(w->final_subdir);
	w->final_subdir = subdir != NULL ? xstrdup(subdir) : NULL;
}

/*
 * writer_move - the unfinished file (mode 0600, locked: nobody takes it)
 * to its final directory, never over an existing name.  The old entry's
 * removal is made durable with the new one (finish() syncs both).
 */
static int
writer_move(struct queue_writer *w, char **old_subdir)
{
	struct strbuf to;
	int	 r;

	strbuf_init(&to);
	strbuf_printf(&to, "%s/%s", w->final_subdir, w->id);
	r = renameat2(AT_FDCWD, w->path, AT_FDCWD, to.data, RENAME_NOREPLACE);
	/* a file system without RENAME_NOREPLACE: link refuses a name too */
	if (r < 0 && errno == EINVAL && (r = link(w->path, to.data)) == 0)
		(void)unlink(w->path);
	if (r < 0) {
		writer_fail(w, "move", errno);
		strbuf_free(&to);
		return (-1);
	}
	free(w->path);
	w->path = strbuf_detach(&to);
	*old_subdir = w->subdir;
	w->subdir = w->final_subdir;
	w->final_subdir = NULL;
	/* the mark was for the old directory: the new one is synced plainly */
	if (w->dir_sync_marked) {
		dir_sync_abandon(&w->dir_sync);
		w->dir_sync_marked = false;
	}
	return (0);
}

/* queue_writer_sender - the S record ("" = null sender); exactly once */
int
queue_writer_sender(struct queue_writer *w, const char *sender)
{
	if (w->have_sender || w->in_content)
		return (writer_fail(w, "sender out of order in", EINVAL));
	w->have_sender = true;
	return (writer_record(w, QUEUE_REC_SENDER, sender, strlen(sender)));
}

static int writer_chunk_out(struct queue_writer *);

/*
 * extracted_start - after the content: the staged content out and the X
 * record, once; 0 / -1
 */
static int
extracted_start(struct queue_writer *w)
{
	if (w->in_extracted)
		return (w->failed ? -1 : 0);
	if (writer_chunk_out(w) < 0 ||
	    writer_record(w, QUEUE_REC_EXTRACTED, "", 0) < 0)
		return (-1);
	w->in_extracted = true;
	return (0);
}

/* queue_writer_attr - an A record "name=value", after the sender */
int
queue_writer_attr(struct queue_writer *w, const char *name, const char *value)
{
	size_t nlen = strlen(name), vlen = strlen(value);

	if (!w->have_sender || (w->in_content && extracted_start(w) < 0))
		return (writer_fail(w, "attribute out of order in", EINVAL));
	if (!attr_name_valid(name, nlen))
		return (writer_fail(w, "bad attribute name for", EINVAL));
	if (writer_header(w, QUEUE_REC_ATTR, nlen + 1 + vlen) < 0 ||
	    writer_bytes(w, name, nlen) < 0 || writer_bytes(w, "=", 1) < 0)
		return (-1);
	return (writer_bytes(w, value, vlen));
}

/*
 * queue_writer_recipient - an R record: address NUL orcpt NUL notify, then
 * NUL original when r->original is not NULL (an expanded recipient)
 */
int
queue_writer_recipient(struct queue_writer *w, const struct queue_recipient *r)
{
	const char *orcpt = r->orcpt ? r->orcpt : "";
	size_t alen = strlen(r->address), olen = strlen(orcpt);
	size_t glen = r->original ? strlen(r->original) : 0;
	char notify[16];
	int nlen;

	if (!w->have_sender || (w->in_content && extracted_start(w) < 0))
		return (writer_fail(w, "recipient out of order in", EINVAL));
	nlen = snprintf(notify, sizeof(notify), "%d", r->notify & 0xffff);
	if (writer_header(w, QUEUE_REC_RCPT, alen + 1 + olen + 1 +
	    (size_t)nlen + (r->original ? 1 + glen : 0)) < 0 ||
	    writer_bytes(w, r->address, alen + 1) < 0 ||
	    writer_bytes(w, orcpt, olen + 1) < 0 ||
	    writer_bytes(w, notify, (size_t)nlen) < 0)
		return (-1);
	if (r->original == NULL)
		return (0);
	/* the NUL that ends notify, then original without one */
	if (writer_bytes(w, "", 1) < 0)
		return (-1);
	return (glen ? writer_bytes(w, r->original, glen) : 0);
}

/* queue_writer_content_start - the M record; envelope records end here */
int
queue_writer_content_start(struct queue_writer *w)
{
	if (!w->have_sender || w->in_content)
		return (writer_fail(w, "content start out of order in", EINVAL));
	w->in_content = true;
	return (writer_record(w, QUEUE_REC_CONTENT, "", 0));
}

/* writer_chunk_out - emit the staged content as one C record */
static int
writer_chunk_out(struct queue_writer *w)
{
	if (w->clen == 0)
		return (w->failed ? -1 : 0);
	if (writer_record(w, QUEUE_REC_CHUNK, w->cbuf, w->clen) < 0)
		return (-1);
	w->clen = 0;
	return (0);
}

/* queue_writer_content - message bytes, coalesced into full C records */
int
queue_writer_content(struct queue_writer *w, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t take;

	if (!w->in_content || w->in_extracted)
		return (writer_fail(w, "content out of order in", EINVAL));
	if (w->failed)
		return (-1);
	w->content_size += (long long)len;
	while (len > 0) {
		/* whole chunks skip the staging copy */
		if (w->clen == 0 && len >= QUEUE_CHUNK_MAX) {
			if (writer_record(w, QUEUE_REC_CHUNK, p,
			    QUEUE_CHUNK_MAX) < 0)
				return (-1);
			p += QUEUE_CHUNK_MAX;
			len -= QUEUE_CHUNK_MAX;
			continue;
		}
		take = QUEUE_CHUNK_MAX - w->clen;
		if (take > len)
			take = len;
		memcpy(w->cbuf + w->clen, p, take);
		w->clen += take;
		p += take;
		len -= take;
		if (w->clen == QUEUE_CHUNK_MAX && writer_chunk_out(w) < 0)
			return (-1);
	}
	return (0);
}

/*
 * sync_directory - make the new directory entry durable.  A maildrop
 * writer (setgid, directory mode 1730) may not open its directory: then
 * the entry is made durable with the file system as a whole (syncfs of
 * the file), a cost only local submissions pay.
 */
static int
sync_directory(const char *dir, int file_fd)
{
	int fd, r, saved;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return (errno == EACCES ? syncfs(file_fd) : -1);
	r = async_fsync_run(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return (r);
}

/* writer_free - release w (the file itself is left alone) */
static void
writer_free(struct queue_writer *w)
{
	/* an abandoned lead is reaped and published; its result is moot */
	if (w->dir_sync_marked)
		dir_sync_abandon(&w->dir_sync);
	strbuf_free(&w->error);
	free(w->final_subdir);
	free(w->subdir);
	free(w->path);
	free(w);
}

/* writer_finish_dir_sync - an fsync of the directory since the mark */
static int
writer_finish_dir_sync(struct queue_writer *w)
{
	w->dir_sync_marked = false;
	return (dir_sync_finish(&w->dir_sync));
}

/* queue_writer_finish - E, size patch, mode flip, fsync file and directory */
int
queue_writer_finish(struct queue_writer *w, struct strbuf *err)
{
	char digits[QF_SIZE_DIGITS + 1];
	char *old_subdir = NULL;
	ssize_t n;
	int fd;

	if (!w->in_content && !w->failed)
		queue_writer_content_start(w);
	writer_chunk_out(w);
	writer_record(w, QUEUE_REC_END, "", 0);
	writer_flush(w, NULL, 0);
	if (!w->failed) {
		snprintf(digits, sizeof(digits), "%0*lld", QF_SIZE_DIGITS,
		    w->content_size);
		do {
			n = pwrite(w->fd, digits, QF_SIZE_DIGITS, w->size_offset);
		} while (n < 0 && errno == EINTR);
		if (n != QF_SIZE_DIGITS)
			writer_fail(w, "write", n < 0 ? errno : EIO);
	}
	/* a recycled file may be longer than this message */
	if (!w->failed && w->recycled && w->recycled_size > w->offset &&
	    ftruncate(w->fd, w->offset) < 0)
		writer_fail(w, "truncate", errno);
	/* moved while unfinished: complete only where it belongs */
	if (!w->failed && w->final_subdir != NULL)
		(void)writer_move(w, &old_subdir);
	if (!w->failed && fchmod(w->fd, w->final_mode) < 0)
		writer_fail(w, "chmod", errno);
	/* the directory's fsync (ours, or a shared one) runs alongside */
	if (!w->failed && w->dir_sync_marked)
		dir_sync_start(&w->dir_sync);
	/* in a coroutine (a multi-session cleanup) only this session waits */
	if (!w->failed && async_fsync_run(w->fd) < 0)
		writer_fail(w, "fsync", errno);
	if (!w->failed && (w->dir_sync_marked ? writer_finish_dir_sync(w) :
	    sync_directory(w->subdir, w->fd)) < 0)
		writer_fail(w, "fsync directory of", errno);
	/* a rare path (hold): the entry gone from the old directory too */
	if (!w->failed && old_subdir != NULL &&
	    sync_directory(old_subdir, w->fd) < 0)
		writer_fail(w, "fsync directory of", errno);
	free(old_subdir);
	fd = w->fd;
	w->fd = -1;
	if (w->failed) {
		strbuf_reset(err);
		strbuf_printf(err, "queue file write error: %s", w->error.data);
		/*
		 * Unfinished again first, so that a file whose unlink fails
		 * too is never delivered (the master removes it at start);
		 * then the name, then the lock: nobody may take it between.
		 */
		(void)fchmod(fd, QUEUE_MODE_WRITING);
		(void)unlink(w->path);
		(void)close(fd);
		writer_free(w);
		return (-1);
	}
	/*
	 * File and directory entry are durable; what close() could still
	 * report (a write-back error) the fsync has reported already.  A
	 * failure now would come after qmgr may have taken the file.
	 */
	(void)close(fd);
	writer_free(w);
	return (0);
}

/* queue_writer_abort - remove the unfinished file and free w */
void
queue_writer_abort(struct queue_writer *w)
{
	if (w == NULL)
		return;
	/* the name first, then the lock: nobody may take it between */
	(void)unlink(w->path);
	if (w->fd >= 0)
		(void)close(w->fd);
	writer_free(w);
}
