/*
 * test_policy_client - the policy server client (lib/service/
 * policy_client.c) against a fake server in a forked child, on a UNIX
 * socket and on TCP: the request arrives whole, a connection is kept and
 * reused (and not past request_limit or max_idle), a kept connection the
 * server closed costs no try, and a server that hangs, refuses, answers
 * garbage or a megabyte makes the query fail in bounded time, with a
 * hang holding only the coroutine that waits.
 *
 * The child reports what it saw through its exit code: the number of
 * connections it accepted, or a CHILD_* failure.
 */
#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "coro.h"
#include "policy_client.h"
#include "policy_proto.h"
#include "sock.h"
#include "stream.h"
#include "strbuf.h"
#include "unit.h"

#define CHILD_BAD_REQUEST	100
#define CHILD_ACCEPT		101

static char sock_dir[64];
static char sock_path[128];
static char endpoint[160];

/* what the fake server does with each request */
enum mode {
	ANSWER,		/* action=OK, keep the connection */
	ANSWER_CLOSE,	/* action=OK, then close */
	HANG,		/* read the request, say nothing */
	GARBAGE,	/* a line that is no attribute */
	HUGE,		/* a megabyte of attributes */
	EXTRA,		/* the reply and a second one nobody asked for */
	TRICKLE,	/* a valid reply, one byte every 50 ms */
};

static void
setup(void)
{
	strcpy(sock_dir, "/tmp/test_policy_client.XXXXXX");
	ck_assert(mkdtemp(sock_dir) != NULL);
	snprintf(sock_path, sizeof(sock_path), "%s/policy", sock_dir);
	snprintf(endpoint, sizeof(endpoint), "unix:%s", sock_path);
	signal(SIGPIPE, SIG_IGN);
}

static void
teardown(void)
{
	unlink(sock_path);
	rmdir(sock_dir);
}

/* settings - short timeouts, one try */
static struct policy_client_settings
settings(void)
{
	struct policy_client_settings set = {
		.timeout_ms = 2000, .max_idle_ms = 60000,
		.max_ttl_ms = 60000, .request_limit = 0,
		.try_limit = 1, .retry_delay_ms = 0,
	};

	return (set);
}

/* now_ms - monotonic milliseconds */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* read_request - through the empty line; 0, or -1 (EOF, or not ours) */
static int
read_request(struct stream *s)
{
	struct strbuf line;
	int	 rc = -1, lines = 0;

	strbuf_init(&line);
	while (stream_getline(s, &line, 4096) == STREAM_OK && line.len > 0) {
		if (strcmp(line.data, "\n") == 0) {
			rc = lines == 2 ? 0 : CHILD_BAD_REQUEST;
			break;
		}
		if (lines == 0 && strcmp(line.data,
		    "request=smtpd_access_policy\n") != 0)
			lines = 100;
		if (lines == 1 && strcmp(line.data, "sender=a@example.org\n") != 0)
			lines = 100;
		lines++;
	}
	strbuf_free(&line);
	return (rc);
}

/*
 * serve - accept conns connections, one after the other, and treat every
 * request on each as mode says; exits with the number accepted
 */
static void
serve(int listen_fd, int conns, enum mode mode)
{
	struct stream *s;
	int	 fd, accepted = 0, rc;

	alarm(20);
	for (int i = 0; i < conns; i++) {
		if ((fd = accept(listen_fd, NULL, NULL)) < 0)
			_exit(CHILD_ACCEPT);
		accepted++;
		s = stream_open(fd);
		stream_set_timeout(s, 10);
		while ((rc = read_request(s)) == 0) {
			switch (mode) {
			case ANSWER:
			case ANSWER_CLOSE:
				stream_puts(s, "action=OK\n\n");
				break;
			case HANG:	/* until the client gives up */
				break;
			case GARBAGE:
				stream_puts(s, "550 go away\n\n");
				break;
			case HUGE:
				for (int k = 0; k < 1024 * 64; k++)
					stream_puts(s, "name=0123456789\n");
				break;
			case EXTRA:
				stream_puts(s, "action=OK\n\naction=REJECT\n\n");
				break;
			case TRICKLE:
				for (const char *p = "x=" "0123456789012345"
				    "67890123456789\naction=OK\n\n"; *p; p++) {
					stream_write(s, p, 1);
					if (stream_flush(s) != STREAM_OK)
						break;
					usleep(50 * 1000);
				}
				break;
			}
			(void)stream_flush(s);
			if (mode == ANSWER_CLOSE)
				break;
		}
		if (rc == CHILD_BAD_REQUEST)
			_exit(CHILD_BAD_REQUEST);
		stream_close(s);
	}
	_exit(accepted);
}

/* start_server - the fake server in a child; listen_fd < 0: UNIX */
static pid_t
start_server(int listen_fd, int conns, enum mode mode)
{
	struct strbuf err;
	pid_t	 pid;
	int	 fd = listen_fd;

	if (fd < 0) {
		strbuf_init(&err);
		fd = unix_listen(sock_path, 0600, 16, &err);
		ck_assert_msg(fd >= 0, "unix_listen: %s", err.data);
		strbuf_free(&err);
	}
	if ((pid = fork()) == 0)
		serve(fd, conns, mode);
	ck_assert(pid > 0);
	close(fd);
	return (pid);
}

/* server_result - the child's exit code, once it has seen every EOF */
static int
server_result(pid_t pid)
{
	int	 status;

	for (int i = 0; i < 500 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(10 * 1000);
	if (kill(pid, SIGKILL) == 0)
		ck_assert(waitpid(pid, &status, 0) == pid);
	return (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* request - the two lines the fake server checks */
static void
request(struct strbuf *req)
{
	strbuf_init(req);
	policy_request_attr(req, "request", "smtpd_access_policy");
	policy_request_attr(req, "sender", "a@example.org");
	policy_request_end(req);
}

START_TEST(test_endpoint_check)
{
	static const char *const bad[] = {
		"127.0.0.1:9", "inet:", "inet:127.0.0.1", "inet::9", "unix:",
		"tcp:127.0.0.1:9", "private/policy",
	};
	struct strbuf err;

	strbuf_init(&err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strbuf_reset(&err);
		ck_assert_msg(policy_endpoint_check(bad[i], &err) < 0,
		    "accepted %s", bad[i]);
		ck_assert(strstr(err.data, bad[i]) != NULL);
	}
	ck_assert_int_eq(policy_endpoint_check("inet:127.0.0.1:10023", &err), 0);
	ck_assert_int_eq(policy_endpoint_check("inet:[::1]:10023", &err), 0);
	ck_assert_int_eq(policy_endpoint_check("unix:private/policy", &err), 0);
	strbuf_free(&err);
}
END_TEST

/* one connection carries both queries; idle afterwards */
START_TEST(test_connection_reused)
{
	struct policy_client_settings set = settings();
	struct policy_client *c;
	struct strbuf req, action, why;
	pid_t	 pid = start_server(-1, 1, ANSWER);

	request(&req);
	strbuf_init(&action);
	strbuf_init(&why);
	ck_assert((c = policy_client_create(endpoint, &set, &why)) != NULL);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(policy_client_query(c, &req, &action, &why), 0);
		ck_assert_str_eq(action.data, "OK");
		ck_assert_int_eq(policy_client_idle_count(c), 1);
	}
	policy_client_free(c);
	ck_assert_int_eq(server_result(pid), 1);
	strbuf_free(&req);
	strbuf_free(&action);
	strbuf_free(&why);
}
END_TEST

/* request_limit 1: a connection per query; max_idle: dropped when idle */
START_TEST(test_request_limit_and_idle)
{
	struct policy_client_settings set = settings();
	struct policy_client *c;
	struct strbuf req, action, why;
	pid_t	 pid = start_server(-1, 3, ANSWER);

	request(&req);
	strbuf_init(&action);
	strbuf_init(&why);
	set.request_limit = 1;
	ck_assert((c = policy_client_create(endpoint, &set, &why)) != NULL);
	ck_assert_int_eq(policy_client_query(c, &req, &action, &why), 0);
	ck_assert_int_eq(policy_client_idle_count(c), 0);
	ck_assert_int_eq(policy_client_query(c, &req, &action, &why), 0);
	policy_client_free(c);
	set.request_limit = 0;
	set.max_idle_ms = 100;
	ck_assert((c = policy_client_create(endpoint, &set, &why)) != NULL);
	ck_assert_int_eq(policy_client_query(c, &req, &action, &why), 0);
	ck_assert_int_eq(policy_client_idle_count(c), 1);
	usleep(150 * 1000);
	policy_client_expire(c);
	ck_assert_int_eq(policy_client_idle_count(c), 0);
	policy_client_free(c);
	ck_assert_int_eq(server_result(pid), 3);
	strbuf_free(&req);
	strbuf_free(&action);
	strbuf_free(&why);
}
END_TEST

/* the server closes after each answer: the next query reconnects in its one try */
START_TEST(test_closed_connection_costs_no_try)
{
	struct policy_client_settings set = settings();
	struct policy_client *c;
	struct strbuf req, action, why;
	pid_t	 pid = start_server(-1, 2, ANSWER_CLOSE);

	request(&req);
	strbuf_init(&action);
	strbuf_init(&why);
	ck_assert((c = policy_client_create(endpoint, &set, &why)) != NULL);
	ck_assert_int_eq(policy_client_query(c, &req, &action, &why), 0);
	usleep(100 * 1000);	/* the close arrives */
	ck_assert_int_eq(policy_client_query(c, &req, &action, &why), 0);
	ck_assert_str_eq(action.data, "OK");
	policy_client_free(c);
	ck_assert_int_eq(server_result(pid), 2);
	strbuf_free(&req);
	strbuf_free(&action);
	strbuf_free(&why);
}
END_TEST

/* garbage, a megabyte, a hang: each fails; a refused reply is not tried again */
START_TEST(test_hostile_servers)
{
	static const struct {
		enum mode mode;
		const char *why;
	} cases[] = {
		{ GARBAGE, "no name=value" },
		{ HUGE, "longer than 4096" },
		{ HANG, "read: timeout" },
		/* each byte is in time, the whole reply is not */
		{ TRICKLE, "read: timeout" },
	};
	struct policy_client_settings set = settings();
	struct policy_client *c;
	struct strbuf req, action, why;
	long long start;
	pid_t	 pid;

	request(&req);
	strbuf_init(&action);
	strbuf_init(&why);
	set.try_limit = 2;
	set.timeout_ms = 400;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pid = start_server(-1, cases[i].mode == HANG ||
		    cases[i].mode == TRICKLE ? 2 : 1, cases[i].mode);
		ck_assert((c = policy_client_create(endpoint, &set, &why)) != NULL);
		start = now_ms();
		ck_assert_int_eq(policy_client_query(c, &req, &action, &why), -1);
		ck_assert_msg(strstr(why.data, cases[i].why) != NULL, "%s", why.data);
		ck_assert_uint_eq(action.len, 0);
		ck_assert_int_eq(policy_client_idle_count(c), 0);
		ck_assert(now_ms() - start < 2000);
		policy_client_free(c);
		/* a server that answered is not asked twice; a hang is */
		ck_assert_int_eq(server_result(pid), cases[i].mode == HANG ||
		    cases[i].mode == TRICKLE ? 2 : 1);
		unlink(sock_path);
	}
	strbuf_free(&req);
	strbuf_free(&action);
	strbuf_free(&why);
}
END_TEST

/* a second reply nobody asked for: this answer stands, the connection goes */
START_TEST(test_out_of_step_connection_dropped)
{
	struct policy_client_settings set = settings();
	struct policy_client *c;
	struct strbuf req, action, why;
	pid_t	 pid = start_server(-1, 1, EXTRA);

	request(&req);
	strbuf_init(&action);
	strbuf_init(&why);
	ck_assert((c = policy_client_create(endpoint, &set, &why)) != NULL);
	ck_assert_int_eq(policy_client_query(c, &req, &action, &why), 0);
	ck_assert_str_eq(action.data, "OK");
	ck_assert_int_eq(policy_client_idle_count(c), 0);
	policy_client_free(c);
	ck_assert_int_eq(server_result(pid), 1);
	strbuf_free(&req);
	strbuf_free(&action);
	strbuf_free(&why);
}
END_TEST

/* nobody listens: try_limit tries, retry_delay apart */
START_TEST(test_refused_tries_and_delay)
{
	struct policy_client_settings set = settings();
	struct policy_client *c;
	struct strbuf req, action, why;
	long long start;

	request(&req);
	strbuf_init(&action);
	strbuf_init(&why);
	set.try_limit = 3;
	set.retry_delay_ms = 100;
	ck_assert((c = policy_client_create(endpoint, &set, &why)) != NULL);
	start = now_ms();
	ck_assert_int_eq(policy_client_query(c, &req, &action, &why), -1);
	ck_assert(now_ms() - start >= 200);
	ck_assert_msg(strstr(why.data, "connect:") != NULL, "%s", why.data);
	policy_client_free(c);
	strbuf_free(&req);
	strbuf_free(&action);
	strbuf_free(&why);
}
END_TEST

/* inet: a TCP server on loopback */
START_TEST(test_inet_endpoint)
{
	struct policy_client_settings set = settings();
	struct policy_client *c;
	struct strbuf req, action, why;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int	 fd;
	pid_t	 pid;

	ck_assert((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(endpoint, sizeof(endpoint), "inet:127.0.0.1:%d",
	    ntohs(sin.sin_port));
	pid = start_server(fd, 2, ANSWER);
	request(&req);
	strbuf_init(&action);
	strbuf_init(&why);
	ck_assert((c = policy_client_create(endpoint, &set, &why)) != NULL);
	ck_assert_int_eq(policy_client_query(c, &req, &action, &why), 0);
	ck_assert_str_eq(action.data, "OK");
	policy_client_free(c);
	/* a name: resolved when the client is made, every address tried */
	snprintf(endpoint, sizeof(endpoint), "inet:localhost:%d",
	    ntohs(sin.sin_port));
	ck_assert((c = policy_client_create(endpoint, &set, &why)) != NULL);
	ck_assert_int_eq(policy_client_query(c, &req, &action, &why), 0);
	ck_assert_str_eq(action.data, "OK");
	policy_client_free(c);
	ck_assert_int_eq(server_result(pid), 2);
	strbuf_free(&req);
	strbuf_free(&action);
	strbuf_free(&why);
}
END_TEST

struct hung_query {
	struct policy_client *client;
	struct strbuf *req;
	int	 rc;
	struct unit_spinner *sp;
};

/* hung_query_run - one query, in a coroutine */
static void
hung_query_run(void *arg)
{
	struct hung_query *q = arg;
	struct strbuf action, why;

	strbuf_init(&action);
	strbuf_init(&why);
	q->rc = policy_client_query(q->client, q->req, &action, &why);
	q->sp->stop = true;
	strbuf_free(&action);
	strbuf_free(&why);
}

/* a hanging server holds only the coroutine that asked it */
START_TEST(test_hang_parks_only_its_session)
{
	struct policy_client_settings set = settings();
	struct unit_spinner sp;
	struct hung_query q;
	struct strbuf req, why;
	pid_t	 pid = start_server(-1, 1, HANG);

	request(&req);
	strbuf_init(&why);
	set.timeout_ms = 300;
	q.client = policy_client_create(endpoint, &set, &why);
	q.req = &req;
	q.rc = 99;
	q.sp = &sp;
	unit_spinner_open(&sp);
	unit_spinner_start(&sp);
	ck_assert_int_eq(coro_start(hung_query_run, &q), 0);
	unit_coro_run_all();
	unit_spinner_close(&sp);
	ck_assert_int_eq(q.rc, -1);
	ck_assert_msg(sp.rounds > 10, "rounds %lu", sp.rounds);
	policy_client_free(q.client);
	(void)server_result(pid);
	strbuf_free(&req);
	strbuf_free(&why);
}
END_TEST

#define ECHO_SESSIONS	8

/* echo_serve - per connection (forked): "action=OK <sender>" after a nap */
static void
echo_serve(int listen_fd)
{
	struct strbuf line, sender;
	struct stream *s;
	int	 fd;

	alarm(20);
	signal(SIGCHLD, SIG_IGN);
	while ((fd = accept(listen_fd, NULL, NULL)) >= 0) {
		if (fork() != 0) {
			close(fd);
			continue;
		}
		s = stream_open(fd);
		stream_set_timeout(s, 10);
		strbuf_init(&line);
		strbuf_init(&sender);
		while (stream_getline(s, &line, 4096) == STREAM_OK) {
			if (strncmp(line.data, "sender=", 7) == 0) {
				strbuf_set(&sender, line.data + 7);
				strbuf_truncate(&sender, sender.len - 1);
			} else if (strcmp(line.data, "\n") == 0) {
				usleep(50 * 1000);
				stream_printf(s, "action=OK %s\n\n", sender.data);
				(void)stream_flush(s);
			}
		}
		_exit(0);
	}
	_exit(0);
}

struct echo_query {
	struct policy_client *client;
	int	 index;
	int	 ok;
};

/* echo_query_run - two queries of one session, in a coroutine */
static void
echo_query_run(void *arg)
{
	struct echo_query *q = arg;
	struct strbuf req, action, why, want;

	strbuf_init(&req);
	strbuf_init(&action);
	strbuf_init(&why);
	strbuf_init(&want);
	for (int round = 0; round < 2; round++) {
		strbuf_reset(&req);
		strbuf_reset(&want);
		strbuf_printf(&want, "s%d.%d@example.org", q->index, round);
		policy_request_attr(&req, "request", "smtpd_access_policy");
		policy_request_attr(&req, "sender", want.data);
		policy_request_end(&req);
		if (policy_client_query(q->client, &req, &action, &why) == 0 &&
		    strncmp(action.data, "OK ", 3) == 0 &&
		    strcmp(action.data + 3, want.data) == 0)
			q->ok++;
	}
	strbuf_free(&req);
	strbuf_free(&action);
	strbuf_free(&why);
	strbuf_free(&want);
}

/* sessions waiting at once each get their own answer, never another's */
START_TEST(test_concurrent_sessions_get_their_own_answers)
{
	struct policy_client_settings set = settings();
	struct echo_query q[ECHO_SESSIONS];
	struct strbuf err;
	pid_t	 pid;
	int	 fd;

	strbuf_init(&err);
	fd = unix_listen(sock_path, 0600, 16, &err);
	ck_assert_msg(fd >= 0, "unix_listen: %s", err.data);
	if ((pid = fork()) == 0)
		echo_serve(fd);
	close(fd);
	for (int i = 0; i < ECHO_SESSIONS; i++) {
		q[i].client = i == 0 ?
		    policy_client_create(endpoint, &set, &err) : q[0].client;
		q[i].index = i;
		q[i].ok = 0;
		ck_assert_int_eq(coro_start(echo_query_run, &q[i]), 0);
	}
	unit_coro_run_all();
	for (int i = 0; i < ECHO_SESSIONS; i++)
		ck_assert_msg(q[i].ok == 2, "session %d: %d answers", i, q[i].ok);
	/* they waited at once, so each had a connection of its own */
	ck_assert_int_eq(policy_client_idle_count(q[0].client), ECHO_SESSIONS);
	policy_client_free(q[0].client);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	strbuf_free(&err);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("policy_client");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_endpoint_check);
	tcase_add_test(tc, test_connection_reused);
	tcase_add_test(tc, test_request_limit_and_idle);
	tcase_add_test(tc, test_closed_connection_costs_no_try);
	tcase_add_test(tc, test_hostile_servers);
	tcase_add_test(tc, test_out_of_step_connection_dropped);
	tcase_add_test(tc, test_refused_tries_and_delay);
	tcase_add_test(tc, test_inet_endpoint);
	tcase_add_test(tc, test_hang_parks_only_its_session);
	tcase_add_test(tc, test_concurrent_sessions_get_their_own_answers);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
