/*
 * test_queue_recycle - unit tests of lib/queue/queue_recycle.c and the writer
 * that uses it: a delivered file goes into the pool under its inode
 * number and comes back as a fresh incoming/ file (same inode, new ID,
 * mode 0600, old content cut off at finish); the pool is bounded and only
 * its first QUEUE_RECYCLE_FULL files keep their blocks; files
 * that are not plain, single-link, own files are never taken.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "queue_file.h"
#include "queue_recycle.h"
#include "strbuf.h"
#include "unit.h"

static char	 topdir[PATH_MAX];
static char	 olddir[PATH_MAX];

/* setup - a scratch queue directory as the cwd */
static void
setup(void)
{
	ck_assert_ptr_nonnull(getcwd(olddir, sizeof(olddir)));
	snprintf(topdir, sizeof(topdir), "/tmp/test_queue_recycle.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(topdir));
	ck_assert_int_eq(chdir(topdir), 0);
	ck_assert_int_eq(mkdir("incoming", 0700), 0);
	ck_assert_int_eq(mkdir("active", 0700), 0);
	ck_assert_int_eq(mkdir(QUEUE_RECYCLE, 0700), 0);
}

/* teardown - remove the scratch tree */
static void
teardown(void)
{
	char	 cmd[PATH_MAX + 16];

	ck_assert_int_eq(chdir(olddir), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", topdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* make_file - path with content, mode 0700; its inode */
static ino_t
make_file(const char *path, const char *content)
{
	struct stat st;
	int	 fd;

	fd = open(path, O_CREAT | O_WRONLY | O_EXCL, 0700);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, strlen(content)),
	    (ssize_t)strlen(content));
	ck_assert_int_eq(fstat(fd, &st), 0);
	close(fd);
	return (st.st_ino);
}

/* put_file - create path (mode 0700, like a delivered queue file) and
 * retire it with queue_recycle_put; its inode, and put()'s result */
static ino_t
put_file(const char *path, const char *content, int *rc)
{
	ino_t	 ino = make_file(path, content);
	int	 fd = open(path, O_RDWR);

	ck_assert_int_ge(fd, 0);
	*rc = queue_recycle_put(QUEUE_RECYCLE, path, fd);
	close(fd);
	return (ino);
}

/* count_dir - entries other than . and .. */
static int
count_dir(const char *dir)
{
	struct strbuf cmd;
	char	 line[64];
	FILE	*fp;
	int	 n = -1;

	strbuf_init(&cmd);
	strbuf_printf(&cmd, "ls -A '%s' | wc -l", dir);
	fp = popen(cmd.data, "r");
	ck_assert_ptr_nonnull(fp);
	if (fgets(line, sizeof(line), fp) != NULL)
		n = atoi(line);
	pclose(fp);
	strbuf_free(&cmd);
	return (n);
}

START_TEST(test_put_then_take)
{
	char	 id[QUEUE_ID_SIZE], path[PATH_MAX], name[64];
	struct stat st;
	ino_t	 ino;
	int	 fd, rc;

	off_t	 old_size = -1;

	ino = put_file("active/65000001000000001", "old message content", &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(access("active/65000001000000001", F_OK), -1);
	snprintf(name, sizeof(name), "%s/%llx", QUEUE_RECYCLE,
	    (unsigned long long)ino);
	/* in the pool at "being written": never looks complete */
	ck_assert_int_eq(stat(name, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);

	fd = queue_recycle_take(QUEUE_RECYCLE, "incoming", id, &old_size);
	ck_assert_int_ge(fd, 0);
	ck_assert(queue_id_valid(id));
	snprintf(path, sizeof(path), "incoming/%s", id);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_ino, ino);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 0);
	ck_assert_int_eq(old_size, strlen("old message content"));
	ck_assert_int_eq(count_dir(QUEUE_RECYCLE), 0);
	close(fd);

	/* empty now: nothing to take, the caller creates */
	ck_assert_int_eq(queue_recycle_take(QUEUE_RECYCLE, "incoming", id, &old_size), -1);
}
END_TEST

/* a long file keeps its inode in the pool, not its blocks */
/* count_nonempty - files in dir with at least one byte */
static int
count_nonempty(const char *dir)
{
	char	 path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR	*d = opendir(dir);
	int	 n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (de->d_name[0] != '.' && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode) && st.st_size > 0)
			n++;
	}
	closedir(d);
	return (n);
}

START_TEST(test_long_file_cut_before_pooling)
{
	char	 id[QUEUE_ID_SIZE];
	char	*big = malloc(QUEUE_RECYCLE_KEEP + 2);
	off_t	 old_size = -1;
	int	 fd, rc;

	memset(big, 'x', QUEUE_RECYCLE_KEEP + 1);
	big[QUEUE_RECYCLE_KEEP + 1] = 0;
	(void)put_file("active/65000001000000002", big, &rc);
	ck_assert_int_eq(rc, 0);
	free(big);
	fd = queue_recycle_take(QUEUE_RECYCLE, "incoming", id, &old_size);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(old_size, 0);
	close(fd);
	/* at the limit it keeps its content */
	(void)put_file("active/65000001000000003", "short", &rc);
	ck_assert_int_eq(rc, 0);
	fd = queue_recycle_take(QUEUE_RECYCLE, "incoming", id, &old_size);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(old_size, 5);
	close(fd);
}
END_TEST

START_TEST(test_put_gone_file)
{
	int	 fd;

	/* removed under us (sluice-super -d) while qmgr held it open */
	make_file("active/65000001000000009", "x");
	fd = open("active/65000001000000009", O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(unlink("active/65000001000000009"), 0);
	errno = 0;
	ck_assert_int_eq(queue_recycle_put(QUEUE_RECYCLE,
	    "active/65000001000000009", fd), -1);
	ck_assert_int_eq(errno, ENOENT);
	close(fd);
	ck_assert_int_eq(count_dir(QUEUE_RECYCLE), 0);
}
END_TEST

START_TEST(test_pool_is_bounded)
{
	char	 path[PATH_MAX];
	int	 rc;

	for (int i = 0; i < QUEUE_RECYCLE_MAX + 40; i++) {
		snprintf(path, sizeof(path), "active/6500000100000%04X", i);
		(void)put_file(path, "x", &rc);
		ck_assert_int_eq(rc, 0);
		ck_assert_int_eq(access(path, F_OK), -1);
	}
	/* the count is refreshed every few puts: a little slack at most */
	ck_assert_int_le(count_dir(QUEUE_RECYCLE), QUEUE_RECYCLE_MAX);
	ck_assert_int_ge(count_dir(QUEUE_RECYCLE), QUEUE_RECYCLE_MAX - 64);
	/* nothing was taken, so the count was exact: the rest are empty */
	ck_assert_int_eq(count_nonempty(QUEUE_RECYCLE), QUEUE_RECYCLE_FULL);
}
END_TEST

START_TEST(test_refuses_strange_files)
{
	char	 id[QUEUE_ID_SIZE];

	/*
	 * A symbolic link, a directory, a file with two links, one at mode
	 * 0700 (it would appear complete in incoming/), bad names.
	 */
	make_file("target", "secret");
	ck_assert_int_eq(chmod("target", 0600), 0);
	ck_assert_int_eq(symlink("../target", QUEUE_RECYCLE "/1a"), 0);
	ck_assert_int_eq(mkdir(QUEUE_RECYCLE "/2b", 0700), 0);
	make_file(QUEUE_RECYCLE "/3c", "two links");
	ck_assert_int_eq(chmod(QUEUE_RECYCLE "/3c", 0600), 0);
	ck_assert_int_eq(link(QUEUE_RECYCLE "/3c", "elsewhere"), 0);
	make_file(QUEUE_RECYCLE "/4d", "complete-looking");
	make_file(QUEUE_RECYCLE "/NOT-HEX", "bad name");
	ck_assert_int_eq(chmod(QUEUE_RECYCLE "/NOT-HEX", 0600), 0);
	off_t	 old_size;

	make_file(QUEUE_RECYCLE "/ABCD", "upper case");
	ck_assert_int_eq(chmod(QUEUE_RECYCLE "/ABCD", 0600), 0);
	ck_assert_int_eq(queue_recycle_take(QUEUE_RECYCLE, "incoming", id, &old_size), -1);
	ck_assert_int_eq(count_dir("incoming"), 0);
}
END_TEST

START_TEST(test_missing_pool)
{
	char	 id[QUEUE_ID_SIZE];
	off_t	 old_size;
	int	 rc;

	ck_assert_int_eq(rmdir(QUEUE_RECYCLE), 0);
	ck_assert_int_eq(queue_recycle_take(QUEUE_RECYCLE, "incoming", id, &old_size), -1);
	/* no pool: the file is simply removed */
	(void)put_file("active/65000001000000001", "x", &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(access("active/65000001000000001", F_OK), -1);
}
END_TEST

/* read_back - incoming/ID parsed as a complete message */
static void
read_back(const char *id, struct queue_message *msg)
{
	struct strbuf err, path;
	int	 fd;

	strbuf_init(&err);
	strbuf_init(&path);
	strbuf_printf(&path, "incoming/%s", id);
	fd = open(path.data, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(queue_file_read(fd, msg, &err), 0);
	ck_assert_msg(msg->complete, "not complete: %s", err.data);
	close(fd);
	strbuf_free(&path);
	strbuf_free(&err);
}

START_TEST(test_writer_overwrites_longer_file)
{
	struct queue_recipient r = { 0 };
	struct queue_message msg;
	struct queue_writer *w;
	struct strbuf err, old;
	char	 id[QUEUE_ID_SIZE];
	struct stat st;
	ino_t	 ino;
	int	 rc;

	/* a big stale file: the new message must not inherit its tail */
	strbuf_init(&old);
	for (int i = 0; i < 2000; i++)
		strbuf_append(&old, "stale content ", 14);
	ino = put_file("active/65000001000000001", old.data, &rc);
	ck_assert_int_eq(rc, 0);

	strbuf_init(&err);
	w = queue_writer_create_recycled("incoming", QUEUE_RECYCLE, &err);
	ck_assert_ptr_nonnull(w);
	memcpy(id, queue_writer_id(w), QUEUE_ID_SIZE);
	ck_assert_int_eq(queue_writer_sender(w, "a@example.test"), 0);
	r.address = "b@example.test";
	r.orcpt = "";
	ck_assert_int_eq(queue_writer_recipient(w, &r), 0);
	ck_assert_int_eq(queue_writer_content_start(w), 0);
	ck_assert_int_eq(queue_writer_content(w, "Subject: x\n\nhi\n", 15), 0);
	ck_assert_int_eq(queue_writer_finish(w, &err), 0);

	memset(&msg, 0, sizeof(msg));
	read_back(id, &msg);
	ck_assert_str_eq(msg.sender, "a@example.test");
	ck_assert_uint_eq(msg.recipient_count, 1);
	ck_assert_int_eq(msg.size, 15);
	queue_message_free(&msg);
	{
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "incoming/%s", id);
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_uint_eq(st.st_ino, ino);
		ck_assert_int_lt(st.st_size, 200);
		ck_assert_uint_eq(st.st_mode & 07777, 0700);
	}
	strbuf_free(&err);
	strbuf_free(&old);
}
END_TEST

/*
 * cycle_for - one process's share of the race test: take a spare file,
 * compare the size take() reported with the file's real size, give it
 * a new length, retire it again.  The number of wrong sizes and failed
 * steps seen.
 */
static int
cycle_for(double seconds, unsigned seed)
{
	char	 id[QUEUE_ID_SIZE], path[PATH_MAX];
	struct timespec start, now;
	struct stat st;
	char	 buf[512];
	int	 wrong = 0;

	memset(buf, 'x', sizeof(buf));
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		off_t	 old_size = -1;
		int	 fd;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((double)(now.tv_sec - start.tv_sec) +
		    (double)(now.tv_nsec - start.tv_nsec) / 1e9 > seconds)
			break;
		fd = queue_recycle_take(QUEUE_RECYCLE, "incoming", id, &old_size);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) != 0 || st.st_size != old_size)
			wrong++;
		seed = seed * 1103515245u + 12345u;
		if (ftruncate(fd, 0) != 0 ||
		    write(fd, buf, 1 + (seed >> 16) % sizeof(buf)) < 1)
			wrong++;
		snprintf(path, sizeof(path), "incoming/%s", id);
		if (queue_recycle_put(QUEUE_RECYCLE, path, fd) != 0)
			wrong++;
		close(fd);
	}
	return (wrong);
}

/*
 * The size a taker learns must be the size of the file it claimed.  A
 * taker that looked at a pool file, lost the CPU, and claimed it only
 * after another process had used it for a message and put it back, used
 * to report the size from before: a shorter new message was then not
 * cut, and the stale tail made the queue file unreadable after its 250.
 * Several processes race over two spare files for a bounded time.
 */
START_TEST(test_take_reports_size_of_claimed_file)
{
	enum { WORKERS = 6 };
	pid_t	 pids[WORKERS];
	int	 rc, status, wrong = 0;

	put_file("active/65000001000000001", "spare one", &rc);
	ck_assert_int_eq(rc, 0);
	put_file("active/65000001000000002", "spare number two", &rc);
	ck_assert_int_eq(rc, 0);
	for (int i = 0; i < WORKERS; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0)
			_exit(cycle_for(2.0, (unsigned)i + 1) ? 1 : 0);
	}
	for (int i = 0; i < WORKERS; i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			wrong++;
	}
	ck_assert_int_eq(wrong, 0);
	ck_assert_int_eq(count_dir(QUEUE_RECYCLE), 2);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("queue_recycle");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	/*
	 * test_pool_is_bounded creates and removes 8,000 files: on ext4
	 * without a journal, right after another run freed as many, each
	 * creation scans the recently freed inodes and Check's 4 s are not
	 * always enough.  The race test runs for 2 s by design.
	 */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_put_then_take);
	tcase_add_test(tc, test_long_file_cut_before_pooling);
	tcase_add_test(tc, test_put_gone_file);
	tcase_add_test(tc, test_pool_is_bounded);
	tcase_add_test(tc, test_refuses_strange_files);
	tcase_add_test(tc, test_missing_pool);
	tcase_add_test(tc, test_writer_overwrites_longer_file);
	tcase_add_test(tc, test_take_reports_size_of_claimed_file);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
