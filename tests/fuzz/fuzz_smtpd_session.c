/*
 * fuzz_smtpd_session - a whole SMTP session driven by hostile input.
 *
 * The input is what a client sends, byte for byte; a helper thread feeds it
 * into one end of a socketpair and drains smtpd's replies from the same
 * end, while smtpd_session_run() serves the other end exactly as in the
 * daemon.  The first byte picks the policy knobs (bare newline mode,
 * strict envelopes, mynetworks on or off, and with 0x40 restriction
 * lists in every stage: classes, defer_if_permit/_reject, warn_if_reject,
 * pipelining, the address and HELO syntax checks, reject_unlisted_*, a
 * reject footer with $names; none that asks the DNS) so every branch
 * gets input, and
 * whether the client talks before the greeting: then the input is in the
 * socket before smtpd starts, otherwise the feeder waits for the 220, so
 * either way the run does not depend on thread timing.  The end of the
 * input is an EOF for smtpd at once (also for an empty input), so a short
 * input is a short run rather than a wait for smtpd_timeout.
 *
 * cleanup is a fake in this file: it takes the place of lib/cleanup_client
 * (whose four functions smtpd calls; the linker then leaves that archive
 * member out), so that DATA and BDAT content reaches the content scanner
 * and a message can be "queued".  Knob 0x20 makes it refuse every message
 * (451), the other path.  It checks the smuggling rule as it goes: when
 * bare CR/LF are forbidden, no CR may reach cleanup at all (CRLF became
 * LF, and anything else was refused with 521); a CR there aborts.
 */
#include <sys/socket.h>

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup_client.h"
#include "config.h"
#include "mem.h"
#include "msg.h"
#include "smtpd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the configurations live as long as the fuzzer: reachable, not leaked */
struct config *fuzz_smtpd_configs[32];

#define KNOB_TALK_FIRST	0x10	/* send before the greeting */
#define KNOB_CLEANUP_REFUSES 0x20	/* the fake cleanup answers 451 */
#define KNOB_RESTRICTIONS 0x40	/* restriction lists in every stage */

/* what the fake cleanup is told about the current run */
static bool fuzz_cleanup_refuses;
static bool fuzz_forbid_bare;

struct cleanup_client {
	unsigned long	 bytes;
};

/* cleanup_open - the fake cleanup: a queue ID, or the refusal of knob 0x20 */
struct cleanup_client *
cleanup_open(const char *socket_path, int timeout,
    const struct attr_list *envelope, char queue_id[QUEUE_ID_SIZE],
    int *status, struct strbuf *reason)
{
	static unsigned long serial;

	(void)socket_path;
	(void)timeout;
	(void)envelope;
	if (fuzz_cleanup_refuses) {
		*status = 4;
		strbuf_set(reason, "451 4.3.0 Error: queue file write error");
		return (NULL);
	}
	snprintf(queue_id, QUEUE_ID_SIZE, "F%lX", ++serial);
	*status = 0;
	return (xcalloc(1, sizeof(struct cleanup_client)));
}

/* cleanup_write - content to the fake cleanup; a forbidden CR aborts */
int
cleanup_write(struct cleanup_client *c, const void *data, size_t len)
{
	if (fuzz_forbid_bare && memchr(data, '\r', len) != NULL)
		abort();
	c->bytes += len;
	return (0);
}

/* cleanup_finish - the fake cleanup queues everything */
int
cleanup_finish(struct cleanup_client *c, int *status, struct strbuf *reason)
{
	(void)reason;
	free(c);
	*status = 0;
	return (0);
}

/* cleanup_abort - the message is dropped */
void
cleanup_abort(struct cleanup_client *c)
{
	free(c);
}

/*
 * The message side effects the restrictions ask for: the fake cleanup
 * takes them and does nothing (no restriction of the harness asks).
 */
int
cleanup_client_hold(struct cleanup_client *c, const char *why)
{
	(void)c;
	(void)why;
	return (0);
}

int
cleanup_client_discard(struct cleanup_client *c, const char *why)
{
	(void)c;
	(void)why;
	return (0);
}

int
cleanup_client_filter(struct cleanup_client *c, const char *filter,
    const char *why)
{
	(void)c;
	(void)filter;
	(void)why;
	return (0);
}

int
cleanup_client_redirect(struct cleanup_client *c, const char *addr,
    const char *why)
{
	(void)c;
	(void)addr;
	(void)why;
	return (0);
}

int
cleanup_client_bcc(struct cleanup_client *c, const char *addr,
    const char *why)
{
	(void)c;
	(void)addr;
	(void)why;
	return (0);
}

int
cleanup_client_prepend(struct cleanup_client *c, const char *header)
{
	(void)c;
	(void)header;
	return (0);
}

struct feeder {
	int		 fd;
	const uint8_t	*data;
	size_t		 size;
	size_t		 off;		/* sent so far */
	bool		 greeted;	/* may send: the 220 came, or talk first */
	bool		 shut;		/* write side shut down */
};

/* feed_end - no more input: smtpd must see EOF now, not at its timeout */
static void
feed_end(struct feeder *f)
{
	if (!f->shut && f->off == f->size) {
		shutdown(f->fd, SHUT_WR);
		f->shut = true;
	}
}

/* feed - after the greeting write the input, read replies until smtpd closes */
static void *
feed(void *arg)
{
	struct feeder *f = arg;
	char	 buf[4096];
	struct pollfd pfd;
	ssize_t	 n;

	pfd.fd = f->fd;
	for (;;) {
		if (f->greeted)
			feed_end(f);
		pfd.events = POLLIN | (f->greeted && f->off < f->size ? POLLOUT : 0);
		if (poll(&pfd, 1, 5000) <= 0)
			break;
		if (pfd.revents & POLLIN) {
			if ((n = read(f->fd, buf, sizeof(buf))) <= 0)
				break;
			if (memchr(buf, '\n', (size_t)n) != NULL)
				f->greeted = true;
		} else if (pfd.revents & (POLLHUP | POLLERR))
			break;
		if (pfd.revents & POLLOUT) {
			n = send(f->fd, f->data + f->off, f->size - f->off,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0)
				break;
			f->off += (size_t)n;
		}
	}
	close(f->fd);
	return (NULL);
}

/* fuzz_config - one configuration per knob byte */
static struct smtpd_config *
fuzz_config(uint8_t knobs)
{
	static struct smtpd_config *configs[32];
	static const char *bare[] = { "yes", "no", "normalize", "yes" };
	struct smtpd_config *sc;
	struct config *cfg;
	unsigned k = (knobs & 15) | ((knobs & KNOB_RESTRICTIONS) ? 16 : 0);

	if (configs[k] != NULL)
		return (configs[k]);
	cfg = config_new("/nonexistent");
	config_set(cfg, "alias_maps", "");
	config_set(cfg, "local_recipient_maps", "inline:{root=x, postmaster=x}");
	config_set(cfg, "myhostname", "mx.fuzz.example");
	config_set(cfg, "smtpd_error_sleep_time", "0");
	config_set(cfg, "smtpd_timeout", "5s");
	config_set(cfg, "message_size_limit", "20000");
	config_set(cfg, "smtpd_recipient_limit", "5");
	config_set(cfg, "smtpd_forbid_bare_newline", bare[k & 3]);
	config_set(cfg, "strict_rfc821_envelopes", (k & 4) ? "yes" : "no");
	config_set(cfg, "mynetworks", (k & 8) ? "" : "127.0.0.0/8");
	config_set(cfg, "smtpd_peername_lookup", "no");
	if (k & 16) {
		config_set(cfg, "smtpd_restriction_classes", "strict, loose");
		config_set(cfg, "strict", "reject_non_fqdn_recipient, loose");
		config_set(cfg, "loose", "defer_if_reject, permit_auth_destination");
		config_set(cfg, "smtpd_client_restrictions",
		    "warn_if_reject reject_unauth_pipelining, sleep 0");
		config_set(cfg, "smtpd_helo_restrictions",
		    "reject_invalid_helo_hostname, warn_if_reject "
		    "reject_non_fqdn_helo_hostname");
		config_set(cfg, "smtpd_sender_restrictions",
		    "reject_non_fqdn_sender, reject_unlisted_sender, "
		    "defer_if_permit");
		config_set(cfg, "smtpd_recipient_restrictions",
		    "reject_multi_recipient_bounce, strict, reject_unlisted_recipient");
		config_set(cfg, "smtpd_data_restrictions",
		    "reject_multi_recipient_bounce, reject_unauth_pipelining");
		config_set(cfg, "smtpd_end_of_data_restrictions",
		    "warn_if_reject reject");
		config_set(cfg, "smtpd_reject_footer", "\\c (see $client_address "
		    "${helo_name?for $helo_name} $recipient_domain)\\nbye");
		config_set(cfg, "smtpd_delay_reject", (k & 1) ? "no" : "yes");
		config_set(cfg, "soft_bounce", (k & 2) ? "yes" : "no");
	}
	sc = xcalloc(1, sizeof(*sc));
	smtpd_config_load(sc, cfg);
	configs[k] = sc;		/* kept for the life of the fuzzer */
	fuzz_smtpd_configs[k] = cfg;
	return (sc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int initialized;
	struct feeder f;
	pthread_t thread;
	int	 pair[2];

	if (!initialized) {
		msg_open("smtpd", "/dev/null");
		initialized = 1;
	}
	if (size == 0)
		return (0);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0)
		abort();
	fuzz_cleanup_refuses = (data[0] & KNOB_CLEANUP_REFUSES) != 0;
	fuzz_forbid_bare = (data[0] & 3) == 0 || (data[0] & 3) == 3;	/* "yes" */
	memset(&f, 0, sizeof(f));
	f.fd = pair[1];
	f.data = data + 1;
	f.size = size - 1;
	if (data[0] & KNOB_TALK_FIRST) {
		/* what fits in the socket is there before smtpd looks */
		ssize_t n = send(f.fd, f.data, f.size, MSG_NOSIGNAL | MSG_DONTWAIT);

		f.off = n > 0 ? (size_t)n : 0;
		f.greeted = true;
		feed_end(&f);
	}
	if (pthread_create(&thread, NULL, feed, &f) != 0)
		abort();
	smtpd_session_run(fuzz_config(data[0]), pair[0]);
	close(pair[0]);
	pthread_join(thread, NULL);
	return (0);
}
