/*
 * test_sock - unit tests for lib/io/sock.c: UNIX and TCP listeners, connect
 * with timeout, host:port splitting and address formatting.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sock.h"
#include "unit.h"

static char dir[64];
static char path[128];

/* setup - a private directory for socket files */
static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_sock.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sock", dir);
}

/* teardown - remove what the test left */
static void
teardown(void)
{
	unlink(path);
	rmdir(dir);
}

START_TEST(test_unix_listen_connect)
{
	struct strbuf err;
	struct stat st;
	int lfd, cfd, afd;
	char c = 0;

	strbuf_init(&err);
	lfd = unix_listen(path, 0660, 10, &err);
	ck_assert_msg(lfd >= 0, "%s", err.data);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0660);
	ck_assert(fcntl(lfd, F_GETFD) & FD_CLOEXEC);
	cfd = unix_connect(path, 2);
	ck_assert_int_ge(cfd, 0);
	/* handed back in blocking mode */
	ck_assert_int_eq(fcntl(cfd, F_GETFL) & O_NONBLOCK, 0);
	afd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(afd, 0);
	ck_assert_int_eq(write(cfd, "x", 1), 1);
	ck_assert_int_eq(read(afd, &c, 1), 1);
	ck_assert_int_eq(c, 'x');
	close(afd);
	close(cfd);
	close(lfd);
	/* a stale socket file is replaced */
	lfd = unix_listen(path, 0600, 10, &err);
	ck_assert_msg(lfd >= 0, "%s", err.data);
	close(lfd);
	strbuf_free(&err);
}
END_TEST

/*
 * The mode comes from the umask at bind time alone (unix_listen never
 * changes the node by name afterwards): exact whatever the process umask.
 */
START_TEST(test_unix_listen_mode_without_chmod)
{
	static const mode_t modes[] = {0666, 0600, 0660};
	struct strbuf err;
	struct stat st;
	mode_t	 old = umask(077);
	int	 fd;

	strbuf_init(&err);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		fd = unix_listen(path, modes[i], 5, &err);
		ck_assert_msg(fd >= 0, "%s", err.data);
		ck_assert_int_eq(lstat(path, &st), 0);
		ck_assert_int_eq(st.st_mode & 07777, modes[i]);
		ck_assert_int_eq(umask(077), 077);	/* put back as it was */
		close(fd);
	}
	umask(old);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_unix_listen_refuses_non_socket)
{
	struct strbuf err;
	int fd;

	strbuf_init(&err);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(unix_listen(path, 0600, 10, &err), -1);
	ck_assert(strstr(err.data, "not a socket") != NULL);
	/* the file is still there */
	ck_assert_int_eq(access(path, F_OK), 0);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_unix_connect_errors)
{
	char longpath[200];

	ck_assert_int_eq(unix_connect(path, 1), -1);
	ck_assert(errno == ENOENT || errno == ECONNREFUSED);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = 0;
	ck_assert_int_eq(unix_connect(longpath, 1), -1);
	ck_assert_int_eq(unix_listen(longpath, 0600, 1, NULL), -1);
}
END_TEST

START_TEST(test_inet_listen)
{
	struct strbuf err;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct sockaddr_in sin;
	char addr[64];
	int lfd, cfd, afd, port = 0, one = 0;

	strbuf_init(&err);
	lfd = inet_listen("127.0.0.1", "0", 10, &err);
	ck_assert_msg(lfd >= 0, "%s", err.data);
	ck_assert(fcntl(lfd, F_GETFD) & FD_CLOEXEC);
	len = sizeof(one);
	ck_assert_int_eq(getsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, &len), 0);
	ck_assert_int_ne(one, 0);
	len = sizeof(ss);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&ss, &len), 0);
	ck_assert_int_eq(sockaddr_format((struct sockaddr *)&ss, len, addr,
	    sizeof(addr), &port), 0);
	ck_assert_str_eq(addr, "127.0.0.1");
	ck_assert_int_gt(port, 0);
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(cfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	afd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(afd, 0);
	close(afd);
	close(cfd);
	close(lfd);
	/* bad inputs */
	ck_assert_int_eq(inet_listen("127.0.0.1", "99999", 10, &err), -1);
	ck_assert_int_eq(inet_listen("127.0.0.1", "nosuchservice", 10, &err), -1);
	ck_assert_int_eq(inet_listen("300.1.1.1x", "0", 10, &err), -1);
	ck_assert_uint_gt(err.len, 0);
	/* wildcard host */
	lfd = inet_listen("", "0", 10, &err);
	ck_assert_msg(lfd >= 0, "%s", err.data);
	close(lfd);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_inet_listen_v6)
{
	struct strbuf err;
	int lfd, on = 0;
	socklen_t len = sizeof(on);

	strbuf_init(&err);
	lfd = inet_listen("::1", "0", 10, &err);
	if (lfd < 0) {
		/* no IPv6 on this host: nothing more to test */
		strbuf_free(&err);
		return;
	}
	ck_assert_int_eq(getsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &on, &len), 0);
	ck_assert_int_ne(on, 0);
	close(lfd);
	lfd = inet_listen("[::1]", "0", 10, &err);
	ck_assert_msg(lfd >= 0, "%s", err.data);
	close(lfd);
	strbuf_free(&err);
}
END_TEST

/* split_ok - split text and compare */
static void
split_ok(const char *text, const char *host, const char *port)
{
	struct strbuf h, p;

	strbuf_init(&h);
	strbuf_init(&p);
	ck_assert_msg(inet_split_hostport(text, &h, &p) == 0, "%s", text);
	ck_assert_str_eq(h.data, host);
	ck_assert_str_eq(p.data, port);
	strbuf_free(&h);
	strbuf_free(&p);
}

/* split_bad - text must be refused */
static void
split_bad(const char *text)
{
	struct strbuf h, p;

	strbuf_init(&h);
	strbuf_init(&p);
	ck_assert_msg(inet_split_hostport(text, &h, &p) == -1, "%s", text);
	strbuf_free(&h);
	strbuf_free(&p);
}

START_TEST(test_split_hostport)
{
	split_ok("127.0.0.1:2525", "127.0.0.1", "2525");
	split_ok("[::1]:25", "::1", "25");
	split_ok("2525", "", "2525");
	split_ok("smtp", "", "smtp");
	split_ok("localhost:smtp", "localhost", "smtp");
	split_ok(":25", "", "25");
	split_bad("");
	split_bad("127.0.0.1:");
	split_bad("::1:25");
	split_bad("[::1]");
	split_bad("[::1]25");
	split_bad("[]:25");
	split_bad("[::1:25");
	split_bad("host name:25");
	split_bad("host:2 5");
	split_bad("a/b:25");
}
END_TEST

START_TEST(test_sockaddr_format)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	struct sockaddr_un sun;
	char addr[64];
	int port = -1;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(2525);
	ck_assert_int_eq(inet_pton(AF_INET6, "::ffff:192.0.2.7", &sin6.sin6_addr), 1);
	ck_assert_int_eq(sockaddr_format((struct sockaddr *)&sin6, sizeof(sin6),
	    addr, sizeof(addr), &port), 0);
	ck_assert_str_eq(addr, "192.0.2.7");
	ck_assert_int_eq(port, 2525);
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr), 1);
	ck_assert_int_eq(sockaddr_format((struct sockaddr *)&sin6, sizeof(sin6),
	    addr, sizeof(addr), NULL), 0);
	ck_assert_str_eq(addr, "2001:db8::1");
	/* too small a buffer, too short an address, unknown family */
	ck_assert_int_eq(sockaddr_format((struct sockaddr *)&sin6, sizeof(sin6),
	    addr, 4, &port), -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	ck_assert_int_eq(sockaddr_format((struct sockaddr *)&sin, 4, addr,
	    sizeof(addr), &port), -1);
	ck_assert_int_eq(sockaddr_format((struct sockaddr *)&sin, sizeof(sin),
	    addr, sizeof(addr), &port), 0);
	ck_assert_str_eq(addr, "0.0.0.0");
	sin.sin_family = AF_APPLETALK;
	ck_assert_int_eq(sockaddr_format((struct sockaddr *)&sin, sizeof(sin),
	    addr, sizeof(addr), &port), -1);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_int_eq(sockaddr_format((struct sockaddr *)&sun, sizeof(sun),
	    addr, sizeof(addr), &port), 0);
	ck_assert_str_eq(addr, "local");
}
END_TEST

START_TEST(test_flags)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(sock_set_nonblock(sv[0], true), 0);
	ck_assert(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
	ck_assert_int_eq(sock_set_nonblock(sv[0], false), 0);
	ck_assert(!(fcntl(sv[0], F_GETFL) & O_NONBLOCK));
	ck_assert_int_eq(sock_set_cloexec(sv[0], true), 0);
	ck_assert(fcntl(sv[0], F_GETFD) & FD_CLOEXEC);
	ck_assert_int_eq(sock_set_cloexec(sv[0], false), 0);
	ck_assert(!(fcntl(sv[0], F_GETFD) & FD_CLOEXEC));
	close(sv[0]);
	close(sv[1]);
	ck_assert_int_eq(sock_set_nonblock(sv[0], true), -1);
	ck_assert_int_eq(sock_set_cloexec(sv[0], true), -1);
}
END_TEST

/* sock_suite - every test above */
static Suite *
sock_suite(void)
{
	Suite *suite = suite_create("sock");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_unix_listen_connect);
	tcase_add_test(tc, test_unix_listen_mode_without_chmod);
	tcase_add_test(tc, test_unix_listen_refuses_non_socket);
	tcase_add_test(tc, test_unix_connect_errors);
	tcase_add_test(tc, test_inet_listen);
	tcase_add_test(tc, test_inet_listen_v6);
	tcase_add_test(tc, test_split_hostport);
	tcase_add_test(tc, test_sockaddr_format);
	tcase_add_test(tc, test_flags);
	suite_add_tcase(suite, tc);
	return (suite);
}

int
main(void)
{
	return (unit_run(sock_suite()));
}
