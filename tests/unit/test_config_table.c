/*
 * test_config_table - a program's parameter table: reading it into a
 * settings struct, and the check of every kind of value (numbers, times,
 * booleans, networks, domains, tables, destinations, files).
 */
#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_table.h"
#include "domain_list.h"
#include "maps.h"
#include "msg.h"
#include "netmatch.h"
#include "strlist.h"
#include "unit.h"

static char tmpdir[64];

struct settings {
	char		*banner;
	long		 size_limit;
	long		 timeout;
	long		 pause_ms;
	bool		 helo_required;
	struct strlist	 keywords;
	struct netlist	*mynetworks;
	struct domain_list *mydestination;
	struct map_list	*aliases;
	char		*relayhost;
	char		*cert;
	char		*rbl_reply;
};

#define ROW(name, kind, field)	CONFIG_ROW(name, kind, struct settings, field)

static const struct config_table table[] = {
	ROW("smtpd_banner", CONF_STR, banner),
	ROW("message_size_limit", CONF_INT, size_limit),
	ROW("smtpd_timeout", CONF_TIME, timeout),
	ROW("smtpd_greet_pause", CONF_TIME_MS, pause_ms),
	ROW("smtpd_helo_required", CONF_BOOL, helo_required),
	ROW("smtpd_discard_ehlo_keywords", CONF_LIST, keywords),
	ROW("mynetworks", CONF_NETWORKS, mynetworks),
	ROW("mydestination", CONF_DOMAINS, mydestination),
	ROW("virtual_alias_maps", CONF_MAPS, aliases),
	ROW("relayhost", CONF_HOSTPORT, relayhost),
	ROW("smtpd_tls_cert_file", CONF_FILE, cert),
	ROW("default_rbl_reply", CONF_RAW, rbl_reply),
	CONFIG_CHECK_ONLY("queue_minfree", CONF_INT),
	CONFIG_TABLE_END,
};

/* setup - a fresh temp directory, logging into it */
static void
setup(void)
{
	char log[128];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_config_table.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(log, sizeof(log), "%s/maillog", tmpdir);
	msg_open("test_config_table", log);
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

/* parse - a config from main.cf text, origin "main.cf" */
static struct config *
parse(const char *text)
{
	struct config *cfg = config_new("/etc/test");
	struct strbuf err;

	strbuf_init(&err);
	ck_assert_int_eq(config_parse_text(cfg, text, "main.cf", &err), 0);
	strbuf_free(&err);
	return (cfg);
}

START_TEST(test_read_every_kind)
{
	struct config *cfg;
	struct settings st;
	struct strbuf err, value;
	char text[1024], table_path[256];
	FILE *fp;

	snprintf(table_path, sizeof(table_path), "%s/virtual", tmpdir);
	ck_assert_ptr_nonnull(fp = fopen(table_path, "w"));
	fputs("info@example.com someone\n", fp);
	fclose(fp);
	strbuf_init(&err);
	ck_assert_int_eq(map_lmdb_build(table_path, MAP_SOURCE_TABLE, &err), 0);
	snprintf(text, sizeof(text),
	    "smtpd_banner = $myhostname ready\n"
	    "myhostname = mx.example.com\n"
	    "message_size_limit = 1000\n"
	    "smtpd_timeout = 2m\n"
	    "smtpd_greet_pause = 1500ms\n"
	    "smtpd_helo_required = yes\n"
	    "smtpd_discard_ehlo_keywords = pipelining, dsn  chunking\n"
	    "mynetworks = 192.0.2.0/24 [2001:db8::]/32\n"
	    "mydestination = example.com, .example.net\n"
	    "virtual_alias_maps = lmdb:%s\n"
	    "relayhost = [smart.example.net]:587\n"
	    "default_rbl_reply = $rbl_code ${rbl_reason?{$myhostname}} $$\n",
	    table_path);
	cfg = parse(text);
	memset(&st, 0xff, sizeof(st));
	ck_assert_int_eq(config_table_read(cfg, table, &st, &err), 0);
	ck_assert_str_eq(err.data, "");
	ck_assert_str_eq(st.banner, "mx.example.com ready");
	ck_assert_int_eq(st.size_limit, 1000);
	ck_assert_int_eq(st.timeout, 120);
	ck_assert_int_eq(st.pause_ms, 1500);
	ck_assert(st.helo_required);
	ck_assert_uint_eq(st.keywords.count, 3);
	ck_assert_str_eq(st.keywords.items[2], "chunking");
	ck_assert(netlist_match(st.mynetworks, "192.0.2.7"));
	ck_assert(!netlist_match(st.mynetworks, "198.51.100.1"));
	ck_assert(netlist_match(st.mynetworks, "2001:db8::1"));
	ck_assert_int_eq(domain_list_match(st.mydestination, "EXAMPLE.com"), 1);
	ck_assert_int_eq(domain_list_match(st.mydestination, "a.example.net"), 1);
	ck_assert_int_eq(domain_list_match(st.mydestination, "example.org"), 0);
	strbuf_init(&value);
	ck_assert_int_eq(map_list_lookup(st.aliases, "info@example.com", &value),
	    MAP_FOUND);
	ck_assert_str_eq(value.data, "someone");
	strbuf_free(&value);
	ck_assert_str_eq(st.relayhost, "[smart.example.net]:587");
	ck_assert_str_eq(st.cert, "");
	/* a template is taken as written: its $names are not main.cf's */
	ck_assert_str_eq(st.rbl_reply, "$rbl_code ${rbl_reason?{$myhostname}} $$");
	config_table_release(table, &st);
	ck_assert_ptr_null(st.banner);
	ck_assert_ptr_null(st.rbl_reply);
	ck_assert_ptr_null(st.aliases);
	ck_assert_ptr_null(st.mynetworks);
	config_free(cfg);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_empty_maps_is_null)
{
	struct config *cfg = parse("virtual_alias_maps = ,  \n");
	struct settings st;
	struct strbuf err;

	strbuf_init(&err);
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(config_table_read(cfg, table, &st, &err), 0);
	ck_assert_ptr_null(st.aliases);
	config_table_release(table, &st);
	config_free(cfg);
	strbuf_free(&err);
}
END_TEST

/* Each bad value, and what the one line about it must say. */
static const struct {
	const char *text;
	const char *want;
} bad[] = {
	{ "mynetworks = 127.0.0.1/33\n",
	    "main.cf:2: parameter mynetworks: " },
	{ "message_size_limit = abc\n",
	    "main.cf:2: parameter message_size_limit: bad integer value \"abc\"" },
	{ "smtpd_timeout = 5 fortnights\n",
	    "main.cf:2: parameter smtpd_timeout: bad time value" },
	{ "smtpd_helo_required = maybe\n",
	    "main.cf:2: parameter smtpd_helo_required: bad boolean value" },
	{ "virtual_alias_maps = hash:/nonexistent/virtual\n",
	    "main.cf:2: parameter virtual_alias_maps: " },
	{ "virtual_alias_maps = nosuchtype:/etc/x\n",
	    "main.cf:2: parameter virtual_alias_maps: " },
	{ "mydestination = example.com lmdb:/nonexistent/domains\n",
	    "main.cf:2: parameter mydestination: " },
	{ "relayhost = [smart.example.net]:99999\n",
	    "main.cf:2: parameter relayhost: bad port \"99999\"" },
	{ "relayhost = bad!host:25\n",
	    "main.cf:2: parameter relayhost: bad host name" },
	{ "relayhost = ::1\n",
	    "main.cf:2: parameter relayhost: bad destination \"::1\"" },
	{ "relayhost = [mx.example.net\n",
	    "main.cf:2: parameter relayhost: bad destination" },
	{ "relayhost = mx.example.net:\n",
	    "main.cf:2: parameter relayhost: bad destination" },
	{ "smtpd_banner = $smtpd_banner x\n",
	    "main.cf:2: parameter smtpd_banner: expansion loop" },
	{ "smtpd_banner = ${smtpd_banner\n",
	    "main.cf:2: parameter smtpd_banner: " },
};

START_TEST(test_bad_values)
{
	struct config *cfg;
	struct settings st;
	struct strbuf err;
	char text[256];

	snprintf(text, sizeof(text), "# first line\n%s", bad[_i].text);
	cfg = parse(text);
	strbuf_init(&err);
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(config_table_read(cfg, table, &st, &err), 1);
	ck_assert_msg(strncmp(err.data, bad[_i].want, strlen(bad[_i].want)) == 0,
	    "%s: got \"%s\"", bad[_i].text, err.data);
	ck_assert_ptr_null(strchr(err.data, '\n'));
	/* the other fields are read all the same */
	ck_assert_ptr_nonnull(st.mynetworks != NULL || st.size_limit != 0 ?
	    (void *)1 : NULL);
	config_table_release(table, &st);
	/* the check says the same, naming the program */
	strbuf_reset(&err);
	ck_assert_int_eq(config_table_check(cfg, table, "smtpd", NULL, NULL,
	    NULL, &err, NULL), 1);
	ck_assert_msg(strncmp(err.data, bad[_i].want, strlen(bad[_i].want)) == 0,
	    "%s: got \"%s\"", bad[_i].text, err.data);
	ck_assert_ptr_nonnull(strstr(err.data, " (smtpd)"));
	config_free(cfg);
	strbuf_free(&err);
}
END_TEST

/* every destination form Postfix admins write for relayhost */
START_TEST(test_destinations)
{
	static const char *const good[] = { "mx.example.net",
	    "[mx.example.net]", "mx.example.net:587", "[mx.example.net]:587",
	    "[2001:db8::1]:25", "[2001:db8::1]", "192.0.2.1, [192.0.2.2]:26",
	    "mx.example.net:submission", "" };
	struct config *cfg;
	struct settings st;
	struct strbuf err;

	strbuf_init(&err);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cfg = parse("");
		config_set(cfg, "relayhost", good[i]);
		memset(&st, 0, sizeof(st));
		strbuf_reset(&err);
		ck_assert_msg(config_table_read(cfg, table, &st, &err) == 0,
		    "%s: %s", good[i], err.data);
		ck_assert_str_eq(st.relayhost, good[i]);
		config_table_release(table, &st);
		config_free(cfg);
	}
	strbuf_free(&err);
}
END_TEST

struct raw_settings {
	char		*path;
	struct config_per_transport *limits;
};

static const char *const raw_names[] = { "home", "user", NULL };

static const struct config_table raw_table[] = {
	CONFIG_RAW_ROW("forward_path", struct raw_settings, path, raw_names),
	CONFIG_ROW("default_destination_concurrency_limit", CONF_PER_TRANSPORT,
	    struct raw_settings, limits),
	CONFIG_TABLE_END,
};

/* a raw row keeps its $names; a per-transport row reads each TRANSPORT_ */
START_TEST(test_raw_and_per_transport)
{
	struct config *cfg;
	struct raw_settings st;
	struct strbuf err;

	cfg = parse("forward_path = $home/.forward, ${home}/.fwd-$user\n"
	    "default_destination_concurrency_limit = 7\n"
	    "relay_destination_concurrency_limit = 3\n"
	    "smtp_destination_concurrency_limit = 12\n");
	strbuf_init(&err);
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(config_table_read(cfg, raw_table, &st, &err), 0);
	ck_assert_str_eq(st.path, "$home/.forward, ${home}/.fwd-$user");
	ck_assert_int_eq(config_per_transport_get(st.limits, "relay"), 3);
	ck_assert_int_eq(config_per_transport_get(st.limits, "smtp"), 12);
	/* in the defaults table as $default_...: follows the default */
	ck_assert_int_eq(config_per_transport_get(st.limits, "virtual"), 7);
	ck_assert_int_eq(config_per_transport_get(st.limits, "lmtp"), 7);
	config_table_release(raw_table, &st);
	ck_assert_ptr_null(st.path);
	ck_assert_ptr_null(st.limits);
	config_free(cfg);

	/* the problem is the transport's, at its own line */
	cfg = parse("relay_destination_concurrency_limit = 0\n");
	memset(&st, 0, sizeof(st));
	strbuf_reset(&err);
	ck_assert_int_eq(config_table_read(cfg, raw_table, &st, &err), 1);
	ck_assert_msg(strstr(err.data, "main.cf:1: parameter "
	    "relay_destination_concurrency_limit = 0 out of range") != NULL,
	    "%s", err.data);
	config_table_release(raw_table, &st);
	config_free(cfg);

	cfg = parse("\nforward_path = $home/.forward$extension\n");
	memset(&st, 0, sizeof(st));
	strbuf_reset(&err);
	ck_assert_int_eq(config_table_check(cfg, raw_table, "local", NULL, NULL,
	    NULL, &err, NULL), 1);
	ck_assert_msg(strstr(err.data, "main.cf:2: parameter "
	    "forward_path: unknown name \"$extension\" (this parameter may "
	    "use $home, $user) (local)") != NULL, "%s", err.data);
	config_free(cfg);
	cfg = parse("forward_path = ${home/.forward\n");
	strbuf_reset(&err);
	ck_assert_int_eq(config_table_check(cfg, raw_table, "local", NULL, NULL,
	    NULL, &err, NULL), 1);
	ck_assert_ptr_nonnull(strstr(err.data, "missing '}'"));
	config_free(cfg);
	strbuf_free(&err);
}
END_TEST

static const struct config_table *const declared[] = { table, NULL };

/* a table a program has not declared: a programming error */
START_TEST(test_undeclared_table_panics)
{
	struct config *cfg = parse("");
	struct raw_settings st;
	struct strbuf err;

	strbuf_init(&err);
	memset(&st, 0, sizeof(st));
	ck_assert_ptr_null(config_tables_declare(declared));
	(void)config_table_read(cfg, raw_table, &st, &err);
}
END_TEST

/* config_get of a name in none of the declared tables: the same */
START_TEST(test_undeclared_get_panics)
{
	struct config *cfg = parse("");

	(void)config_tables_declare(declared);
	ck_assert(config_table_declares("smtpd_banner"));
	ck_assert(!config_table_declares("forward_path"));
	(void)config_get(cfg, "smtpd_banner");
	(void)config_get(cfg, "forward_path");
}
END_TEST

START_TEST(test_check_only_rows)
{
	struct config *cfg = parse("queue_minfree = lots\n");
	struct settings st;
	struct strbuf err;

	strbuf_init(&err);
	memset(&st, 0, sizeof(st));
	/* read elsewhere: not read here, but checked */
	ck_assert_int_eq(config_table_read(cfg, table, &st, &err), 0);
	config_table_release(table, &st);
	ck_assert_int_eq(config_table_check(cfg, table, "x", NULL, NULL, NULL,
	    &err, NULL), 1);
	ck_assert_ptr_nonnull(strstr(err.data, "main.cf:1: parameter "
	    "queue_minfree: bad integer value \"lots\""));
	config_free(cfg);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_check_seen_and_only)
{
	struct config *cfg = parse("message_size_limit = abc\n"
	    "mynetworks = 10.0.0.0/40\n");
	struct strlist seen, only;
	struct strbuf err;

	strbuf_init(&err);
	strlist_init(&seen);
	strlist_init(&only);
	ck_assert_int_eq(config_table_check(cfg, table, "a", NULL, &seen, NULL,
	    &err, NULL), 2);
	/* a second program reading the same values: not repeated */
	ck_assert_int_eq(config_table_check(cfg, table, "b", NULL, &seen, NULL,
	    &err, NULL), 0);
	ck_assert_ptr_null(strstr(err.data, "(b)"));
	strbuf_reset(&err);
	strlist_add(&only, "mynetworks");
	ck_assert_int_eq(config_table_check(cfg, table, "c", NULL, NULL, &only,
	    &err, NULL), 1);
	ck_assert_ptr_nonnull(strstr(err.data, "parameter mynetworks:"));
	strlist_free(&only);
	strlist_free(&seen);
	config_free(cfg);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_files_readable_by)
{
	struct config_opener other = { "nobody-test", 54321, 54321, true };
	struct config_opener self = { "me", 0, 0, true };
	struct config *cfg;
	struct strbuf err;
	char path[256], text[512];
	int fd;

	self.uid = geteuid();
	self.gid = getegid();
	snprintf(path, sizeof(path), "%s/key.pem", tmpdir);
	ck_assert_int_ge(fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600), 0);
	close(fd);
	ck_assert_int_eq(chmod(tmpdir, 0755), 0);
	strbuf_init(&err);
	ck_assert_int_eq(config_file_readable_by(path, &self, &err), 0);
	ck_assert_int_eq(config_file_readable_by(path, &other, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.data, "is not readable by nobody-test"));
	strbuf_reset(&err);
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(config_file_readable_by(path, &other, &err), 0);
	ck_assert_int_eq(chmod(tmpdir, 0700), 0);
	ck_assert_int_eq(config_file_readable_by(path, &other, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.data, "is not searchable by"));
	strbuf_reset(&err);
	ck_assert_int_eq(config_file_readable_by("/nonexistent/x", &self,
	    &err), -1);
	ck_assert_ptr_nonnull(strstr(err.data, "/nonexistent/x: "));
	/* the check of a file row tests it for its opener */
	snprintf(text, sizeof(text), "smtpd_tls_cert_file = %s\n", path);
	cfg = parse(text);
	strbuf_reset(&err);
	ck_assert_int_eq(config_table_check(cfg, table, "smtpd", &other, NULL,
	    NULL, &err, NULL), 1);
	ck_assert_ptr_nonnull(strstr(err.data, "parameter smtpd_tls_cert_file: "));
	strbuf_reset(&err);
	ck_assert_int_eq(config_table_check(cfg, table, "smtpd", &self, NULL,
	    NULL, &err, NULL), 0);
	config_free(cfg);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_compiled_table_readable_by)
{
	struct config_opener other = { "nobody-test", 54321, 54321, true };
	struct config *cfg;
	struct strbuf err;
	char path[256], text[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/virtual", tmpdir);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs("a@example.com b\n", fp);
	fclose(fp);
	strbuf_init(&err);
	ck_assert_int_eq(map_lmdb_build(path, MAP_SOURCE_TABLE, &err), 0);
	ck_assert_int_eq(chmod(tmpdir, 0755), 0);
	strcat(path, ".lmdb");
	ck_assert_int_eq(chmod(path, 0600), 0);
	snprintf(text, sizeof(text), "virtual_alias_maps = lmdb:%s/virtual\n",
	    tmpdir);
	cfg = parse(text);
	ck_assert_int_eq(config_table_check(cfg, table, "smtp", &other, NULL,
	    NULL, &err, NULL), 1);
	ck_assert_ptr_nonnull(strstr(err.data, "virtual.lmdb is not readable by "
	    "nobody-test"));
	config_free(cfg);
	strbuf_free(&err);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config_table");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_read_every_kind);
	tcase_add_test(tc, test_empty_maps_is_null);
	tcase_add_loop_test(tc, test_bad_values, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_destinations);
	tcase_add_test(tc, test_raw_and_per_transport);
	tcase_add_test_raise_signal(tc, test_undeclared_table_panics, SIGABRT);
	tcase_add_test_raise_signal(tc, test_undeclared_get_panics, SIGABRT);
	tcase_add_test(tc, test_check_only_rows);
	tcase_add_test(tc, test_check_seen_and_only);
	tcase_add_test(tc, test_files_readable_by);
	tcase_add_test(tc, test_compiled_table_readable_by);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
