/*
 * test_stream - unit tests for lib/io/stream.c over a socketpair.
 *
 * One end is the stream under test, the other is driven with plain
 * write(2)/read(2) so that the tests see exactly what went over the wire.
 */
#include <sys/socket.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "coro.h"
#include "stream.h"
#include "unit.h"

static struct stream *s;
static int peer;

/* setup - a stream on one end of a socketpair */
static void
setup(void)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	s = stream_open(sv[0]);
	peer = sv[1];
}

/* teardown - close both ends */
static void
teardown(void)
{
	stream_close(s);
	if (peer >= 0)
		close(peer);
}

/* send_peer - write a string from the far end */
static void
send_peer(const char *text)
{
	size_t len = strlen(text);

	ck_assert_int_eq(write(peer, text, len), (ssize_t)len);
}

/* close_peer - the far end goes away */
static void
close_peer(void)
{
	close(peer);
	peer = -1;
}

START_TEST(test_open_sets_nonblock)
{
	ck_assert(fcntl(stream_fd(s), F_GETFL) & O_NONBLOCK);
	ck_assert_int_eq(stream_status(s), STREAM_OK);
}
END_TEST

/* a pair reads one pipe and writes another, and leaves wfd's flags as found */
START_TEST(test_pair_reads_one_writes_other)
{
	struct strbuf line;
	struct stream *st;
	int	 in[2], out[2], wfd;
	char	 buf[16];

	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	ck_assert_int_eq(write(in[1], "HELO x\r\n", 8), 8);
	close(in[1]);
	wfd = dup(out[1]);
	st = stream_open_pair(in[0], out[1]);
	ck_assert(fcntl(wfd, F_GETFL) & O_NONBLOCK);
	strbuf_init(&line);
	ck_assert_int_eq(stream_getline(st, &line, 100), STREAM_OK);
	ck_assert_str_eq(line.data, "HELO x\r\n");
	ck_assert_int_eq(stream_puts(st, "250 ok\r\n"), STREAM_OK);
	ck_assert_int_eq(stream_flush(st), STREAM_OK);
	ck_assert_int_eq(stream_getline(st, &line, 100), STREAM_EOF);
	stream_close(st);
	ck_assert((fcntl(wfd, F_GETFL) & O_NONBLOCK) == 0);
	close(wfd);
	ck_assert_int_eq(read(out[0], buf, sizeof(buf)), 8);
	ck_assert(memcmp(buf, "250 ok\r\n", 8) == 0);
	ck_assert_int_eq(read(out[0], buf, sizeof(buf)), 0);	/* closed */
	close(out[0]);
	strbuf_free(&line);
}
END_TEST

START_TEST(test_getline_keeps_terminators)
{
	struct strbuf line;

	strbuf_init(&line);
	send_peer("EHLO x\r\nbare\nlast");
	close_peer();
	ck_assert_int_eq(stream_getline(s, &line, 100), STREAM_OK);
	ck_assert_str_eq(line.data, "EHLO x\r\n");
	ck_assert_int_eq(stream_getline(s, &line, 100), STREAM_OK);
	ck_assert_str_eq(line.data, "bare\n");
	/* EOF cut the last line: OK without LF */
	ck_assert_int_eq(stream_getline(s, &line, 100), STREAM_OK);
	ck_assert_str_eq(line.data, "last");
	ck_assert_int_eq(stream_getline(s, &line, 100), STREAM_EOF);
	ck_assert_uint_eq(line.len, 0);
	/* sticky */
	ck_assert_int_eq(stream_getline(s, &line, 100), STREAM_EOF);
	ck_assert_int_eq(stream_status(s), STREAM_EOF);
	ck_assert_int_eq(stream_puts(s, "x"), STREAM_EOF);
	strbuf_free(&line);
}
END_TEST

START_TEST(test_getline_eof_before_any_byte)
{
	struct strbuf line;

	strbuf_init(&line);
	close_peer();
	ck_assert_int_eq(stream_getline(s, &line, 10), STREAM_EOF);
	ck_assert_str_eq(stream_status_text(stream_status(s)), "lost connection");
	strbuf_free(&line);
}
END_TEST

START_TEST(test_getline_toolong_discards)
{
	struct strbuf line;

	strbuf_init(&line);
	send_peer("0123456789ABCDEF\r\nnext\r\n");
	ck_assert_int_eq(stream_getline(s, &line, 10), STREAM_TOOLONG);
	ck_assert_uint_eq(line.len, 10);
	ck_assert_str_eq(line.data, "0123456789");
	ck_assert_int_eq(stream_getline(s, &line, 10), STREAM_OK);
	ck_assert_str_eq(line.data, "next\r\n");
	/* exactly limit bytes before the LF is still fine */
	send_peer("0123456789\nabcdefghijk\n");
	ck_assert_int_eq(stream_getline(s, &line, 10), STREAM_OK);
	ck_assert_str_eq(line.data, "0123456789\n");
	ck_assert_int_eq(stream_getline(s, &line, 10), STREAM_TOOLONG);
	ck_assert_str_eq(line.data, "abcdefghij");
	ck_assert_int_eq(stream_status(s), STREAM_OK);
	strbuf_free(&line);
}
END_TEST

/* writer_thread - feed a huge line slowly, in pieces, then a short one */
static void *
writer_thread(void *arg)
{
	char *buf = malloc(100000);

	(void)arg;
	memset(buf, 'x', 100000);
	for (int i = 0; i < 10; i++)
		if (write(peer, buf, 10000) != 10000)
			break;
	if (write(peer, "\r\nok\r\n", 6) != 6)
		abort();
	free(buf);
	return (NULL);
}

START_TEST(test_getline_toolong_across_buffers)
{
	struct strbuf line;
	pthread_t t;

	strbuf_init(&line);
	pthread_create(&t, NULL, writer_thread, NULL);
	stream_set_timeout(s, 5);
	ck_assert_int_eq(stream_getline(s, &line, 1000), STREAM_TOOLONG);
	ck_assert_uint_eq(line.len, 1000);
	ck_assert_int_eq(stream_getline(s, &line, 1000), STREAM_OK);
	ck_assert_str_eq(line.data, "ok\r\n");
	pthread_join(t, NULL);
	strbuf_free(&line);
}
END_TEST

START_TEST(test_getline_chunk_continues)
{
	struct strbuf line;

	strbuf_init(&line);
	send_peer("0123456789ABCDEF\r\nnext\n");
	ck_assert_int_eq(stream_getline_chunk(s, &line, 10), STREAM_TOOLONG);
	ck_assert_str_eq(line.data, "0123456789");
	ck_assert_int_eq(stream_getline_chunk(s, &line, 10), STREAM_OK);
	ck_assert_str_eq(line.data, "ABCDEF\r\n");
	ck_assert_int_eq(stream_getline_chunk(s, &line, 10), STREAM_OK);
	ck_assert_str_eq(line.data, "next\n");
	/* limit bytes then the LF in a later read: not too long */
	send_peer("0123456789");
	send_peer("\n");
	ck_assert_int_eq(stream_getline_chunk(s, &line, 10), STREAM_OK);
	ck_assert_str_eq(line.data, "0123456789\n");
	/* EOF right after limit bytes */
	send_peer("abcdefghij");
	close_peer();
	ck_assert_int_eq(stream_getline_chunk(s, &line, 10), STREAM_OK);
	ck_assert_str_eq(line.data, "abcdefghij");
	ck_assert_int_eq(stream_getline_chunk(s, &line, 10), STREAM_EOF);
	strbuf_free(&line);
}
END_TEST

START_TEST(test_timeout)
{
	struct strbuf line;
	struct timespec a, b;
	char c;

	strbuf_init(&line);
	stream_set_timeout(s, 1);
	send_peer("partial");
	clock_gettime(CLOCK_MONOTONIC, &a);
	ck_assert_int_eq(stream_getline(s, &line, 100), STREAM_TIMEOUT);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ck_assert_int_ge(b.tv_sec - a.tv_sec, 0);
	ck_assert_int_le(b.tv_sec - a.tv_sec, 3);
	ck_assert_int_eq(stream_status(s), STREAM_TIMEOUT);
	ck_assert_str_eq(stream_status_text(STREAM_TIMEOUT), "timeout");
	/* sticky even when data arrives later */
	send_peer("\n");
	ck_assert_int_eq(stream_read(s, &c, 1), STREAM_TIMEOUT);
	ck_assert_int_eq(stream_flush(s), STREAM_TIMEOUT);
	strbuf_free(&line);
}
END_TEST

START_TEST(test_read_and_read_exact)
{
	char buf[16];

	send_peer("hello world");
	ck_assert_int_eq(stream_read(s, buf, 5), 5);
	ck_assert(memcmp(buf, "hello", 5) == 0);
	ck_assert_uint_eq(stream_pending(s), 6);
	ck_assert_int_eq(stream_read_exact(s, buf, 6), STREAM_OK);
	ck_assert(memcmp(buf, " world", 6) == 0);
	send_peer("abc");
	close_peer();
	ck_assert_int_eq(stream_read_exact(s, buf, 4), STREAM_EOF);
}
END_TEST

/* reader_thread - drain the peer, counting and checking the pattern */
static void *
reader_thread(void *arg)
{
	size_t *total = arg;
	unsigned char buf[8192];
	ssize_t n;

	while ((n = read(peer, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != (unsigned char)((*total + (size_t)i) % 251))
				abort();
		*total += (size_t)n;
	}
	return (NULL);
}

START_TEST(test_big_writes)
{
	size_t total = 0, len = 1000000, off = 0;
	unsigned char *data = malloc(len);
	pthread_t t;
	int fd;

	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)(i % 251);
	pthread_create(&t, NULL, reader_thread, &total);
	stream_set_timeout(s, 10);
	/* mixed sizes: small ones buffer, big ones bypass the buffer */
	for (size_t step = 1; off < len; step = step * 3 % 70001 + 1) {
		size_t n = step < len - off ? step : len - off;

		ck_assert_int_eq(stream_write(s, data + off, n), STREAM_OK);
		off += n;
	}
	ck_assert_int_eq(stream_flush(s), STREAM_OK);
	fd = stream_fd(s);
	shutdown(fd, SHUT_WR);
	pthread_join(t, NULL);
	ck_assert_uint_eq(total, len);
	free(data);
}
END_TEST

START_TEST(test_printf_puts)
{
	char buf[64], big[40000];
	ssize_t n;
	size_t got = 0;

	ck_assert_int_eq(stream_printf(s, "250-%s %d\r\n", "SIZE", 1024), STREAM_OK);
	ck_assert_int_eq(stream_puts(s, "250 OK\r\n"), STREAM_OK);
	/* nothing leaves before the flush */
	fcntl(peer, F_SETFL, O_NONBLOCK);
	ck_assert_int_eq(read(peer, buf, sizeof(buf)), -1);
	ck_assert_int_eq(stream_flush(s), STREAM_OK);
	n = read(peer, buf, sizeof(buf) - 1);
	ck_assert_int_eq(n, 23);
	buf[n] = 0;
	ck_assert_str_eq(buf, "250-SIZE 1024\r\n250 OK\r\n");
	/* a formatted string bigger than the buffer */
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	stream_set_timeout(s, 5);
	ck_assert_int_eq(stream_printf(s, "<%s>", big), STREAM_OK);
	ck_assert_int_eq(stream_flush(s), STREAM_OK);
	fcntl(peer, F_SETFL, 0);
	while (got < sizeof(big) + 1 && (n = read(peer, big, sizeof(big))) > 0)
		got += (size_t)n;
	ck_assert_uint_eq(got, sizeof(big) + 1);
}
END_TEST

START_TEST(test_write_to_closed_peer)
{
	char buf[8192];
	int r = STREAM_OK;

	close_peer();
	memset(buf, 'z', sizeof(buf));
	/* no SIGPIPE: an error instead */
	for (int i = 0; i < 10 && r == STREAM_OK; i++) {
		r = stream_write(s, buf, sizeof(buf));
		if (r == STREAM_OK)
			r = stream_flush(s);
	}
	ck_assert_int_eq(r, STREAM_ERROR);
	ck_assert_str_eq(stream_status_text(r), "I/O error");
}
END_TEST

START_TEST(test_write_timeout)
{
	char buf[65536];
	int r = STREAM_OK;

	stream_set_timeout(s, 1);
	memset(buf, 'z', sizeof(buf));
	/* nobody reads: the socket buffer fills, then the timeout fires */
	for (int i = 0; i < 1000 && r == STREAM_OK; i++)
		r = stream_write(s, buf, sizeof(buf));
	ck_assert_int_eq(r, STREAM_TIMEOUT);
}
END_TEST

START_TEST(test_pending_discard_wait)
{
	struct strbuf line;

	strbuf_init(&line);
	ck_assert_int_eq(stream_wait_readable(s, 50), 0);
	send_peer("STARTTLS\r\nINJECTED\r\n");
	ck_assert_int_eq(stream_wait_readable(s, 1000), 1);
	ck_assert_int_eq(stream_getline(s, &line, 100), STREAM_OK);
	ck_assert_str_eq(line.data, "STARTTLS\r\n");
	ck_assert_uint_eq(stream_pending(s), 10);
	/* buffered input counts as readable without touching the socket */
	ck_assert_int_eq(stream_wait_readable(s, 0), 1);
	stream_discard_pending(s);
	ck_assert_uint_eq(stream_pending(s), 0);
	ck_assert_int_eq(stream_wait_readable(s, 50), 0);
	send_peer("after\n");
	ck_assert_int_eq(stream_getline(s, &line, 100), STREAM_OK);
	ck_assert_str_eq(line.data, "after\n");
	strbuf_free(&line);
}
END_TEST

/* Fake transport: serve a fixed text one byte per call, EAGAIN between. */
struct fake {
	const char	*text;
	size_t		 pos;
	int		 calls;
	struct strbuf	 out;
};

/* fake_read - alternate EAGAIN and single bytes */
static ssize_t
fake_read(void *ctx, void *buf, size_t len, int *want_write)
{
	struct fake *f = ctx;

	*want_write = 0;
	if (len == 0)
		return (0);
	if (f->calls++ % 2 == 0) {
		errno = EAGAIN;
		return (-1);
	}
	if (f->text[f->pos] == 0)
		return (0);
	*(char *)buf = f->text[f->pos++];
	return (1);
}

/* fake_write - accept at most 3 bytes per call */
static ssize_t
fake_write(void *ctx, const void *buf, size_t len, int *want_read)
{
	struct fake *f = ctx;

	*want_read = 0;
	if (len > 3)
		len = 3;
	strbuf_append(&f->out, buf, len);
	return ((ssize_t)len);
}

START_TEST(test_custom_io)
{
	struct fake f = { .text = "one\r\ntwo\n" };
	struct strbuf line;

	strbuf_init(&line);
	strbuf_init(&f.out);
	stream_set_io(s, fake_read, fake_write, &f);
	stream_set_timeout(s, 2);
	/* each EAGAIN makes the stream poll the real socket for input */
	send_peer("w");
	ck_assert_int_eq(stream_getline(s, &line, 100), STREAM_OK);
	ck_assert_str_eq(line.data, "one\r\n");
	ck_assert_int_eq(stream_getline(s, &line, 100), STREAM_OK);
	ck_assert_str_eq(line.data, "two\n");
	ck_assert_int_eq(stream_getline(s, &line, 100), STREAM_EOF);
	ck_assert_int_eq(stream_puts(s, "hello, world"), STREAM_EOF);
	strbuf_free(&line);
	strbuf_free(&f.out);
}
END_TEST

START_TEST(test_custom_io_write)
{
	struct fake f = { .text = "" };

	strbuf_init(&f.out);
	stream_set_io(s, fake_read, fake_write, &f);
	ck_assert_int_eq(stream_puts(s, "hello, world"), STREAM_OK);
	ck_assert_uint_eq(f.out.len, 0);
	ck_assert_int_eq(stream_flush(s), STREAM_OK);
	ck_assert_str_eq(f.out.data, "hello, world");
	strbuf_free(&f.out);
}
END_TEST

START_TEST(test_status_texts)
{
	ck_assert_str_eq(stream_status_text(STREAM_TOOLONG), "line too long");
	ck_assert_str_eq(stream_status_text(STREAM_ERROR), "I/O error");
	ck_assert_ptr_nonnull(stream_status_text(-99));
}
END_TEST

/* elapsed_ms - milliseconds since *start */
static long
elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ((now.tv_sec - start->tv_sec) * 1000 +
	    (now.tv_nsec - start->tv_nsec) / 1000000);
}

struct dripper {
	int	 fd;
	int	 bytes;		/* per step */
	int	 step_ms;
	int	 steps;
};

/* drip_thread - bytes without a line end, a few at a time, then stop */
static void *
drip_thread(void *arg)
{
	struct dripper *d = arg;
	char	 buf[4096];
	struct timespec nap = { 0, (long)d->step_ms * 1000000 };

	memset(buf, 'x', sizeof(buf));
	for (int i = 0; i < d->steps; i++) {
		if (send(d->fd, buf, (size_t)d->bytes, MSG_NOSIGNAL) < 0)
			break;
		nanosleep(&nap, NULL);
	}
	return (NULL);
}

/* flood_thread - an endless line as fast as the reader takes it */
static void *
flood_thread(void *arg)
{
	char	 buf[16384];

	(void)arg;
	memset(buf, 'y', sizeof(buf));
	while (send(peer, buf, sizeof(buf), MSG_NOSIGNAL) > 0)
		;
	return (NULL);
}

START_TEST(test_deadline_cuts_drip)
{
	struct dripper d = { 0, 1, 20, 100 };
	struct strbuf line;
	struct timespec start;
	pthread_t t;
	long	 ms;

	/* each read comes well within the timeout; only the deadline ends it */
	strbuf_init(&line);
	d.fd = peer;
	stream_set_timeout(s, 5);
	stream_set_deadline(s, 300, 0);
	ck_assert_int_gt(stream_deadline_left(s), 200);
	pthread_create(&t, NULL, drip_thread, &d);
	clock_gettime(CLOCK_MONOTONIC, &start);
	ck_assert_int_eq(stream_getline(s, &line, 1000), STREAM_TIMEOUT);
	ms = elapsed_ms(&start);
	ck_assert_int_ge(ms, 250);
	ck_assert_int_le(ms, 1000);
	ck_assert_int_eq(stream_deadline_left(s), 0);
	shutdown(peer, SHUT_RDWR);
	pthread_join(t, NULL);
	strbuf_free(&line);
}
END_TEST

START_TEST(test_deadline_cuts_endless_line)
{
	struct strbuf line;
	struct timespec start;
	pthread_t t;
	long	 ms;

	/* the data never stops, so no wait ever blocks: the reads check it */
	strbuf_init(&line);
	stream_set_timeout(s, 5);
	stream_set_deadline(s, 300, 0);
	pthread_create(&t, NULL, flood_thread, NULL);
	clock_gettime(CLOCK_MONOTONIC, &start);
	ck_assert_int_eq(stream_getline(s, &line, 100), STREAM_TIMEOUT);
	ms = elapsed_ms(&start);
	ck_assert_int_le(ms, 1500);
	ck_assert_uint_eq(line.len, 100);
	shutdown(peer, SHUT_RDWR);
	pthread_join(t, NULL);
	strbuf_free(&line);
}
END_TEST

START_TEST(test_deadline_min_rate)
{
	struct dripper fast = { 0, 1000, 50, 20 };
	char	*buf = malloc(20000);
	pthread_t t;

	/* 20,000 B/s against a minimum of 5,000: a 200 ms budget lasts 1 s */
	fast.fd = peer;
	stream_set_timeout(s, 5);
	stream_set_deadline(s, 200, 5000);
	pthread_create(&t, NULL, drip_thread, &fast);
	ck_assert_int_eq(stream_read_exact(s, buf, 20000), STREAM_OK);
	pthread_join(t, NULL);
	/* but the credit never exceeds the budget: a pause still ends it */
	ck_assert_int_le(stream_deadline_left(s), 200);
	ck_assert_int_eq(stream_read_exact(s, buf, 1), STREAM_TIMEOUT);
	free(buf);
}
END_TEST

START_TEST(test_deadline_too_slow)
{
	struct dripper slow = { 0, 10, 50, 40 };
	char	 buf[400];
	pthread_t t;

	/* 200 B/s against a minimum of 5,000: over after about 200 ms */
	slow.fd = peer;
	stream_set_timeout(s, 5);
	stream_set_deadline(s, 200, 5000);
	pthread_create(&t, NULL, drip_thread, &slow);
	ck_assert_int_eq(stream_read_exact(s, buf, sizeof(buf)), STREAM_TIMEOUT);
	shutdown(peer, SHUT_RDWR);
	pthread_join(t, NULL);
}
END_TEST

START_TEST(test_deadline_bounds_writes)
{
	char	*buf = calloc(1, 1 << 20);
	struct timespec start;

	stream_set_timeout(s, 5);
	stream_set_deadline(s, 300, 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	ck_assert_int_eq(stream_write(s, buf, 1 << 20), STREAM_TIMEOUT);
	ck_assert_int_le(elapsed_ms(&start), 1500);
	free(buf);
}
END_TEST

START_TEST(test_deadline_cleared)
{
	struct strbuf line;

	strbuf_init(&line);
	stream_set_deadline(s, 50, 0);
	stream_set_deadline(s, 0, 0);
	ck_assert_int_eq(stream_deadline_left(s), -1);
	usleep(100 * 1000);
	send_peer("fine\r\n");
	ck_assert_int_eq(stream_getline(s, &line, 100), STREAM_OK);
	ck_assert_str_eq(line.data, "fine\r\n");
	strbuf_free(&line);
}
END_TEST

START_TEST(test_watch_cancels_wait)
{
	struct strbuf line;
	struct timespec start;
	int	 sv[2];

	strbuf_init(&line);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	stream_set_timeout(s, 5);
	stream_set_watch(s, sv[0]);
	/* input on the watched descriptor is not a hang-up */
	ck_assert_int_eq(write(sv[1], "x", 1), 1);
	ck_assert(!stream_watch_hung_up(s));
	ck_assert_int_eq(stream_wait_readable(s, 100), 0);
	close(sv[1]);
	ck_assert(stream_watch_hung_up(s));
	clock_gettime(CLOCK_MONOTONIC, &start);
	ck_assert_int_eq(stream_getline(s, &line, 100), STREAM_CANCELED);
	ck_assert_int_le(elapsed_ms(&start), 1000);
	ck_assert_int_eq(stream_status(s), STREAM_CANCELED);
	ck_assert_str_eq(stream_status_text(STREAM_CANCELED), "canceled");
	close(sv[0]);
	strbuf_free(&line);
}
END_TEST

START_TEST(test_stream_poll_watch)
{
	int	 sv[2];

	/* the descriptor itself, as a TLS handshake waits on it */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	stream_set_watch(s, sv[0]);
	ck_assert_int_eq(stream_poll(s, POLLIN, 50), 0);
	send_peer("x");
	ck_assert_int_eq(stream_poll(s, POLLIN, 50), 1);
	close(sv[1]);
	ck_assert_int_eq(stream_poll(s, POLLIN, 1000), STREAM_CANCELED);
	ck_assert_int_eq(stream_status(s), STREAM_CANCELED);
	close(sv[0]);
}
END_TEST

struct closer {
	int	 fd;
	int	 after_ms;
};

/* close_thread - close a descriptor a little later */
static void *
close_thread(void *arg)
{
	struct closer *c = arg;
	struct timespec nap = { 0, (long)c->after_ms * 1000000 };

	nanosleep(&nap, NULL);
	close(c->fd);
	return (NULL);
}

START_TEST(test_watch_ends_blocked_wait)
{
	struct strbuf line;
	struct timespec start;
	struct closer c;
	pthread_t t;
	int	 sv[2];

	strbuf_init(&line);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	stream_set_timeout(s, 10);
	stream_set_watch(s, sv[0]);
	c.fd = sv[1];
	c.after_ms = 200;
	pthread_create(&t, NULL, close_thread, &c);
	clock_gettime(CLOCK_MONOTONIC, &start);
	ck_assert_int_eq(stream_getline(s, &line, 100), STREAM_CANCELED);
	ck_assert_int_ge(elapsed_ms(&start), 150);
	ck_assert_int_le(elapsed_ms(&start), 2000);
	pthread_join(t, NULL);
	close(sv[0]);
	strbuf_free(&line);
}
END_TEST

struct coro_reader {
	struct stream	*s;
	int		 rc;
};

/* coro_read_line - one getline inside a coroutine */
static void
coro_read_line(void *arg)
{
	struct coro_reader *r = arg;
	struct strbuf line;

	strbuf_init(&line);
	r->rc = stream_getline(r->s, &line, 100);
	strbuf_free(&line);
}

START_TEST(test_watch_in_coroutine)
{
	struct coro_reader r = { NULL, 99 };
	struct timespec start;
	struct closer c;
	pthread_t t;
	int	 sv[2];

	/* coro_poll takes one descriptor: the watch is looked at in slices */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	stream_set_timeout(s, 10);
	stream_set_watch(s, sv[0]);
	r.s = s;
	c.fd = sv[1];
	c.after_ms = 200;
	pthread_create(&t, NULL, close_thread, &c);
	clock_gettime(CLOCK_MONOTONIC, &start);
	ck_assert_int_eq(coro_start(coro_read_line, &r), 0);
	unit_coro_run_all();
	ck_assert_int_eq(r.rc, STREAM_CANCELED);
	ck_assert_int_le(elapsed_ms(&start), 3000);
	pthread_join(t, NULL);
	close(sv[0]);
}
END_TEST

/* stream_suite - every test above */
static Suite *
stream_suite(void)
{
	Suite *suite = suite_create("stream");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_open_sets_nonblock);
	tcase_add_test(tc, test_pair_reads_one_writes_other);
	tcase_add_test(tc, test_getline_keeps_terminators);
	tcase_add_test(tc, test_getline_eof_before_any_byte);
	tcase_add_test(tc, test_getline_toolong_discards);
	tcase_add_test(tc, test_getline_toolong_across_buffers);
	tcase_add_test(tc, test_getline_chunk_continues);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_read_and_read_exact);
	tcase_add_test(tc, test_big_writes);
	tcase_add_test(tc, test_printf_puts);
	tcase_add_test(tc, test_write_to_closed_peer);
	tcase_add_test(tc, test_write_timeout);
	tcase_add_test(tc, test_pending_discard_wait);
	tcase_add_test(tc, test_custom_io);
	tcase_add_test(tc, test_custom_io_write);
	tcase_add_test(tc, test_status_texts);
	tcase_add_test(tc, test_deadline_cuts_drip);
	tcase_add_test(tc, test_deadline_cuts_endless_line);
	tcase_add_test(tc, test_deadline_min_rate);
	tcase_add_test(tc, test_deadline_too_slow);
	tcase_add_test(tc, test_deadline_bounds_writes);
	tcase_add_test(tc, test_deadline_cleared);
	tcase_add_test(tc, test_watch_cancels_wait);
	tcase_add_test(tc, test_stream_poll_watch);
	tcase_add_test(tc, test_watch_in_coroutine);
	tcase_add_test(tc, test_watch_ends_blocked_wait);
	suite_add_tcase(suite, tc);
	return (suite);
}

int
main(void)
{
	return (unit_run(stream_suite()));
}
