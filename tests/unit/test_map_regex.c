/*
 * test_map_regex - pcre: and regexp: tables: matching as Postfix does
 * (case, flags, negation, if/endif, $1 substitution, first match), the
 * match limits against hostile keys, and the tables that must be refused
 * with file and line (bad pattern, unbalanced if, bad substitution,
 * unknown flag, a 100 KiB line).
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
	strcpy(tmpdir, "/tmp/test_map_regex.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(path, sizeof(path), "%s/table", tmpdir);
}

static void
teardown(void)
{
	unlink(path);
	rmdir(tmpdir);
}

/* open_text - write text to the table file and open type:path */
static struct map *
open_text(const char *type, const char *text, struct strbuf *err)
{
	struct strbuf spec;
	struct map *m;
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
	strbuf_init(&spec);
	strbuf_printf(&spec, "%s:%s", type, path);
	strbuf_reset(err);
	m = map_open(spec.data, err);
	strbuf_free(&spec);
	return (m);
}

/* answer - the value for key, "-" when not found, "TEMPFAIL" */
static const char *
answer(struct map *m, const char *key, struct strbuf *v)
{
	int rc = map_lookup(m, key, v);

	if (rc == MAP_TEMPFAIL)
		return ("TEMPFAIL");
	return (rc == MAP_FOUND ? v->data : "-");
}

START_TEST(test_pcre_match)
{
	struct strbuf err, v;
	struct map *m;

	strbuf_init(&err);
	strbuf_init(&v);
	m = open_text("pcre",
	    "# virtual aliases by pattern\n"
	    "/^postmaster@/          postmaster@hq.example\n"
	    "/^(.+)\\+(.+)@example\\.com$/   $1-${2}@lists.example\n"
	    "/^([^@]+)@(old|former)\\.example$/  $1@new.example\n"
	    "/^CaseSensitive@/i      exact case only\n"
	    "!/@/                    no-domain\n"
	    "/^dollar@/              costs $$5\n"
	    "/^(a)|(b)@opt\\.example$/  [$1][$2]\n"
	    "/^multi@/               first\n"
	    "   second\n"
	    "/^multi@/               shadowed\n"
	    "|^pipe/delim@|          pipe\n"
	    "/^esc\\/slash@/          slash\n"
	    "/^x y @/x               extended\n"
	    "/c.d@dot/               dotall\n"
	    "/zanch/A                 anchored\n", &err);
	ck_assert_msg(m != NULL, "%s", err.data);
	ck_assert(map_is_pattern(m));
	ck_assert_str_eq(answer(m, "Postmaster@Any.Example", &v),
	    "postmaster@hq.example");
	/* the key is not folded: $1 keeps what the client wrote */
	ck_assert_str_eq(answer(m, "Joe+Tag@EXAMPLE.com", &v),
	    "Joe-Tag@lists.example");
	ck_assert_str_eq(answer(m, "Ann@Former.Example", &v), "Ann@new.example");
	ck_assert_str_eq(answer(m, "casesensitive@x", &v), "-");
	ck_assert_str_eq(answer(m, "CaseSensitive@x", &v), "exact case only");
	ck_assert_str_eq(answer(m, "localonly", &v), "no-domain");
	ck_assert_str_eq(answer(m, "dollar@x", &v), "costs $5");
	/* a group that did not take part gives the empty string */
	ck_assert_str_eq(answer(m, "a@x", &v), "[a][]");
	ck_assert_str_eq(answer(m, "b@opt.example", &v), "[][b]");
	ck_assert_str_eq(answer(m, "multi@x", &v), "first second");
	ck_assert_str_eq(answer(m, "pipe/delim@x", &v), "pipe");
	ck_assert_str_eq(answer(m, "esc/slash@x", &v), "slash");
	ck_assert_str_eq(answer(m, "xy@x", &v), "extended");
	ck_assert_str_eq(answer(m, "c\nd@dot", &v), "dotall");
	ck_assert_str_eq(answer(m, "zanch@q", &v), "anchored");
	ck_assert_str_eq(answer(m, "yzanch@q", &v), "-");
	ck_assert_str_eq(answer(m, "nobody@nowhere", &v), "-");
	map_close(m);
	strbuf_free(&err);
	strbuf_free(&v);
}
END_TEST

START_TEST(test_pcre_if_endif)
{
	struct strbuf err, v;
	struct map *m;

	strbuf_init(&err);
	strbuf_init(&v);
	m = open_text("pcre",
	    "if /@example\\.com$/\n"
	    "if !/^admin/\n"
	    "/^(.*)@/      user $1\n"
	    "endif\n"
	    "/^admin/      admin of example.com\n"
	    "ENDIF\n"
	    "/^admin/      admin elsewhere\n", &err);
	ck_assert_msg(m != NULL, "%s", err.data);
	ck_assert_str_eq(answer(m, "joe@example.com", &v), "user joe");
	ck_assert_str_eq(answer(m, "admin@example.com", &v), "admin of example.com");
	ck_assert_str_eq(answer(m, "admin@other.org", &v), "admin elsewhere");
	ck_assert_str_eq(answer(m, "joe@other.org", &v), "-");
	map_close(m);
	strbuf_free(&err);
	strbuf_free(&v);
}
END_TEST

START_TEST(test_regexp_match)
{
	struct strbuf err, v;
	struct map *m;

	strbuf_init(&err);
	strbuf_init(&v);
	m = open_text("regexp",
	    "/^([a-z]+)@(example|sample)\\.com$/   $1 at $2\n"
	    "/^abc@/!/^abcd/                      abc not abcd\n"
	    "/^(x)y/!/^(x)(y)z/                   $1 not xyz\n"
	    "/^lit(x)+@/x                         basic literal\n"
	    "/^b\\(r\\)\\{2\\}@/x                  basic ${1}\n"
	    "/^line$/m                            multiline\n"
	    "/^Exact@/i                           exact\n", &err);
	ck_assert_msg(m != NULL, "%s", err.data);
	ck_assert_str_eq(answer(m, "Joe@Example.com", &v), "Joe at Example");
	ck_assert_str_eq(answer(m, "abc@x", &v), "abc not abcd");
	ck_assert_str_eq(answer(m, "abcd@x", &v), "-");
	/* the second pattern's groups do not disturb the first's */
	ck_assert_str_eq(answer(m, "xyw", &v), "x not xyz");
	ck_assert_str_eq(answer(m, "xyz", &v), "-");
	ck_assert_str_eq(answer(m, "lit(x)+@y", &v), "basic literal");
	ck_assert_str_eq(answer(m, "litxx@y", &v), "-");
	ck_assert_str_eq(answer(m, "brr@y", &v), "basic r");
	ck_assert_str_eq(answer(m, "first\nline\nlast", &v), "multiline");
	ck_assert_str_eq(answer(m, "exact@y", &v), "-");
	ck_assert_str_eq(answer(m, "Exact@y", &v), "exact");
	map_close(m);
	strbuf_free(&err);
	strbuf_free(&v);
}
END_TEST

START_TEST(test_regex_hostile_key)
{
	struct strbuf err, v, key;
	struct map *m;

	strbuf_init(&err);
	strbuf_init(&v);
	strbuf_init(&key);
	/* catastrophic backtracking: bounded by the match limits */
	m = open_text("pcre", "/^(a+)+$/   never\n/^a/  later rule\n", &err);
	ck_assert_msg(m != NULL, "%s", err.data);
	for (int i = 0; i < 500; i++)
		strbuf_putc(&key, 'a');
	strbuf_putc(&key, 'b');
	ck_assert_str_eq(answer(m, key.data, &v), "TEMPFAIL");
	ck_assert_str_eq(answer(m, "ab", &v), "later rule");
	map_close(m);
	strbuf_free(&err);
	strbuf_free(&v);
	strbuf_free(&key);
}
END_TEST

START_TEST(test_regex_garbage)
{
	static const struct {
		const char *type;
		const char *text;
		const char *line;
		const char *why;
	} bad[] = {
		{"pcre", "/a(/ x\n", ":1: ", "bad pattern"},
		{"pcre", "/ok/ x\n/[z-a]/ y\n", ":2: ", "bad pattern"},
		{"regexp", "/a(/ x\n", ":1: ", "bad pattern"},
		{"pcre", "if /a/\n/b/ x\n", ":1: ", "if without endif"},
		{"pcre", "if /a/\nif /b/\nendif\n", ":1: ", "if without endif"},
		{"pcre", "/a/ x\nendif\n", ":2: ", "endif without if"},
		{"pcre", "if /a/\nendif junk\n", ":2: ", "text after endif"},
		{"pcre", "if /a/ x\nendif\n", ":1: ", "text after the if"},
		{"pcre", "/(a)/ $2\n", ":1: ", "$2 but the pattern has 1 group"},
		{"pcre", "/a/ $1\n", ":1: ", "$1 but the pattern has 0 groups"},
		{"pcre", "/(a)/ $x\n", ":1: ", "bad $ substitution"},
		{"pcre", "/(a)/ ${1\n", ":1: ", "bad $ substitution"},
		{"pcre", "/(a)/ $\n", ":1: ", "bad $ substitution"},
		{"pcre", "/(a)/ ${}\n", ":1: ", "bad $ substitution"},
		{"pcre", "/(a)/ $1abc\n", ":1: ", "bad $ substitution"},
		{"pcre", "/(a)/ $123\n", ":1: ", "bad $ substitution"},
		{"pcre", "!/(a)/ $1\n", ":1: ", "negated"},
		{"pcre", "/a/q x\n", ":1: ", "unknown pcre flag \"q\""},
		{"regexp", "/a/s x\n", ":1: ", "unknown regexp flag \"s\""},
		{"pcre", "/a x\n", ":1: ", "no closing pattern delimiter"},
		{"pcre", "/a/\n", ":1: ", "no result"},
		{"pcre", "/a/ix\n", ":1: ", "no result"},
		{"pcre", "!\n", ":1: ", "no pattern"},
		{"pcre", "/a/!/b/ x\n", ":1: ", "text after the pattern flags"},
		{"regexp", "/a/!!/b/ x\n", ":1: ", "negated once"},
		{"pcre", "  /a/ x\n", ":1: ", "continuation"},
	};
	struct strbuf err, big;
	struct map *m;

	strbuf_init(&err);
	strbuf_init(&big);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = open_text(bad[i].type, bad[i].text, &err);
		ck_assert_msg(m == NULL, "accepted %s", bad[i].text);
		ck_assert_msg(strstr(err.data, path) != NULL, "%s", err.data);
		ck_assert_msg(strstr(err.data, bad[i].line) != NULL,
		    "%s: %s", bad[i].text, err.data);
		ck_assert_msg(strstr(err.data, bad[i].why) != NULL,
		    "%s: %s", bad[i].text, err.data);
	}
	/* a 100 KiB line */
	strbuf_puts(&big, "/a/ ");
	for (int i = 0; i < 100 * 1024; i++)
		strbuf_putc(&big, 'x');
	strbuf_putc(&big, '\n');
	ck_assert_ptr_null(open_text("pcre", big.data, &err));
	ck_assert_msg(strstr(err.data, ":1: logical line longer") != NULL,
	    "%s", err.data);
	/* nesting is bounded */
	strbuf_reset(&big);
	for (int i = 0; i < 200; i++)
		strbuf_puts(&big, "if /a/\n");
	ck_assert_ptr_null(open_text("pcre", big.data, &err));
	ck_assert_msg(strstr(err.data, "nested too deep") != NULL, "%s", err.data);
	ck_assert_ptr_null(map_open("pcre:/nonexistent/x", &err));
	ck_assert_ptr_null(map_open("regexp:", &err));
	strbuf_free(&err);
	strbuf_free(&big);
}
END_TEST

/* edit - replace the table's text (a new inode, as editors do) */
static void
edit(const char *text)
{
	char tmp[160];
	FILE *fp;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fp = fopen(tmp, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(rename(tmp, path), 0);
}

START_TEST(test_regex_edited)
{
	struct strbuf err, v;
	struct map *m;
	FILE *fp;

	strbuf_init(&err);
	strbuf_init(&v);
	m = open_text("pcre", "/^a/ one\n", &err);
	ck_assert_msg(m != NULL, "%s", err.data);
	ck_assert_str_eq(answer(m, "a", &v), "one");
	/* replaced: the next lookup reads the new rules */
	edit("/^a/ two\n");
	ck_assert_str_eq(answer(m, "a", &v), "two");
	ck_assert(!map_changed(m));
	/* a broken edit leaves the rules in force */
	edit("/^a( two\n");
	ck_assert_str_eq(answer(m, "a", &v), "two");
	/* edited in place (same inode, longer) */
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("/^a/ three, in place\n", fp);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_str_eq(answer(m, "a", &v), "three, in place");
	/* out of sight (chroot) and replaced: a restart is needed */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert(map_changed(m));
	ck_assert_str_eq(answer(m, "a", &v), "three, in place");
	map_close(m);
	strbuf_free(&err);
	strbuf_free(&v);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("map_regex");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pcre_match);
	tcase_add_test(tc, test_pcre_if_endif);
	tcase_add_test(tc, test_regexp_match);
	tcase_add_test(tc, test_regex_hostile_key);
	tcase_add_test(tc, test_regex_garbage);
	tcase_add_test(tc, test_regex_edited);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
