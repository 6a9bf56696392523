/*
 * test_queue_file - unit tests for lib/queue/queue_file.c and queue_file_read.c.
 *
 * Real files in a private directory: written by the writer and read back,
 * then damaged on purpose, or built record by record to get exactly the
 * malformation under test.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "queue_file.h"
#include "unit.h"

static char dir[64];

/* setup - an empty queue subdirectory */
static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_qf.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* teardown - remove the directory and whatever is left in it */
static void
teardown(void)
{
	char path[512];
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d != NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
}

/* count_files - entries in the queue directory */
static int
count_files(void)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return (n);
}

/* content_byte - the test pattern */
static char
content_byte(size_t i)
{
	return ((char)("abcdefghij\n"[i % 11]));
}

/* write_message - a complete file with content_len bytes; its path */
static char *
write_message(size_t content_len)
{
	struct queue_recipient r1 = { .address = "one@example.org",
	    .orcpt = "rfc822;One@example.org",
	    .notify = DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE,
	    .original = "list@example.org" };
	struct queue_recipient r2 = { .address = "two@example.org",
	    .orcpt = NULL, .original = "" };
	struct queue_recipient r3 = { .address = "Legacy@example.org",
	    .orcpt = NULL };
	struct queue_writer *w;
	struct strbuf err, path;
	char *buf = xmalloc(content_len + 1), *ret;
	size_t off = 0, step = 1;

	strbuf_init(&err);
	strbuf_init(&path);
	w = queue_writer_create(dir, &err);
	ck_assert_msg(w != NULL, "%s", err.data);
	ck_assert(queue_id_valid(queue_writer_id(w)));
	strbuf_printf(&path, "%s/%s", dir, queue_writer_id(w));
	ck_assert_int_eq(queue_writer_sender(w, "sender@example.com"), 0);
	ck_assert_int_eq(queue_writer_attr(w, "client_address", "127.0.0.1"), 0);
	ck_assert_int_eq(queue_writer_attr(w, "helo_name", "x=y"), 0);
	ck_assert_int_eq(queue_writer_recipient(w, &r1), 0);
	ck_assert_int_eq(queue_writer_recipient(w, &r2), 0);
	ck_assert_int_eq(queue_writer_recipient(w, &r3), 0);
	ck_assert_int_eq(queue_writer_content_start(w), 0);
	for (size_t i = 0; i < content_len; i++)
		buf[i] = content_byte(i);
	/* uneven pieces: tiny, medium and bigger than a chunk */
	while (off < content_len) {
		size_t n = step < content_len - off ? step : content_len - off;

		ck_assert_int_eq(queue_writer_content(w, buf + off, n), 0);
		off += n;
		step = step * 7 % 150001 + 1;
	}
	ck_assert_int_eq(queue_writer_finish(w, &err), 0);
	free(buf);
	strbuf_free(&err);
	ret = strbuf_detach(&path);
	strbuf_free(&path);
	return (ret);
}

/* check_content - read_content callback comparing against the pattern */
static int
check_content(const char *data, size_t len, void *ctx)
{
	size_t *pos = ctx;

	ck_assert_uint_le(len, QUEUE_CHUNK_MAX);
	for (size_t i = 0; i < len; i++)
		if (data[i] != content_byte(*pos + i))
			return (-2);
	*pos += len;
	return (0);
}

START_TEST(test_roundtrip)
{
	struct queue_message msg;
	struct strbuf err;
	struct stat st;
	char *path = write_message(300000);
	size_t pos = 0;
	int fd;

	strbuf_init(&err);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, QUEUE_MODE_COMPLETE);
	fd = open(path, O_RDONLY);
	ck_assert(queue_file_is_complete(fd));
	ck_assert_msg(queue_file_read(fd, &msg, &err) == 0, "%s", err.data);
	ck_assert(msg.complete);
	ck_assert_str_eq(msg.id, strrchr(path, '/') + 1);
	ck_assert_str_eq(msg.sender, "sender@example.com");
	ck_assert_int_eq(msg.size, 300000);
	ck_assert_int_gt(msg.arrival, 1600000000);
	ck_assert_str_eq(attr_list_get(&msg.attrs, "client_address"), "127.0.0.1");
	ck_assert_str_eq(attr_list_get(&msg.attrs, "helo_name"), "x=y");
	ck_assert_uint_eq(msg.recipient_count, 3);
	ck_assert_str_eq(msg.recipients[0].address, "one@example.org");
	ck_assert_str_eq(msg.recipients[0].orcpt, "rfc822;One@example.org");
	ck_assert_int_eq(msg.recipients[0].notify, 6);
	ck_assert_str_eq(msg.recipients[0].original, "list@example.org");
	ck_assert_str_eq(queue_recipient_original(&msg.recipients[0]),
	    "list@example.org");
	ck_assert(!msg.recipients[0].done);
	ck_assert_str_eq(msg.recipients[1].address, "two@example.org");
	ck_assert_str_eq(msg.recipients[1].orcpt, "");
	ck_assert_int_eq(msg.recipients[1].notify, 0);
	/* expanded, and the sender's address itself */
	ck_assert_ptr_nonnull(msg.recipients[1].original);
	ck_assert_str_eq(msg.recipients[1].original, "");
	ck_assert_str_eq(queue_recipient_original(&msg.recipients[1]),
	    "two@example.org");
	/* a record as the code before issue 16 wrote it: not expanded */
	ck_assert_str_eq(msg.recipients[2].address, "Legacy@example.org");
	ck_assert_ptr_null(msg.recipients[2].original);
	ck_assert_str_eq(queue_recipient_original(&msg.recipients[2]),
	    "Legacy@example.org");
	ck_assert_int_gt(msg.content_offset, msg.recipients[2].offset);
	ck_assert_int_eq(queue_file_read_content(fd, &msg, check_content, &pos), 0);
	ck_assert_uint_eq(pos, 300000);
	queue_message_free(&msg);
	close(fd);
	free(path);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_empty_content)
{
	struct queue_message msg;
	struct strbuf err;
	char *path = write_message(0);
	size_t pos = 0;
	int fd = open(path, O_RDONLY);

	strbuf_init(&err);
	ck_assert_int_eq(queue_file_read(fd, &msg, &err), 0);
	ck_assert(msg.complete);
	ck_assert_int_eq(msg.size, 0);
	ck_assert_int_eq(queue_file_read_content(fd, &msg, check_content, &pos), 0);
	ck_assert_uint_eq(pos, 0);
	queue_message_free(&msg);
	close(fd);
	free(path);
	strbuf_free(&err);
}
END_TEST

/* the caller's ID is taken as is: no /proc lookup; a bad one is not */
START_TEST(test_read_named)
{
	struct queue_message msg;
	struct strbuf err;
	char *path = write_message(10);
	int fd = open(path, O_RDONLY);

	strbuf_init(&err);
	ck_assert_int_eq(queue_file_read_named(fd, "0123456789ABCDEF0", &msg,
	    &err), 0);
	ck_assert_str_eq(msg.id, "0123456789ABCDEF0");
	ck_assert_str_eq(msg.sender, "sender@example.com");
	queue_message_free(&msg);
	ck_assert_int_eq(queue_file_read_named(fd, "../etc/passwd", &msg,
	    &err), 0);
	ck_assert_str_eq(msg.id, "");
	queue_message_free(&msg);
	close(fd);
	free(path);
	strbuf_free(&err);
}
END_TEST

/* stop_early - read_content callback that stops at once */
static int
stop_early(const char *data, size_t len, void *ctx)
{
	(void)data;
	(void)len;
	(void)ctx;
	return (42);
}

START_TEST(test_content_callback_stops)
{
	struct queue_message msg;
	struct strbuf err;
	char *path = write_message(1000);
	int fd = open(path, O_RDONLY);

	strbuf_init(&err);
	ck_assert_int_eq(queue_file_read(fd, &msg, &err), 0);
	ck_assert_int_eq(queue_file_read_content(fd, &msg, stop_early, NULL), 42);
	queue_message_free(&msg);
	close(fd);
	free(path);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_mark_done)
{
	struct queue_message msg;
	struct strbuf err;
	char *path = write_message(100);
	off_t off;
	int fd = open(path, O_RDWR);

	strbuf_init(&err);
	ck_assert_int_eq(queue_file_read(fd, &msg, &err), 0);
	off = msg.recipients[1].offset;
	ck_assert_int_eq(queue_file_mark_done(fd, off), 0);
	/* idempotent, and only ever on a recipient record */
	ck_assert_int_eq(queue_file_mark_done(fd, off), 0);
	ck_assert_int_eq(queue_file_mark_done(fd, 0), -1);
	ck_assert_int_eq(queue_file_mark_done(fd, off + 1), -1);
	ck_assert_int_eq(queue_file_mark_done(fd, 1 << 30), -1);
	queue_message_free(&msg);
	ck_assert_int_eq(queue_file_read(fd, &msg, &err), 0);
	ck_assert(!msg.recipients[0].done);
	ck_assert(msg.recipients[1].done);
	ck_assert_str_eq(msg.recipients[1].address, "two@example.org");
	ck_assert(msg.complete);
	queue_message_free(&msg);
	close(fd);
	free(path);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_incomplete)
{
	struct queue_message msg;
	struct strbuf err;
	struct stat st;
	char *path = write_message(5000);
	int fd = open(path, O_RDWR);

	strbuf_init(&err);
	/* mode still 0600: parses, but not complete */
	ck_assert_int_eq(fchmod(fd, QUEUE_MODE_WRITING), 0);
	ck_assert(!queue_file_is_complete(fd));
	ck_assert_int_eq(queue_file_read(fd, &msg, &err), 0);
	ck_assert(!msg.complete);
	queue_message_free(&msg);
	/* mode 0700 but no E record */
	ck_assert_int_eq(fchmod(fd, QUEUE_MODE_COMPLETE), 0);
	ck_assert(queue_file_is_complete(fd));
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(ftruncate(fd, st.st_size - 5), 0);
	ck_assert(!queue_file_is_complete(fd));
	ck_assert_int_eq(queue_file_read(fd, &msg, &err), 0);
	ck_assert(!msg.complete);
	ck_assert_int_eq(msg.recipient_count, 3);
	queue_message_free(&msg);
	close(fd);
	free(path);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_abort_and_unfinished)
{
	struct queue_writer *w;
	struct strbuf err;
	char path[128];
	struct stat st;

	strbuf_init(&err);
	w = queue_writer_create(dir, &err);
	ck_assert_ptr_nonnull(w);
	snprintf(path, sizeof(path), "%s/%s", dir, queue_writer_id(w));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, QUEUE_MODE_WRITING);
	ck_assert_int_eq(queue_writer_sender(w, ""), 0);
	queue_writer_abort(w);
	ck_assert_int_eq(count_files(), 0);
	/* order violations fail, and finish then removes the file */
	w = queue_writer_create(dir, &err);
	ck_assert_int_eq(queue_writer_content(w, "x", 1), -1);
	ck_assert_int_eq(queue_writer_sender(w, "a@b"), -1);
	ck_assert_int_eq(queue_writer_finish(w, &err), -1);
	ck_assert_msg(strncmp(err.data, "queue file write error: ", 24) == 0,
	    "%s", err.data);
	ck_assert_int_eq(count_files(), 0);
	/* bad attribute name */
	w = queue_writer_create(dir, &err);
	ck_assert_int_eq(queue_writer_sender(w, "a@b"), 0);
	ck_assert_int_eq(queue_writer_attr(w, "bad=name", "v"), -1);
	queue_writer_abort(w);
	/* no such directory */
	ck_assert_ptr_null(queue_writer_create("/nonexistent/dir", &err));
	ck_assert_msg(strncmp(err.data, "queue file write error: ", 24) == 0,
	    "%s", err.data);
	strbuf_free(&err);
}
END_TEST

/* Hand-built files: records appended to a strbuf, then written out. */

/* rec - append one record */
static void
rec(struct strbuf *f, int type, const void *data, size_t len)
{
	unsigned char h[5] = { (unsigned char)type, len >> 24, len >> 16,
	    len >> 8, len };

	strbuf_append(f, h, 5);
	strbuf_append(f, data, len);
}

/* rec_s - append one record with string data */
static void
rec_s(struct strbuf *f, int type, const char *s)
{
	rec(f, type, s, strlen(s));
}

/* envelope - V T Z S with a given content size */
static void
envelope(struct strbuf *f, long size)
{
	char z[32];

	snprintf(z, sizeof(z), "%020ld", size);
	rec_s(f, 'V', "1");
	rec_s(f, 'T', "1700000000.123456");
	rec_s(f, 'Z', z);
	rec_s(f, 'S', "s@example.com");
}

/* check_content_any - a content callback that accepts everything */
static int
check_content_any(const char *data, size_t len, void *ctx)
{
	(void)data;
	(void)len;
	(void)ctx;
	return (0);
}

/* good_file - a small, valid, complete file */
static void
good_file(struct strbuf *f)
{
	envelope(f, 5);
	rec(f, 'R', "r@example.com\0\0" "0", 16);
	rec_s(f, 'M', "");
	rec_s(f, 'C', "hello");
	rec_s(f, 'E', "");
}

/* read_built - write f with mode and parse it; queue_file_read's result */
static int
read_built(const struct strbuf *f, mode_t mode, bool *complete)
{
	struct queue_message msg;
	struct strbuf err;
	char path[128];
	int fd, r;

	strbuf_init(&err);
	snprintf(path, sizeof(path), "%s/built", dir);
	unlink(path);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, f->data, f->len), (ssize_t)f->len);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	r = queue_file_read(fd, &msg, &err);
	if (r < 0)
		ck_assert_msg(strstr(err.data, "malformed") != NULL ||
		    strstr(err.data, "queue file") != NULL, "%s", err.data);
	if (complete != NULL)
		*complete = msg.complete;
	queue_message_free(&msg);
	close(fd);
	strbuf_free(&err);
	return (r);
}

START_TEST(test_built_good)
{
	struct strbuf f;
	bool complete = false;

	strbuf_init(&f);
	good_file(&f);
	ck_assert_int_eq(read_built(&f, 0700, &complete), 0);
	ck_assert(complete);
	ck_assert_int_eq(read_built(&f, 0600, &complete), 0);
	ck_assert(!complete);
	/* an expanded recipient: its original, or "" for the same address */
	strbuf_reset(&f);
	envelope(&f, 5);
	rec(&f, 'R', "r@example.com\0\0" "0\0" "a@example.com", 30);
	rec(&f, 'D', "r@example.com\0\0" "0\0", 17);
	rec_s(&f, 'M', "");
	rec_s(&f, 'C', "hello");
	rec_s(&f, 'E', "");
	ck_assert_int_eq(read_built(&f, 0700, &complete), 0);
	ck_assert(complete);
	/* the extracted segment: A and R/D records after the content */
	strbuf_reset(&f);
	good_file(&f);
	strbuf_truncate(&f, f.len - 5);
	rec_s(&f, 'X', "");
	rec_s(&f, 'A', "filter=smtp:[127.0.0.1]:10025");
	rec(&f, 'R', "b@example.com\0\0" "1\0", 17);
	rec(&f, 'D', "c@example.com\0\0" "1\0", 17);
	rec_s(&f, 'E', "");
	ck_assert_int_eq(read_built(&f, 0700, &complete), 0);
	ck_assert(complete);
	/* an empty one is fine too, and one not ended is unfinished */
	strbuf_reset(&f);
	good_file(&f);
	strbuf_truncate(&f, f.len - 5);
	rec_s(&f, 'X', "");
	ck_assert_int_eq(read_built(&f, 0700, &complete), 0);
	ck_assert(!complete);
	rec_s(&f, 'E', "");
	ck_assert_int_eq(read_built(&f, 0700, &complete), 0);
	ck_assert(complete);
	strbuf_free(&f);
}
END_TEST

/* extracted - good_file up to its content, then the X record */
static void
extracted(struct strbuf *f)
{
	good_file(f);
	strbuf_truncate(f, f->len - 5);
	rec_s(f, 'X', "");
}

/* bad - a file built by fn must be refused */
#define BAD(body) do {							\
	strbuf_reset(&f);						\
	body;								\
	ck_assert_msg(read_built(&f, 0700, NULL) == -1, "line %d", __LINE__); \
} while (0)

START_TEST(test_built_malformed)
{
	struct strbuf f;
	char big[QUEUE_CHUNK_MAX + 1];

	strbuf_init(&f);
	/* unknown record type */
	BAD(good_file(&f); f.data[f.len - 5] = 'Q');
	BAD(envelope(&f, 0); rec_s(&f, 'Q', "x"));
	/* length beyond EOF, and a truncated header */
	BAD(good_file(&f); f.data[f.len - 1] = 100);
	BAD(good_file(&f); strbuf_truncate(&f, f.len - 2));
	BAD(good_file(&f); strbuf_truncate(&f, f.len - 7));
	/* length over QUEUE_RECORD_MAX */
	BAD(good_file(&f); f.data[f.len - 4] = 0x7f);
	/* order: V first, T, Z, S each once and in order */
	BAD(rec_s(&f, 'T', "1.1"); rec_s(&f, 'V', "1"));
	BAD(rec_s(&f, 'V', "2"); rec_s(&f, 'T', "1.1"));
	BAD(rec_s(&f, 'V', "1"); rec_s(&f, 'V', "1"));
	BAD(rec_s(&f, 'V', "1"); rec_s(&f, 'Z', "00000000000000000000"));
	BAD(envelope(&f, 0); rec_s(&f, 'S', "again"));
	BAD(envelope(&f, 0); rec_s(&f, 'T', "1.1"));
	/* missing records */
	BAD((void)0);
	BAD(rec_s(&f, 'V', "1"); rec_s(&f, 'T', "1.1"));
	BAD(rec_s(&f, 'V', "1"); rec_s(&f, 'T', "1.1");
	    rec_s(&f, 'Z', "00000000000000000000"));
	/* bad field contents */
	BAD(rec_s(&f, 'V', "1"); rec_s(&f, 'T', "abc"));
	BAD(rec_s(&f, 'V', "1"); rec_s(&f, 'T', "1.1234567"));
	BAD(rec_s(&f, 'V', "1"); rec_s(&f, 'T', "1.1"); rec_s(&f, 'Z', "12"));
	BAD(rec_s(&f, 'V', "1"); rec_s(&f, 'T', "1.1");
	    rec_s(&f, 'Z', "9999999999999999999x"));
	BAD(rec_s(&f, 'V', "1"); rec_s(&f, 'T', "1.1");
	    rec_s(&f, 'Z', "99999999999999999999"));
	BAD(envelope(&f, 0); rec(&f, 'A', "noequals", 8));
	BAD(envelope(&f, 0); rec(&f, 'A', "=v", 2));
	BAD(envelope(&f, 0); rec(&f, 'A', "Bad=v", 5));
	BAD(envelope(&f, 0); rec(&f, 'A', "a=v\0w", 5));
	BAD(rec_s(&f, 'V', "1"); rec_s(&f, 'T', "1.1");
	    rec_s(&f, 'Z', "00000000000000000000"); rec(&f, 'S', "a\0b", 3));
	/* recipients: address NUL orcpt NUL digits */
	BAD(envelope(&f, 0); rec_s(&f, 'R', "r@example.com"));
	BAD(envelope(&f, 0); rec(&f, 'R', "r@x\0orcpt", 9));
	BAD(envelope(&f, 0); rec(&f, 'R', "r@x\0\0", 5));
	BAD(envelope(&f, 0); rec(&f, 'R', "r@x\0\0x", 6));
	/* ... NUL original: one field, no second NUL, no empty notify */
	BAD(envelope(&f, 0); rec(&f, 'R', "r@x\0\0" "1\0a\0", 9));
	BAD(envelope(&f, 0); rec(&f, 'R', "r@x\0\0" "1\0\0", 8));
	BAD(envelope(&f, 0); rec(&f, 'R', "r@x\0\0" "\0a", 7));
	BAD(envelope(&f, 0); rec(&f, 'R', "r@x\0\0" "123456", 11));
	BAD(envelope(&f, 0); rec_s(&f, 'R', ""));
	/* content structure */
	BAD(envelope(&f, 0); rec_s(&f, 'C', "x"));
	BAD(envelope(&f, 0); rec_s(&f, 'E', ""));
	BAD(envelope(&f, 0); rec_s(&f, 'M', "x"));
	BAD(envelope(&f, 0); rec_s(&f, 'M', ""); rec_s(&f, 'R', "a\0\0" "0"));
	BAD(envelope(&f, 0); rec_s(&f, 'M', ""); rec_s(&f, 'M', ""));
	BAD(envelope(&f, 0); rec_s(&f, 'M', ""); rec_s(&f, 'E', "x"));
	BAD(good_file(&f); rec_s(&f, 'E', ""));
	BAD(good_file(&f); rec_s(&f, 'C', "late"));
	memset(big, 'b', sizeof(big));
	BAD(envelope(&f, sizeof(big)); rec_s(&f, 'M', "");
	    rec(&f, 'C', big, sizeof(big)); rec_s(&f, 'E', ""));
	/* the extracted segment: once, empty, after M, no content in it */
	BAD(envelope(&f, 0); rec_s(&f, 'X', ""));
	BAD(envelope(&f, 0); rec_s(&f, 'M', ""); rec_s(&f, 'X', "x"));
	BAD(extracted(&f); rec_s(&f, 'X', ""); rec_s(&f, 'E', ""));
	BAD(extracted(&f); rec_s(&f, 'C', "late"); rec_s(&f, 'E', ""));
	BAD(extracted(&f); rec_s(&f, 'M', ""); rec_s(&f, 'E', ""));
	BAD(extracted(&f); rec_s(&f, 'S', "again"); rec_s(&f, 'E', ""));
	BAD(extracted(&f); rec_s(&f, 'A', "noequals"); rec_s(&f, 'E', ""));
	BAD(extracted(&f); rec_s(&f, 'R', "r@x"); rec_s(&f, 'E', ""));
	BAD(extracted(&f); rec_s(&f, 'E', "x"));
	BAD(extracted(&f); rec_s(&f, 'E', ""); rec_s(&f, 'A', "a=b"));
	/* complete file whose Z disagrees with its content */
	BAD(envelope(&f, 4); rec_s(&f, 'M', ""); rec_s(&f, 'C', "hello");
	    rec_s(&f, 'E', ""));
	strbuf_free(&f);
}
END_TEST

START_TEST(test_is_complete_cheap_check)
{
	struct strbuf f;
	char path[128];
	int fd;

	strbuf_init(&f);
	good_file(&f);
	snprintf(path, sizeof(path), "%s/c", dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_int_eq(write(fd, f.data, f.len), (ssize_t)f.len);
	ck_assert(!queue_file_is_complete(fd));
	fchmod(fd, 0700);
	ck_assert(queue_file_is_complete(fd));
	fchmod(fd, 0744);
	ck_assert(!queue_file_is_complete(fd));
	fchmod(fd, 0700);
	ck_assert_int_eq(ftruncate(fd, 3), 0);
	ck_assert(!queue_file_is_complete(fd));
	close(fd);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert(!queue_file_is_complete(fd));
	close(fd);
	strbuf_free(&f);
}
END_TEST

/* test_final_mode_maildrop - a maildrop writer ends 0644, not "complete" */
START_TEST(test_final_mode_maildrop)
{
	struct queue_recipient r = { .address = "u@example.test", .orcpt = "" };
	struct queue_message msg;
	struct queue_writer *w;
	struct strbuf err;
	struct stat st;
	char path[128];
	int fd;

	strbuf_init(&err);
	w = queue_writer_create(dir, &err);
	ck_assert_ptr_nonnull(w);
	snprintf(path, sizeof(path), "%s/%s", dir, queue_writer_id(w));
	queue_writer_set_final_mode(w, QUEUE_MODE_MAILDROP);
	ck_assert_int_eq(queue_writer_sender(w, ""), 0);
	ck_assert_int_eq(queue_writer_recipient(w, &r), 0);
	ck_assert_int_eq(queue_writer_content_start(w), 0);
	ck_assert_int_eq(queue_writer_content(w, "x\n", 2), 0);
	/* unfinished: no end record yet, mode still 0600 */
	fd = open(path, O_RDONLY);
	ck_assert(!queue_file_ends_with_end_record(fd));
	close(fd);
	ck_assert_int_eq(queue_writer_finish(w, &err), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, QUEUE_MODE_MAILDROP);
	fd = open(path, O_RDWR);
	ck_assert(queue_file_ends_with_end_record(fd));
	ck_assert(!queue_file_is_complete(fd));
	ck_assert_int_eq(queue_file_read(fd, &msg, &err), 0);
	ck_assert(!msg.complete);
	ck_assert_int_eq(msg.size, 2);
	ck_assert_uint_eq(msg.recipient_count, 1);
	queue_message_free(&msg);
	/* a cut-off end record is not an end record */
	ck_assert_int_eq(ftruncate(fd, st.st_size - 1), 0);
	ck_assert(!queue_file_ends_with_end_record(fd));
	ck_assert_int_eq(ftruncate(fd, 2), 0);
	ck_assert(!queue_file_ends_with_end_record(fd));
	close(fd);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert(!queue_file_ends_with_end_record(fd));
	close(fd);
	strbuf_free(&err);
}
END_TEST

/*
 * test_extracted_segment - attributes and recipients written after the
 * content go into the X segment: read back with the others, the content
 * ends before them, their recipients can be marked done
 */
START_TEST(test_extracted_segment)
{
	struct queue_recipient r = { .address = "u@example.test", .orcpt = "",
	    .original = "" };
	struct queue_recipient bcc = { .address = "bcc@example.test",
	    .orcpt = "", .notify = DSN_NOTIFY_NEVER, .original = "" };
	struct queue_message msg;
	struct queue_writer *w;
	struct strbuf err;
	char path[128];
	size_t pos = 0;
	int fd;

	strbuf_init(&err);
	w = queue_writer_create(dir, &err);
	ck_assert_ptr_nonnull(w);
	snprintf(path, sizeof(path), "%s/%s", dir, queue_writer_id(w));
	ck_assert_int_eq(queue_writer_sender(w, ""), 0);
	ck_assert_int_eq(queue_writer_recipient(w, &r), 0);
	ck_assert_int_eq(queue_writer_content_start(w), 0);
	ck_assert_int_eq(queue_writer_content(w, "abcdefghij\n", 11), 0);
	ck_assert_int_eq(queue_writer_attr(w, QUEUE_ATTR_FILTER, "relay:x"), 0);
	ck_assert_int_eq(queue_writer_recipient(w, &bcc), 0);
	ck_assert_int_eq(queue_writer_attr(w, QUEUE_ATTR_REDIRECT, "t@x"), 0);
	/* no content after the segment began */
	ck_assert_int_eq(queue_writer_content(w, "more", 4), -1);
	ck_assert_int_eq(queue_writer_finish(w, &err), -1);
	ck_assert_int_eq(access(path, F_OK), -1);

	w = queue_writer_create(dir, &err);
	ck_assert_ptr_nonnull(w);
	snprintf(path, sizeof(path), "%s/%s", dir, queue_writer_id(w));
	ck_assert_int_eq(queue_writer_sender(w, ""), 0);
	ck_assert_int_eq(queue_writer_recipient(w, &r), 0);
	ck_assert_int_eq(queue_writer_content_start(w), 0);
	ck_assert_int_eq(queue_writer_content(w, "abcdefghij\n", 11), 0);
	ck_assert_int_eq(queue_writer_attr(w, QUEUE_ATTR_FILTER, "relay:x"), 0);
	ck_assert_int_eq(queue_writer_recipient(w, &bcc), 0);
	ck_assert_int_eq(queue_writer_finish(w, &err), 0);
	fd = open(path, O_RDWR);
	ck_assert(queue_file_is_complete(fd));
	ck_assert_msg(queue_file_read(fd, &msg, &err) == 0, "%s", err.data);
	ck_assert(msg.complete);
	ck_assert_int_eq(msg.size, 11);
	ck_assert_str_eq(attr_list_get(&msg.attrs, QUEUE_ATTR_FILTER), "relay:x");
	ck_assert_uint_eq(msg.recipient_count, 2);
	ck_assert_str_eq(msg.recipients[1].address, "bcc@example.test");
	ck_assert_int_eq(msg.recipients[1].notify, DSN_NOTIFY_NEVER);
	ck_assert_int_eq(queue_file_read_content(fd, &msg, check_content, &pos), 0);
	ck_assert_uint_eq(pos, 11);
	ck_assert_int_eq(queue_file_mark_done(fd, msg.recipients[1].offset), 0);
	queue_message_free(&msg);
	ck_assert_int_eq(queue_file_read(fd, &msg, &err), 0);
	ck_assert(msg.recipients[1].done && !msg.recipients[0].done);
	queue_message_free(&msg);
	close(fd);
	strbuf_free(&err);
}
END_TEST

/*
 * test_final_subdir - a writer told so finishes its file in another
 * directory (hold/), complete only there; never over an existing name
 */
START_TEST(test_final_subdir)
{
	struct queue_recipient r = { .address = "u@example.test", .orcpt = "" };
	struct queue_writer *w;
	struct strbuf err;
	struct stat st;
	char other[64], from[192], to[192];
	int fd;

	strbuf_init(&err);
	snprintf(other, sizeof(other), "/tmp/test_qf_hold.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(other));
	for (int clash = 0; clash < 2; clash++) {
		w = queue_writer_create(dir, &err);
		ck_assert_ptr_nonnull(w);
		snprintf(from, sizeof(from), "%s/%s", dir, queue_writer_id(w));
		snprintf(to, sizeof(to), "%s/%s", other, queue_writer_id(w));
		queue_writer_set_final_subdir(w, other);
		ck_assert_int_eq(queue_writer_sender(w, ""), 0);
		ck_assert_int_eq(queue_writer_recipient(w, &r), 0);
		ck_assert_int_eq(queue_writer_content_start(w), 0);
		ck_assert_int_eq(queue_writer_content(w, "x\n", 2), 0);
		if (clash) {
			fd = open(to, O_WRONLY | O_CREAT | O_EXCL, 0600);
			ck_assert_int_ge(fd, 0);
			close(fd);
			ck_assert_int_eq(queue_writer_finish(w, &err), -1);
			ck_assert_msg(strstr(err.data, "move") != NULL, "%s",
			    err.data);
			/* neither the new file nor the one in the way changed */
			ck_assert_int_eq(access(from, F_OK), -1);
			ck_assert_int_eq(stat(to, &st), 0);
			ck_assert_int_eq(st.st_size, 0);
			unlink(to);
			continue;
		}
		ck_assert_int_eq(queue_writer_finish(w, &err), 0);
		ck_assert_int_eq(access(from, F_OK), -1);
		ck_assert_int_eq(stat(to, &st), 0);
		ck_assert_int_eq(st.st_mode & 07777, QUEUE_MODE_COMPLETE);
		fd = open(to, O_RDONLY);
		ck_assert(queue_file_is_complete(fd));
		close(fd);
		unlink(to);
	}
	rmdir(other);
	strbuf_free(&err);
}
END_TEST

/*
 * test_read_error_is_not_malformed - a read that fails (here EBADF: the
 * descriptor is write-only) is QUEUE_FILE_IO_ERROR, never "malformed" or
 * "unfinished": callers keep such a file for a later try
 */
START_TEST(test_read_error_is_not_malformed)
{
	struct queue_message msg;
	struct strbuf f, err;
	char path[128];
	int fd, wfd;

	strbuf_init(&f);
	strbuf_init(&err);
	good_file(&f);
	snprintf(path, sizeof(path), "%s/e", dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0700);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, f.data, f.len), (ssize_t)f.len);
	ck_assert_int_eq(fchmod(fd, 0700), 0);
	ck_assert_int_eq(queue_file_check_complete(fd), 1);
	ck_assert_int_eq(queue_file_read(fd, &msg, &err), 0);
	wfd = open(path, O_WRONLY);
	ck_assert_int_ge(wfd, 0);
	ck_assert_int_eq(queue_file_check_complete(wfd), QUEUE_FILE_IO_ERROR);
	ck_assert(!queue_file_is_complete(wfd));
	ck_assert_int_eq(queue_file_check_end_record(wfd), QUEUE_FILE_IO_ERROR);
	ck_assert_int_eq(queue_file_read_content(wfd, &msg, check_content_any,
	    NULL), QUEUE_FILE_IO_ERROR);
	queue_message_free(&msg);
	ck_assert_int_eq(queue_file_read(wfd, &msg, &err), QUEUE_FILE_IO_ERROR);
	ck_assert_msg(strstr(err.data, "read error") != NULL, "%s", err.data);
	ck_assert_msg(strstr(err.data, "malformed") == NULL, "%s", err.data);
	/* a mode that says unfinished needs no read to say so */
	ck_assert_int_eq(fchmod(fd, 0600), 0);
	ck_assert_int_eq(queue_file_check_complete(wfd), 0);
	close(wfd);
	/* a real malformation is still -1 */
	ck_assert_int_eq(ftruncate(fd, (off_t)f.len - 1), 0);
	ck_assert_int_eq(queue_file_read(fd, &msg, &err), -1);
	ck_assert_int_eq(queue_file_check_end_record(fd), 0);
	ck_assert_int_eq(fchmod(fd, 0700), 0);
	ck_assert_int_eq(queue_file_check_complete(fd), 0);
	close(fd);
	strbuf_free(&err);
	strbuf_free(&f);
}
END_TEST

/*
 * test_writer_lock - the writer holds its file locked until it is durable;
 * meanwhile a finished-looking file is QUEUE_FILE_BUSY, not complete
 */
START_TEST(test_writer_lock)
{
	struct queue_recipient r = { .address = "u@example.test", .orcpt = "" };
	struct queue_writer *w;
	struct strbuf f, err;
	char path[128];
	int fd, fd2;

	strbuf_init(&err);
	strbuf_init(&f);
	w = queue_writer_create(dir, &err);
	ck_assert_ptr_nonnull(w);
	snprintf(path, sizeof(path), "%s/%s", dir, queue_writer_id(w));
	ck_assert_int_eq(queue_writer_sender(w, ""), 0);
	ck_assert_int_eq(queue_writer_recipient(w, &r), 0);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_lt(flock(fd, LOCK_SH | LOCK_NB), 0);
	ck_assert_int_eq(errno, EWOULDBLOCK);
	ck_assert_int_eq(queue_writer_finish(w, &err), 0);
	ck_assert_int_eq(queue_file_check_complete(fd), 1);
	close(fd);

	/* what a reader sees between the chmod and the end of the fsync */
	good_file(&f);
	snprintf(path, sizeof(path), "%s/b", dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0700);
	ck_assert_int_eq(write(fd, f.data, f.len), (ssize_t)f.len);
	ck_assert_int_eq(fchmod(fd, 0700), 0);
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);
	fd2 = open(path, O_RDONLY);
	ck_assert_int_eq(queue_file_check_complete(fd2), QUEUE_FILE_BUSY);
	ck_assert(!queue_file_is_complete(fd2));
	ck_assert_int_eq(queue_file_check_end_record(fd2), QUEUE_FILE_BUSY);
	close(fd);
	ck_assert_int_eq(queue_file_check_complete(fd2), 1);
	close(fd2);
	strbuf_free(&f);
	strbuf_free(&err);
}
END_TEST

/* queue_file_suite - every test above */
static Suite *
queue_file_suite(void)
{
	Suite *suite = suite_create("queue_file");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_empty_content);
	tcase_add_test(tc, test_read_named);
	tcase_add_test(tc, test_content_callback_stops);
	tcase_add_test(tc, test_mark_done);
	tcase_add_test(tc, test_incomplete);
	tcase_add_test(tc, test_abort_and_unfinished);
	tcase_add_test(tc, test_built_good);
	tcase_add_test(tc, test_built_malformed);
	tcase_add_test(tc, test_is_complete_cheap_check);
	tcase_add_test(tc, test_final_mode_maildrop);
	tcase_add_test(tc, test_extracted_segment);
	tcase_add_test(tc, test_final_subdir);
	tcase_add_test(tc, test_read_error_is_not_malformed);
	tcase_add_test(tc, test_writer_lock);
	suite_add_tcase(suite, tc);
	return (suite);
}

int
main(void)
{
	return (unit_run(queue_file_suite()));
}
