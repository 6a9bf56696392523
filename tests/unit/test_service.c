/*
 * test_service - unit tests for lib/service/service.c, the daemon skeleton.
 *
 * Each case forks a child that runs service_main() with the descriptor
 * layout the master provides (status pipe on 3, the flow page on 4, a
 * UNIX listener on 5) and
 * a throwaway main.cf, then watches it from the outside: its exit status,
 * the status records it writes, what a client sees.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_log.h"
#include "flow.h"
#include "msg.h"
#include "service.h"

static char dir[32];
static char sock_path[100];
static char main_cf[128];
static char log_path[128];

/* write_main_cf - a configuration rooted in the test directory */
static void
write_main_cf(const char *extra)
{
	FILE	*fp;

	fp = fopen(main_cf, "w");
	ck_assert_ptr_nonnull(fp);
	fprintf(fp, "queue_directory = %s\nmaillog_file = %s\n%s", dir,
	    log_path, extra);
	ck_assert_int_eq(fclose(fp), 0);
}

/* setup - private directory, main.cf */
static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_service.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock_path, sizeof(sock_path), "%s/sock", dir);
	snprintf(main_cf, sizeof(main_cf), "%s/main.cf", dir);
	snprintf(log_path, sizeof(log_path), "%s/maillog", dir);
	write_main_cf("");
	signal(SIGPIPE, SIG_IGN);
}

/* teardown - remove what the test left */
static void
teardown(void)
{
	unlink(sock_path);
	unlink(main_cf);
	unlink(log_path);
	rmdir(dir);
}

/*
 * serve_hello - the test daemon: greet (with the flow page's credits, to
 * show that the page was mapped), then echo one line
 */
static void
serve_hello(struct service_context *ctx, int fd)
{
	char	 buf[64];
	ssize_t	 n;

	dprintf(fd, "hello %s %lu %d\n", ctx->service_name, ctx->use_count,
	    flow_credits());
	n = read(fd, buf, sizeof(buf));
	if (n > 0)
		(void)write(fd, buf, (size_t)n);
}

/* what the skeleton reads of main.cf (a daemon lists its own tables too) */
static const struct config_table *const hello_tables[] = {
	service_params,
	log_params,
	NULL,
};

static const struct service_ops hello_ops = {
	.program = "test_service",
	.tables = hello_tables,
	.serve = serve_hello,
};

/* listen_unix - the listener the master would open */
static int
listen_unix(void)
{
	struct sockaddr_un sun;
	int	 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	return (fd);
}

/* connect_unix - a client */
static int
connect_unix(void)
{
	struct sockaddr_un sun;
	int	 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return (fd);
}

/*
 * spawn - fork a child running service_main with argv; status_fd, a new
 * flow page with 7 credits and listen_fd (either fd may be -1) become
 * fds 3, 4 and 5 as the master does it.
 */
static pid_t
spawn(char **argv, int status_fd, int listen_fd)
{
	pid_t	 pid;
	int	 argc, s = -1, l = -1, f;

	for (argc = 0; argv[argc] != NULL; argc++)
		;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid > 0)
		return (pid);
	if (status_fd >= 0)
		s = fcntl(status_fd, F_DUPFD, 20);
	if (listen_fd >= 0)
		l = fcntl(listen_fd, F_DUPFD, 20);
	f = fcntl(flow_create(7), F_DUPFD, 20);
	close(SERVICE_STATUS_FD);
	close(SERVICE_FLOW_FD);
	close(SERVICE_LISTEN_FD);
	if (s >= 0)
		dup2(s, SERVICE_STATUS_FD);
	dup2(f, SERVICE_FLOW_FD);
	if (l >= 0)
		dup2(l, SERVICE_LISTEN_FD);
	/* Like the master: nothing but 0-2, 3, 4 and 5 reaches the daemon. */
	closefrom(SERVICE_LISTEN_FD + 1);
	service_main(argc, argv, &hello_ops);
}

/* wait_exit - exit status of pid (-1 when it died from a signal) */
static int
wait_exit(pid_t pid)
{
	int	 status;
	int	 i;

	/* Bounded: a hung skeleton must fail the test, not stall it. */
	for (i = 0; i < 500; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	ck_abort_msg("service child did not exit");
	return (-2);
}

/* read_status - one record from the status pipe, within 5s */
static struct service_status
read_status(int fd)
{
	struct service_status rec;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	memset(&rec, 0, sizeof(rec));
	ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
	ck_assert_int_eq(read(fd, &rec, sizeof(rec)), (int)sizeof(rec));
	return (rec);
}

/* run_bad_args - service_main must refuse argv with exit status 1 */
static void
run_bad_args(char **argv)
{
	int	 pipefd[2];
	int	 lfd;
	pid_t	 pid;

	ck_assert_int_eq(pipe(pipefd), 0);
	lfd = listen_unix();
	pid = spawn(argv, pipefd[1], lfd);
	ck_assert_int_eq(wait_exit(pid), 1);
	close(pipefd[0]);
	close(pipefd[1]);
	close(lfd);
	unlink(sock_path);
}

START_TEST(test_missing_name)
{
	char	*argv[] = {"t", "-c", dir, "-t", "unix", "-s", "1", NULL};

	run_bad_args(argv);
}
END_TEST

START_TEST(test_missing_type)
{
	char	*argv[] = {"t", "-c", dir, "-n", "x", "-s", "1", NULL};

	run_bad_args(argv);
}
END_TEST

START_TEST(test_missing_count)
{
	char	*argv[] = {"t", "-c", dir, "-n", "x", "-t", "unix", NULL};

	run_bad_args(argv);
}
END_TEST

START_TEST(test_bad_count)
{
	char	*bad[] = {"abc", "-1", "65", "1x", "", NULL};
	int	 i;

	for (i = 0; bad[i] != NULL; i++) {
		char	*argv[] = {"t", "-c", dir, "-n", "x", "-t", "unix", "-s",
		    bad[i], NULL};

		run_bad_args(argv);
	}
}
END_TEST

START_TEST(test_bad_override)
{
	char	*argv[] = {"t", "-c", dir, "-n", "x", "-t", "unix", "-s", "1",
	    "-o", "no_equals_sign", NULL};
	char	*argv2[] = {"t", "-c", dir, "-n", "x", "-t", "unix", "-s", "1",
	    "-o", "=value", NULL};

	run_bad_args(argv);
	run_bad_args(argv2);
}
END_TEST

START_TEST(test_stray_argument)
{
	char	*argv[] = {"t", "-c", dir, "-n", "x", "-t", "unix", "-s", "1",
	    "stray", NULL};

	run_bad_args(argv);
}
END_TEST

START_TEST(test_unknown_option)
{
	char	*argv[] = {"t", "-c", dir, "-n", "x", "-t", "unix", "-s", "1",
	    "-Z", NULL};

	run_bad_args(argv);
}
END_TEST

START_TEST(test_missing_config)
{
	char	*argv[] = {"t", "-c", "/nonexistent/sluice", "-n", "x", "-t",
	    "unix", "-s", "1", NULL};

	run_bad_args(argv);
}
END_TEST

START_TEST(test_missing_status_fd)
{
	char	*argv[] = {"t", "-c", dir, "-n", "x", "-t", "unix", "-s", "1",
	    NULL};
	int	 lfd;

	lfd = listen_unix();
	ck_assert_int_eq(wait_exit(spawn(argv, -1, lfd)), 1);
	close(lfd);
}
END_TEST

START_TEST(test_missing_listen_fd)
{
	char	*argv[] = {"t", "-c", dir, "-n", "x", "-t", "unix", "-s", "2",
	    NULL};
	int	 pipefd[2], lfd;

	/* -s 2 but only fd 5 exists. */
	ck_assert_int_eq(pipe(pipefd), 0);
	lfd = listen_unix();
	ck_assert_int_eq(wait_exit(spawn(argv, pipefd[1], lfd)), 1);
	close(lfd);
}
END_TEST

/* serve_and_check - a client round trip through the skeleton */
static void
serve_and_check(const char *greeting)
{
	char	 buf[128];
	ssize_t	 n;
	int	 cfd;

	cfd = connect_unix();
	n = read(cfd, buf, sizeof(buf) - 1);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, greeting);
	ck_assert_int_eq(write(cfd, "ping\n", 5), 5);
	n = read(cfd, buf, sizeof(buf) - 1);
	ck_assert_int_eq(n, 5);
	ck_assert_int_eq(memcmp(buf, "ping\n", 5), 0);
	close(cfd);
}

START_TEST(test_status_records_and_max_use)
{
	char	*argv[] = {"t", "-c", dir, "-n", "svc", "-t", "unix", "-s", "1",
	    "-o", "max_use=2", NULL};
	struct service_status rec;
	int	 pipefd[2], lfd;
	pid_t	 pid;

	ck_assert_int_eq(pipe(pipefd), 0);
	lfd = listen_unix();
	pid = spawn(argv, pipefd[1], lfd);
	close(pipefd[1]);

	rec = read_status(pipefd[0]);
	ck_assert_int_eq(rec.pid, pid);
	ck_assert_int_eq(rec.status, SERVICE_STATUS_IDLE);

	serve_and_check("hello svc 0 7\n");
	rec = read_status(pipefd[0]);
	ck_assert_int_eq(rec.status, SERVICE_STATUS_BUSY);
	rec = read_status(pipefd[0]);
	ck_assert_int_eq(rec.status, SERVICE_STATUS_IDLE);
	ck_assert_int_eq(rec.pid, pid);

	/* Second connection reaches max_use (from -o): exit after it. */
	serve_and_check("hello svc 1 7\n");
	rec = read_status(pipefd[0]);
	ck_assert_int_eq(rec.status, SERVICE_STATUS_BUSY);
	ck_assert_int_eq(wait_exit(pid), 0);
	close(pipefd[0]);
	close(lfd);
}
END_TEST

START_TEST(test_master_closes_pipe)
{
	char	*argv[] = {"t", "-c", dir, "-n", "svc", "-t", "unix", "-s", "1",
	    NULL};
	struct service_status rec;
	int	 pipefd[2], lfd;
	pid_t	 pid;

	ck_assert_int_eq(pipe(pipefd), 0);
	lfd = listen_unix();
	pid = spawn(argv, pipefd[1], lfd);
	close(pipefd[1]);
	rec = read_status(pipefd[0]);
	ck_assert_int_eq(rec.status, SERVICE_STATUS_IDLE);
	/* Reload/stop: the master closes its end; an idle child leaves. */
	close(pipefd[0]);
	ck_assert_int_eq(wait_exit(pid), 0);
	close(lfd);
}
END_TEST

START_TEST(test_max_idle)
{
	char	*argv[] = {"t", "-c", dir, "-n", "svc", "-t", "unix", "-s", "1",
	    NULL};
	int	 pipefd[2], lfd;
	pid_t	 pid;

	write_main_cf("max_idle = 1s\n");
	ck_assert_int_eq(pipe(pipefd), 0);
	lfd = listen_unix();
	pid = spawn(argv, pipefd[1], lfd);
	close(pipefd[1]);
	(void)read_status(pipefd[0]);
	ck_assert_int_eq(wait_exit(pid), 0);
	close(pipefd[0]);
	close(lfd);
}
END_TEST

START_TEST(test_drop_to_root_refused)
{
	pid_t	 pid;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		service_drop_privileges("root");
		_exit(0);	/* must not get here */
	}
	ck_assert_int_eq(wait_exit(pid), 1);
}
END_TEST

START_TEST(test_drop_unknown_user_refused)
{
	pid_t	 pid;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		service_drop_privileges("no-such-user-sluice-test");
		_exit(0);
	}
	ck_assert_int_eq(wait_exit(pid), 1);

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		service_drop_privileges("");
		_exit(0);
	}
	ck_assert_int_eq(wait_exit(pid), 1);
}
END_TEST

/* service_suite - every case */
static Suite *
service_suite(void)
{
	Suite	*s = suite_create("service");
	TCase	*args = tcase_create("arguments");
	TCase	*run = tcase_create("running");
	TCase	*priv = tcase_create("privileges");

	tcase_add_checked_fixture(args, setup, teardown);
	tcase_add_test(args, test_missing_name);
	tcase_add_test(args, test_missing_type);
	tcase_add_test(args, test_missing_count);
	tcase_add_test(args, test_bad_count);
	tcase_add_test(args, test_bad_override);
	tcase_add_test(args, test_stray_argument);
	tcase_add_test(args, test_unknown_option);
	tcase_add_test(args, test_missing_config);
	tcase_add_test(args, test_missing_status_fd);
	tcase_add_test(args, test_missing_listen_fd);
	suite_add_tcase(s, args);

	tcase_add_checked_fixture(run, setup, teardown);
	tcase_set_timeout(run, 15);
	tcase_add_test(run, test_status_records_and_max_use);
	tcase_add_test(run, test_master_closes_pipe);
	tcase_add_test(run, test_max_idle);
	suite_add_tcase(s, run);

	tcase_add_test(priv, test_drop_to_root_refused);
	tcase_add_test(priv, test_drop_unknown_user_refused);
	suite_add_tcase(s, priv);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(service_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
