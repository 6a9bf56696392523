/*
 * policy_request - the attributes smtpd sends a policy server
 * (check_policy_service, restrict_policy.c), in Postfix's
 * SMTPD_POLICY_README set and order, taken from the session.
 *
 * Every attribute Postfix 3.x sends is sent, in its order, empty when
 * Sluice has nothing for it (no SASL yet, no client certificates, no
 * ETRN, no SNI kept, never under stress), so that a policy server
 * written for Postfix finds each name.  As Postfix does, BDAT is
 * reported as DATA, and recipient_count is 0 before DATA.
 * "instance" names the mail transaction: the same for every request of
 * one message, new for the next one (policy servers count recipients
 * per message with it).
 *
 * Parameters: smtpd_policy_service_policy_context (the caller's).
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mail_version.h"
#include "policy_proto.h"
#include "smtpd.h"
#include "sock.h"

/*
 * Postfix's compatibility level whose defaults Sluice keeps (postconf(5)
 * compatibility_level: smtputf8_enable, relay restrictions and the rest
 * as Postfix 3.6 and later have them)
 */
#define POLICY_COMPATIBILITY_LEVEL	"3.6"

/*
 * transaction_instance - this transaction's name, made at its first use
 * after MAIL was accepted; "" outside a transaction, as in Postfix
 */
static const char *
transaction_instance(struct smtpd_session *s)
{
	static unsigned long seq;	/* per process; sessions never race */
	struct timeval tv;

	if (!s->txn.active)
		return ("");
	if (s->txn.policy_instance[0] == 0) {
		gettimeofday(&tv, NULL);
		snprintf(s->txn.policy_instance, sizeof(s->txn.policy_instance),
		    "%lx.%lx.%lx.%lx", (unsigned long)getpid(),
		    (unsigned long)tv.tv_sec, (unsigned long)tv.tv_usec, seq++);
	}
	return (s->txn.policy_instance);
}

/* server_endpoint - the address and port the client connected to */
static void
server_endpoint(const struct smtpd_session *s, char *addr, size_t size,
    char *port, size_t port_size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int	 num = 0;

	addr[0] = port[0] = 0;
	if (s->stream == NULL ||
	    getsockname(stream_fd(s->stream), (struct sockaddr *)&ss, &len) < 0 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) ||
	    sockaddr_format((struct sockaddr *)&ss, len, addr, size, &num) < 0) {
		addr[0] = 0;
		return;
	}
	snprintf(port, port_size, "%d", num);
}

/* num_attr - a number as attribute text */
static void
num_attr(struct strbuf *req, const char *name, long value)
{
	char	 buf[24];

	snprintf(buf, sizeof(buf), "%ld", value);
	policy_request_attr(req, name, buf);
}

/* counted_state - where Postfix sends the recipient count, not 0 */
static bool
counted_state(const char *state)
{
	return (strcmp(state, "DATA") == 0 ||
	    strcmp(state, "END-OF-MESSAGE") == 0);
}

/* smtpd_policy_request - see smtpd.h */
void
smtpd_policy_request(struct smtpd_session *s, const char *state,
    const char *sender, const char *recipient, const char *context,
    struct strbuf *req)
{
	struct smtpd_txn *t = &s->txn;
	char	 addr[64], port[8];

	if (strcmp(state, "BDAT") == 0)
		state = "DATA";
	if (sender == NULL)
		sender = t->active ? t->sender : "";
	if (recipient == NULL && t->rcpt_count == 1 && counted_state(state))
		recipient = t->rcpts[0].address;
	strbuf_reset(req);
	policy_request_attr(req, "request", "smtpd_access_policy");
	policy_request_attr(req, "protocol_state", state);
	policy_request_attr(req, "protocol_name", s->esmtp ? "ESMTP" : "SMTP");
	policy_request_attr(req, "client_address", s->peer.addr);
	policy_request_attr(req, "client_name", s->peer.name);
	num_attr(req, "client_port", s->peer.port);
	policy_request_attr(req, "reverse_client_name", s->peer.reverse_name);
	server_endpoint(s, addr, sizeof(addr), port, sizeof(port));
	policy_request_attr(req, "server_address", addr);
	policy_request_attr(req, "server_port", port);
	policy_request_attr(req, "helo_name", s->helo_name);
	policy_request_attr(req, "sender", sender);
	policy_request_attr(req, "recipient", recipient);
	num_attr(req, "recipient_count", counted_state(state) ?
	    (long)t->rcpt_count : 0);
	policy_request_attr(req, "queue_id", t->queue_id);
	policy_request_attr(req, "instance", transaction_instance(s));
	num_attr(req, "size", (long)(t->sink.size > 0 ? t->sink.size :
	    t->declared_size));
	policy_request_attr(req, "etrn_domain", "");
	policy_request_attr(req, "stress", "");
	/* no SASL in Sluice yet: empty, as Postfix sends for no login */
	policy_request_attr(req, "sasl_method", "");
	policy_request_attr(req, "sasl_username", "");
	policy_request_attr(req, "sasl_sender", "");
	/* client certificates are never asked for (smtpd_tls_ask_ccert) */
	policy_request_attr(req, "ccert_subject", "");
	policy_request_attr(req, "ccert_issuer", "");
	policy_request_attr(req, "ccert_fingerprint", "");
	policy_request_attr(req, "ccert_pubkey_fingerprint", "");
	policy_request_attr(req, "encryption_protocol", s->tls_active ?
	    s->tls_info.protocol : "");
	policy_request_attr(req, "encryption_cipher", s->tls_active ?
	    s->tls_info.cipher : "");
	num_attr(req, "encryption_keysize", s->tls_active ? s->tls_info.bits : 0);
	/* the SNI name the client asked for is not kept by lib/tls */
	policy_request_attr(req, "tls_sni", "");
	policy_request_attr(req, "policy_context", context);
	policy_request_attr(req, "compatibility_level",
	    POLICY_COMPATIBILITY_LEVEL);
	policy_request_attr(req, "mail_version", SLUICE_MAIL_VERSION);
	policy_request_end(req);
}
