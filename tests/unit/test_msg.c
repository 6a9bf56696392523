/*
 * test_msg - unit tests of lib/msg.c: the maillog_file line format, control
 * character escaping, the line bound, fork safety and the fatal hook.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <fcntl.h>
#include <regex.h>
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

int
main(void)
{
	Suite *s = suite_create("msg");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_line_format);
	tcase_add_test(tc, test_escape_control);
	tcase_add_test(tc, test_line_bound);
	tcase_add_test(tc, test_debug_verbose);
	tcase_add_test(tc, test_fork_pid);
	tcase_add_test(tc, test_fatal_hook);
	tcase_add_exit_test(tc, test_fatal_exits, 1);
	tcase_add_test_raise_signal(tc, test_panic_aborts, SIGABRT);
	tcase_add_test(tc, test_nofollow);
	tcase_add_test(tc, test_reopen);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
