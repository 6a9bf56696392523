/*
 * test_defer_log - unit tests for lib/queue/defer_log.c: round trips through
 * defer/ID (deferred records and delivered addresses), the set/find
 * semantics, appending delivered addresses (and an append cut short),
 * hostile file contents, removal, logs too big for a search per line or
 * per address, and writes that fail (RLIMIT_FSIZE makes the file system
 * refuse them, as a full disk would) or a file that cannot be read.
 * Each case runs in a fresh temporary directory holding defer/.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "defer_log.h"
#include "strbuf.h"

#define ID	"0123456789ABCDEF0"

static char dir[64];
static char old_cwd[4096];

/* setup - chdir into a new directory with defer/ */
static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_defer_log.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_ptr_nonnull(getcwd(old_cwd, sizeof(old_cwd)));
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(mkdir(DEFER_LOG_DIR, 0700), 0);
}

/* teardown - leave and remove the directory */
static void
teardown(void)
{
	char	 cmd[128];

	ck_assert_int_eq(chdir(old_cwd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* put_file - write raw text as defer/ID */
static void
put_file(const char *text, size_t len)
{
	FILE	*fp = fopen(DEFER_LOG_DIR "/" ID, "w");

	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(text, 1, len, fp), len);
	fclose(fp);
}

START_TEST(test_roundtrip)
{
	struct defer_log log, back;
	struct strbuf err;
	const struct defer_entry *e;

	defer_log_init(&log);
	defer_log_init(&back);
	strbuf_init(&err);
	log.warned = true;
	defer_log_set(&log, 123, "4.4.1", "mail transport unavailable");
	defer_log_set(&log, 456, "4.2.2", "mailbox full");
	ck_assert_int_eq(defer_log_write(ID, &log, &err), 0);
	ck_assert_int_eq(defer_log_read(ID, &back, &err), 0);
	ck_assert(back.warned);
	ck_assert_uint_eq(back.count, 2);
	e = defer_log_find(&back, 456);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->dsn, "4.2.2");
	ck_assert_str_eq(e->reason, "mailbox full");
	ck_assert_ptr_null(defer_log_find(&back, 789));
	/* no temporary file is left behind */
	ck_assert_int_ne(access(DEFER_LOG_DIR "/" ID ".tmp", F_OK), 0);
	defer_log_free(&log);
	defer_log_free(&back);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_set_replaces_and_cleans)
{
	struct defer_log log;
	char	 big[DEFER_REASON_MAX * 2];

	defer_log_init(&log);
	defer_log_set(&log, 10, "4.0.0", "first");
	defer_log_set(&log, 10, "4.3.0", "second\nline\tx");
	ck_assert_uint_eq(log.count, 1);
	ck_assert_str_eq(log.entries[0].dsn, "4.3.0");
	/* line breaks and tabs would break the file format */
	ck_assert_str_eq(log.entries[0].reason, "second line x");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	defer_log_set(&log, 11, "bogus", big);
	ck_assert_uint_eq(strlen(defer_log_find(&log, 11)->reason),
	    DEFER_REASON_MAX);
	ck_assert_str_eq(defer_log_find(&log, 11)->dsn, "4.0.0");
	defer_log_set(&log, 12, "1.2.3", "class 1 is not a status class");
	ck_assert_str_eq(defer_log_find(&log, 12)->dsn, "4.0.0");
	defer_log_free(&log);
	ck_assert_uint_eq(log.count, 0);
}
END_TEST

/*
 * The delivered addresses of a pending record survive the round trip,
 * matched by record and address (case-insensitively), without repeats;
 * an address that cannot be written safely is not recorded.
 */
START_TEST(test_sent_roundtrip)
{
	struct defer_log log, back;
	struct strbuf err;
	char	 longaddr[DEFER_ADDRESS_MAX + 2];

	defer_log_init(&log);
	defer_log_init(&back);
	strbuf_init(&err);
	defer_log_set(&log, 100, "4.2.0", "try later");
	defer_log_add_sent(&log, 100, "a@dest1.test");
	defer_log_add_sent(&log, 100, "A@Dest1.test");	/* the same */
	defer_log_add_sent(&log, 200, "a@dest1.test");	/* another record */
	defer_log_add_sent(&log, 100, "bad\naddress");
	memset(longaddr, 'x', sizeof(longaddr) - 1);
	longaddr[sizeof(longaddr) - 1] = '\0';
	defer_log_add_sent(&log, 100, longaddr);
	ck_assert_uint_eq(log.sent_count, 2);
	ck_assert_int_eq(defer_log_write(ID, &log, &err), 0);
	ck_assert_int_eq(defer_log_read(ID, &back, &err), 0);
	ck_assert_uint_eq(back.count, 1);
	ck_assert_uint_eq(back.sent_count, 2);
	ck_assert(defer_log_was_sent(&back, 100, "a@DEST1.test"));
	ck_assert(defer_log_was_sent(&back, 200, "a@dest1.test"));
	ck_assert(!defer_log_was_sent(&back, 100, "b@dest2.test"));
	ck_assert(!defer_log_was_sent(&back, 300, "a@dest1.test"));
	defer_log_free(&log);
	defer_log_free(&back);
	strbuf_free(&err);
}
END_TEST

/*
 * A repeated offset (a forged or damaged file: the writer never repeats
 * one) leaves one entry, the last line's, as defer_log_set would; many
 * lines are read without a search per line.
 */
START_TEST(test_repeated_offsets)
{
	static const char text[] = "warned=0\n12\t4.0.0\ta\n5\t4.0.0\tb\n"
	    "12\t4.2.0\tc\n";
	struct defer_log log;
	struct strbuf err, big;
	const struct defer_entry *e;

	defer_log_init(&log);
	strbuf_init(&err);
	strbuf_init(&big);
	put_file(text, sizeof(text) - 1);
	ck_assert_int_eq(defer_log_read(ID, &log, &err), 0);
	ck_assert_uint_eq(log.count, 2);
	e = defer_log_find(&log, 12);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->dsn, "4.2.0");
	ck_assert_str_eq(e->reason, "c");
	ck_assert_str_eq(defer_log_find(&log, 5)->reason, "b");
	/* 90,000 lines, a third of them repeats */
	strbuf_printf(&big, "warned=0\n");
	for (int i = 0; i < 90000; i++)
		strbuf_printf(&big, "%d\t4.0.0\tr%d\n", i % 60000, i);
	put_file(big.data, big.len);
	ck_assert_int_eq(defer_log_read(ID, &log, &err), 0);
	ck_assert_uint_eq(log.count, 60000);
	ck_assert_str_eq(defer_log_find(&log, 100)->reason, "r60100");
	defer_log_free(&log);
	strbuf_free(&err);
	strbuf_free(&big);
}
END_TEST

/*
 * Delivered addresses appended in the middle of an attempt: the first
 * append writes the whole file (no defer/ID yet), later ones add lines
 * to it and keep what is there; only new addresses are written.
 */
START_TEST(test_append_sent)
{
	struct defer_log base, add, back;
	struct strbuf err;
	struct stat st;
	off_t	 size;

	defer_log_init(&base);
	defer_log_init(&add);
	defer_log_init(&back);
	strbuf_init(&err);
	base.warned = true;
	defer_log_set(&base, 100, "4.2.0", "try later");
	defer_log_add_sent(&base, 100, "old@dest.test");
	/* nothing to add: nothing is written */
	ck_assert_int_eq(defer_log_append(ID, &base, &add, &err), 0);
	ck_assert_int_ne(access(DEFER_LOG_DIR "/" ID, F_OK), 0);
	defer_log_add_sent(&add, 100, "a@dest.test");
	defer_log_add_sent(&add, 100, "OLD@dest.test");	/* in base already */
	ck_assert_int_eq(defer_log_append(ID, &base, &add, &err), 0);
	ck_assert_int_eq(defer_log_read(ID, &back, &err), 0);
	ck_assert(back.warned);
	ck_assert_uint_eq(back.count, 1);
	ck_assert_str_eq(defer_log_find(&back, 100)->reason, "try later");
	ck_assert_uint_eq(back.sent_count, 2);
	ck_assert(defer_log_was_sent(&back, 100, "old@dest.test"));
	ck_assert(defer_log_was_sent(&back, 100, "a@dest.test"));
	/* the next append adds one line, whatever base says now */
	ck_assert_int_eq(stat(DEFER_LOG_DIR "/" ID, &st), 0);
	size = st.st_size;
	defer_log_free(&add);
	defer_log_add_sent(&add, 200, "b@dest.test");
	defer_log_free(&base);
	ck_assert_int_eq(defer_log_append(ID, &base, &add, &err), 0);
	ck_assert_int_eq(stat(DEFER_LOG_DIR "/" ID, &st), 0);
	ck_assert_int_eq(st.st_size, size + (off_t)strlen("sent=200\tb@dest.test\n"));
	ck_assert_int_eq(defer_log_read(ID, &back, &err), 0);
	ck_assert_uint_eq(back.count, 1);
	ck_assert_uint_eq(back.sent_count, 3);
	ck_assert(defer_log_was_sent(&back, 200, "B@dest.test"));
	ck_assert_int_eq(defer_log_sync(ID, &err), 0);
	defer_log_remove(ID);
	ck_assert_int_eq(defer_log_sync(ID, &err), 0);	/* gone: fine */
	defer_log_free(&base);
	defer_log_free(&add);
	defer_log_free(&back);
	strbuf_free(&err);
}
END_TEST

/*
 * A crash in the middle of an append leaves a last line without its
 * newline: readers ignore it, and the next append does not glue onto
 * it (the file is written whole again from what it holds).
 */
START_TEST(test_append_cut_short)
{
	static const char text[] = "warned=0\n7\t4.0.0\tr\n"
	    "sent=7\ta@dest.test\nsent=7\tb@dest.te";
	struct defer_log log, add, base;
	struct strbuf err;

	defer_log_init(&log);
	defer_log_init(&add);
	defer_log_init(&base);
	strbuf_init(&err);
	put_file(text, sizeof(text) - 1);
	ck_assert_int_eq(defer_log_read(ID, &log, &err), 0);
	ck_assert_uint_eq(log.count, 1);
	ck_assert_uint_eq(log.sent_count, 1);
	ck_assert(defer_log_was_sent(&log, 7, "a@dest.test"));
	ck_assert(!defer_log_was_sent(&log, 7, "b@dest.te"));
	defer_log_add_sent(&add, 7, "c@dest.test");
	ck_assert_int_eq(defer_log_append(ID, &base, &add, &err), 0);
	ck_assert_int_eq(defer_log_read(ID, &log, &err), 0);
	ck_assert_uint_eq(log.count, 1);
	ck_assert_uint_eq(log.sent_count, 2);
	ck_assert(defer_log_was_sent(&log, 7, "a@dest.test"));
	ck_assert(defer_log_was_sent(&log, 7, "c@dest.test"));
	ck_assert(!defer_log_was_sent(&log, 7, "b@dest.te"));
	/* not a regular file: refused, not followed or blocked on */
	defer_log_remove(ID);
	ck_assert_int_eq(mkfifo(DEFER_LOG_DIR "/" ID, 0600), 0);
	ck_assert_int_eq(defer_log_append(ID, &base, &add, &err), -1);
	ck_assert_int_eq(defer_log_sync(ID, &err), -1);
	defer_log_free(&log);
	defer_log_free(&add);
	defer_log_free(&base);
	strbuf_free(&err);
}
END_TEST

/*
 * 200,000 delivered addresses of 1,000 records and 100,000 entries: set,
 * add, look up, write and read back.  A search per address (as before)
 * would take hours; the case has a timeout of its own, far below that
 * and far above what it takes (about 2 s under the sanitizers).
 */
START_TEST(test_many_addresses)
{
	struct defer_log log, back;
	struct strbuf err;
	char	 addr[64];

	defer_log_init(&log);
	defer_log_init(&back);
	strbuf_init(&err);
	for (int i = 0; i < 100000; i++)
		defer_log_set(&log, i, "4.0.0", "r");
	for (int i = 0; i < 200000; i++) {
		snprintf(addr, sizeof(addr), "t%d@dest%d.test", i, i % 13);
		defer_log_add_sent(&log, i % 1000, addr);
		ck_assert(defer_log_was_sent(&log, i % 1000, addr));
	}
	ck_assert_uint_eq(log.sent_count, 200000);
	ck_assert_uint_eq(log.count, 100000);
	ck_assert_int_eq(defer_log_write(ID, &log, &err), 0);
	ck_assert_int_eq(defer_log_read(ID, &back, &err), 0);
	ck_assert_uint_eq(back.count, 100000);
	ck_assert_uint_eq(back.sent_count, 200000);
	for (int i = 0; i < 200000; i += 7) {
		snprintf(addr, sizeof(addr), "t%d@dest%d.test", i, i % 13);
		ck_assert(defer_log_was_sent(&back, i % 1000, addr));
		ck_assert(!defer_log_was_sent(&back, (i + 1) % 1000, addr));
	}
	defer_log_free(&log);
	defer_log_free(&back);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_absent_is_empty)
{
	struct defer_log log;
	struct strbuf err;

	defer_log_init(&log);
	strbuf_init(&err);
	ck_assert_int_eq(defer_log_read(ID, &log, &err), 0);
	ck_assert_uint_eq(log.count, 0);
	ck_assert(!log.warned);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_malformed)
{
	static const char *const bad[] = {
		"warned=2\n",
		"hello\n",
		"warned=0\n12\t4.4.1\n",		/* missing reason field */
		"warned=0\nx12\t4.4.1\twhy\n",		/* offset not a number */
		"warned=0\n12\t4.4\twhy\n",		/* short dsn */
		"warned=0\n12\t4.4.1234\twhy\n",	/* long dsn part */
		"warned=0",				/* no newline at all */
		"warned=0\n-1\t4.4.1\twhy\n",
		"warned=0\n12\t1.4.1\twhy\n",		/* no such class (fuzzer) */
		"warned=0\n12\t3.0.0\twhy\n",
		"warned=0\nsent=12\n",			/* no address */
		"warned=0\nsent=12\t\n",			/* empty address */
		"warned=0\nsent=x\ta@b\n",
		"warned=0\nsent=12\ta@b\tc\n",		/* a second tab */
		"warned=0\nsent=12\ta\x01b\n",		/* control character */
	};
	struct defer_log log;
	struct strbuf err;

	defer_log_init(&log);
	strbuf_init(&err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put_file(bad[i], strlen(bad[i]));
		strbuf_reset(&err);
		ck_assert_msg(defer_log_read(ID, &log, &err) == -1,
		    "accepted case %zu", i);
		ck_assert_uint_gt(err.len, 0);
		ck_assert_uint_eq(log.count, 0);
		ck_assert_uint_eq(log.sent_count, 0);
	}
	/* an embedded NUL */
	put_file("warned=0\n1\t4.0.0\ta\0b\n", 20);
	ck_assert_int_eq(defer_log_read(ID, &log, &err), -1);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_overlong_line)
{
	struct defer_log log;
	struct strbuf err, text;

	defer_log_init(&log);
	strbuf_init(&err);
	strbuf_init(&text);
	strbuf_puts(&text, "warned=0\n1\t4.0.0\t");
	for (int i = 0; i < DEFER_REASON_MAX + 100; i++)
		strbuf_putc(&text, 'y');
	strbuf_putc(&text, '\n');
	put_file(text.data, text.len);
	ck_assert_int_eq(defer_log_read(ID, &log, &err), -1);
	strbuf_free(&err);
	strbuf_free(&text);
}
END_TEST

/* a file far over the size limit is refused before it is read */
START_TEST(test_too_big)
{
	struct defer_log log;
	struct strbuf err;
	int	 fd;

	defer_log_init(&log);
	strbuf_init(&err);
	put_file("warned=0\n", 9);
	fd = open(DEFER_LOG_DIR "/" ID, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)1 << 30), 0);	/* sparse */
	close(fd);
	ck_assert_int_eq(defer_log_read(ID, &log, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.data, "too large"));
	strbuf_free(&err);
}
END_TEST

START_TEST(test_bad_id_and_symlink)
{
	struct defer_log log;
	struct strbuf err;

	defer_log_init(&log);
	strbuf_init(&err);
	ck_assert_int_eq(defer_log_write("../etc/passwd", &log, &err), -1);
	ck_assert_int_eq(defer_log_read("../x", &log, &err), -1);
	/* a symbolic link planted as defer/ID is not followed */
	ck_assert_int_eq(symlink("/etc/hostname", DEFER_LOG_DIR "/" ID), 0);
	strbuf_reset(&err);
	ck_assert_int_eq(defer_log_read(ID, &log, &err), -1);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_remove_and_stale_tmp)
{
	struct defer_log log;
	struct strbuf err;

	defer_log_init(&log);
	strbuf_init(&err);
	/* a temporary file left by a crash does not block the next write */
	put_file("junk", 4);
	ck_assert_int_eq(rename(DEFER_LOG_DIR "/" ID, DEFER_LOG_DIR "/" ID ".tmp"), 0);
	defer_log_set(&log, 5, "4.1.1", "r");
	ck_assert_int_eq(defer_log_write(ID, &log, &err), 0);
	ck_assert_int_eq(access(DEFER_LOG_DIR "/" ID, F_OK), 0);
	defer_log_remove(ID);
	ck_assert_int_ne(access(DEFER_LOG_DIR "/" ID, F_OK), 0);
	defer_log_remove(ID);	/* absent: no harm */
	defer_log_free(&log);
	strbuf_free(&err);
}
END_TEST

/* file_text - defer/ID as a string (caller frees) */
static char *
file_text(void)
{
	FILE	*fp = fopen(DEFER_LOG_DIR "/" ID, "r");
	char	*buf = calloc(1, 65536);
	size_t	 n;

	ck_assert_ptr_nonnull(fp);
	ck_assert_ptr_nonnull(buf);
	n = fread(buf, 1, 65535, fp);
	buf[n] = '\0';
	fclose(fp);
	return (buf);
}

/*
 * limit_file_size - from now on, writes past bytes fail with EFBIG (the
 * signal that would kill the process is ignored), as writes to a full
 * file system fail with ENOSPC; returns the old limit
 */
static struct rlimit
limit_file_size(rlim_t bytes)
{
	struct rlimit old, rl;

	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_IGN);
	rl = old;
	rl.rlim_cur = bytes;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	return (old);
}

/*
 * A write that fails leaves the defer log as it was (the atomic
 * replacement never half happens) and no temporary file behind, and
 * says why; with room again the same write works.
 */
START_TEST(test_write_fails_keeps_old)
{
	struct defer_log log, back;
	struct strbuf err;
	struct rlimit old;
	char	*before, *after, reason[200];

	defer_log_init(&log);
	defer_log_init(&back);
	strbuf_init(&err);
	defer_log_set(&log, 10, "4.4.1", "connection refused");
	defer_log_add_sent(&log, 10, "a@dest.test");
	ck_assert_int_eq(defer_log_write(ID, &log, &err), 0);
	before = file_text();
	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	log.warned = true;
	defer_log_set(&log, 20, "4.2.2", reason);
	defer_log_add_sent(&log, 20, "b@dest.test");
	old = limit_file_size(strlen(before) + 10);
	ck_assert_int_eq(defer_log_write(ID, &log, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.data, strerror(EFBIG)));
	after = file_text();
	ck_assert_str_eq(after, before);
	ck_assert_int_ne(access(DEFER_LOG_DIR "/" ID ".tmp", F_OK), 0);
	ck_assert_int_eq(defer_log_read(ID, &back, &err), 0);
	ck_assert(!back.warned);
	ck_assert(defer_log_was_sent(&back, 10, "a@dest.test"));
	ck_assert(!defer_log_was_sent(&back, 20, "b@dest.test"));
	/* room again */
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	ck_assert_int_eq(defer_log_write(ID, &log, &err), 0);
	ck_assert_int_eq(defer_log_read(ID, &back, &err), 0);
	ck_assert(back.warned);
	ck_assert(defer_log_was_sent(&back, 20, "b@dest.test"));
	free(before);
	free(after);
	defer_log_free(&log);
	defer_log_free(&back);
	strbuf_free(&err);
}
END_TEST

/*
 * An append that fails half-way (a short write, then the error) is cut
 * back to the old end: the file stays byte for byte what it was, with
 * no torn last line for the next append to glue onto.
 */
START_TEST(test_append_fails_cut_back)
{
	struct defer_log base, add, back;
	struct strbuf err;
	struct rlimit old;
	char	*before, *after, addr[64];

	defer_log_init(&base);
	defer_log_init(&add);
	defer_log_init(&back);
	strbuf_init(&err);
	defer_log_set(&base, 100, "4.2.0", "try later");
	defer_log_add_sent(&add, 100, "first@dest.test");
	ck_assert_int_eq(defer_log_append(ID, &base, &add, &err), 0);
	before = file_text();
	defer_log_free(&add);
	for (int i = 0; i < 50; i++) {
		snprintf(addr, sizeof(addr), "user%d@dest.test", i);
		defer_log_add_sent(&add, 100, addr);
	}
	/* room for part of the first new line only */
	old = limit_file_size(strlen(before) + 8);
	ck_assert_int_eq(defer_log_append(ID, &base, &add, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.data, strerror(EFBIG)));
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	after = file_text();
	ck_assert_str_eq(after, before);
	ck_assert_int_eq(defer_log_read(ID, &back, &err), 0);
	ck_assert_uint_eq(back.sent_count, 1);
	/* and the next append works as if nothing had happened */
	ck_assert_int_eq(defer_log_append(ID, &base, &add, &err), 0);
	ck_assert_int_eq(defer_log_read(ID, &back, &err), 0);
	ck_assert_uint_eq(back.sent_count, 51);
	ck_assert(defer_log_was_sent(&back, 100, "first@dest.test"));
	ck_assert(defer_log_was_sent(&back, 100, "user49@dest.test"));
	free(before);
	free(after);
	defer_log_free(&base);
	defer_log_free(&add);
	defer_log_free(&back);
	strbuf_free(&err);
}
END_TEST

/*
 * A log that cannot be read is not a malformed one: errno says which,
 * so that qmgr retries the message later instead of going on without
 * its sent= lines (and delivering those addresses again).
 */
START_TEST(test_read_error_told_from_malformed)
{
	struct defer_log log;
	struct strbuf err;
	bool	 root = geteuid() == 0;

	defer_log_init(&log);
	strbuf_init(&err);
	put_file("warned=0\nnot a line\n", 20);
	errno = 0;
	ck_assert_int_eq(defer_log_read(ID, &log, &err), -1);
	ck_assert_int_eq(errno, EBADMSG);
	put_file("warned=0\nsent=1\ta@dest.test\n", 28);
	/* unreadable: as another user (root), or without permission */
	if (root)
		ck_assert_int_eq(seteuid(65534), 0);
	else
		ck_assert_int_eq(chmod(DEFER_LOG_DIR "/" ID, 0), 0);
	strbuf_reset(&err);
	errno = 0;
	ck_assert_int_eq(defer_log_read(ID, &log, &err), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert_ptr_nonnull(strstr(err.data, strerror(EACCES)));
	if (root)
		ck_assert_int_eq(seteuid(0), 0);
	else
		ck_assert_int_eq(chmod(DEFER_LOG_DIR "/" ID, 0600), 0);
	ck_assert_int_eq(defer_log_read(ID, &log, &err), 0);
	ck_assert(defer_log_was_sent(&log, 1, "a@dest.test"));
	/* a link planted there is refused as malformed, not retried */
	defer_log_remove(ID);
	ck_assert_int_eq(symlink("/etc/hostname", DEFER_LOG_DIR "/" ID), 0);
	errno = 0;
	ck_assert_int_eq(defer_log_read(ID, &log, &err), -1);
	ck_assert_int_eq(errno, EBADMSG);
	defer_log_free(&log);
	strbuf_free(&err);
}
END_TEST

/* defer_log_suite - all cases */
static Suite *
defer_log_suite(void)
{
	Suite	*s = suite_create("defer_log");
	TCase	*tc = tcase_create("core"), *big;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_set_replaces_and_cleans);
	tcase_add_test(tc, test_sent_roundtrip);
	tcase_add_test(tc, test_repeated_offsets);
	tcase_add_test(tc, test_append_sent);
	tcase_add_test(tc, test_append_cut_short);
	tcase_add_test(tc, test_absent_is_empty);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_overlong_line);
	tcase_add_test(tc, test_too_big);
	tcase_add_test(tc, test_bad_id_and_symlink);
	tcase_add_test(tc, test_remove_and_stale_tmp);
	tcase_add_test(tc, test_write_fails_keeps_old);
	tcase_add_test(tc, test_append_fails_cut_back);
	tcase_add_test(tc, test_read_error_told_from_malformed);
	suite_add_tcase(s, tc);
	big = tcase_create("big");
	tcase_add_checked_fixture(big, setup, teardown);
	tcase_set_timeout(big, 60);
	tcase_add_test(big, test_many_addresses);
	suite_add_tcase(s, big);
	return (s);
}

/* main - run the suite */
int
main(void)
{
	SRunner	*sr = srunner_create(defer_log_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
