/*
 * test_cleanup_client - the client side of the cleanup protocol, driven
 * against a fake cleanup server in a forked child on a UNIX socket.
 *
 * The child plays one scripted conversation, checks what it received (the
 * envelope, the chunking and the exact content) and reports through its
 * exit code; the parent checks what the client made of the replies.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attr.h"
#include "cleanup_client.h"
#include "sock.h"
#include "stream.h"
#include "strbuf.h"

#define TEST_QUEUE_ID	"0123456789ABCDEF0"

/* What the fake server does and expects. */
struct script {
	int		 env_status;	/* reply to the envelope */
	const char	*env_reason;
	const char	*env_queue_id;	/* NULL: TEST_QUEUE_ID */
	bool		 close_before_env_reply;
	bool		 close_after_env;	/* hang up right after status=0 */
	bool		 expect_eof;	/* client aborts: EOF instead of end=1 */
	int		 final_status;
	const char	*final_reason;
	const char	*final_raw_status;	/* send this text as status */
	const char	*expect;	/* content the client must send */
	size_t		 expect_len;
	int		 messages;	/* on one connection; 0 = 1 */
	bool		 drop_next_envelope; /* then a new connection */
	/* side-effect lists, "name=value[,reason=why];" each; NULL: none */
	const char	*expect_effects;
};

static char sock_dir[64];
static char sock_path[128];

/* Child exit codes, so that a failure names its cause. */
enum {
	CHILD_OK = 0, CHILD_ACCEPT = 10, CHILD_ENVELOPE, CHILD_NO_REQUEST,
	CHILD_SENDER, CHILD_RCPT, CHILD_DATA_READ, CHILD_CHUNK_SIZE,
	CHILD_CONTENT, CHILD_NOT_EOF, CHILD_BAD_LIST, CHILD_SHORT_CHUNK,
	CHILD_EFFECTS,
};

/* reply - one status list from the fake server */
static void
reply(struct stream *s, const char *status, const char *key, const char *val)
{
	struct attr_list list;

	attr_list_init(&list);
	attr_list_add_str(&list, "status", status);
	if (key != NULL)
		attr_list_add_str(&list, key, val);
	attr_write(s, &list);
	stream_flush(s);
	attr_list_free(&list);
}

/* serve_one - one message on s; the child's exit code, s closed unless kept */
static int
serve_one(struct stream *s, const struct script *sc, bool keep)
{
	struct attr_list list;
	struct strbuf got, effects;
	char	num[16];
	size_t	last_len = CLEANUP_CHUNK_MAX;
	int	rc;

	attr_list_init(&list);
	strbuf_init(&got);
	strbuf_init(&effects);
	if (attr_read(s, &list, ATTR_TOTAL_DEFAULT) != STREAM_OK)
		return (CHILD_ENVELOPE);
	if (list.count == 0 || strcmp(list.items[0].name, "request") != 0
	    || strcmp(list.items[0].value, "message") != 0)
		return (CHILD_NO_REQUEST);
	if (attr_list_get(&list, "sender") == NULL
	    || strcmp(attr_list_get(&list, "sender"), "s@example.org") != 0)
		return (CHILD_SENDER);
	if (attr_list_get(&list, "rcpt") == NULL)
		return (CHILD_RCPT);
	if (sc->close_before_env_reply) {
		stream_close(s);
		return (CHILD_OK);
	}
	snprintf(num, sizeof(num), "%d", sc->env_status);
	if (sc->env_status != 0) {
		reply(s, num, "reason", sc->env_reason);
		stream_close(s);
		return (CHILD_OK);
	}
	reply(s, "0", "queue_id", sc->env_queue_id ? sc->env_queue_id : TEST_QUEUE_ID);
	if (sc->close_after_env) {
		stream_close(s);
		return (CHILD_OK);
	}
	for (;;) {
		rc = attr_read(s, &list, CLEANUP_CHUNK_MAX + 256);
		if (rc == STREAM_EOF) {
			stream_close(s);
			return (sc->expect_eof ? CHILD_OK : CHILD_DATA_READ);
		}
		if (rc != STREAM_OK)
			return (CHILD_DATA_READ);
		if (list.count == 0)
			return (CHILD_BAD_LIST);
		if (strcmp(list.items[0].name, "data") != 0 &&
		    strcmp(list.items[0].name, "end") != 0) {
			/* a side effect: name=value and maybe reason=why */
			strbuf_printf(&effects, "%s=%s", list.items[0].name,
			    list.items[0].value);
			if (list.count == 2)
				strbuf_printf(&effects, ",%s=%s",
				    list.items[1].name, list.items[1].value);
			strbuf_puts(&effects, ";");
			if (list.count > 2)
				return (CHILD_BAD_LIST);
			continue;
		}
		if (list.count != 1)
			return (CHILD_BAD_LIST);
		if (strcmp(list.items[0].name, "end") == 0)
			break;
		if (strcmp(list.items[0].name, "data") != 0)
			return (CHILD_BAD_LIST);
		if (list.items[0].value_len > CLEANUP_CHUNK_MAX
		    || list.items[0].value_len == 0)
			return (CHILD_CHUNK_SIZE);
		/* Only the last chunk may be short: the client must coalesce. */
		if (last_len != CLEANUP_CHUNK_MAX)
			return (CHILD_SHORT_CHUNK);
		last_len = list.items[0].value_len;
		strbuf_append(&got, list.items[0].value, list.items[0].value_len);
	}
	if (sc->expect_eof)
		return (CHILD_NOT_EOF);
	if (got.len != sc->expect_len || memcmp(got.data, sc->expect, got.len) != 0)
		return (CHILD_CONTENT);
	if (strcmp(effects.data, sc->expect_effects ? sc->expect_effects : "")
	    != 0) {
		fprintf(stderr, "effects: got \"%s\"\n", effects.data);
		return (CHILD_EFFECTS);
	}
	if (sc->final_raw_status != NULL)
		reply(s, sc->final_raw_status, "reason", sc->final_reason);
	else if (sc->final_status != 0) {
		snprintf(num, sizeof(num), "%d", sc->final_status);
		reply(s, num, "reason", sc->final_reason);
	} else
		reply(s, "0", NULL, NULL);
	if (!keep)
		stream_close(s);
	attr_list_free(&list);
	strbuf_free(&got);
	strbuf_free(&effects);
	return (CHILD_OK);
}

/* accept_stream - the next client connection */
static struct stream *
accept_stream(int listen_fd)
{
	struct stream *s;
	int	fd;

	if ((fd = accept(listen_fd, NULL, NULL)) < 0)
		return (NULL);
	s = stream_open(fd);
	stream_set_timeout(s, 10);
	return (s);
}

/*
 * serve - the fake cleanup: returns the child's exit code.  Several
 * messages on one connection when the script says so; with
 * drop_next_envelope, the envelope after the first message is read and
 * the connection dropped, and the message must come again on a new one.
 */
static int
serve(int listen_fd, const struct script *sc)
{
	struct attr_list list;
	struct stream *s;
	int	n = sc->messages > 0 ? sc->messages : 1, rc = CHILD_OK;

	if ((s = accept_stream(listen_fd)) == NULL)
		return (CHILD_ACCEPT);
	for (int i = 0; i < n && rc == CHILD_OK; i++)
		rc = serve_one(s, sc, i + 1 < n || sc->drop_next_envelope);
	if (rc != CHILD_OK || !sc->drop_next_envelope)
		return (rc);
	attr_list_init(&list);
	if (attr_read(s, &list, ATTR_TOTAL_DEFAULT) != STREAM_OK)
		return (CHILD_ENVELOPE);
	attr_list_free(&list);
	stream_close(s);
	if ((s = accept_stream(listen_fd)) == NULL)
		return (CHILD_ACCEPT);
	return (serve_one(s, sc, false));
}

/* start_server - fork the fake cleanup for one conversation */
static pid_t
start_server(const struct script *sc)
{
	struct strbuf err;
	pid_t	pid;
	int	fd;

	strbuf_init(&err);
	fd = unix_listen(sock_path, 0600, 5, &err);
	ck_assert_msg(fd >= 0, "unix_listen: %s", err.data);
	strbuf_free(&err);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0)
		_exit(serve(fd, sc));
	close(fd);
	return (pid);
}

/* server_result - the fake server's verdict */
static int
server_result(pid_t pid)
{
	int	status;

	ck_assert(waitpid(pid, &status, 0) == pid);
	ck_assert(WIFEXITED(status));
	return (WEXITSTATUS(status));
}

/* envelope - a typical envelope from smtpd (request= left to the client) */
static void
envelope(struct attr_list *env)
{
	attr_list_init(env);
	attr_list_add_str(env, "sender", "s@example.org");
	attr_list_add_long(env, "flags", 0);
	attr_list_add_str(env, "protocol", "ESMTP");
	attr_list_add_str(env, "rcpt", "r@example.com");
	attr_list_add_str(env, "rcpt_orcpt", "rfc822;r@example.com");
	attr_list_add_long(env, "rcpt_notify", 0);
}

/* open_client - cleanup_open against the running fake server */
static struct cleanup_client *
open_client(char *id, int *status, struct strbuf *reason)
{
	struct attr_list env;
	struct cleanup_client *c;

	envelope(&env);
	c = cleanup_open(sock_path, 10, &env, id, status, reason);
	attr_list_free(&env);
	return (c);
}

/* pattern - deterministic content of len bytes with LF line ends */
static char *
pattern(size_t len)
{
	char   *p = malloc(len);
	size_t	i;

	for (i = 0; i < len; i++)
		p[i] = (i % 77 == 76) ? '\n' : (char)('a' + (i * 7) % 26);
	return (p);
}

/* setup - a private directory for the socket */
static void
setup(void)
{
	strcpy(sock_dir, "/tmp/test_cleanup_client.XXXXXX");
	ck_assert(mkdtemp(sock_dir) != NULL);
	snprintf(sock_path, sizeof(sock_path), "%s/cleanup", sock_dir);
	signal(SIGPIPE, SIG_IGN);
}

/* teardown - remove it */
static void
teardown(void)
{
	unlink(sock_path);
	rmdir(sock_dir);
}

/* send_message - open, write msg, finish; the verdict's status */
static int
send_message(const char *msg)
{
	char	id[QUEUE_ID_SIZE] = "";
	struct cleanup_client *c;
	struct strbuf reason;
	int	status = -1;

	strbuf_init(&reason);
	c = open_client(id, &status, &reason);
	ck_assert_msg(c != NULL, "%s", reason.data);
	ck_assert_str_eq(id, TEST_QUEUE_ID);
	ck_assert_int_eq(cleanup_write(c, msg, strlen(msg)), 0);
	ck_assert_int_eq(cleanup_finish(c, &status, &reason), 0);
	strbuf_free(&reason);
	return (status);
}

/* The next message goes over the connection the last one ended on. */
START_TEST(test_connection_kept)
{
	static const char msg[] = "Subject: hi\n\nbody\n";
	struct script sc = { .expect = msg, .expect_len = sizeof(msg) - 1,
	    .messages = 3 };
	pid_t	pid = start_server(&sc);

	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(send_message(msg), 0);
	/* the fake accepts once: a fourth connection would never be served */
	ck_assert_int_eq(server_result(pid), CHILD_OK);
}
END_TEST

/* A kept connection that fails before its envelope is answered is
 * replaced by a new one, with no error for the caller. */
START_TEST(test_kept_connection_dropped)
{
	static const char msg[] = "Subject: hi\n\nbody\n";
	struct script sc = { .expect = msg, .expect_len = sizeof(msg) - 1,
	    .drop_next_envelope = true };
	pid_t	pid = start_server(&sc);

	ck_assert_int_eq(send_message(msg), 0);
	ck_assert_int_eq(send_message(msg), 0);
	ck_assert_int_eq(server_result(pid), CHILD_OK);
}
END_TEST

START_TEST(test_normal_flow)
{
	static const char msg[] = "Subject: hi\n\nline one\nline two\n";
	struct script sc = { .expect = msg, .expect_len = sizeof(msg) - 1 };
	char	id[QUEUE_ID_SIZE] = "";
	struct cleanup_client *c;
	struct strbuf reason;
	int	status = -1;
	pid_t	pid = start_server(&sc);

	strbuf_init(&reason);
	c = open_client(id, &status, &reason);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(id, TEST_QUEUE_ID);
	/* Line by line, as smtpd writes it. */
	ck_assert_int_eq(cleanup_write(c, msg, 12), 0);
	ck_assert_int_eq(cleanup_write(c, msg + 12, 1), 0);
	ck_assert_int_eq(cleanup_write(c, msg + 13, sizeof(msg) - 1 - 13), 0);
	ck_assert_int_eq(cleanup_finish(c, &status, &reason), 0);
	ck_assert_int_eq(status, 0);
	ck_assert_int_eq(server_result(pid), CHILD_OK);
	strbuf_free(&reason);
}
END_TEST

/*
 * Side effects go as their own lists, in order, around the content;
 * prepend only before it; a bad value is refused without being sent.
 */
START_TEST(test_side_effects)
{
	static const char msg[] = "Subject: hi\n\nbody\n";
	struct script sc = { .expect = msg, .expect_len = sizeof(msg) - 1,
	    .expect_effects = "prepend=X-Tag: one;hold=1,reason=RCPT from x;"
	    "bcc=b@example.org;filter=smtp:[127.0.0.1]:10025;"
	    "redirect=r@example.org,reason=;discard=1;" };
	char	id[QUEUE_ID_SIZE] = "", big[CLEANUP_EFFECT_MAX + 2];
	struct cleanup_client *c;
	struct strbuf reason;
	int	status = -1;
	pid_t	pid = start_server(&sc);

	strbuf_init(&reason);
	c = open_client(id, &status, &reason);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(cleanup_client_prepend(c, "X-Tag: one"), 0);
	ck_assert_int_eq(cleanup_client_prepend(c, "X-Tag: two\nX-Evil: 1"), -1);
	ck_assert_int_eq(cleanup_client_hold(c, "RCPT from x"), 0);
	ck_assert_int_eq(cleanup_client_bcc(c, "b@example.org", NULL), 0);
	ck_assert_int_eq(cleanup_client_bcc(c, "", NULL), -1);
	ck_assert_int_eq(cleanup_write(c, msg, 6), 0);
	/* the content has begun: too late for a header on top */
	ck_assert_int_eq(cleanup_client_prepend(c, "X-Late: x"), -1);
	ck_assert_int_eq(cleanup_client_filter(c, "no-nexthop-colon", NULL), -1);
	ck_assert_int_eq(cleanup_client_filter(c, ":x", NULL), -1);
	ck_assert_int_eq(cleanup_client_filter(c, "smtp:[127.0.0.1]:10025",
	    NULL), 0);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	ck_assert_int_eq(cleanup_client_redirect(c, big, NULL), -1);
	ck_assert_int_eq(cleanup_client_redirect(c, "r@example.org", ""), 0);
	ck_assert_int_eq(cleanup_write(c, msg + 6, sizeof(msg) - 1 - 6), 0);
	ck_assert_int_eq(cleanup_client_discard(c, "a\rb"), -1);
	ck_assert_int_eq(cleanup_client_discard(c, NULL), 0);
	ck_assert_int_eq(cleanup_finish(c, &status, &reason), 0);
	ck_assert_int_eq(status, 0);
	ck_assert_int_eq(server_result(pid), CHILD_OK);
	strbuf_free(&reason);
}
END_TEST

/* Large content written in odd-sized pieces arrives as full chunks. */
START_TEST(test_chunking)
{
	size_t	len = 5 * CLEANUP_CHUNK_MAX + 12345, off, n, step = 1;
	char   *data = pattern(len);
	struct script sc = { .expect = data, .expect_len = len };
	char	id[QUEUE_ID_SIZE];
	struct cleanup_client *c;
	struct strbuf reason;
	int	status;
	pid_t	pid = start_server(&sc);

	strbuf_init(&reason);
	c = open_client(id, &status, &reason);
	ck_assert_ptr_nonnull(c);
	for (off = 0; off < len; off += n) {
		/* 1, 3, 9, ... bytes, then one write of more than two chunks */
		n = step < 3 * CLEANUP_CHUNK_MAX ? step : len - off;
		if (n > len - off)
			n = len - off;
		ck_assert_int_eq(cleanup_write(c, data + off, n), 0);
		step *= 3;
	}
	ck_assert_int_eq(cleanup_finish(c, &status, &reason), 0);
	ck_assert_int_eq(server_result(pid), CHILD_OK);
	free(data);
	strbuf_free(&reason);
}
END_TEST

/* Exactly one chunk, then an empty message: edge cases of the buffer. */
START_TEST(test_chunk_boundaries)
{
	char   *data = pattern(CLEANUP_CHUNK_MAX);
	struct script sc = { .expect = data, .expect_len = CLEANUP_CHUNK_MAX };
	struct script empty = { .expect = "", .expect_len = 0 };
	char	id[QUEUE_ID_SIZE];
	struct cleanup_client *c;
	struct strbuf reason;
	int	status;
	pid_t	pid = start_server(&sc);

	strbuf_init(&reason);
	c = open_client(id, &status, &reason);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(cleanup_write(c, data, CLEANUP_CHUNK_MAX), 0);
	ck_assert_int_eq(cleanup_finish(c, &status, &reason), 0);
	ck_assert_int_eq(server_result(pid), CHILD_OK);

	pid = start_server(&empty);
	c = open_client(id, &status, &reason);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(cleanup_finish(c, &status, &reason), 0);
	ck_assert_int_eq(server_result(pid), CHILD_OK);
	free(data);
	strbuf_free(&reason);
}
END_TEST

START_TEST(test_envelope_tempfail)
{
	struct script sc = { .env_status = 4,
	    .env_reason = "4.3.0 Error: queue file write error" };
	char	id[QUEUE_ID_SIZE];
	struct strbuf reason;
	int	status = 0;
	pid_t	pid = start_server(&sc);

	strbuf_init(&reason);
	ck_assert_ptr_null(open_client(id, &status, &reason));
	ck_assert_int_eq(status, 4);
	ck_assert_str_eq(reason.data, "451 4.3.0 Error: queue file write error");
	ck_assert_int_eq(server_result(pid), CHILD_OK);
	strbuf_free(&reason);
}
END_TEST

START_TEST(test_final_reject_hops)
{
	static const char msg[] = "Received: x\n\nbody\n";
	struct script sc = { .expect = msg, .expect_len = sizeof(msg) - 1,
	    .final_status = 5, .final_reason = "5.4.6 Error: too many hops" };
	char	id[QUEUE_ID_SIZE];
	struct cleanup_client *c;
	struct strbuf reason;
	int	status;
	pid_t	pid = start_server(&sc);

	strbuf_init(&reason);
	c = open_client(id, &status, &reason);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(cleanup_write(c, msg, sizeof(msg) - 1), 0);
	ck_assert_int_eq(cleanup_finish(c, &status, &reason), -1);
	ck_assert_int_eq(status, 5);
	ck_assert_str_eq(reason.data, "554 5.4.6 Error: too many hops");
	ck_assert_int_eq(server_result(pid), CHILD_OK);
	strbuf_free(&reason);
}
END_TEST

START_TEST(test_final_reject_size)
{
	struct script sc = { .expect = "x\n", .expect_len = 2,
	    .final_status = 5, .final_reason = "5.3.4 Error: message file too big" };
	char	id[QUEUE_ID_SIZE];
	struct cleanup_client *c;
	struct strbuf reason;
	int	status;
	pid_t	pid = start_server(&sc);

	strbuf_init(&reason);
	c = open_client(id, &status, &reason);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(cleanup_write(c, "x\n", 2), 0);
	ck_assert_int_eq(cleanup_finish(c, &status, &reason), -1);
	ck_assert_int_eq(status, 5);
	ck_assert_str_eq(reason.data, "552 5.3.4 Error: message file too big");
	ck_assert_int_eq(server_result(pid), CHILD_OK);
	strbuf_free(&reason);
}
END_TEST

/* A reason that could inject a second SMTP reply is replaced. */
START_TEST(test_hostile_reason)
{
	struct script sc = { .expect = "", .expect_len = 0, .final_status = 5,
	    .final_reason = "5.7.1 no\r\n250 2.0.0 Ok: queued as FAKE" };
	struct script wrong_class = { .expect = "", .expect_len = 0,
	    .final_status = 4, .final_reason = "5.7.1 permanent?" };
	char	id[QUEUE_ID_SIZE];
	struct cleanup_client *c;
	struct strbuf reason;
	int	status;
	pid_t	pid = start_server(&sc);

	strbuf_init(&reason);
	c = open_client(id, &status, &reason);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(cleanup_finish(c, &status, &reason), -1);
	ck_assert_int_eq(status, 5);
	ck_assert_str_eq(reason.data, "554 5.3.0 Error: message rejected");
	ck_assert_int_eq(server_result(pid), CHILD_OK);

	pid = start_server(&wrong_class);
	c = open_client(id, &status, &reason);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(cleanup_finish(c, &status, &reason), -1);
	ck_assert_int_eq(status, 4);
	ck_assert_str_eq(reason.data, "451 4.3.0 Error: queue file write error");
	ck_assert_int_eq(server_result(pid), CHILD_OK);
	strbuf_free(&reason);
}
END_TEST

/* A status outside 0/4/5 or a bad queue ID is a protocol error (4xx). */
START_TEST(test_malformed_replies)
{
	struct script bad_status = { .expect = "", .expect_len = 0,
	    .final_raw_status = "2", .final_reason = "2.0.0 fine" };
	struct script junk_status = { .expect = "", .expect_len = 0,
	    .final_raw_status = "0x", .final_reason = "" };
	struct script bad_id = { .env_queue_id = "../../etc/passwd",
	    .expect_eof = true };
	char	id[QUEUE_ID_SIZE];
	struct cleanup_client *c;
	struct strbuf reason;
	int	status;
	pid_t	pid = start_server(&bad_status);

	strbuf_init(&reason);
	c = open_client(id, &status, &reason);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(cleanup_finish(c, &status, &reason), -1);
	ck_assert_int_eq(status, 4);
	ck_assert_str_eq(reason.data, "451 4.3.0 Error: internal protocol error");
	ck_assert_int_eq(server_result(pid), CHILD_OK);

	pid = start_server(&junk_status);
	c = open_client(id, &status, &reason);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(cleanup_finish(c, &status, &reason), -1);
	ck_assert_int_eq(status, 4);
	ck_assert_int_eq(server_result(pid), CHILD_OK);

	pid = start_server(&bad_id);
	ck_assert_ptr_null(open_client(id, &status, &reason));
	ck_assert_int_eq(status, 4);
	ck_assert_str_eq(reason.data, "451 4.3.0 Error: internal protocol error");
	ck_assert_int_eq(server_result(pid), CHILD_OK);
	strbuf_free(&reason);
}
END_TEST

/* cleanup hangs up before answering the envelope. */
START_TEST(test_server_closes_before_reply)
{
	struct script sc = { .close_before_env_reply = true };
	char	id[QUEUE_ID_SIZE];
	struct strbuf reason;
	int	status = 0;
	pid_t	pid = start_server(&sc);

	strbuf_init(&reason);
	ck_assert_ptr_null(open_client(id, &status, &reason));
	ck_assert_int_eq(status, 4);
	ck_assert_str_eq(reason.data, "451 4.3.0 Error: queue file write error");
	ck_assert_int_eq(server_result(pid), CHILD_OK);
	strbuf_free(&reason);
}
END_TEST

/* cleanup dies mid-message: writes fail or the verdict is a 4xx. */
START_TEST(test_server_closes_during_content)
{
	size_t	len = 8 * CLEANUP_CHUNK_MAX;
	char   *data = pattern(len);
	struct script sc = { .close_after_env = true };
	char	id[QUEUE_ID_SIZE];
	struct cleanup_client *c;
	struct strbuf reason;
	int	status, failed_writes = 0;
	size_t	off;
	pid_t	pid = start_server(&sc);

	strbuf_init(&reason);
	c = open_client(id, &status, &reason);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(server_result(pid), CHILD_OK);	/* it is gone now */
	for (off = 0; off < len; off += 1000)
		if (cleanup_write(c, data + off, len - off < 1000 ? len - off : 1000) < 0)
			failed_writes++;
	ck_assert_int_gt(failed_writes, 0);
	ck_assert_int_eq(cleanup_finish(c, &status, &reason), -1);
	ck_assert_int_eq(status, 4);
	ck_assert_str_eq(reason.data, "451 4.3.0 Error: queue file write error");
	free(data);
	strbuf_free(&reason);
}
END_TEST

/* cleanup_abort closes without end=1: the server sees EOF. */
START_TEST(test_abort)
{
	struct script sc = { .expect_eof = true };
	char	id[QUEUE_ID_SIZE];
	struct cleanup_client *c;
	struct strbuf reason;
	int	status;
	pid_t	pid = start_server(&sc);

	strbuf_init(&reason);
	c = open_client(id, &status, &reason);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(cleanup_write(c, "Subject: x\n", 11), 0);
	cleanup_abort(c);
	ck_assert_int_eq(server_result(pid), CHILD_OK);
	strbuf_free(&reason);
}
END_TEST

/* The caller's own request=message is sent as given. */
START_TEST(test_explicit_request)
{
	struct script sc = { .expect = "a\n", .expect_len = 2 };
	struct attr_list env;
	char	id[QUEUE_ID_SIZE];
	struct cleanup_client *c;
	struct strbuf reason;
	int	status;
	pid_t	pid = start_server(&sc);

	strbuf_init(&reason);
	attr_list_init(&env);
	attr_list_add_str(&env, "request", "message");
	attr_list_add_str(&env, "sender", "s@example.org");
	attr_list_add_str(&env, "rcpt", "r@example.com");
	c = cleanup_open(sock_path, 10, &env, id, &status, &reason);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(cleanup_write(c, "a\n", 2), 0);
	ck_assert_int_eq(cleanup_finish(c, &status, &reason), 0);
	ck_assert_int_eq(server_result(pid), CHILD_OK);
	attr_list_free(&env);
	strbuf_free(&reason);
}
END_TEST

START_TEST(test_no_server)
{
	char	id[QUEUE_ID_SIZE];
	struct strbuf reason;
	int	status = 0;

	strbuf_init(&reason);
	ck_assert_ptr_null(open_client(id, &status, &reason));
	ck_assert_int_eq(status, 4);
	ck_assert_str_eq(reason.data, "451 4.3.0 Error: queue file write error");
	strbuf_free(&reason);
}
END_TEST

/* cleanup_client_suite - every test case */
static Suite *
cleanup_client_suite(void)
{
	Suite  *s = suite_create("cleanup_client");
	TCase  *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_normal_flow);
	tcase_add_test(tc, test_side_effects);
	tcase_add_test(tc, test_connection_kept);
	tcase_add_test(tc, test_kept_connection_dropped);
	tcase_add_test(tc, test_chunking);
	tcase_add_test(tc, test_chunk_boundaries);
	tcase_add_test(tc, test_envelope_tempfail);
	tcase_add_test(tc, test_final_reject_hops);
	tcase_add_test(tc, test_final_reject_size);
	tcase_add_test(tc, test_hostile_reason);
	tcase_add_test(tc, test_malformed_replies);
	tcase_add_test(tc, test_server_closes_before_reply);
	tcase_add_test(tc, test_server_closes_during_content);
	tcase_add_test(tc, test_abort);
	tcase_add_test(tc, test_explicit_request);
	tcase_add_test(tc, test_no_server);
	suite_add_tcase(s, tc);
	return (s);
}

/* main - run the suite; non-zero exit on failure */
int
main(void)
{
	SRunner *sr = srunner_create(cleanup_client_suite());
	int	failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
