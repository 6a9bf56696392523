/*
 * test_queue_id - unit tests for lib/queue/queue_id.c: format, uniqueness,
 * ordering and the validity check.
 */
#include <sys/wait.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "queue_id.h"
#include "unit.h"

#define MANY	10000

/* cmp_id - qsort comparator for IDs */
static int
cmp_id(const void *a, const void *b)
{
	return (strcmp(a, b));
}

START_TEST(test_format)
{
	char id[QUEUE_ID_SIZE];

	queue_id_new(id);
	ck_assert_uint_eq(strlen(id), QUEUE_ID_LEN);
	ck_assert(queue_id_valid(id));
	for (size_t i = 0; i < QUEUE_ID_LEN; i++)
		ck_assert(strchr("0123456789ABCDEF", id[i]) != NULL);
}
END_TEST

START_TEST(test_unique_and_sorted)
{
	char (*ids)[QUEUE_ID_SIZE] = malloc(MANY * QUEUE_ID_SIZE);

	for (int i = 0; i < MANY; i++) {
		queue_id_new(ids[i]);
		ck_assert(queue_id_valid(ids[i]));
		/* time-sortable: the time part never goes backwards */
		if (i > 0)
			ck_assert(strncmp(ids[i - 1], ids[i], 13) <= 0);
	}
	qsort(ids, MANY, QUEUE_ID_SIZE, cmp_id);
	for (int i = 1; i < MANY; i++)
		ck_assert_msg(strcmp(ids[i - 1], ids[i]) != 0, "duplicate %s",
		    ids[i]);
	free(ids);
}
END_TEST

START_TEST(test_forked_children_differ)
{
	char mine[QUEUE_ID_SIZE], theirs[QUEUE_ID_SIZE];
	int pfd[2], status;
	pid_t pid;

	ck_assert_int_eq(pipe(pfd), 0);
	queue_id_new(mine);
	if ((pid = fork()) == 0) {
		queue_id_new(theirs);
		_exit(write(pfd[1], theirs, QUEUE_ID_SIZE) == QUEUE_ID_SIZE ? 0 : 1);
	}
	queue_id_new(mine);
	ck_assert_int_eq(read(pfd[0], theirs, QUEUE_ID_SIZE), QUEUE_ID_SIZE);
	waitpid(pid, &status, 0);
	/* same counter value in both, so only the pid keeps them apart */
	ck_assert_str_ne(mine + 13, theirs + 13);
	close(pfd[0]);
	close(pfd[1]);
}
END_TEST

START_TEST(test_valid)
{
	ck_assert(queue_id_valid("0123456789ABCDEF0"));
	ck_assert(!queue_id_valid("0123456789abcdef0"));
	ck_assert(!queue_id_valid("0123456789ABCDEF"));
	ck_assert(!queue_id_valid("0123456789ABCDEF01"));
	ck_assert(!queue_id_valid("0123456789ABCDEG0"));
	ck_assert(!queue_id_valid("../../etc/passwd"));
	ck_assert(!queue_id_valid("0123456789ABCDE/0"));
	ck_assert(!queue_id_valid(""));
	ck_assert(!queue_id_valid(NULL));
}
END_TEST

/* queue_id_suite - every test above */
static Suite *
queue_id_suite(void)
{
	Suite *suite = suite_create("queue_id");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_unique_and_sorted);
	tcase_add_test(tc, test_forked_children_differ);
	tcase_add_test(tc, test_valid);
	suite_add_tcase(suite, tc);
	return (suite);
}

int
main(void)
{
	return (unit_run(queue_id_suite()));
}
