/*
 * test_msg - unit tests of lib/util/msg.c: the maillog_file line format, the
 * escaping of control characters and of bytes that are not well-formed
 * UTF-8, the line bound (never inside a character or escape), fork safety
 * and the fatal hook.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdbool.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "unit.h"

static char tmpdir[64];
static char logpath[128];
static jmp_buf fatal_jmp;
static char fatal_text[8192];

/* setup - a fresh directory and log file name per test */
static void
setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_msg.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(logpath, sizeof(logpath), "%s/maillog", tmpdir);
}

/* teardown - remove what setup created */
static void
teardown(void)
{
	char link[160];

	snprintf(link, sizeof(link), "%s/link", tmpdir);
	unlink(link);
	unlink(logpath);
	rmdir(tmpdir);
}

/* fatal_hook - record the text and jump back into the test */
static void
fatal_hook(const char *text)
{
	snprintf(fatal_text, sizeof(fatal_text), "%s", text);
	longjmp(fatal_jmp, 1);
}

/* read_log - the whole log file (static buffer) */
static const char *
read_log(void)
{
	static char buf[65536];
	ssize_t n;
	int fd;

	fd = open(logpath, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	close(fd);
	return (buf);
}

/* count_lines - newlines in text */
static int
count_lines(const char *text)
{
	int n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return (n);
}

/* tail_len - continuation bytes needed after lead c (RFC 3629), with lo-hi for the first */
static int
tail_len(unsigned char c, unsigned char *lo, unsigned char *hi)
{
	*lo = 0x80;
	*hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf)
		return (1);
	if (c == 0xe0)
		*lo = 0xa0;
	else if (c == 0xed)
		*hi = 0x9f;
	if (c >= 0xe0 && c <= 0xef)
		return (2);
	if (c == 0xf0)
		*lo = 0x90;
	else if (c == 0xf4)
		*hi = 0x8f;
	if (c >= 0xf0 && c <= 0xf4)
		return (3);
	return (-1);
}

/*
 * log_text_ok - every line is UTF-8 by the byte ranges of RFC 3629, and
 * holds no C0, DEL or C1 control and no U+2028/U+2029; written apart from
 * lib/util/msg.c's decoder so that the two check each other.
 */
static bool
log_text_ok(const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	unsigned char lo, hi;
	int n, i;

	while (*p != '\0') {
		if (*p == '\n' || (*p >= 0x20 && *p < 0x7f)) {
			p++;
			continue;
		}
		if ((n = tail_len(*p, &lo, &hi)) < 0 || p[1] < lo || p[1] > hi)
			return (false);
		for (i = 2; i <= n; i++)
			if (p[i] < 0x80 || p[i] > 0xbf)
				return (false);
		if (p[0] == 0xc2 && p[1] <= 0x9f)
			return (false);
		if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9))
			return (false);
		p += n + 1;
	}
	return (true);
}

START_TEST(test_line_format)
{
	char pattern[256];
	regex_t re;
	const char *log;

	msg_open("/usr/libexec/sluice/smtpd", logpath);
	ck_assert_str_eq(msg_program(), "smtpd");
	msg_info("connect from %s", "localhost[127.0.0.1]");
	msg_warn("w %d", 1);
	msg_error("e");
	snprintf(pattern, sizeof(pattern),
	    "^[A-Z][a-z]{2} [0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} [^ ]+ "
	    "sluice/smtpd\\[%ld\\]: connect from localhost\\[127\\.0\\.0\\.1\\]\n"
	    "[^\n]* sluice/smtpd\\[%ld\\]: warning: w 1\n"
	    "[^\n]* sluice/smtpd\\[%ld\\]: error: e\n$",
	    (long)getpid(), (long)getpid(), (long)getpid());
	ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED), 0);
	log = read_log();
	ck_assert_msg(regexec(&re, log, 0, NULL, 0) == 0, "bad log: %s", log);
	regfree(&re);
	{
		struct stat st;

		ck_assert_int_eq(stat(logpath, &st), 0);
		ck_assert_int_eq(st.st_mode & 0777, 0644 & ~umask(022));
	}
}
END_TEST

START_TEST(test_escape_control)
{
	const char *log;

	msg_open("smtpd", logpath);
	msg_info("a\r\nJan 01 00:00:00 host sluice/smtpd[1]: forged\x01\x7f\t.");
	log = read_log();
	ck_assert_int_eq(count_lines(log), 1);
	ck_assert_ptr_nonnull(strstr(log,
	    ": a\\r\\nJan 01 00:00:00 host sluice/smtpd[1]: forged\\x01\\x7f\\t.\n"));
	/* 8-bit text (SMTPUTF8 addresses) passes unchanged */
	msg_info("caf\xc3\xa9");
	ck_assert_ptr_nonnull(strstr(read_log(), ": caf\xc3\xa9\n"));
}
END_TEST

START_TEST(test_line_bound)
{
	static char big[20000];
	const char *log;

	memset(big, 'x', sizeof(big) - 1);
	msg_open("cleanup", logpath);
	msg_info("%s", big);
	msg_info("%s", "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n");
	log = read_log();
	ck_assert_int_eq(count_lines(log), 2);
	ck_assert_uint_le(strchr(log, '\n') - log + 1, 4096);
	ck_assert_uint_ge(strchr(log, '\n') - log + 1, 3000);
}
END_TEST

START_TEST(test_escape_8bit)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		/* a remote reply with bytes that are not UTF-8 */
		{ "550 5.1.1 \xff\xfe bad", "550 5.1.1 \\xff\\xfe bad" },
		/* well-formed UTF-8, 2, 3 and 4 bytes, passes */
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
		/* a stray continuation byte, overlong forms */
		{ "a\x80" "b\xc0\xaf" "c\xe0\x80\xaf" "d", "a\\x80b\\xc0\\xafc\\xe0\\x80\\xafd" },
		/* a surrogate, a code point over U+10FFFF, lead bytes f5-ff */
		{ "\xed\xa0\x80|\xf4\x90\x80\x80|\xf5\xf8",
		  "\\xed\\xa0\\x80|\\xf4\\x90\\x80\\x80|\\xf5\\xf8" },
		/* a sequence cut short, in the middle and at the end */
		{ "\xe2\x82x\xc3", "\\xe2\\x82x\\xc3" },
		/* C1 NEL, U+2028 and U+2029: line breaks to some readers */
		{ "a\xc2\x85" "b\xe2\x80\xa8" "c\xe2\x80\xa9" "d",
		  "a\\xc2\\x85b\\xe2\\x80\\xa8c\\xe2\\x80\\xa9d" },
		/* the largest code point and the last before the surrogates */
		{ "\xf4\x8f\xbf\xbf\xed\x9f\xbf", "\xf4\x8f\xbf\xbf\xed\x9f\xbf" },
	};
	char want[256];
	const char *log;
	size_t i;

	msg_open("smtp", logpath);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		msg_info("%s", cases[i].in);
		snprintf(want, sizeof(want), "]: %s\n", cases[i].out);
		log = read_log();
		ck_assert_msg(strstr(log, want) != NULL, "case %zu: want %s in %s",
		    i, want, log);
		ck_assert_int_eq(count_lines(log), (int)i + 1);
		ck_assert(log_text_ok(log));
	}
}
END_TEST

START_TEST(test_escape_random)
{
	char text[64];
	unsigned seed = 14;
	int round, i;

	msg_open("smtpd", logpath);
	for (round = 0; round < 2000; round++) {
		for (i = 0; i < (int)sizeof(text) - 1; i++) {
			seed = seed * 1103515245u + 12345u;
			text[i] = (char)((seed >> 16) % 255 + 1);
		}
		text[i] = '\0';
		msg_info("%s", text);
		if (round % 100 == 99) {
			ck_assert(log_text_ok(read_log()));
			ck_assert_int_eq(count_lines(read_log()), 100);
			ck_assert_int_eq(truncate(logpath, 0), 0);
		}
	}
}
END_TEST

START_TEST(test_line_bound_escapes)
{
	static char big[6000];
	const char *log, *end;
	size_t i;

	/* cut where a character or an escape would not fit: never inside */
	for (i = 0; i + 2 < sizeof(big); i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	msg_open("cleanup", logpath);
	msg_info("x%s", big);
	for (i = 0; i + 1 < sizeof(big); i++)
		big[i] = (char)0xff;
	msg_info("%s", big);
	log = read_log();
	ck_assert_int_eq(count_lines(log), 2);
	ck_assert(log_text_ok(log));
	end = strchr(log, '\n');
	ck_assert_uint_le(end - log + 1, 4096);
	ck_assert_uint_ge(end - log + 1, 4000);
	ck_assert(end[-2] == (char)0xc3 && end[-1] == (char)0xa9);
	ck_assert_uint_le(strlen(end + 1), 4096);
	ck_assert_uint_ge(strlen(end + 1), 4000);
	ck_assert_str_eq(log + strlen(log) - 5, "\\xff\n");
}
END_TEST

START_TEST(test_debug_verbose)
{
	msg_open("qmgr", logpath);
	msg_debug("hidden");
	ck_assert_str_eq(read_log(), "");
	msg_set_verbose(1);
	msg_debug("shown");
	ck_assert_ptr_nonnull(strstr(read_log(), "sluice/qmgr["));
	ck_assert_ptr_nonnull(strstr(read_log(), "]: shown\n"));
	msg_set_verbose(0);
}
END_TEST

START_TEST(test_fork_pid)
{
	char want[64];
	pid_t pid;
	int status;

	msg_open("smtpd", logpath);
	if ((pid = fork()) == 0) {
		msg_info("child");
		_exit(0);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	snprintf(want, sizeof(want), "sluice/smtpd[%ld]: child\n", (long)pid);
	ck_assert_ptr_nonnull(strstr(read_log(), want));
}
END_TEST

START_TEST(test_fatal_hook)
{
	msg_open("master", logpath);
	msg_set_fatal_hook(fatal_hook);
	if (setjmp(fatal_jmp) == 0) {
		msg_fatal("boom %d", 7);
		ck_abort_msg("msg_fatal returned");
	}
	ck_assert_str_eq(fatal_text, "boom 7");
	ck_assert_ptr_nonnull(strstr(read_log(), "]: fatal: boom 7\n"));
	if (setjmp(fatal_jmp) == 0) {
		msg_panic("bug %s", "here");
		ck_abort_msg("msg_panic returned");
	}
	ck_assert_str_eq(fatal_text, "bug here");
	ck_assert_ptr_nonnull(strstr(read_log(), "]: panic: bug here\n"));
	msg_set_fatal_hook(NULL);
}
END_TEST

START_TEST(test_fatal_exits)
{
	msg_open("master", logpath);
	msg_fatal("no hook");
}
END_TEST

START_TEST(test_panic_aborts)
{
	msg_open("master", logpath);
	msg_panic("no hook");
}
END_TEST

START_TEST(test_nofollow)
{
	char link[160];

	snprintf(link, sizeof(link), "%s/link", tmpdir);
	ck_assert_int_eq(symlink(logpath, link), 0);
	msg_set_fatal_hook(fatal_hook);
	if (setjmp(fatal_jmp) == 0) {
		msg_open("smtpd", link);
		ck_abort_msg("msg_open followed a symlink");
	}
	ck_assert_ptr_nonnull(strstr(fatal_text, link));
	msg_set_fatal_hook(NULL);
	ck_assert_int_ne(access(logpath, F_OK), 0);
}
END_TEST

START_TEST(test_reopen)
{
	char other[160];
	int fd;

	snprintf(other, sizeof(other), "%s/other", tmpdir);
	msg_open("smtpd", other);
	msg_info("first");
	msg_open("smtpd", logpath);
	msg_info("second");
	ck_assert_ptr_nonnull(strstr(read_log(), "second"));
	ck_assert_ptr_null(strstr(read_log(), "first"));
	fd = open(other, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	close(fd);
	unlink(other);
}
END_TEST

/*
 * test_short_write_dropped_whole - a write to maillog_file that the disk
 * cuts short (here: RLIMIT_FSIZE a few bytes past the end) leaves no half
 * line for the next one to glue onto, and errno is the caller's
 */
START_TEST(test_short_write_dropped_whole)
{
	struct rlimit rl;
	struct stat st;
	const char *log;
	char big[600];
	int limited, unlimited, saved_errno;

	signal(SIGXFSZ, SIG_IGN);
	msg_open("qmgr", logpath);
	msg_info("first line");
	ck_assert_int_eq(stat(logpath, &st), 0);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &rl), 0);
	/* no ck_assert under the limit: Check writes its own file too */
	rl.rlim_cur = (rlim_t)st.st_size + 100;
	limited = setrlimit(RLIMIT_FSIZE, &rl);
	errno = ENOSPC;
	msg_warn("ABCQUEUEID: %s", big);
	saved_errno = errno;
	rl.rlim_cur = rl.rlim_max;
	unlimited = setrlimit(RLIMIT_FSIZE, &rl);
	ck_assert_int_eq(limited, 0);
	ck_assert_int_eq(unlimited, 0);
	ck_assert_int_eq(saved_errno, ENOSPC);
	msg_info("third line");
	log = read_log();
	ck_assert_int_eq(count_lines(log), 2);
	ck_assert_ptr_null(strstr(log, "ABCQUEUEID"));
	ck_assert_ptr_nonnull(strstr(log, "first line\n"));
	ck_assert_ptr_nonnull(strstr(log, "]: third line\n"));
	ck_assert_msg(strncmp(strchr(log, '\n') + 1, log, 3) == 0,
	    "second line does not start with a date: %s", log);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("msg");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_line_format);
	tcase_add_test(tc, test_escape_control);
	tcase_add_test(tc, test_line_bound);
	tcase_add_test(tc, test_escape_8bit);
	tcase_add_test(tc, test_escape_random);
	tcase_add_test(tc, test_line_bound_escapes);
	tcase_add_test(tc, test_debug_verbose);
	tcase_add_test(tc, test_fork_pid);
	tcase_add_test(tc, test_fatal_hook);
	tcase_add_exit_test(tc, test_fatal_exits, 1);
	tcase_add_test_raise_signal(tc, test_panic_aborts, SIGABRT);
	tcase_add_test(tc, test_nofollow);
	tcase_add_test(tc, test_reopen);
	tcase_add_test(tc, test_short_write_dropped_whole);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
