/*
 * test_eugid - unit tests for lib/util/eugid.c: the temporary switch to
 * another user's effective identity and back.  The switch itself needs
 * root; run unprivileged, the tests check that nothing changes.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eugid.h"
#include "sock.h"
#include "strbuf.h"
#include "unit.h"

#define OTHER_UID	65534	/* nobody: no file of the test belongs to it */
#define OTHER_GID	65534

static char dir[64];
static char path[128];
static char victim[128];

/* setup - a directory the other user may write, as private/ is */
static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_eugid.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sock", dir);
	snprintf(victim, sizeof(victim), "%s.victim", dir);
	if (geteuid() == 0)
		ck_assert_int_eq(chown(dir, OTHER_UID, OTHER_GID), 0);
}

/* teardown - remove what the test left */
static void
teardown(void)
{
	unlink(path);
	unlink(victim);
	rmdir(dir);
}

START_TEST(test_enter_leave_restores_everything)
{
	struct eugid_saved saved;
	gid_t	 before[64], after[64];
	int	 nbefore, nafter;
	uid_t	 euid = geteuid();
	gid_t	 egid = getegid();

	nbefore = getgroups(64, before);
	ck_assert_int_ge(nbefore, 0);
	ck_assert_int_eq(eugid_enter(OTHER_UID, OTHER_GID, &saved), 0);
	if (euid == 0) {
		ck_assert_int_eq(geteuid(), OTHER_UID);
		ck_assert_int_eq(getegid(), OTHER_GID);
		ck_assert_int_eq(getuid(), 0);	/* real uid stays root */
		ck_assert_int_eq(getgroups(64, after), 1);
		ck_assert_int_eq(after[0], OTHER_GID);
	} else {
		ck_assert_int_eq(geteuid(), euid);	/* a no-op */
	}
	eugid_leave(&saved);
	ck_assert_int_eq(geteuid(), euid);
	ck_assert_int_eq(getegid(), egid);
	nafter = getgroups(64, after);
	ck_assert_int_eq(nafter, nbefore);
	ck_assert_mem_eq(after, before, (size_t)nafter * sizeof(gid_t));
	/* leaving twice is harmless */
	eugid_leave(&saved);
	ck_assert_int_eq(geteuid(), euid);
}
END_TEST

START_TEST(test_enter_refuses_root)
{
	struct eugid_saved saved;

	if (geteuid() != 0)
		return;
	errno = 0;
	ck_assert_int_eq(eugid_enter(0, 0, &saved), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(geteuid(), 0);
	eugid_leave(&saved);
}
END_TEST

START_TEST(test_nested_enter_refused)
{
	struct eugid_saved outer, inner;

	if (geteuid() != 0)
		return;
	ck_assert_int_eq(eugid_enter(OTHER_UID, OTHER_GID, &outer), 0);
	errno = 0;
	ck_assert_int_eq(eugid_enter(OTHER_UID - 1, OTHER_GID - 1, &inner), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(geteuid(), OTHER_UID);
	eugid_leave(&inner);		/* nothing to undo */
	ck_assert_int_eq(geteuid(), OTHER_UID);
	eugid_leave(&outer);
	ck_assert_int_eq(geteuid(), 0);
}
END_TEST

/* A socket made under the switch is the user's, with the asked mode. */
START_TEST(test_socket_belongs_to_the_user)
{
	struct eugid_saved saved;
	struct strbuf err;
	struct stat st;
	int	 fd;

	strbuf_init(&err);
	ck_assert_int_eq(eugid_enter(OTHER_UID, OTHER_GID, &saved), 0);
	fd = unix_listen(path, 0666, 5, &err);
	eugid_leave(&saved);
	ck_assert_msg(fd >= 0, "%s", err.data);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0666);
	if (geteuid() == 0) {
		ck_assert_int_eq(st.st_uid, OTHER_UID);
		ck_assert_int_eq(st.st_gid, OTHER_GID);
	}
	close(fd);
	strbuf_free(&err);
}
END_TEST

/*
 * The audit's attack, without the race: mail_owner left a link to root's
 * file at a socket's name.  Binding as the user refuses it and touches
 * nothing; the file keeps its owner and mode.
 */
START_TEST(test_link_at_the_name_changes_nothing)
{
	struct eugid_saved saved;
	struct strbuf err;
	struct stat st;
	int	 fd;

	strbuf_init(&err);
	ck_assert_int_ge(fd = open(victim, O_WRONLY | O_CREAT | O_EXCL, 0600), 0);
	close(fd);
	ck_assert_int_eq(symlink(victim, path), 0);
	ck_assert_int_eq(eugid_enter(OTHER_UID, OTHER_GID, &saved), 0);
	fd = unix_listen(path, 0666, 5, &err);
	eugid_leave(&saved);
	ck_assert_int_eq(fd, -1);
	ck_assert(strstr(err.data, "not a socket") != NULL);
	ck_assert_int_eq(stat(victim, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(st.st_uid, geteuid());
	strbuf_free(&err);
}
END_TEST

/* only a directory of root's that no one else may write will do */
START_TEST(test_dir_is_roots)
{
	struct strbuf why;
	struct stat st;

	strbuf_init(&why);
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFDIR | 0755;
	ck_assert(eugid_dir_is_roots("/q", &st, &why));
	ck_assert_uint_eq(why.len, 0);
	st.st_mode = S_IFDIR | 01755;	/* sticky, set-gid: still root's */
	ck_assert(eugid_dir_is_roots("/q", &st, &why));
	st.st_mode = S_IFDIR | 0775;
	ck_assert(!eugid_dir_is_roots("/q", &st, &why));
	ck_assert_str_eq(why.data, "/q must be a directory owned by root and "
	    "writable only by root (it is uid 0 mode 0775): root works in it "
	    "by name");
	strbuf_reset(&why);
	st.st_mode = S_IFDIR | 0757;
	ck_assert(!eugid_dir_is_roots("/q", &st, &why));
	st.st_mode = S_IFDIR | 0755;
	st.st_uid = 105;
	ck_assert(!eugid_dir_is_roots("/q", &st, &why));
	st.st_uid = 0;
	st.st_mode = S_IFREG | 0755;
	ck_assert(!eugid_dir_is_roots("/q", &st, &why));
	strbuf_free(&why);
}
END_TEST

/* eugid_suite - every test above */
static Suite *
eugid_suite(void)
{
	Suite	*suite = suite_create("eugid");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_enter_leave_restores_everything);
	tcase_add_test(tc, test_enter_refuses_root);
	tcase_add_test(tc, test_nested_enter_refused);
	tcase_add_test(tc, test_socket_belongs_to_the_user);
	tcase_add_test(tc, test_link_at_the_name_changes_nothing);
	tcase_add_test(tc, test_dir_is_roots);
	suite_add_tcase(suite, tc);
	return (suite);
}

int
main(void)
{
	return (unit_run(eugid_suite()));
}
