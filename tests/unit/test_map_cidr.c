/*
 * test_map_cidr - cidr: tables: IPv4 and IPv6 networks, first match,
 * negation, if/endif (nested), and the tables that must be refused with
 * their file and line (/33, /129, host bits, unbalanced if, a 100 KiB
 * line, missing results).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maps.h"
#include "strbuf.h"
#include "unit.h"

static char tmpdir[64];
static char path[128];

static void
setup(void)
{
	strcpy(tmpdir, "/tmp/test_map_cidr.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(path, sizeof(path), "%s/cidr", tmpdir);
}

static void
teardown(void)
{
	unlink(path);
	rmdir(tmpdir);
}

/* open_text - write text to the table file and open cidr: on it */
static struct map *
open_text(const char *text, struct strbuf *err)
{
	struct strbuf spec;
	struct map *m;
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
	strbuf_init(&spec);
	strbuf_printf(&spec, "cidr:%s", path);
	strbuf_reset(err);
	m = map_open(spec.data, err);
	strbuf_free(&spec);
	return (m);
}

/* answer - the value for key, or "-" when not found */
static const char *
answer(struct map *m, const char *key, struct strbuf *v)
{
	int rc = map_lookup(m, key, v);

	ck_assert_int_ne(rc, MAP_TEMPFAIL);
	return (rc == MAP_FOUND ? v->data : "-");
}

START_TEST(test_cidr_match)
{
	struct strbuf err, v;
	struct map *m;

	strbuf_init(&err);
	strbuf_init(&v);
	m = open_text(
	    "# clients\n"
	    "192.0.2.1          host one\n"
	    "192.0.2.0/24       net\n"
	    "   continued\n"
	    "10.0.0.0/8         ten\n"
	    "[2001:db8::1]      six-host\n"
	    "2001:db8::/32      six-net\n"
	    "[2001:db9::]/32    six-bracket\n"
	    "::ffff:198.51.100.0/120 mapped\n"
	    "0.0.0.0/0          any4\n", &err);
	ck_assert_msg(m != NULL, "%s", err.data);
	ck_assert(map_is_pattern(m));
	ck_assert_str_eq(answer(m, "192.0.2.1", &v), "host one");
	ck_assert_str_eq(answer(m, "192.0.2.77", &v), "net continued");
	ck_assert_str_eq(answer(m, "10.255.1.2", &v), "ten");
	ck_assert_str_eq(answer(m, "2001:db8::1", &v), "six-host");
	ck_assert_str_eq(answer(m, "2001:DB8:0:0::2", &v), "six-net");
	ck_assert_str_eq(answer(m, "2001:db9:ffff::", &v), "six-bracket");
	ck_assert_str_eq(answer(m, "198.51.100.9", &v), "mapped");
	ck_assert_str_eq(answer(m, "::ffff:10.1.1.1", &v), "ten");
	ck_assert_str_eq(answer(m, "203.0.113.5", &v), "any4");
	/* IPv6 outside every IPv6 rule: the IPv4 /0 does not apply */
	ck_assert_str_eq(answer(m, "2001:dba::1", &v), "-");
	/* not addresses */
	ck_assert_str_eq(answer(m, "mail.example.com", &v), "-");
	ck_assert_str_eq(answer(m, "", &v), "-");
	ck_assert_str_eq(answer(m, "192.0.2.1/32", &v), "-");
	ck_assert_str_eq(answer(m, "[192.0.2.1]", &v), "-");
	map_close(m);
	strbuf_free(&err);
	strbuf_free(&v);
}
END_TEST

START_TEST(test_cidr_negation_and_if)
{
	struct strbuf err, v;
	struct map *m;

	strbuf_init(&err);
	strbuf_init(&v);
	m = open_text(
	    "if 192.0.2.0/24\n"
	    "if !192.0.2.128/25\n"
	    "192.0.2.0/26       low quarter\n"
	    "endif\n"
	    "192.0.2.0/24       rest of the net\n"
	    "ENDIF\n"
	    "!10.0.0.0/8        not ten\n"
	    "IF !2001:db8::/32\n"
	    "::/0               six outside\n"
	    "endif\n", &err);
	ck_assert_msg(m != NULL, "%s", err.data);
	ck_assert_str_eq(answer(m, "192.0.2.5", &v), "low quarter");
	ck_assert_str_eq(answer(m, "192.0.2.64", &v), "rest of the net");
	ck_assert_str_eq(answer(m, "192.0.2.200", &v), "rest of the net");
	ck_assert_str_eq(answer(m, "10.1.2.3", &v), "-");
	ck_assert_str_eq(answer(m, "11.1.2.3", &v), "not ten");
	ck_assert_str_eq(answer(m, "2001:db8::5", &v), "-");
	ck_assert_str_eq(answer(m, "2001:db9::5", &v), "six outside");
	map_close(m);
	strbuf_free(&err);
	strbuf_free(&v);
}
END_TEST

START_TEST(test_cidr_garbage)
{
	static const struct {
		const char *text;
		const char *line;	/* expected in the error */
		const char *why;
	} bad[] = {
		{"192.0.2.0/33 x\n", ":1: ", "prefix length"},
		{"192.0.2.1 ok\n2001:db8::/129 x\n", ":2: ", "prefix length"},
		{"# c\n\n192.0.2.1/24 x\n", ":3: ", "host address bits"},
		{"2001:db8::1/32 x\n", ":1: ", "\"2001:db8::/32\""},
		{"192.0.2.0/24\n", ":1: ", "no lookup result"},
		{"192.0.2.0/-1 x\n", ":1: ", "bad address pattern"},
		{"192.0.2.0/ x\n", ":1: ", "bad address pattern"},
		{"192.0.2.0/2x x\n", ":1: ", "bad address pattern"},
		{"300.0.2.0/24 x\n", ":1: ", "bad address pattern"},
		{"example.com x\n", ":1: ", "bad address pattern"},
		{"[192.0.2.0/24 x\n", ":1: ", "bad address pattern"},
		{"if 192.0.2.0/24\n192.0.2.1 x\n", ":1: ", "if without endif"},
		{"endif\n", ":1: ", "endif without if"},
		{"if 192.0.2.0/24\nendif x\n", ":2: ", "text after endif"},
		{"if\nendif\n", ":1: ", "if without a pattern"},
		{"if 192.0.2.0/24 x\nendif\n", ":1: ", "text after the if"},
		{"  192.0.2.0/24 x\n", ":1: ", "continuation"},
		{"! x y\n", ":1: ", "bad address pattern"},
		{"!\n", ":1: ", "no address pattern"},
	};
	struct strbuf err, big;
	struct map *m;

	strbuf_init(&err);
	strbuf_init(&big);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = open_text(bad[i].text, &err);
		ck_assert_msg(m == NULL, "accepted %s", bad[i].text);
		ck_assert_msg(strstr(err.data, path) != NULL, "%s", err.data);
		if (bad[i].line)
			ck_assert_msg(strstr(err.data, bad[i].line) != NULL,
			    "%s: %s", bad[i].text, err.data);
		ck_assert_msg(strstr(err.data, bad[i].why) != NULL,
		    "%s: %s", bad[i].text, err.data);
	}
	/* a 100 KiB line is refused, not read into a rule */
	strbuf_puts(&big, "192.0.2.0/24 ");
	for (int i = 0; i < 100 * 1024; i++)
		strbuf_putc(&big, 'x');
	strbuf_putc(&big, '\n');
	ck_assert_ptr_null(open_text(big.data, &err));
	ck_assert_msg(strstr(err.data, ":1: logical line longer") != NULL,
	    "%s", err.data);
	/* nesting is bounded */
	strbuf_reset(&big);
	for (int i = 0; i < 200; i++)
		strbuf_puts(&big, "if 0.0.0.0/0\n");
	ck_assert_ptr_null(open_text(big.data, &err));
	ck_assert_msg(strstr(err.data, "nested too deep") != NULL, "%s", err.data);
	/* a missing file */
	ck_assert_ptr_null(map_open("cidr:/nonexistent/cidr", &err));
	ck_assert_ptr_null(map_open("cidr:", &err));
	strbuf_free(&err);
	strbuf_free(&big);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("map_cidr");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_cidr_match);
	tcase_add_test(tc, test_cidr_negation_and_if);
	tcase_add_test(tc, test_cidr_garbage);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
