/*
 * test_config - unit tests of lib/config/config.c, lib/config/config_params.c and
 * lib/config/master_cf.c: main.cf syntax and errors, $name expansion (loops
 * included), typed getters and bounds, the defaults table against
 * man/sluice.conf.5, and master.cf good and bad files.
 */
#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_names.h"
#include "msg.h"
#include "unit.h"

static char tmpdir[64];
static jmp_buf fatal_jmp;
static char fatal_text[4096];

/* setup - a fresh temp directory, logging into it */
static void
setup(void)
{
	char log[128];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_config.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(log, sizeof(log), "%s/maillog", tmpdir);
	msg_open("test_config", log);
}

/* teardown - remove the temp directory's files */
static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
}

/* fatal_hook - record the text and jump back into the test */
static void
fatal_hook(const char *text)
{
	snprintf(fatal_text, sizeof(fatal_text), "%s", text);
	longjmp(fatal_jmp, 1);
}

/* write_file - create tmpdir/name with text; returns the path (static) */
static const char *
write_file(const char *name, const char *text)
{
	static char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	return (path);
}

/* read_maillog - the log of this test (static buffer) */
static const char *
read_maillog(void)
{
	static char buf[65536];
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/maillog", tmpdir);
	if ((fd = open(path, O_RDONLY)) < 0)
		return ("");
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return (buf);
}

/* parse - a config with text parsed; asserts the expected result */
static struct config *
parse(const char *text, int want, struct strbuf *err)
{
	struct config *cfg = config_new("/etc/test");

	ck_assert_int_eq(config_parse_text(cfg, text, "test.cf", err), want);
	return (cfg);
}

/* ---- the defaults table ---- */

START_TEST(test_table_sorted_and_valid)
{
	const struct param_def *def, *prev = NULL;
	struct strbuf err;
	long out;
	int n = 0;

	strbuf_init(&err);
	for (def = config_param_table; def->name != NULL; prev = def++, n++) {
		if (prev != NULL)
			ck_assert_msg(strcmp(prev->name, def->name) < 0,
			    "table not sorted at %s", def->name);
		ck_assert_ptr_eq(config_param_find(def->name), def);
		ck_assert_ptr_nonnull(def->default_value);
		if (strchr(def->default_value, '$') == NULL)
			ck_assert_msg(config_param_check(def, def->type,
			    def->name, def->default_value, &out, &err) == 0,
			    "default of %s: %s", def->name, err.data);
		if (def->type == PARAM_INT || def->type == PARAM_TIME)
			ck_assert_msg(def->min <= def->max && def->max > 0,
			    "bounds of %s", def->name);
	}
	ck_assert_int_ge(n, 54);	/* the table only grows; the man page test covers each row */
	ck_assert_ptr_null(config_param_find("no_such_parameter"));
	ck_assert_ptr_null(config_param_find(""));
	strbuf_free(&err);
}
END_TEST

START_TEST(test_defaults_expand_and_check)
{
	struct config *cfg = config_new("/etc/test");
	struct strbuf err;

	strbuf_init(&err);
	ck_assert_int_eq(config_check_values(cfg, &err), 0);
	ck_assert_str_eq(err.data, "");
	ck_assert_str_eq(config_get(cfg, "config_directory"), "/etc/test");
	ck_assert_str_eq(config_get(cfg, "alias_maps"),
	    "lmdb:/etc/test/aliases");
	ck_assert_int_eq(config_get_int(cfg, "listen_backlog"), 4096);
	ck_assert_int_eq(config_get_time(cfg, "ipc_timeout"), 3600);
	ck_assert_int_eq(config_get_time_ms(cfg, "smtpd_greet_pause"), 0);
	ck_assert(config_get_bool(cfg, "disable_vrfy_command"));
	ck_assert(!config_get_bool(cfg, "smtpd_helo_required"));
	ck_assert_str_eq(config_get(cfg, "smtpd_forbid_bare_newline"), "yes");
	ck_assert_str_eq(config_get(cfg, "smtpd_forbid_bare_newline_exclusions"),
	    "");
	ck_assert_int_eq(config_get_int(cfg,
	    "unknown_local_recipient_reject_code"), 550);
	ck_assert_ptr_nonnull(strchr(config_get(cfg, "myhostname"), '.'));
	ck_assert(!config_is_set(cfg, "myhostname"));
	strbuf_free(&err);
	config_free(cfg);
}
END_TEST

START_TEST(test_every_param_in_man_page)
{
	const struct param_def *def;
	char *text, pattern[128];
	FILE *fp;
	long len;

	fp = fopen("man/sluice.conf.5", "r");
	ck_assert_msg(fp != NULL, "run the tests from the repository root");
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	text = calloc(1, (size_t)len + 1);
	ck_assert_int_eq(fread(text, 1, (size_t)len, fp), len);
	fclose(fp);
	for (def = config_param_table; def->name != NULL; def++) {
		snprintf(pattern, sizeof(pattern), ".BR %s ", def->name);
		ck_assert_msg(strstr(text, pattern) != NULL,
		    "%s not documented in man/sluice.conf.5", def->name);
	}
	free(text);
}
END_TEST

/* ---- main.cf syntax ---- */

START_TEST(test_syntax)
{
	struct strbuf err;
	struct config *cfg;

	strbuf_init(&err);
	cfg = parse(
	    "# comment\n"
	    "   # indented comment\n"
	    "\n"
	    "myhostname=mx.example.org\n"
	    "smtpd_banner =   $myhostname   hi  \r\n"
	    "mynetworks = 10.0.0.0/8,\n"
	    "\t192.168.0.0/16\n"
	    "# a comment between continuation lines\n"
	    "   172.16.0.0/12\n"
	    "relay_domains =\n"
	    "mail_name = a # not a comment\n"
	    "mail_name = b\n"
	    "max_use = 7", 0, &err);
	ck_assert_str_eq(err.data, "");
	ck_assert_str_eq(config_get(cfg, "myhostname"), "mx.example.org");
	ck_assert_str_eq(config_get(cfg, "mydomain"), "example.org");
	ck_assert_str_eq(config_get(cfg, "smtpd_banner"), "mx.example.org   hi");
	ck_assert_str_eq(config_get_raw(cfg, "mynetworks"),
	    "10.0.0.0/8, 192.168.0.0/16 172.16.0.0/12");
	ck_assert_str_eq(config_get(cfg, "relay_domains"), "");
	ck_assert(config_is_set(cfg, "relay_domains"));
	ck_assert_str_eq(config_get(cfg, "mail_name"), "b");
	ck_assert_int_eq(config_get_int(cfg, "max_use"), 7);
	ck_assert_str_eq(config_get(cfg, "mydestination"),
	    "mx.example.org, localhost.example.org, localhost");
	config_free(cfg);
	strbuf_free(&err);
}
END_TEST

static const struct {
	const char *text;
	const char *want;
} bad_main_cf[] = {
	{ "myhostname = a\nno equals sign here\n", "test.cf:2: missing '='" },
	{ "  leading = continuation\n", "test.cf:1: continuation line" },
	{ "# c\n\n= value\n", "test.cf:3: bad parameter name" },
	{ "bad-name = x\n", "test.cf:1: bad parameter name" },
	{ "a b = x\n", "test.cf:1: bad parameter name" },
	{ "x = 1\ny = 2\n\tz = 3\nw\n", "test.cf:4: missing '='" },
};

START_TEST(test_malformed)
{
	struct strbuf err;
	struct config *cfg;

	strbuf_init(&err);
	cfg = parse(bad_main_cf[_i].text, -1, &err);
	ck_assert_msg(strstr(err.data, bad_main_cf[_i].want) == err.data,
	    "got \"%s\", want \"%s\"", err.data, bad_main_cf[_i].want);
	config_free(cfg);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_line_too_long)
{
	struct strbuf err, text;
	struct config *cfg;

	strbuf_init(&err);
	strbuf_init(&text);
	strbuf_puts(&text, "mail_name = x\n");
	for (int i = 0; i < 20000; i++)
		strbuf_puts(&text, "  continued_part\n");
	cfg = parse(text.data, -1, &err);
	ck_assert_ptr_nonnull(strstr(err.data, "test.cf:1: logical line "
	    "longer than"));
	config_free(cfg);
	strbuf_free(&text);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_unknown_warning)
{
	struct strbuf err;
	struct config *cfg;

	strbuf_init(&err);
	struct strbuf warnings;

	strbuf_init(&warnings);
	cfg = parse("mail_name = x\n\nmy_relay = smtp.example.net\n"
	    "smtpd_banner = via $my_relay\n", 0, &err);
	/* parsing is quiet: the master and sluice check say it, once */
	ck_assert_ptr_null(strstr(read_maillog(), "my_relay"));
	ck_assert_str_eq(config_get(cfg, "smtpd_banner"), "via smtp.example.net");
	ck_assert_str_eq(config_get(cfg, "my_relay"), "smtp.example.net");
	config_set(cfg, "other_thing", "1");
	ck_assert_ptr_null(strstr(read_maillog(), "other_thing"));
	ck_assert_int_eq(config_names_check(cfg, &warnings, &err), 0);
	ck_assert_str_eq(err.data, "");
	ck_assert_str_eq(warnings.data, "test.cf:3: unknown parameter "
	    "my_relay "
	    "(kept for $my_relay expansion, otherwise ignored)\nunknown "
	    "parameter other_thing (kept for $other_thing expansion, otherwise "
	    "ignored)");
	config_free(cfg);
	strbuf_free(&warnings);
	strbuf_free(&err);
}
END_TEST

/* ---- expansion ---- */

START_TEST(test_expansion_forms)
{
	struct strbuf err;
	struct config *cfg;

	strbuf_init(&err);
	cfg = parse(
	    "empty =\n"
	    "full = F\n"
	    "a = <$full><${full}><$$full><$$><${undefined_x}><$undefined_y>\n"
	    "b = ${full?yes}${full:no}|${empty?yes}${empty:no}\n"
	    "c = ${full?[${empty:${full}}]}\n"
	    "d = cost $ 5 and $-x and $\n"
	    "e = $full.$full_name\n", 0, &err);
	ck_assert_str_eq(config_get(cfg, "a"), "<F><F><$full><$><><>");
	ck_assert_str_eq(config_get(cfg, "b"), "yes|no");
	ck_assert_str_eq(config_get(cfg, "c"), "[F]");
	ck_assert_str_eq(config_get(cfg, "d"), "cost $ 5 and $-x and $");
	ck_assert_str_eq(config_get(cfg, "e"), "F.");
	ck_assert_str_eq(config_get_raw(cfg, "a"),
	    "<$full><${full}><$$full><$$><${undefined_x}><$undefined_y>");
	ck_assert_ptr_null(config_get_raw(cfg, "nothing_here"));
	ck_assert_int_eq(config_check_values(cfg, &err), 0);
	config_free(cfg);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_expansion_syntax_errors)
{
	struct strbuf err;
	struct config *cfg;

	strbuf_init(&err);
	cfg = parse("a = ${full\nb = ${}\nc = ${x?unterminated\nd = ${x!y}\n",
	    0, &err);
	ck_assert_int_eq(config_check_values(cfg, &err), 4);
	ck_assert_ptr_nonnull(strstr(err.data, "test.cf:1: parameter a: bad ${...}"));
	ck_assert_ptr_nonnull(strstr(err.data, "test.cf:3: parameter c: missing '}'"));
	config_free(cfg);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_cache_invalidation)
{
	struct config *cfg = config_new("/etc/test");

	config_set(cfg, "myhostname", "one.example");
	ck_assert_str_eq(config_get(cfg, "smtpd_banner"), "one.example ESMTP Sluice");
	config_set(cfg, "myhostname", "two.example.com");
	ck_assert_str_eq(config_get(cfg, "smtpd_banner"),
	    "two.example.com ESMTP Sluice");
	ck_assert_str_eq(config_get(cfg, "mydomain"), "example.com");
	config_set(cfg, "myhostname", "single");
	ck_assert_str_eq(config_get(cfg, "mydomain"), "localdomain");
	config_set(cfg, "mydomain", "explicit.net");
	ck_assert_str_eq(config_get(cfg, "mydomain"), "explicit.net");
	config_free(cfg);
}
END_TEST

START_TEST(test_loops)
{
	struct strbuf err;
	struct config *cfg;

	strbuf_init(&err);
	cfg = parse("a = x$b\nb = $c\nc = ${a}\nself = $self\nok = fine\n",
	    0, &err);
	ck_assert_str_eq(config_get(cfg, "ok"), "fine");
	ck_assert_int_eq(config_check_values(cfg, &err), 4);
	ck_assert_ptr_nonnull(strstr(err.data, "test.cf:4: "));
	ck_assert_ptr_nonnull(strstr(err.data, "expansion loop"));
	msg_set_fatal_hook(fatal_hook);
	if (setjmp(fatal_jmp) == 0) {
		(void)config_get(cfg, "a");
		ck_abort_msg("config_get returned for a loop");
	}
	ck_assert_ptr_nonnull(strstr(fatal_text, "test.cf:1: "));
	ck_assert_ptr_nonnull(strstr(fatal_text, "expansion loop"));
	/* a failed expansion leaves nothing half-marked behind */
	ck_assert_str_eq(config_get(cfg, "ok"), "fine");
	config_set(cfg, "c", "end");
	ck_assert_str_eq(config_get(cfg, "a"), "xend");
	msg_set_fatal_hook(NULL);
	config_free(cfg);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_deep_and_huge)
{
	struct strbuf err, text;
	struct config *cfg;

	strbuf_init(&err);
	strbuf_init(&text);
	for (int i = 0; i < 150; i++)
		strbuf_printf(&text, "p%d = $p%d\n", i, i + 1);
	strbuf_puts(&text, "p150 = end\n");
	for (int i = 0; i < 40; i++)
		strbuf_printf(&text, "h%d = $h%d$h%d\n", i, i + 1, i + 1);
	strbuf_puts(&text, "h40 = xxxxxxxx\n");
	cfg = parse(text.data, 0, &err);
	ck_assert_int_gt(config_check_values(cfg, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.data, "deeper than 100"));
	ck_assert_ptr_nonnull(strstr(err.data, "longer than"));
	ck_assert_str_eq(config_get(cfg, "p60"), "end");
	config_free(cfg);
	strbuf_free(&text);
	strbuf_free(&err);
}
END_TEST

/* ---- typed values ---- */

START_TEST(test_time_units)
{
	static const struct {
		const char *value;
		long ms;
	} cases[] = {
		{ "0", 0 }, { "7", 7000 }, { "250ms", 250 }, { "1500ms", 1500 },
		{ "3s", 3000 }, { "2m", 120000 }, { "1h", 3600000 },
		{ "1d", 86400000 }, { "1w", 604800000 }, { "10S", 10000 },
	};
	struct config *cfg = config_new("/etc/test");

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		config_set(cfg, "smtpd_greet_pause", cases[i].value);
		if (cases[i].ms > 3600000)
			continue;
		ck_assert_int_eq(config_get_time_ms(cfg, "smtpd_greet_pause"),
		    cases[i].ms);
		ck_assert_int_eq(config_get_time(cfg, "smtpd_greet_pause"),
		    (cases[i].ms + 999) / 1000);
	}
	config_set(cfg, "ipc_timeout", "1w");
	ck_assert_int_eq(config_get_time(cfg, "ipc_timeout"), 604800);
	config_set(cfg, "ipc_timeout", "1500ms");
	ck_assert_int_eq(config_get_time(cfg, "ipc_timeout"), 2);
	config_free(cfg);
}
END_TEST

static const struct {
	const char *name;
	const char *value;
	const char *want;
} bad_values[] = {
	{ "smtpd_timeout", "", "bad time value" },
	{ "smtpd_timeout", "10x", "bad time value" },
	{ "smtpd_timeout", "-5s", "bad time value" },
	{ "smtpd_timeout", "s", "bad time value" },
	{ "smtpd_timeout", "5 s", "bad time value" },
	{ "smtpd_timeout", "99999999999999999999", "bad time value" },
	{ "smtpd_timeout", "9223372036854775807w", "bad time value" },
	{ "smtpd_timeout", "0", "out of range" },
	{ "smtpd_timeout", "500ms", "out of range" },
	{ "smtpd_timeout", "2d", "out of range" },
	{ "smtpd_recipient_limit", "0", "out of range" },
	{ "smtpd_recipient_limit", "1e3", "bad integer value" },
	{ "smtpd_recipient_limit", "12 3", "bad integer value" },
	{ "smtpd_recipient_limit", "+5", "bad integer value" },
	{ "smtpd_recipient_limit", "99999999999999999999999", "bad integer" },
	{ "unknown_local_recipient_reject_code", "399", "out of range" },
	{ "unknown_local_recipient_reject_code", "600", "out of range" },
	{ "message_size_limit", "-1", "out of range" },
	{ "smtpd_helo_required", "maybe", "bad boolean value" },
	{ "smtpd_helo_required", "", "bad boolean value" },
	{ "smtpd_helo_required", "yess", "bad boolean value" },
	{ "smtpd_forbid_bare_newline", "sometimes", "expected one of" },
};

START_TEST(test_bad_values)
{
	struct strbuf err;
	struct config *cfg;
	char text[256];

	strbuf_init(&err);
	snprintf(text, sizeof(text), "\n%s = %s\n", bad_values[_i].name,
	    bad_values[_i].value);
	cfg = parse(text, 0, &err);
	ck_assert_int_eq(config_check_values(cfg, &err), 1);
	ck_assert_msg(strstr(err.data, bad_values[_i].want) != NULL &&
	    strncmp(err.data, "test.cf:2: ", 11) == 0,
	    "%s = %s: got \"%s\"", bad_values[_i].name, bad_values[_i].value,
	    err.data);
	/* the typed getter dies with the same clear message */
	msg_set_fatal_hook(fatal_hook);
	if (setjmp(fatal_jmp) == 0) {
		switch (config_param_find(bad_values[_i].name)->type) {
		case PARAM_INT:
			(void)config_get_int(cfg, bad_values[_i].name);
			break;
		case PARAM_TIME:
			(void)config_get_time(cfg, bad_values[_i].name);
			break;
		case PARAM_BOOL:
			(void)config_get_bool(cfg, bad_values[_i].name);
			break;
		case PARAM_STR:
			longjmp(fatal_jmp, 1);	/* only checked as a whole */
		}
		ck_abort_msg("getter accepted %s", bad_values[_i].value);
	}
	if (config_param_find(bad_values[_i].name)->type != PARAM_STR)
		ck_assert_ptr_nonnull(strstr(fatal_text, bad_values[_i].want));
	msg_set_fatal_hook(NULL);
	config_free(cfg);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_bounds_and_bools)
{
	static const char *yes[] = { "yes", "YES", "True", "1" };
	static const char *no[] = { "no", "No", "FALSE", "0" };
	struct config *cfg = config_new("/etc/test");

	for (int i = 0; i < 4; i++) {
		config_set(cfg, "smtputf8_enable", yes[i]);
		ck_assert(config_get_bool(cfg, "smtputf8_enable"));
		config_set(cfg, "smtputf8_enable", no[i]);
		ck_assert(!config_get_bool(cfg, "smtputf8_enable"));
	}
	config_set(cfg, "unknown_local_recipient_reject_code", "450");
	ck_assert_int_eq(config_get_int(cfg,
	    "unknown_local_recipient_reject_code"), 450);
	config_set(cfg, "message_size_limit", "0");
	ck_assert_int_eq(config_get_int(cfg, "message_size_limit"), 0);
	config_set(cfg, "limit_base", "25");
	config_set(cfg, "smtpd_recipient_limit", "${limit_base}0");
	ck_assert_int_eq(config_get_int(cfg, "smtpd_recipient_limit"), 250);
	config_set(cfg, "smtpd_forbid_bare_newline", "normalize");
	ck_assert_str_eq(config_get(cfg, "smtpd_forbid_bare_newline"),
	    "normalize");
	config_free(cfg);
}
END_TEST

START_TEST(test_get_unknown_panics)
{
	struct config *cfg = config_new("/etc/test");

	(void)config_get(cfg, "no_such_parameter");
}
END_TEST

START_TEST(test_get_list)
{
	struct config *cfg = config_new("/etc/test");
	struct strlist list;

	config_set(cfg, "myhostname", "h.example");
	config_set(cfg, "mydestination", "$myhostname,, localhost\tfoo\n");
	strlist_init(&list);
	config_get_list(cfg, "mydestination", &list);
	ck_assert_uint_eq(list.count, 3);
	ck_assert_str_eq(list.items[0], "h.example");
	ck_assert_str_eq(list.items[2], "foo");
	strlist_free(&list);
	config_free(cfg);
}
END_TEST

/* collect - config_each_set callback */
static void
collect(const char *name, const char *raw, void *ctx)
{
	strbuf_printf(ctx, "%s=%s;", name, raw);
}

START_TEST(test_each_set_order)
{
	struct config *cfg = config_new("/etc/test");
	struct strbuf seen;

	config_set(cfg, "smtpd_banner", "b");
	config_set(cfg, "alias_maps", "a");
	config_set(cfg, "zz_user", "$z");
	strbuf_init(&seen);
	config_each_set(cfg, collect, &seen);
	ck_assert_str_eq(seen.data, "alias_maps=a;smtpd_banner=b;zz_user=$z;");
	strbuf_free(&seen);
	config_free(cfg);
}
END_TEST

/* ---- files ---- */

START_TEST(test_load)
{
	struct strbuf err;
	struct config *cfg;

	strbuf_init(&err);
	write_file("main.cf", "queue_directory = /q\nsmtpd_timeout = 5m\n");
	cfg = config_load(tmpdir, &err);
	ck_assert_msg(cfg != NULL, "%s", err.data);
	ck_assert_str_eq(config_get(cfg, "config_directory"), tmpdir);
	ck_assert_int_eq(config_get_time(cfg, "smtpd_timeout"), 300);
	config_free(cfg);

	write_file("main.cf", "# x\nsmtpd_timeout = 5m\nmax_use = 0\n");
	ck_assert_ptr_null(config_load(tmpdir, &err));
	ck_assert_ptr_nonnull(strstr(err.data, "/main.cf:3: "));
	ck_assert_ptr_nonnull(strstr(err.data, "max_use"));

	strbuf_reset(&err);
	write_file("main.cf", "oops\n");
	ck_assert_ptr_null(config_load(tmpdir, &err));
	ck_assert_ptr_nonnull(strstr(err.data, "/main.cf:1: missing '='"));

	strbuf_reset(&err);
	unlink(write_file("main.cf", ""));
	ck_assert_ptr_null(config_load(tmpdir, &err));
	ck_assert_ptr_nonnull(strstr(err.data, "No such file"));
	strbuf_free(&err);
}
END_TEST

START_TEST(test_load_file_nul)
{
	struct strbuf err;
	struct config *cfg = config_new(tmpdir);
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/nul.cf", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_eq(write(fd, "a = b\0c\n", 8), 8);
	close(fd);
	strbuf_init(&err);
	ck_assert_int_eq(config_load_file(cfg, path, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.data, "NUL byte"));
	strbuf_free(&err);
	config_free(cfg);
}
END_TEST

START_TEST(test_directory_default)
{
	unsetenv("SLUICE_CONFIG");
	ck_assert_str_eq(config_directory_default("/cmd"), "/cmd");
	ck_assert_str_eq(config_directory_default(NULL), SLUICE_CONFIG_DIR);
	ck_assert_str_eq(config_directory_default(""), SLUICE_CONFIG_DIR);
	setenv("SLUICE_CONFIG", "/env", 1);
	ck_assert_str_eq(config_directory_default(NULL), "/env");
	ck_assert_str_eq(config_directory_default("/cmd"), "/cmd");
	unsetenv("SLUICE_CONFIG");
}
END_TEST

/* ---- master.cf ---- */

START_TEST(test_master_cf_good)
{
	struct master_entry *me;
	struct strbuf err;
	const char *path;
	size_t n;

	strbuf_init(&err);
	path = write_file("master.cf",
	    "# service type private unpriv chroot wakeup maxproc command\n"
	    "2525      inet  n       -       y       -       -       smtpd\n"
	    "  -o smtpd_timeout=10s\n"
	    "\n"
	    "cleanup   unix  -       -       n       -       0       cleanup\n"
	    "pickup    unix  n       n       -       60?     1       pickup -v\n"
	    "qmgr      unix  y       y       n       300     7       qmgr\n");
	ck_assert_msg(master_cf_load(path, 42, &me, &n, &err) == 0, "%s",
	    err.data);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(me[0].service, "2525");
	ck_assert_str_eq(me[0].type, "inet");
	ck_assert(!me[0].private_ && me[0].unpriv && me[0].chroot);
	ck_assert_int_eq(me[0].wakeup, 0);
	ck_assert_int_eq(me[0].maxproc, 42);
	ck_assert_uint_eq(me[0].argv.count, 3);
	ck_assert_str_eq(me[0].argv.items[0], "smtpd");
	ck_assert_str_eq(me[0].argv.items[2], "smtpd_timeout=10s");
	ck_assert_ptr_null(me[0].argv.items[3]);
	ck_assert_int_eq(me[0].line, 2);
	ck_assert(me[1].private_ && me[1].unpriv && !me[1].chroot);
	ck_assert_int_eq(me[1].maxproc, 0);
	ck_assert_int_eq(me[1].line, 5);
	ck_assert(!me[2].private_ && !me[2].unpriv);
	ck_assert_int_eq(me[2].wakeup, 60);
	ck_assert_int_eq(me[2].maxproc, 1);
	ck_assert_int_eq(me[3].wakeup, 300);
	ck_assert_int_eq(me[3].maxproc, 7);
	master_cf_free(me, n);

	path = write_file("master.cf", "# nothing\n\n");
	ck_assert_int_eq(master_cf_load(path, 1, &me, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	master_cf_free(me, n);
	strbuf_free(&err);
}
END_TEST

static const struct {
	const char *text;
	const char *want;
} bad_master_cf[] = {
	{ "smtp inet n - y - - \n", "1: expected at least 8 fields" },
	{ "#\n  cleanup unix - - n - 0 cleanup\n", "2: continuation line" },
	{ "a unix x - n - 0 a\n", "1: bad private field \"x\"" },
	{ "a unix - yes n - 0 a\n", "1: bad unpriv field" },
	{ "a unix - - Y - 0 a\n", "1: bad chroot field" },
	{ "a unix - - n 5x 0 a\n", "1: bad wakeup field" },
	{ "a unix - - n ? 0 a\n", "1: bad wakeup field" },
	{ "a unix - - n 99999999999 0 a\n", "1: bad wakeup field" },
	{ "a unix - - n - -1 a\n", "1: bad maxproc field" },
	{ "a unix - - n - 1000001 a\n", "1: bad maxproc field" },
	{ "a tcp - - n - 1 a\n", "1: unknown service type \"tcp\"" },
	{ "../x unix - - n - 1 a\n", "1: service name \"../x\" must not" },
	{ "smtp inet y - n - 1 smtpd\n", "1: inet service smtp cannot be" },
	{ "a unix - - n - 1 a\n\n# c\nb unix - - n - 1 b\na unix n n n 0 0 a\n",
	    "5: duplicate service a/unix (first defined at line 1)" },
};

START_TEST(test_master_cf_bad)
{
	struct master_entry *me = (void *)1;
	struct strbuf err;
	const char *path;
	char want[256];
	size_t n = 99;

	strbuf_init(&err);
	path = write_file("master.cf", bad_master_cf[_i].text);
	ck_assert_int_eq(master_cf_load(path, 100, &me, &n, &err), -1);
	ck_assert_ptr_null(me);
	ck_assert_uint_eq(n, 0);
	snprintf(want, sizeof(want), "%s:%s", path, bad_master_cf[_i].want);
	ck_assert_msg(strncmp(err.data, want, strlen(want)) == 0,
	    "got \"%s\", want \"%s\"", err.data, want);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_master_cf_missing)
{
	struct master_entry *me;
	struct strbuf err;
	size_t n;

	strbuf_init(&err);
	ck_assert_int_eq(master_cf_load("/nonexistent/master.cf", 1, &me, &n,
	    &err), -1);
	ck_assert_ptr_nonnull(strstr(err.data, "/nonexistent/master.cf"));
	strbuf_free(&err);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_table_sorted_and_valid);
	tcase_add_test(tc, test_defaults_expand_and_check);
	tcase_add_test(tc, test_every_param_in_man_page);
	tcase_add_test(tc, test_syntax);
	tcase_add_loop_test(tc, test_malformed, 0,
	    sizeof(bad_main_cf) / sizeof(bad_main_cf[0]));
	tcase_add_test(tc, test_line_too_long);
	tcase_add_test(tc, test_unknown_warning);
	tcase_add_test(tc, test_expansion_forms);
	tcase_add_test(tc, test_expansion_syntax_errors);
	tcase_add_test(tc, test_cache_invalidation);
	tcase_add_test(tc, test_loops);
	tcase_add_test(tc, test_deep_and_huge);
	tcase_add_test(tc, test_time_units);
	tcase_add_loop_test(tc, test_bad_values, 0,
	    sizeof(bad_values) / sizeof(bad_values[0]));
	tcase_add_test(tc, test_bounds_and_bools);
	tcase_add_test_raise_signal(tc, test_get_unknown_panics, SIGABRT);
	tcase_add_test(tc, test_get_list);
	tcase_add_test(tc, test_each_set_order);
	tcase_add_test(tc, test_load);
	tcase_add_test(tc, test_load_file_nul);
	tcase_add_test(tc, test_directory_default);
	tcase_add_test(tc, test_master_cf_good);
	tcase_add_loop_test(tc, test_master_cf_bad, 0,
	    sizeof(bad_master_cf) / sizeof(bad_master_cf[0]));
	tcase_add_test(tc, test_master_cf_missing);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
