/*
 * test_config_edit - unit tests for lib/config/config_edit.c.
 *
 * Text edits are compared byte for byte with the expected file, and the
 * result is read back with config_parse_text so that what the editor
 * writes is what the reader sees.  File edits check atomic replacement
 * (new inode, mode kept, no temporary left behind) and the error paths.
 */
#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_edit.h"
#include "strbuf.h"
#include "unit.h"

static struct strbuf out, err;
static char dir[64];

/* setup - buffers and a private directory */
static void
setup(void)
{
	strbuf_init(&out);
	strbuf_init(&err);
	snprintf(dir, sizeof(dir), "/tmp/test_cfedit.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* teardown - remove the directory */
static void
teardown(void)
{
	char cmd[128];

	strbuf_free(&out);
	strbuf_free(&err);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* edit - config_edit_text on a C string; its return value */
static int
edit(const char *text, const struct config_edit *e, size_t n)
{
	return (config_edit_text(text, strlen(text), e, n, &out, &err));
}

/* reads_as - the edited text, parsed, gives name = value */
static void
reads_as(const char *name, const char *value)
{
	struct config *cfg = config_new(dir);
	struct strbuf e;

	strbuf_init(&e);
	ck_assert_int_eq(config_parse_text(cfg, out.data, "edited", &e), 0);
	ck_assert_str_eq(config_get_raw(cfg, name), value);
	config_free(cfg);
	strbuf_free(&e);
}

START_TEST(test_replace_keeps_the_rest)
{
	const char *in =
	    "# header comment\n"
	    "myhostname = old.example\n"
	    "mydestination = a,\n"
	    "    b\n"
	    "# between\n"
	    "\n"
	    "    c\n"
	    "mynetworks = 10.0.0.0/8\n";
	struct config_edit e[] = { { "mydestination", "x, y" } };

	ck_assert_int_eq(edit(in, e, 1), 0);
	ck_assert_str_eq(out.data,
	    "# header comment\n"
	    "myhostname = old.example\n"
	    "mydestination = x, y\n"
	    "# between\n"
	    "\n"
	    "mynetworks = 10.0.0.0/8\n");
	reads_as("mydestination", "x, y");
	reads_as("mynetworks", "10.0.0.0/8");
}
END_TEST

START_TEST(test_append_and_missing_newline)
{
	struct config_edit e[] = { { "relayhost", "[mx.example]:587" },
	    { "my_own", "" } };

	ck_assert_int_eq(edit("myhostname = h", e, 2), 0);
	ck_assert_str_eq(out.data, "myhostname = h\nrelayhost = [mx.example]:587\n"
	    "my_own =\n");
	reads_as("relayhost", "[mx.example]:587");
	reads_as("myhostname", "h");
	ck_assert_int_eq(edit("", e, 1), 0);
	ck_assert_str_eq(out.data, "relayhost = [mx.example]:587\n");
}
END_TEST

START_TEST(test_duplicates_and_last_edit_wins)
{
	const char *in = "a = 1\nb = 2\na = 3\n  more\nc=4\n";
	struct config_edit e[] = { { "a", "first" }, { "a", "second" } };

	ck_assert_int_eq(edit(in, e, 2), 0);
	ck_assert_str_eq(out.data, "a = second\nb = 2\nc=4\n");
	reads_as("a", "second");
}
END_TEST

START_TEST(test_remove)
{
	const char *in = "a = 1\n  cont\n#keep a = 9\nb = 2\na=again\n";
	struct config_edit e[] = { { "a", NULL } };

	ck_assert_int_eq(edit(in, e, 1), 0);
	ck_assert_str_eq(out.data, "#keep a = 9\nb = 2\n");
	/* removing what is not there changes nothing */
	ck_assert_int_eq(edit("b = 2\n", e, 1), 0);
	ck_assert_str_eq(out.data, "b = 2\n");
}
END_TEST

START_TEST(test_prefix_names_do_not_match)
{
	const char *in = "mydomain = d\nmydomain_extra = e\nmydomainx=f\n";
	struct config_edit e[] = { { "mydomain", "new" } };

	ck_assert_int_eq(edit(in, e, 1), 0);
	ck_assert_str_eq(out.data, "mydomain = new\nmydomain_extra = e\nmydomainx=f\n");
	/* "name =" with spaces before '=' is the same name */
	ck_assert_int_eq(edit("mydomain   = d\n", e, 1), 0);
	ck_assert_str_eq(out.data, "mydomain = new\n");
}
END_TEST

START_TEST(test_bad_edits)
{
	struct config_edit bad_name[] = { { "bad name", "x" } };
	struct config_edit empty_name[] = { { "", "x" } };
	struct config_edit bad_value[] = { { "a", "x\ninjected = 1" } };
	struct strbuf n, v;

	ck_assert_int_eq(edit("a = 1\n", bad_name, 1), -1);
	ck_assert_ptr_nonnull(strstr(err.data, "bad parameter name"));
	ck_assert_int_eq(edit("a = 1\n", empty_name, 1), -1);
	ck_assert_int_eq(edit("a = 1\n", bad_value, 1), -1);

	strbuf_init(&n);
	strbuf_init(&v);
	ck_assert_int_eq(config_edit_parse(" name =  a value ", &n, &v, &err), 0);
	ck_assert_str_eq(n.data, "name");
	ck_assert_str_eq(v.data, "a value");
	ck_assert_int_eq(config_edit_parse("x=", &n, &v, &err), 0);
	ck_assert_str_eq(v.data, "");
	ck_assert_int_eq(config_edit_parse("x=a=b", &n, &v, &err), 0);
	ck_assert_str_eq(v.data, "a=b");
	ck_assert_int_eq(config_edit_parse("novalue", &n, &v, &err), -1);
	ck_assert_int_eq(config_edit_parse("=v", &n, &v, &err), -1);
	ck_assert_int_eq(config_edit_parse("a-b=v", &n, &v, &err), -1);
	ck_assert_int_eq(config_edit_parse("a=v\r", &n, &v, &err), 0);
	ck_assert_int_eq(config_edit_parse("a=v\rw", &n, &v, &err), -1);
	strbuf_free(&n);
	strbuf_free(&v);
}
END_TEST

/* slurp - a file's content */
static void
slurp(const char *path, struct strbuf *sb)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	strbuf_reset(sb);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_append(sb, buf, (size_t)n);
	close(fd);
}

/* entries - files in dir */
static int
entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return (n);
}

START_TEST(test_file_atomic)
{
	char path[128], link_path[128];
	struct config_edit e[] = { { "myhostname", "new.example" } };
	struct stat before, after;
	struct strbuf content;
	int fd;

	snprintf(path, sizeof(path), "%s/main.cf", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "# c\nmyhostname = old\n", 21), 21);
	close(fd);
	ck_assert_int_eq(stat(path, &before), 0);
	ck_assert_int_eq(config_edit_file(path, e, 1, &err), 0);
	ck_assert_int_eq(stat(path, &after), 0);
	ck_assert(before.st_ino != after.st_ino);
	ck_assert_int_eq(after.st_mode & 07777, 0640);
	strbuf_init(&content);
	slurp(path, &content);
	ck_assert_str_eq(content.data, "# c\nmyhostname = new.example\n");
	ck_assert_int_eq(entries(), 1);

	/* through a symbolic link: the target changes, the link stays */
	snprintf(link_path, sizeof(link_path), "%s/link.cf", dir);
	ck_assert_int_eq(symlink("main.cf", link_path), 0);
	e[0].value = "via.link";
	ck_assert_int_eq(config_edit_file(link_path, e, 1, &err), 0);
	ck_assert_int_eq(lstat(link_path, &after), 0);
	ck_assert(S_ISLNK(after.st_mode));
	slurp(path, &content);
	ck_assert_str_eq(content.data, "# c\nmyhostname = via.link\n");

	/* a missing file is created, 0644 */
	snprintf(path, sizeof(path), "%s/new.cf", dir);
	ck_assert_int_eq(config_edit_file(path, e, 1, &err), 0);
	ck_assert_int_eq(stat(path, &after), 0);
	ck_assert_int_eq(after.st_mode & 07777, 0644);
	ck_assert_int_eq(entries(), 3);
	strbuf_free(&content);
}
END_TEST

START_TEST(test_file_errors)
{
	char path[128];
	struct config_edit e[] = { { "a", "b" } };
	struct config_edit bad[] = { { "a", "b\nc" } };
	int fd;

	/* a directory is not a main.cf */
	ck_assert_int_eq(config_edit_file(dir, e, 1, &err), -1);
	/* NUL bytes: refused, file untouched, nothing left behind */
	snprintf(path, sizeof(path), "%s/main.cf", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_int_eq(write(fd, "a = 1\n\0\n", 8), 8);
	close(fd);
	strbuf_reset(&err);
	ck_assert_int_eq(config_edit_file(path, e, 1, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.data, "NUL"));
	ck_assert_int_eq(unlink(path), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	close(fd);
	ck_assert_int_eq(config_edit_file(path, bad, 1, &err), -1);
	ck_assert_int_eq(entries(), 1);
	/* a directory we cannot write to */
	if (geteuid() != 0) {
		ck_assert_int_eq(chmod(dir, 0500), 0);
		ck_assert_int_eq(config_edit_file(path, e, 1, &err), -1);
		ck_assert_int_eq(chmod(dir, 0700), 0);
	}
}
END_TEST

/* config_edit_suite - every test above */
static Suite *
config_edit_suite(void)
{
	Suite *s = suite_create("config_edit");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_replace_keeps_the_rest);
	tcase_add_test(tc, test_append_and_missing_newline);
	tcase_add_test(tc, test_duplicates_and_last_edit_wins);
	tcase_add_test(tc, test_remove);
	tcase_add_test(tc, test_prefix_names_do_not_match);
	tcase_add_test(tc, test_bad_edits);
	tcase_add_test(tc, test_file_atomic);
	tcase_add_test(tc, test_file_errors);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (unit_run(config_edit_suite()));
}
