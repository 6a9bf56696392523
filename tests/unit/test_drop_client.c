/*
 * test_drop_client - unit tests of lib/mail/drop_client.c, against stand-ins
 * for sluice-drop: small shell scripts that read what they are sent and
 * answer as sluice-drop would (an ID and exit 0, or a failure status).
 */
#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "attr.h"
#include "drop_client.h"
#include "unit.h"

static char	 dir[64];
static char	 program[PATH_MAX];
static char	 received[PATH_MAX];

static void
setup(void)
{
	signal(SIGPIPE, SIG_IGN);	/* as every caller does */
	snprintf(dir, sizeof(dir), "/tmp/test_drop_client.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(program, sizeof(program), "%s/sluice-drop", dir);
	snprintf(received, sizeof(received), "%s/received", dir);
}

static void
teardown(void)
{
	char	 cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* stand_in - program becomes a script: keep stdin and args, then body */
static void
stand_in(const char *body)
{
	FILE	*fp = fopen(program, "w");

	ck_assert_ptr_nonnull(fp);
	fprintf(fp, "#!/bin/sh\necho \"$@\" > %s.args\ncat > %s\n%s\n",
	    received, received, body);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(chmod(program, 0755), 0);
}

/* slurp - a file's bytes; *len set */
static char *
slurp(const char *path, size_t *len)
{
	static char buf[65536];
	FILE	*fp = fopen(path, "r");

	ck_assert_ptr_nonnull(fp);
	*len = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	return (buf);
}

/* envelope - a list as sendmail sends it */
static void
envelope(struct attr_list *env)
{
	attr_list_init(env);
	attr_list_add_str(env, "request", "message");
	attr_list_add_str(env, "sender", "user@example.test");
	attr_list_add_str(env, "rcpt", "rcpt@example.test");
}

/* a queued message: the ID comes back, and the lists were sent in order */
START_TEST(test_queued)
{
	struct attr_list env;
	struct drop_client *d;
	char	 id[QUEUE_ID_SIZE], *got, args[PATH_MAX + 8];
	size_t	 len;

	stand_in("echo 6B0000000000000A1");
	envelope(&env);
	d = drop_client_open(program, "/etc/x", 2, &env);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(drop_client_write(d, "Subject: t\n\nbody\n", 17), 0);
	ck_assert_int_eq(drop_client_close(d, id), EX_OK);
	ck_assert_str_eq(id, "6B0000000000000A1");
	got = slurp(received, &len);
	/* envelope list, one data list, end=1 */
	ck_assert(memmem(got, len, "user@example.test", 17) != NULL);
	ck_assert(memmem(got, len, "Subject: t\n\nbody\n", 17) != NULL);
	ck_assert(len > 4 && memcmp(got + len - 4, "\0\0\0\0", 4) == 0);
	ck_assert(memmem(got, len, "end", 3) != NULL);
	snprintf(args, sizeof(args), "%s.args", received);
	got = slurp(args, &len);
	ck_assert(len >= 10 && memcmp(got, "-c /etc/x -v\n", 13) == 0);
	attr_list_free(&env);
}
END_TEST

/* its exit status is the result; no ID, or a bad one, is a failure */
START_TEST(test_failures)
{
	struct attr_list env;
	struct drop_client *d;
	char	 id[QUEUE_ID_SIZE];

	envelope(&env);
	stand_in("exit 75");
	d = drop_client_open(program, NULL, 0, &env);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(drop_client_close(d, id), EX_TEMPFAIL);
	stand_in("echo not-an-id");
	d = drop_client_open(program, NULL, 0, &env);
	ck_assert_int_eq(drop_client_close(d, id), EX_SOFTWARE);
	snprintf(program, sizeof(program), "%s/missing", dir);
	d = drop_client_open(program, NULL, 0, &env);
	ck_assert_ptr_nonnull(d);	/* exec fails in the child */
	ck_assert_int_eq(drop_client_close(d, id), EX_UNAVAILABLE);
	attr_list_free(&env);
}
END_TEST

/* abort stops the program before it answers; a big message streams */
START_TEST(test_abort_and_big_content)
{
	static char big[300000];
	struct attr_list env;
	struct drop_client *d;
	char	 id[QUEUE_ID_SIZE];
	struct stat st;

	envelope(&env);
	stand_in("sleep 30");
	d = drop_client_open(program, NULL, 0, &env);
	ck_assert_ptr_nonnull(d);
	drop_client_abort(d);		/* returns without the 30 s */
	memset(big, 'x', sizeof(big));
	stand_in("echo 6B0000000000000A2");
	d = drop_client_open(program, NULL, 0, &env);
	ck_assert_int_eq(drop_client_write(d, big, sizeof(big)), 0);
	ck_assert_int_eq(drop_client_close(d, id), EX_OK);
	ck_assert_int_eq(stat(received, &st), 0);
	ck_assert_int_gt(st.st_size, (off_t)sizeof(big));	/* + framing */
	attr_list_free(&env);
}
END_TEST

static Suite *
drop_client_suite(void)
{
	Suite	*suite = suite_create("drop_client");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_queued);
	tcase_add_test(tc, test_failures);
	tcase_add_test(tc, test_abort_and_big_content);
	suite_add_tcase(suite, tc);
	return (suite);
}

int
main(void)
{
	return (unit_run(drop_client_suite()));
}
