/*
 * test_anvil_table - the counters behind anvil(8): session counts per
 * ident, rates in a fixed window, disconnects only for sessions of the
 * same owner, release of an owner's sessions when it goes away, expiry,
 * and the peaks that anvil logs.  The table takes the time as an
 * argument, so the tests move the clock themselves.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "anvil_table.h"
#include "unit.h"

#define T0	1000000		/* an arbitrary start time */

/* conn - one session of ident by o at now; the count */
static long
conn(struct anvil_table *t, struct anvil_owner *o, const char *ident,
    time_t now, long *rate)
{
	long count, r;

	anvil_table_connect(t, o, ident, now, &count, &r);
	if (rate != NULL)
		*rate = r;
	return (count);
}

START_TEST(test_count_and_disconnect)
{
	struct anvil_table *t = anvil_table_create(60);
	struct anvil_owner *o = anvil_owner_create();
	long rate;

	ck_assert_int_eq(conn(t, o, "smtp:192.0.2.1", T0, &rate), 1);
	ck_assert_int_eq(rate, 1);
	ck_assert_int_eq(conn(t, o, "smtp:192.0.2.1", T0, &rate), 2);
	ck_assert_int_eq(rate, 2);
	/* another client, another service: counted apart */
	ck_assert_int_eq(conn(t, o, "smtp:192.0.2.2", T0, NULL), 1);
	ck_assert_int_eq(conn(t, o, "submission:192.0.2.1", T0, NULL), 1);
	ck_assert(anvil_table_disconnect(t, o, "smtp:192.0.2.1", T0));
	ck_assert_int_eq(conn(t, o, "smtp:192.0.2.1", T0, &rate), 2);
	/* the rate counts connections, not sessions open */
	ck_assert_int_eq(rate, 3);
	ck_assert(anvil_table_disconnect(t, o, "smtp:192.0.2.1", T0));
	ck_assert(anvil_table_disconnect(t, o, "smtp:192.0.2.1", T0));
	/* no session left: a further disconnect changes nothing */
	ck_assert(!anvil_table_disconnect(t, o, "smtp:192.0.2.1", T0));
	ck_assert(!anvil_table_disconnect(t, o, "smtp:198.51.100.9", T0));
	ck_assert_int_eq(conn(t, o, "smtp:192.0.2.1", T0, NULL), 1);
	anvil_owner_release(t, o, T0);
	anvil_table_free(t);
}
END_TEST

START_TEST(test_disconnect_needs_the_same_owner)
{
	struct anvil_table *t = anvil_table_create(60);
	struct anvil_owner *a = anvil_owner_create();
	struct anvil_owner *b = anvil_owner_create();
	long count, rate;

	conn(t, a, "smtp:192.0.2.1", T0, NULL);
	conn(t, a, "smtp:192.0.2.1", T0, NULL);
	ck_assert_int_eq(conn(t, b, "smtp:192.0.2.1", T0, NULL), 3);
	/* b has one session: its second disconnect is not a's to lose */
	ck_assert(anvil_table_disconnect(t, b, "smtp:192.0.2.1", T0));
	ck_assert(!anvil_table_disconnect(t, b, "smtp:192.0.2.1", T0));
	anvil_table_lookup(t, "smtp:192.0.2.1", ANVIL_EVENT_CONNECT, T0,
	    &count, &rate);
	ck_assert_int_eq(count, 2);
	ck_assert_int_eq(rate, 3);
	anvil_owner_release(t, a, T0);
	anvil_owner_release(t, b, T0);
	anvil_table_free(t);
}
END_TEST

START_TEST(test_release_gives_back_an_owners_sessions)
{
	struct anvil_table *t = anvil_table_create(60);
	struct anvil_owner *dead = anvil_owner_create();
	struct anvil_owner *live = anvil_owner_create();
	char	 ident[64];
	long	 count, rate;

	/* many clients, so that the owner's holds and the table both grow */
	for (int i = 0; i < 500; i++) {
		snprintf(ident, sizeof(ident), "smtp:10.0.%d.%d", i / 256, i % 256);
		conn(t, dead, ident, T0, NULL);
		conn(t, dead, ident, T0, NULL);
		conn(t, live, ident, T0, NULL);
	}
	anvil_owner_release(t, dead, T0 + 1);
	for (int i = 0; i < 500; i++) {
		snprintf(ident, sizeof(ident), "smtp:10.0.%d.%d", i / 256, i % 256);
		anvil_table_lookup(t, ident, ANVIL_EVENT_CONNECT, T0 + 1,
		    &count, &rate);
		ck_assert_int_eq(count, 1);
		ck_assert_int_eq(rate, 3);
	}
	anvil_owner_release(t, live, T0 + 1);
	anvil_table_lookup(t, "smtp:10.0.0.0", ANVIL_EVENT_CONNECT, T0 + 1,
	    &count, &rate);
	ck_assert_int_eq(count, 0);
	anvil_table_free(t);
}
END_TEST

START_TEST(test_rate_window)
{
	struct anvil_table *t = anvil_table_create(60);
	struct anvil_owner *o = anvil_owner_create();
	long rate, count;

	conn(t, o, "smtp:192.0.2.1", T0, &rate);
	conn(t, o, "smtp:192.0.2.1", T0 + 30, &rate);
	conn(t, o, "smtp:192.0.2.1", T0 + 59, &rate);
	ck_assert_int_eq(rate, 3);
	/* the window the first connection opened is over: a new one */
	ck_assert_int_eq(conn(t, o, "smtp:192.0.2.1", T0 + 60, &rate), 4);
	ck_assert_int_eq(rate, 1);
	/* other events have rates of their own in the same window */
	ck_assert_int_eq(anvil_table_event(t, "smtp:192.0.2.1",
	    ANVIL_EVENT_MESSAGE, T0 + 61), 1);
	ck_assert_int_eq(anvil_table_event(t, "smtp:192.0.2.1",
	    ANVIL_EVENT_MESSAGE, T0 + 62), 2);
	ck_assert_int_eq(anvil_table_event(t, "smtp:192.0.2.1",
	    ANVIL_EVENT_RECIPIENT, T0 + 62), 1);
	anvil_table_lookup(t, "smtp:192.0.2.1", ANVIL_EVENT_MESSAGE, T0 + 62,
	    &count, &rate);
	ck_assert_int_eq(count, 4);
	ck_assert_int_eq(rate, 2);
	/* a window that is over reports no rate, and lookup does not reset */
	anvil_table_lookup(t, "smtp:192.0.2.1", ANVIL_EVENT_CONNECT, T0 + 500,
	    &count, &rate);
	ck_assert_int_eq(rate, 0);
	/* a clock that goes back starts a window rather than freezing one */
	ck_assert_int_eq(anvil_table_event(t, "smtp:192.0.2.1",
	    ANVIL_EVENT_MESSAGE, T0 - 100), 1);
	anvil_owner_release(t, o, T0);
	anvil_table_free(t);
}
END_TEST

START_TEST(test_expire)
{
	struct anvil_table *t = anvil_table_create(60);
	struct anvil_owner *o = anvil_owner_create();

	conn(t, o, "smtp:192.0.2.1", T0, NULL);
	conn(t, o, "smtp:192.0.2.2", T0, NULL);
	(void)anvil_table_event(t, "smtp:192.0.2.3", ANVIL_EVENT_AUTH, T0);
	ck_assert(anvil_table_disconnect(t, o, "smtp:192.0.2.2", T0 + 1));
	ck_assert_uint_eq(anvil_table_size(t), 3);
	/* within the window nothing without sessions goes */
	anvil_table_expire(t, T0 + 59);
	ck_assert_uint_eq(anvil_table_size(t), 3);
	/* after it, only the ident with a session stays */
	anvil_table_expire(t, T0 + 60);
	ck_assert_uint_eq(anvil_table_size(t), 1);
	ck_assert_int_eq(conn(t, o, "smtp:192.0.2.1", T0 + 61, NULL), 2);
	/* at most one walk per second: the same second again does nothing */
	anvil_table_expire(t, T0 + 200);
	ck_assert_uint_eq(anvil_table_size(t), 1);
	ck_assert(anvil_table_disconnect(t, o, "smtp:192.0.2.1", T0 + 200));
	ck_assert(anvil_table_disconnect(t, o, "smtp:192.0.2.1", T0 + 200));
	anvil_table_expire(t, T0 + 200);
	ck_assert_uint_eq(anvil_table_size(t), 1);
	anvil_table_expire(t, T0 + 201);
	ck_assert_uint_eq(anvil_table_size(t), 0);
	anvil_owner_release(t, o, T0 + 200);
	anvil_table_free(t);
}
END_TEST

/*
 * Many idents, half of them expired at once and then counted again: the
 * index and the list of entries stay in step (a removal from the middle
 * of a probe run, an ident that comes back after it was forgotten).
 */
START_TEST(test_expire_many)
{
	struct anvil_table *t = anvil_table_create(10);
	struct anvil_owner *o = anvil_owner_create();
	char	 ident[64];
	long	 count, rate;
	int	 n = 5000;

	for (int i = 0; i < n; i++) {
		snprintf(ident, sizeof(ident), "smtp:2001:db8::%x", i);
		if (i % 2 == 0)
			conn(t, o, ident, T0, NULL);
		else
			(void)anvil_table_event(t, ident, ANVIL_EVENT_MESSAGE, T0);
	}
	ck_assert_uint_eq(anvil_table_size(t), (size_t)n);
	anvil_table_expire(t, T0 + 10);
	ck_assert_uint_eq(anvil_table_size(t), (size_t)n / 2);
	for (int i = 0; i < n; i++) {
		snprintf(ident, sizeof(ident), "smtp:2001:db8::%x", i);
		anvil_table_lookup(t, ident, ANVIL_EVENT_CONNECT, T0 + 10,
		    &count, &rate);
		ck_assert_int_eq(count, i % 2 == 0 ? 1 : 0);
		/* a forgotten ident starts again from nothing */
		if (i % 2 == 1)
			ck_assert_int_eq(anvil_table_event(t, ident,
			    ANVIL_EVENT_MESSAGE, T0 + 11), 1);
	}
	ck_assert_uint_eq(anvil_table_size(t), (size_t)n);
	ck_assert_uint_eq(anvil_table_peaks(t)->table_size, (size_t)n);
	anvil_owner_release(t, o, T0 + 11);
	anvil_table_expire(t, T0 + 30);
	ck_assert_uint_eq(anvil_table_size(t), 0);
	anvil_table_lookup(t, "smtp:2001:db8::0", ANVIL_EVENT_CONNECT, T0 + 30,
	    &count, &rate);
	ck_assert_int_eq(count, 0);
	anvil_table_free(t);
}
END_TEST

START_TEST(test_peaks)
{
	struct anvil_table *t = anvil_table_create(60);
	struct anvil_owner *o = anvil_owner_create();
	const struct anvil_peaks *p;

	conn(t, o, "smtp:192.0.2.1", T0, NULL);
	conn(t, o, "smtp:192.0.2.2", T0 + 1, NULL);
	conn(t, o, "smtp:192.0.2.2", T0 + 2, NULL);
	(void)anvil_table_event(t, "smtp:192.0.2.1", ANVIL_EVENT_MESSAGE, T0 + 3);
	p = anvil_table_peaks(t);
	ck_assert_int_eq(p->count.value, 2);
	ck_assert_str_eq(p->count.ident, "smtp:192.0.2.2");
	ck_assert_int_eq(p->count.when, T0 + 2);
	ck_assert_int_eq(p->rate[ANVIL_EVENT_CONNECT].value, 2);
	ck_assert_int_eq(p->rate[ANVIL_EVENT_MESSAGE].value, 1);
	ck_assert_str_eq(p->rate[ANVIL_EVENT_MESSAGE].ident, "smtp:192.0.2.1");
	ck_assert_int_eq(p->rate[ANVIL_EVENT_RECIPIENT].value, 0);
	ck_assert_uint_eq(p->table_size, 2);
	anvil_table_reset_peaks(t);
	ck_assert_int_eq(anvil_table_peaks(t)->count.value, 0);
	ck_assert_uint_eq(anvil_table_peaks(t)->table_size, 0);
	anvil_owner_release(t, o, T0);
	anvil_table_free(t);
}
END_TEST

START_TEST(test_event_names)
{
	enum anvil_event e;

	for (int i = 0; i < ANVIL_EVENT_COUNT; i++) {
		ck_assert(anvil_event_parse(anvil_event_name(i), &e));
		ck_assert_int_eq(e, i);
	}
	ck_assert_str_eq(anvil_event_name(ANVIL_EVENT_CONNECT), "connection");
	ck_assert(!anvil_event_parse("Message", &e));
	ck_assert(!anvil_event_parse("", &e));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("anvil_table");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_count_and_disconnect);
	tcase_add_test(tc, test_disconnect_needs_the_same_owner);
	tcase_add_test(tc, test_release_gives_back_an_owners_sessions);
	tcase_add_test(tc, test_rate_window);
	tcase_add_test(tc, test_expire);
	tcase_add_test(tc, test_expire_many);
	tcase_add_test(tc, test_peaks);
	tcase_add_test(tc, test_event_names);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
