/*
 * test_anvil_client - the client side of the anvil(8) protocol, driven
 * against a fake anvil in a forked child on a UNIX socket: replies reach
 * the right one of several sessions (coroutines) waiting at once, a
 * disconnect has no reply and is not sent for a session of an earlier
 * connection, and the client fails open (with one warning, then a pause)
 * when anvil is absent, silent or gone.
 *
 * The child checks what it receives and reports through its exit code.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "anvil_client.h"
#include "attr.h"
#include "coro.h"
#include "sock.h"
#include "stream.h"
#include "strbuf.h"
#include "unit.h"

#define SESSIONS	20

static char sock_dir[64];
static char sock_path[128];

/* Child exit codes, so that a failure names its cause. */
enum {
	CHILD_OK = 0, CHILD_ACCEPT = 10, CHILD_READ, CHILD_REQUEST,
	CHILD_IDENT, CHILD_EXTRA, CHILD_ORDER,
};

/* setup - a private directory for the socket */
static void
setup(void)
{
	strcpy(sock_dir, "/tmp/test_anvil_client.XXXXXX");
	ck_assert(mkdtemp(sock_dir) != NULL);
	snprintf(sock_path, sizeof(sock_path), "%s/anvil", sock_dir);
	signal(SIGPIPE, SIG_IGN);
}

/* teardown - remove it */
static void
teardown(void)
{
	unlink(sock_path);
	rmdir(sock_dir);
}

/* now_ms - monotonic milliseconds */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* accept_stream - the next client connection of the fake anvil */
static struct stream *
accept_stream(int listen_fd)
{
	struct stream *s;
	int	 fd;

	if ((fd = accept(listen_fd, NULL, NULL)) < 0)
		return (NULL);
	s = stream_open(fd);
	stream_set_timeout(s, 10);
	return (s);
}

/* expect - read one request; 0 when it is request=what ident=ident */
static int
expect(struct stream *s, const char *what, const char *ident)
{
	struct attr_list list;
	const char *v;
	int	 rc = CHILD_OK;

	attr_list_init(&list);
	if (attr_read(s, &list, 1024) != STREAM_OK)
		rc = CHILD_READ;
	else if ((v = attr_list_get(&list, "request")) == NULL ||
	    strcmp(v, what) != 0)
		rc = CHILD_REQUEST;
	else if ((v = attr_list_get(&list, "ident")) == NULL ||
	    (ident != NULL && strcmp(v, ident) != 0))
		rc = CHILD_IDENT;
	attr_list_free(&list);
	return (rc);
}

/* answer - status=0 count=N rate=R */
static void
answer(struct stream *s, long count, long rate)
{
	struct attr_list list;

	attr_list_init(&list);
	attr_list_add_long(&list, "status", 0);
	attr_list_add_long(&list, "count", count);
	attr_list_add_long(&list, "rate", rate);
	(void)attr_write(s, &list);
	attr_list_free(&list);
}

/* listen_here - the fake anvil's socket */
static int
listen_here(void)
{
	struct strbuf err;
	int	 fd;

	strbuf_init(&err);
	fd = unix_listen(sock_path, 0600, 64, &err);
	ck_assert_msg(fd >= 0, "unix_listen: %s", err.data);
	strbuf_free(&err);
	return (fd);
}

/* server_result - the fake anvil's verdict */
static int
server_result(pid_t pid)
{
	int	 status;

	ck_assert(waitpid(pid, &status, 0) == pid);
	ck_assert(WIFEXITED(status));
	return (WEXITSTATUS(status));
}

/*
 * serve_pipelined - read every session's connect before answering any
 * (so that all of them wait at once), answer in order with count i+1,
 * then expect the disconnects without answering them
 */
static int
serve_pipelined(int listen_fd)
{
	struct stream *s;
	char	 ident[32];
	int	 rc;

	if ((s = accept_stream(listen_fd)) == NULL)
		return (CHILD_ACCEPT);
	for (int i = 0; i < SESSIONS; i++) {
		snprintf(ident, sizeof(ident), "smtp:192.0.2.%d", i);
		if ((rc = expect(s, "connect", ident)) != CHILD_OK)
			return (rc == CHILD_IDENT ? CHILD_ORDER : rc);
	}
	/* in two bursts, so that one read does not bring every reply */
	for (int i = 0; i < SESSIONS; i++) {
		answer(s, i + 1, 100 + i);
		if (i == SESSIONS / 2)
			(void)stream_flush(s);
	}
	(void)stream_flush(s);
	for (int i = 0; i < SESSIONS; i++)
		if ((rc = expect(s, "disconnect", NULL)) != CHILD_OK)
			return (rc);
	return (expect(s, "connect", "smtp:198.51.100.1") == CHILD_READ ?
	    CHILD_OK : CHILD_EXTRA);
}

struct session {
	struct anvil_client *client;
	int	 index;
	int	 status;
	long	 count, rate;
	unsigned long ticket;
};

/* session_run - one session's connect, then (later) its disconnect */
static void
session_run(void *arg)
{
	struct session *ss = arg;
	char	 ident[32];

	snprintf(ident, sizeof(ident), "smtp:192.0.2.%d", ss->index);
	ss->status = anvil_client_connect(ss->client, ident, &ss->count,
	    &ss->rate, &ss->ticket);
	anvil_client_disconnect(ss->client, ident, ss->ticket);
}

START_TEST(test_replies_reach_their_sessions)
{
	struct session ss[SESSIONS];
	struct unit_spinner sp;
	struct anvil_client *c;
	int	 lfd = listen_here();
	pid_t	 pid = fork();

	ck_assert(pid >= 0);
	if (pid == 0)
		_exit(serve_pipelined(lfd));
	close(lfd);
	c = anvil_client_create(sock_path);
	unit_spinner_open(&sp);
	unit_spinner_start(&sp);
	for (int i = 0; i < SESSIONS; i++) {
		memset(&ss[i], 0, sizeof(ss[i]));
		ss[i].client = c;
		ss[i].index = i;
		ss[i].status = 99;
		ck_assert_int_eq(coro_start(session_run, &ss[i]), 0);
	}
	/* every session waits for its reply; the process keeps running */
	while (coro_count() > 1)
		ck_assert_int_ge(coro_schedule(NULL, 0, 100), 0);
	ck_assert_uint_gt(sp.rounds, 0);
	sp.stop = true;
	unit_coro_run_all();
	unit_spinner_close(&sp);
	for (int i = 0; i < SESSIONS; i++) {
		ck_assert_int_eq(ss[i].status, ANVIL_OK);
		ck_assert_int_eq(ss[i].count, i + 1);
		ck_assert_int_eq(ss[i].rate, 100 + i);
		ck_assert_uint_ne(ss[i].ticket, 0);
	}
	anvil_client_free(c);
	ck_assert_int_eq(server_result(pid), CHILD_OK);
}
END_TEST

/*
 * serve_restart - answer one connect and hang up (anvil exited), then,
 * on a second connection, expect a connect and the disconnect of only
 * that connection's session
 */
static int
serve_restart(int listen_fd, int told)
{
	struct stream *s;
	int	 rc;

	if ((s = accept_stream(listen_fd)) == NULL)
		return (CHILD_ACCEPT);
	if ((rc = expect(s, "connect", "smtp:192.0.2.1")) != CHILD_OK)
		return (rc);
	answer(s, 1, 1);
	(void)stream_flush(s);
	stream_close(s);
	(void)write(told, "x", 1);
	if ((s = accept_stream(listen_fd)) == NULL)
		return (CHILD_ACCEPT);
	if ((rc = expect(s, "connect", "smtp:192.0.2.2")) != CHILD_OK)
		return (rc);
	answer(s, 1, 1);
	(void)stream_flush(s);
	if ((rc = expect(s, "disconnect", "smtp:192.0.2.2")) != CHILD_OK)
		return (rc == CHILD_IDENT ? CHILD_EXTRA : rc);
	return (expect(s, "connect", NULL) == CHILD_READ ? CHILD_OK : CHILD_EXTRA);
}

START_TEST(test_new_connection_after_anvil_exits)
{
	struct anvil_client *c;
	unsigned long t1, t2;
	long	 count, rate;
	int	 lfd = listen_here(), told[2];
	char	 x;
	pid_t	 pid;

	ck_assert_int_eq(pipe(told), 0);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0)
		_exit(serve_restart(lfd, told[1]));
	close(lfd);
	close(told[1]);
	c = anvil_client_create(sock_path);
	ck_assert_int_eq(anvil_client_connect(c, "smtp:192.0.2.1", &count,
	    &rate, &t1), ANVIL_OK);
	ck_assert_int_eq(read(told[0], &x, 1), 1);
	/* a disconnect that finds the connection closed drops it quietly */
	anvil_client_disconnect(c, "smtp:192.0.2.1", t1);
	/* and it is replaced at once, without a failure or a pause */
	ck_assert_int_eq(anvil_client_connect(c, "smtp:192.0.2.2", &count,
	    &rate, &t2), ANVIL_OK);
	ck_assert_uint_ne(t1, t2);
	/* the new anvil never saw the first session: not sent */
	anvil_client_disconnect(c, "smtp:192.0.2.1", t1);
	anvil_client_disconnect(c, "smtp:192.0.2.2", t2);
	anvil_client_free(c);
	close(told[0]);
	ck_assert_int_eq(server_result(pid), CHILD_OK);
}
END_TEST

START_TEST(test_no_anvil_fails_open_then_pauses)
{
	struct anvil_client *c = anvil_client_create(sock_path);
	unsigned long ticket = 7;
	long	 count = 7, rate = 7;
	int	 lfd;

	anvil_client_set_timing(c, 500, 300);
	ck_assert_int_eq(anvil_client_connect(c, "smtp:192.0.2.1", &count,
	    &rate, &ticket), ANVIL_FAIL);
	ck_assert_int_eq(count, 0);
	ck_assert_uint_eq(ticket, 0);
	anvil_client_disconnect(c, "smtp:192.0.2.1", ticket);
	/* within the pause the client does not try: no connection made */
	lfd = listen_here();
	ck_assert_int_eq(anvil_client_connect(c, "smtp:192.0.2.1", &count,
	    &rate, &ticket), ANVIL_FAIL);
	ck_assert_int_eq(poll(&(struct pollfd){ .fd = lfd, .events = POLLIN },
	    1, 0), 0);
	/* after it, it does (the request waits in the listen queue) */
	usleep(350 * 1000);
	ck_assert_int_eq(anvil_client_connect(c, "smtp:192.0.2.1", &count,
	    &rate, &ticket), ANVIL_FAIL);
	ck_assert_int_eq(poll(&(struct pollfd){ .fd = lfd, .events = POLLIN },
	    1, 0), 1);
	close(lfd);
	anvil_client_free(c);
}
END_TEST

/* serve_silent - read a request and never answer; wait for the end */
static int
serve_silent(int listen_fd)
{
	struct stream *s;
	char	 buf[256];

	if ((s = accept_stream(listen_fd)) == NULL)
		return (CHILD_ACCEPT);
	if (expect(s, "connect", NULL) != CHILD_OK)
		return (CHILD_REQUEST);
	(void)sock_set_nonblock(stream_fd(s), false);
	while (read(stream_fd(s), buf, sizeof(buf)) > 0)
		continue;
	return (CHILD_OK);
}

/* timed_connect - a session that records how long its connect took */
struct timed {
	struct anvil_client *client;
	int	 status;
	long long took_ms;
};

static void
timed_run(void *arg)
{
	struct timed *t = arg;
	unsigned long ticket;
	long	 count, rate;
	long long t0 = now_ms();

	t->status = anvil_client_connect(t->client, "smtp:192.0.2.1", &count,
	    &rate, &ticket);
	t->took_ms = now_ms() - t0;
}

START_TEST(test_silent_anvil_times_out)
{
	struct unit_spinner sp;
	struct timed t = { 0 };
	int	 lfd = listen_here();
	pid_t	 pid = fork();
	long long t0;

	ck_assert(pid >= 0);
	if (pid == 0)
		_exit(serve_silent(lfd));
	close(lfd);
	t.client = anvil_client_create(sock_path);
	anvil_client_set_timing(t.client, 300, 5000);
	unit_spinner_open(&sp);
	unit_spinner_start(&sp);
	ck_assert_int_eq(coro_start(timed_run, &t), 0);
	while (coro_count() > 1)
		ck_assert_int_ge(coro_schedule(NULL, 0, 100), 0);
	sp.stop = true;
	unit_coro_run_all();
	unit_spinner_close(&sp);
	ck_assert_int_eq(t.status, ANVIL_FAIL);
	ck_assert_int_ge(t.took_ms, 290);
	ck_assert_int_lt(t.took_ms, 2000);
	/* the other sessions ran meanwhile */
	ck_assert_uint_gt(sp.rounds, 10);
	/* in the pause that follows, failing costs no wait */
	t0 = now_ms();
	timed_run(&t);
	ck_assert_int_eq(t.status, ANVIL_FAIL);
	ck_assert_int_lt(now_ms() - t0, 100);
	anvil_client_free(t.client);
	ck_assert_int_eq(server_result(pid), CHILD_OK);
}
END_TEST

START_TEST(test_range)
{
	static const struct {
		const char *addr;
		int	 v4, v6;
		const char *want;
	} cases[] = {
		{ "192.0.2.77", 32, 84, "192.0.2.77" },
		{ "192.0.2.77", 24, 84, "192.0.2.0/24" },
		{ "192.0.2.77", 20, 84, "192.0.0.0/20" },
		{ "192.0.2.77", 0, 84, "0.0.0.0/0" },
		{ "2001:db8:1:2:3456:789a:bcde:f012", 32, 84,
		    "2001:db8:1:2:3456:7000::/84" },
		{ "2001:db8:1:2:3456:789a:bcde:f012", 32, 64, "2001:db8:1:2::/64" },
		{ "2001:db8::1", 32, 128, "2001:db8::1" },
		{ "::1", 32, 84, "::/84" },
		{ "unknown", 32, 84, "unknown" },
		{ "192.0.2.1x", 24, 84, "192.0.2.1x" },
	};
	struct strbuf out;

	strbuf_init(&out);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strbuf_puts(&out, "stale");
		anvil_client_range(cases[i].addr, cases[i].v4, cases[i].v6, &out);
		ck_assert_str_eq(out.data, cases[i].want);
	}
	strbuf_free(&out);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("anvil_client");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_replies_reach_their_sessions);
	tcase_add_test(tc, test_new_connection_after_anvil_exits);
	tcase_add_test(tc, test_no_anvil_fails_open_then_pauses);
	tcase_add_test(tc, test_silent_anvil_times_out);
	tcase_add_test(tc, test_range);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
