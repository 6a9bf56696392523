/*
 * test_config_trust - the ownership rule setgid programs apply to
 * alternate configuration directories.
 */
#include <sys/stat.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "config_trust.h"
#include "unit.h"

static char dir[64];
static char main_cf[96];

static void
setup(void)
{
	FILE *fp;

	snprintf(dir, sizeof(dir), "/tmp/test_trust.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(main_cf, sizeof(main_cf), "%s/main.cf", dir);
	ck_assert_ptr_nonnull(fp = fopen(main_cf, "w"));
	fclose(fp);
}

static void
teardown(void)
{
	unlink(main_cf);
	rmdir(dir);
}

START_TEST(test_unprivileged_and_default_always_trusted)
{
	ck_assert(config_dir_trusted("/nonexistent", false));
	ck_assert(config_dir_trusted(SLUICE_CONFIG_DIR, true));
}
END_TEST

START_TEST(test_own_directory_trusted)
{
	/* owned by us (or by root, when the tests run as root) */
	ck_assert(config_dir_trusted(dir, true));
	ck_assert(!config_dir_trusted("/nonexistent", true));
}
END_TEST

START_TEST(test_foreign_directory_refused)
{
	/* give the directory, then only main.cf, to another user */
	if (geteuid() != 0)
		return;		/* needs root to chown; covered when root */
	ck_assert_int_eq(chown(dir, 65534, 65534), 0);
	/* the caller (uid 0) neither owns it nor is it root's: refused */
	ck_assert(!config_dir_trusted(dir, true));
	ck_assert_int_eq(setresuid(65534, 0, 0) == 0 ? 0 : -1, 0);
	/* now the caller is "nobody": nobody's directory is fine ... */
	ck_assert(config_dir_trusted(dir, true));
	ck_assert_int_eq(setresuid(0, 0, 0), 0);
	ck_assert_int_eq(chown(dir, 1, 1), 0);		/* daemon's, not ours */
	ck_assert_int_eq(setresuid(65534, 0, 0), 0);
	ck_assert(!config_dir_trusted(dir, true));
	ck_assert_int_eq(setresuid(0, 0, 0), 0);
	ck_assert_int_eq(chown(dir, 0, 0), 0);
	ck_assert_int_eq(chown(main_cf, 1, 1), 0);	/* a foreign main.cf */
	ck_assert_int_eq(setresuid(65534, 0, 0), 0);
	ck_assert(!config_dir_trusted(dir, true));
	ck_assert_int_eq(setresuid(0, 0, 0), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config_trust");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_unprivileged_and_default_always_trusted);
	tcase_add_test(tc, test_own_directory_trusted);
	tcase_add_test(tc, test_foreign_directory_refused);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
