/*
 * test_config_programs - the registry of every program's parameter table
 * and the one configuration check.
 *
 * The registry is the list of what is read: a parameter of the defaults
 * table that no program reads is documented but dead (notify_classes,
 * bounce_notice_recipient and syslog_name were), and one a program reads
 * must be documented in man/sluice.conf.5.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_programs.h"
#include "msg.h"
#include "strlist.h"
#include "unit.h"

static char tmpdir[64];

/* setup - a configuration directory with a working main.cf, master.cf */
static void
setup(void)
{
	char log[128];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_config_programs.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(log, sizeof(log), "%s/maillog", tmpdir);
	msg_open("test_config_programs", log);
}

/* teardown - remove the temp directory */
static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
}

/* write_file - tmpdir/name with text */
static void
write_file(const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
}

/* read_file - a whole file, malloc'ed */
static char *
read_file(const char *path)
{
	char *text;
	FILE *fp;
	long len;

	fp = fopen(path, "r");
	ck_assert_msg(fp != NULL, "run the tests from the repository root");
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	text = calloc(1, (size_t)len + 1);
	ck_assert_int_eq(fread(text, 1, (size_t)len, fp), len);
	fclose(fp);
	return (text);
}

/* every_row - call fn for every row of every table of every program */
static void
every_row(void (*fn)(const struct config_program *,
    const struct config_table *, void *), void *ctx)
{
	for (const struct config_program *p = config_programs; p->name; p++)
		for (unsigned i = 0; p->tables[i] != NULL; i++)
			for (const struct config_table *r = p->tables[i];
			    r->name != NULL; r++)
				fn(p, r, ctx);
}

/* collect - the names read (a per-transport row reads TRANSPORT_SUFFIX) */
static void
collect(const struct config_program *p, const struct config_table *r,
    void *ctx)
{
	const char *suffix = r->name + strlen("default");
	size_t len;

	(void)p;
	strlist_add(ctx, r->name);
	if (r->kind != CONF_PER_TRANSPORT)
		return;
	for (const struct param_def *d = config_param_table; d->name; d++)
		if ((len = strlen(d->name)) > strlen(suffix) &&
		    strcmp(d->name + len - strlen(suffix), suffix) == 0)
			strlist_add(ctx, d->name);
}

START_TEST(test_every_parameter_is_read)
{
	const struct param_def *def;
	struct strlist read;
	char ref[128];
	bool referenced;

	strlist_init(&read);
	every_row(collect, &read);
	for (def = config_param_table; def->name != NULL; def++) {
		if (strlist_contains_ci(&read, def->name))
			continue;
		/* used through another parameter's default ($mail_name) */
		snprintf(ref, sizeof(ref), "$%s", def->name);
		referenced = false;
		for (const struct param_def *d = config_param_table; d->name; d++)
			referenced |= strstr(d->default_value, ref) != NULL &&
			    strlist_contains_ci(&read, d->name);
		ck_assert_msg(referenced, "parameter %s is in the defaults "
		    "table, but no program reads it", def->name);
	}
	strlist_free(&read);
}
END_TEST

/* documented - a row's parameter is in the man page and the table */
static void
documented(const struct config_program *p, const struct config_table *r,
    void *ctx)
{
	const struct param_def *def = config_param_find(r->name);
	char pattern[128];

	ck_assert_msg(def != NULL, "%s reads %s, which is not in the defaults "
	    "table", p->name, r->name);
	snprintf(pattern, sizeof(pattern), ".BR %s ", r->name);
	ck_assert_msg(strstr(ctx, pattern) != NULL, "%s reads %s, which "
	    "man/sluice.conf.5 does not document", p->name, r->name);
}

START_TEST(test_every_parameter_read_is_documented)
{
	char *text = read_file("man/sluice.conf.5");

	every_row(documented, text);
	free(text);
}
END_TEST

START_TEST(test_every_program_has_a_man_page)
{
	char path[256];

	for (const struct config_program *p = config_programs; p->name; p++) {
		snprintf(path, sizeof(path), "man/%s.8", p->name);
		if (access(path, R_OK) == 0)
			continue;
		snprintf(path, sizeof(path), "man/%s.1", p->name);
		ck_assert_msg(access(path, R_OK) == 0, "no man page for %s",
		    p->name);
	}
}
END_TEST

/* check_dir - config_programs_check of tmpdir; the number of problems */
static int
check_dir(struct strbuf *warnings, struct strbuf *errors)
{
	struct config *cfg;
	int n;

	ck_assert_ptr_nonnull(cfg = config_read(tmpdir, errors));
	n = config_programs_check(cfg, tmpdir, warnings, errors);
	config_free(cfg);
	return (n);
}

#define GOOD_MAIN_CF	"alias_maps =\nlocal_recipient_maps =\n"
#define GOOD_MASTER_CF	"smtp inet n - n - - smtpd\n" \
			"cleanup unix - - n - 0 cleanup\n" \
			"qmgr unix n - n 300 1 qmgr\n"

START_TEST(test_good_configuration)
{
	struct strbuf warnings, errors;

	strbuf_init(&warnings);
	strbuf_init(&errors);
	write_file("main.cf", GOOD_MAIN_CF "myhostname = mx.example.com\n");
	write_file("master.cf", GOOD_MASTER_CF);
	ck_assert_msg(check_dir(&warnings, &errors) == 0, "%s", errors.data);
	ck_assert_str_eq(warnings.data, "");
	strbuf_free(&warnings);
	strbuf_free(&errors);
}
END_TEST

/* The bad days: each is refused with its file and line. */
static const struct {
	const char *main_cf;
	const char *master_cf;
	const char *want;
} bad[] = {
	{ "mynetworks = 127.0.0.1/33\n", NULL,
	    "/main.cf:3: parameter mynetworks: " },
	{ "message_size_limit = abc\n", NULL,
	    "/main.cf:3: parameter message_size_limit: bad integer value" },
	{ "virtual_alias_maps = hash:/nonexistent/virtual\n", NULL,
	    "/main.cf:3: parameter virtual_alias_maps: " },
	{ "relayhost = [smart.example]:0\n", NULL,
	    "/main.cf:3: parameter relayhost: bad port" },
	{ "smtpd_tls_security_level = sometimes\n", NULL,
	    "/main.cf:3: parameter smtpd_tls_security_level: bad value" },
	{ "smtpd_tls_security_level = may\n"
	    "smtpd_tls_cert_file = /nonexistent/cert.pem\n", NULL,
	    "/main.cf:4: parameter smtpd_tls_cert_file: " },
	{ "notify_classes = resource, bogus\n", NULL,
	    "/main.cf:3: parameter notify_classes: bad value \"bogus\"" },
	{ "smtpd_sender_restrictions = reject_sender_of_the_day\n", NULL,
	    "/main.cf:3: parameter smtpd_sender_restrictions: unknown "
	    "restriction \"reject_sender_of_the_day\" (smtpd)" },
	{ "smtpd_recipient_restrictions = permit_mynetworks, sleep\n", NULL,
	    "/main.cf:3: parameter smtpd_recipient_restrictions: "
	    "restriction sleep needs an argument (smtpd)" },
	{ "", "smtp inet n - n - - smtpd -o smtpd_client_restrictions=nope\n",
	    "service smtp/inet: parameter smtpd_client_restrictions: unknown "
	    "restriction \"nope\"" },
	{ "header_checks = regexp:/nonexistent/header_checks\n", NULL,
	    "/main.cf:3: parameter header_checks: open "
	    "/nonexistent/header_checks: No such file or directory (cleanup)" },
	{ "content_filter = amavis\n", NULL,
	    "/main.cf:3: parameter content_filter: bad value \"amavis\"" },
	{ "receive_override_options = no_unknown_recipient_checks\n", NULL,
	    "/main.cf:3: parameter receive_override_options: bad value "
	    "\"no_unknown_recipient_checks\"" },
	{ "", "smtp inet n - n - - smtpd\nbad line here\n",
	    "/master.cf:2: expected at least 8 fields" },
	{ "", "smtp inet n - n - - nosuchprogram\n",
	    "/master.cf:1: service smtp/inet: unknown program \"nosuchprogram\"" },
	{ "", "smtp inet n - n - - smtpd\n"
	    "submission inet n - n - - smtpd -o mynetworks=10.0.0.0/99\n",
	    "/master.cf:2: service submission/inet: parameter mynetworks: " },
	{ "", "smtp inet n - n - - smtpd -o smtpd_milters=inet:x:1\n",
	    "/master.cf:1: service smtp/inet: -o smtpd_milters: not supported" },
};

START_TEST(test_bad_configuration)
{
	struct strbuf warnings, errors;
	char text[512];

	strbuf_init(&warnings);
	strbuf_init(&errors);
	snprintf(text, sizeof(text), "%s%s", GOOD_MAIN_CF, bad[_i].main_cf);
	write_file("main.cf", text);
	write_file("master.cf", bad[_i].master_cf ? bad[_i].master_cf :
	    GOOD_MASTER_CF);
	ck_assert_int_ge(check_dir(&warnings, &errors), 1);
	ck_assert_msg(strstr(errors.data, bad[_i].want) != NULL,
	    "want \"%s\" in \"%s\"", bad[_i].want, errors.data);
	/* each problem once */
	ck_assert_ptr_null(strchr(errors.data, '\n'));
	strbuf_free(&warnings);
	strbuf_free(&errors);
}
END_TEST

START_TEST(test_unknown_names_are_warnings)
{
	struct strbuf warnings, errors;

	strbuf_init(&warnings);
	strbuf_init(&errors);
	write_file("main.cf", GOOD_MAIN_CF "smtpd_bannr = typo\n");
	write_file("master.cf", GOOD_MASTER_CF
	    "pickup unix n - n 60 1 pickup -o pickup_flavour=vanilla\n");
	ck_assert_int_eq(check_dir(&warnings, &errors), 0);
	ck_assert_str_eq(errors.data, "");
	ck_assert_ptr_nonnull(strstr(warnings.data, "/main.cf:3: unknown "
	    "parameter smtpd_bannr"));
	ck_assert_ptr_nonnull(strstr(warnings.data, "/master.cf:4: service "
	    "pickup/unix: -o pickup_flavour: unknown parameter"));
	strbuf_free(&warnings);
	strbuf_free(&errors);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config_programs");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_every_parameter_is_read);
	tcase_add_test(tc, test_every_parameter_read_is_documented);
	tcase_add_test(tc, test_every_program_has_a_man_page);
	tcase_add_test(tc, test_good_configuration);
	tcase_add_loop_test(tc, test_bad_configuration, 0,
	    sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_unknown_names_are_warnings);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
