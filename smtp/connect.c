/*
 * connect - find the hosts of a next hop and open a session with one.
 *
 * MX hosts are tried in the order lib/dns returns them (preference,
 * random among equals), each of their addresses in turn.  Anything that
 * goes wrong before the server has accepted our EHLO (refused, timeout,
 * a 4xx or 5xx greeting, a broken session) moves on to the next address;
 * when none is left the delivery is deferred with the last reason.
 * smtp_mx_address_limit bounds the addresses tried, smtp_mx_session_limit
 * the sessions that got as far as a greeting.  A DNS failure defers; only
 * a definite "no such domain" or a null MX bounces.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns.h"
#include "mem.h"
#include "msg.h"
#include "smtp.h"
#include "sock.h"

/* smtp_session_free - close the stream and release the session */
void
smtp_session_free(struct smtp_session *sess)
{
	if (sess == NULL)
		return;
	if (sess->s != NULL) {
		if (sess->tls_active)
			tls_stop(sess->s);
		stream_close(sess->s);
	}
	free(sess->key);
	free(sess->tls_policy_key);
	free(sess->hostname);
	free(sess->addr);
	free(sess->relay);
	free(sess->auth_mechs);
	free(sess);
}

/* connect_timed - non-blocking connect bounded by timeout seconds */
static int
connect_timed(const struct sockaddr *sa, socklen_t len, const char *bind_addr,
    int timeout, struct strbuf *why)
{
	struct pollfd pfd;
	socklen_t elen = sizeof(int);
	int	 fd, err = 0, rc;

	if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		strbuf_printf(why, "socket: %s", strerror(errno));
		return (-1);
	}
	if (bind_addr != NULL && *bind_addr != '\0' && sa->sa_family == AF_INET) {
		struct sockaddr_in bsa;

		memset(&bsa, 0, sizeof(bsa));
		bsa.sin_family = AF_INET;
		if (inet_pton(AF_INET, bind_addr, &bsa.sin_addr) != 1 ||
		    bind(fd, (struct sockaddr *)&bsa, sizeof(bsa)) < 0) {
			strbuf_printf(why, "bind %s: %s", bind_addr,
			    strerror(errno ? errno : EINVAL));
			close(fd);
			return (-1);
		}
	}
	sock_set_nonblock(fd, true);
	if (connect(fd, sa, len) < 0) {
		if (errno != EINPROGRESS) {
			strbuf_puts(why, strerror(errno));
			close(fd);
			return (-1);
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do
			rc = poll(&pfd, 1, timeout * 1000);
		while (rc < 0 && errno == EINTR);
		if (rc == 0) {
			strbuf_puts(why, "Connection timed out");
			close(fd);
			return (-1);
		}
		if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0
		    || err != 0) {
			strbuf_puts(why, strerror(err ? err : errno));
			close(fd);
			return (-1);
		}
	}
	sock_set_nonblock(fd, false);
	return (fd);
}

/* numeric_host - a literal address as a one-host list */
static bool
numeric_host(const char *host, struct dns_hosts *out)
{
	struct sockaddr_in *sin;
	struct sockaddr_in6 *sin6;
	struct dns_addr a;
	const char *h = host;

	memset(&a, 0, sizeof(a));
	if (strncasecmp(h, "ipv6:", 5) == 0)
		h += 5;
	sin = (struct sockaddr_in *)&a.sa;
	sin6 = (struct sockaddr_in6 *)&a.sa;
	if (inet_pton(AF_INET, h, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		a.len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, h, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		a.len = sizeof(*sin6);
	} else
		return (false);
	out->hosts = xcalloc(1, sizeof(*out->hosts));
	out->count = 1;
	out->hosts[0].name = xstrdup(h);
	out->hosts[0].addrs = xmalloc(sizeof(a));
	out->hosts[0].addrs[0] = a;
	out->hosts[0].addr_count = 1;
	return (true);
}

/* numeric_free - release what numeric_host built */
static void
numeric_free(struct dns_hosts *hosts)
{
	for (size_t i = 0; i < hosts->count; i++) {
		free(hosts->hosts[i].name);
		free(hosts->hosts[i].addrs);
	}
	free(hosts->hosts);
	memset(hosts, 0, sizeof(*hosts));
}

/* native_host - getaddrinfo (smtp_host_lookup = native): one host */
static int
native_host(const char *host, struct dns_hosts *out, struct strbuf *why)
{
	struct addrinfo hints, *res, *ai;
	size_t	 n = 0;
	int	 rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		strbuf_printf(why, "%s: %s", host, gai_strerror(rc));
		return (rc == EAI_NONAME ? DNS_NOTFOUND : DNS_TEMPFAIL);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		n++;
	out->hosts = xcalloc(1, sizeof(*out->hosts));
	out->count = 1;
	out->hosts[0].name = xstrdup(host);
	out->hosts[0].addrs = xcalloc(n ? n : 1, sizeof(struct dns_addr));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		struct dns_addr *a = &out->hosts[0].addrs[out->hosts[0].addr_count];

		if (ai->ai_addrlen > sizeof(a->sa))
			continue;
		memcpy(&a->sa, ai->ai_addr, ai->ai_addrlen);
		a->len = ai->ai_addrlen;
		out->hosts[0].addr_count++;
	}
	freeaddrinfo(res);
	return (DNS_OK);
}

/* lookup_hosts - the hosts to try; DNS_* with why and dsn on failure */
static int
lookup_hosts(const struct smtp_params *p, const struct smtp_nexthop *nh,
    struct dns_hosts *out, bool *numeric, char dsn[16], struct strbuf *why)
{
	int	 rc;

	memset(out, 0, sizeof(*out));
	if (numeric_host(nh->host, out)) {
		*numeric = true;
		return (DNS_OK);
	}
	*numeric = false;
	if (!nh->mx && !p->host_lookup_dns && p->host_lookup_native) {
		/* our own list: freed like a numeric one */
		*numeric = true;
		rc = native_host(nh->host, out, why);
	} else
		rc = nh->mx ? dns_lookup_mx(nh->host, out, why) :
		    dns_lookup_host(nh->host, out, why);
	switch (rc) {
	case DNS_OK:
		if (out->count > 0)
			return (DNS_OK);
		rc = DNS_NOTFOUND;
		/* FALLTHROUGH */
	case DNS_NOTFOUND:
		snprintf(dsn, 16, "5.4.4");
		strbuf_printf(why, "%sHost or domain name not found. Name service "
		    "error for name=%s type=%s: Host not found",
		    why->len ? "; " : "", nh->host, nh->mx ? "MX" : "A");
		break;
	case DNS_NULLMX:
		snprintf(dsn, 16, "5.1.10");
		strbuf_set(why, "");
		strbuf_printf(why, "nexthop %s does not accept mail (nullMX)",
		    nh->host);
		break;
	case DNS_INVALID:
		snprintf(dsn, 16, "4.4.3");
		if (why->len == 0)
			strbuf_printf(why, "invalid DNS answer for %s", nh->host);
		break;
	default:
		snprintf(dsn, 16, "4.4.3");
		if (why->len == 0)
			strbuf_printf(why, "Host or domain name lookup failure "
			    "for %s: temporary DNS failure", nh->host);
		break;
	}
	return (rc);
}

/* session_new - wrap a connected descriptor */
static struct smtp_session *
session_new(int fd, bool lmtp, const char *key, const char *hostname,
    const char *addr, int port)
{
	struct smtp_session *sess = xcalloc(1, sizeof(*sess));
	struct strbuf relay;

	sess->s = stream_open(fd);
	sess->lmtp = lmtp;
	sess->key = xstrdup(key);
	sess->hostname = xstrdup(hostname);
	sess->addr = xstrdup(addr);
	sess->port = port;
	strbuf_init(&relay);
	if (port > 0)
		strbuf_printf(&relay, "%s[%s]:%d", hostname, addr, port);
	else
		strbuf_printf(&relay, "%s[%s]", hostname, addr);
	sess->relay = strbuf_detach(&relay);
	strbuf_free(&relay);
	return (sess);
}

/* try_session - greeting and EHLO; the session, or NULL with why */
static struct smtp_session *
try_session(struct smtp_agent *a, struct smtp_session *sess, int level,
    bool *retry_plain, int *status, char dsn[16], struct strbuf *why)
{
	sess->tls_level = level;
	*retry_plain = false;
	smtp_session_watch(a, sess);
	if (smtp_session_start(a, sess, why, status, dsn) == 0) {
		/* what reuse.c compares with the next delivery's policy */
		sess->tls_policy_key = smtp_tls_policy_key(a, sess);
		return (sess);
	}
	*retry_plain = sess->tls_retry_plain;
	smtp_session_free(sess);
	return (NULL);
}

/*
 * smtp_connect - a ready session for nh (after EHLO).  0 with *out, or -1
 * with *status 4 or 5, dsn and why.
 */
int
smtp_connect(struct smtp_agent *a, const struct smtp_nexthop *nh,
    const char *key, struct smtp_session **out, int *status, char dsn[16],
    struct strbuf *why)
{
	struct dns_hosts hosts;
	struct strbuf err;
	unsigned addresses = 0, sessions = 0;
	bool	 numeric = false, retry_plain;
	int	 level = a->policy != NULL ? (int)a->policy->level : SMTP_TLS_NONE;
	int	 fd, port;

	*out = NULL;
	*status = 4;
	strbuf_reset(why);
	snprintf(dsn, 16, "4.4.1");
	if (nh->unix_path) {
		if ((fd = unix_connect(nh->host, a->p.connect_timeout)) < 0) {
			strbuf_printf(why, "connect to %s: %s", nh->host,
			    strerror(errno));
			return (-1);
		}
		*out = try_session(a, session_new(fd, nh->lmtp, key, nh->host,
		    "unix", 0), level, &retry_plain, status, dsn, why);
		return (*out != NULL ? 0 : -1);
	}
	port = atoi(nh->port);
	if (lookup_hosts(&a->p, nh, &hosts, &numeric, dsn, why) != DNS_OK) {
		*status = dsn[0] == '5' ? 5 : 4;
		if (numeric)
			numeric_free(&hosts);
		else
			dns_hosts_free(&hosts);
		return (-1);
	}
	strbuf_init(&err);
	for (size_t h = 0; h < hosts.count && *out == NULL; h++) {
		struct dns_host *dh = &hosts.hosts[h];

		for (size_t i = 0; i < dh->addr_count && *out == NULL; i++) {
			struct dns_addr *da = &dh->addrs[i];
			char	 addr[INET6_ADDRSTRLEN + 8];
			int	 dummy;

			if (a->p.mx_address_limit > 0 &&
			    addresses >= (unsigned)a->p.mx_address_limit)
				break;
			if (a->p.mx_session_limit > 0 &&
			    sessions >= (unsigned)a->p.mx_session_limit)
				break;
			/* qmgr gave up on this request: nobody waits for more */
			if (smtp_request_withdrawn(a))
				break;
			addresses++;
			if (da->sa.ss_family == AF_INET)
				((struct sockaddr_in *)&da->sa)->sin_port =
				    htons((unsigned short)port);
			else if (da->sa.ss_family == AF_INET6)
				((struct sockaddr_in6 *)&da->sa)->sin6_port =
				    htons((unsigned short)port);
			else
				continue;
			if (sockaddr_format((struct sockaddr *)&da->sa, da->len,
			    addr, sizeof(addr), &dummy) < 0)
				snprintf(addr, sizeof(addr), "unknown");
			strbuf_reset(&err);
			fd = connect_timed((struct sockaddr *)&da->sa, da->len,
			    a->p.bind_address, a->p.connect_timeout, &err);
			if (fd < 0) {
				strbuf_reset(why);
				strbuf_printf(why, "connect to %s[%s]:%d: %s",
				    dh->name, addr, port, err.data);
				snprintf(dsn, 16, "4.4.1");
				msg_info("%s", why->data);
				continue;
			}
			sessions++;
			*out = try_session(a, session_new(fd, nh->lmtp, key,
			    dh->name, addr, port), level, &retry_plain, status,
			    dsn, why);
			if (*out == NULL && retry_plain) {
				/* level "may": the same host again, in plaintext */
				msg_info("%s; retrying without TLS", why->data);
				strbuf_reset(&err);
				fd = connect_timed((struct sockaddr *)&da->sa,
				    da->len, a->p.bind_address,
				    a->p.connect_timeout, &err);
				if (fd >= 0)
					*out = try_session(a, session_new(fd,
					    nh->lmtp, key, dh->name, addr, port),
					    SMTP_TLS_NONE, &retry_plain, status,
					    dsn, why);
			}
			if (*out == NULL)
				msg_info("%s", why->data);
		}
	}
	if (*out == NULL) {
		/* every host failed: try again later (Postfix does the same) */
		*status = 4;
		dsn[0] = '4';
		if (why->len == 0)
			strbuf_printf(why, "no usable address for %s", nh->host);
	}
	if (numeric)
		numeric_free(&hosts);
	else
		dns_hosts_free(&hosts);
	strbuf_free(&err);
	return (*out != NULL ? 0 : -1);
}
