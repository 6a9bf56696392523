/*
 * test_htable - unit tests of lib/util/htable.c: finding and adding keys,
 * case-insensitive and binary keys, growth from a small table, and
 * deletion against a plain array as the reference (deleting from the
 * middle of a probe run must not lose the keys behind it).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htable.h"
#include "unit.h"

START_TEST(test_enter_find)
{
	struct htable *t = htable_create(0, 0);
	struct htable_entry *e;
	bool	 added;
	int	 x;

	ck_assert_uint_eq(htable_count(t), 0);
	ck_assert_ptr_null(htable_find(t, "a@b", 3));
	e = htable_enter(t, "a@b", 3, &added);
	ck_assert(added);
	ck_assert_ptr_null(e->value);
	ck_assert_uint_eq(e->num, 0);
	ck_assert_str_eq(e->key, "a@b");
	e->value = &x;
	e->num = 42;
	e = htable_enter(t, "a@b", 3, &added);
	ck_assert(!added);
	ck_assert_ptr_eq(e->value, &x);
	ck_assert_uint_eq(e->num, 42);
	ck_assert_ptr_eq(htable_find(t, "a@b", 3), e);
	/* a prefix, an extension and another case are other keys */
	ck_assert_ptr_null(htable_find(t, "a@", 2));
	ck_assert_ptr_null(htable_find(t, "a@bc", 4));
	ck_assert_ptr_null(htable_find(t, "A@B", 3));
	ck_assert_ptr_null(htable_find(t, "", 0));
	ck_assert_uint_eq(htable_count(t), 1);
	htable_free(t);
	htable_free(NULL);
}
END_TEST

START_TEST(test_nocase_and_binary)
{
	struct htable *t = htable_create(4, HTABLE_NOCASE);
	struct htable_entry *e;
	bool	 added;
	static const char bin1[] = { 'k', '\0', 'A' };
	static const char bin2[] = { 'k', '\0', 'b' };

	e = htable_enter(t, "User@Example.TEST", 17, &added);
	ck_assert(added);
	ck_assert_ptr_eq(htable_find(t, "user@example.test", 17), e);
	ck_assert_ptr_eq(htable_enter(t, "USER@EXAMPLE.test", 17, &added), e);
	ck_assert(!added);
	/* the first spelling is the one kept */
	ck_assert_str_eq(e->key, "User@Example.TEST");
	/* only ASCII letters fold: '@' and '`' differ by 0x20 too */
	ck_assert_ptr_null(htable_find(t, "user`example.test", 17));
	/* keys are bytes, NULs included */
	e = htable_enter(t, bin1, sizeof(bin1), &added);
	ck_assert(added);
	ck_assert_ptr_eq(htable_find(t, "k\0a", 3), e);
	ck_assert_ptr_null(htable_find(t, bin2, sizeof(bin2)));
	ck_assert_ptr_null(htable_find(t, "k", 1));
	ck_assert_uint_eq(e->len, 3);
	ck_assert_uint_eq(htable_count(t), 2);
	htable_free(t);
}
END_TEST

/* many keys through a table that starts small; long keys too */
START_TEST(test_growth)
{
	struct htable *t = htable_create(0, HTABLE_NOCASE);
	struct htable_entry *first, *e;
	char	 key[128];
	bool	 added;

	first = htable_enter(t, "first", 5, NULL);
	for (int i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "t%d.%d@dest%d.test", i / 1000,
		    i % 1000, i % 7);
		e = htable_enter(t, key, strlen(key), &added);
		ck_assert(added);
		e->num = (size_t)i;
	}
	ck_assert_uint_eq(htable_count(t), 100001);
	/* entries never move: a pointer taken early still holds */
	ck_assert_ptr_eq(htable_find(t, "FIRST", 5), first);
	for (int i = 0; i < 100000; i += 997) {
		snprintf(key, sizeof(key), "T%d.%d@DEST%d.test", i / 1000,
		    i % 1000, i % 7);
		e = htable_find(t, key, strlen(key));
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->num, (size_t)i);
	}
	memset(key, 'x', sizeof(key));
	ck_assert_ptr_null(htable_find(t, key, sizeof(key)));
	e = htable_enter(t, key, sizeof(key), &added);
	ck_assert(added);
	ck_assert_ptr_eq(htable_find(t, key, sizeof(key)), e);
	ck_assert_ptr_null(htable_find(t, key, sizeof(key) - 1));
	htable_free(t);
}
END_TEST

/*
 * Random additions and deletions checked against an array: after each
 * step every key the array holds is found and no deleted key is.  The
 * small key space makes long probe runs and deletions inside them.
 */
START_TEST(test_delete_against_reference)
{
	enum { KEYS = 600, STEPS = 20000 };
	struct htable *t = htable_create(0, 0);
	bool	 present[KEYS] = { false };
	char	 key[32];
	bool	 added;
	size_t	 count = 0;
	unsigned int seed = 12345;

	for (int step = 0; step < STEPS; step++) {
		int	 k = rand_r(&seed) % KEYS;

		snprintf(key, sizeof(key), "key%d", k);
		if (rand_r(&seed) % 3 == 0) {
			ck_assert(htable_delete(t, key, strlen(key)) ==
			    present[k]);
			if (present[k])
				count--;
			present[k] = false;
		} else {
			htable_enter(t, key, strlen(key), &added);
			ck_assert(added == !present[k]);
			if (!present[k])
				count++;
			present[k] = true;
		}
		ck_assert_uint_eq(htable_count(t), count);
		if (step % 500 != 0)
			continue;
		for (int i = 0; i < KEYS; i++) {
			snprintf(key, sizeof(key), "key%d", i);
			ck_assert_msg((htable_find(t, key, strlen(key)) !=
			    NULL) == present[i], "step %d key %d", step, i);
		}
	}
	for (int i = 0; i < KEYS; i++) {
		snprintf(key, sizeof(key), "key%d", i);
		ck_assert((htable_find(t, key, strlen(key)) != NULL) ==
		    present[i]);
		if (present[i])
			ck_assert(htable_delete(t, key, strlen(key)));
	}
	ck_assert_uint_eq(htable_count(t), 0);
	ck_assert(!htable_delete(t, "key1", 4));
	htable_free(t);
}
END_TEST

/* htable_suite - all cases */
static Suite *
htable_suite(void)
{
	Suite	*s = suite_create("htable");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_enter_find);
	tcase_add_test(tc, test_nocase_and_binary);
	tcase_add_test(tc, test_growth);
	tcase_add_test(tc, test_delete_against_reference);
	suite_add_tcase(s, tc);
	return (s);
}

/* main - run the suite */
int
main(void)
{
	return (unit_run(htable_suite()));
}
