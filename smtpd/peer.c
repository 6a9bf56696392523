/*
 * peer - who is on the other end of the SMTP connection.
 *
 * The address comes from getpeername(2).  With smtpd_peername_lookup the
 * name is, first, the one the administrator listed in /etc/hosts (a
 * snapshot taken before the chroot, hosts.c); otherwise a PTR name of the
 * address, kept only when it resolves forward to the same address again
 * (anyone controlling a reverse zone could claim any name).  Any failure,
 * temporary ones included, yields "unknown", as Postfix does; the
 * reverse name (the PTR name, confirmed or not) and how each lookup
 * ended are kept for reject_unknown_client_hostname and
 * reject_unknown_reverse_client_hostname.
 *
 * The DNS half goes through lib/dns (libunbound), never the libc
 * resolver: lib/dns waits for its answers in a way that can yield to
 * other sessions of the process, while getnameinfo() would stall all of
 * them for as long as a slow DNS server takes.  The resolver context is
 * created before the chroot (smtpd_peer_prepare), as it reads its files.
 *
 * Parameters: smtpd_peername_lookup (the resolver itself:
 * dns_resolver_address, dns_trust_anchor_file, inet_protocols).
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dns.h"
#include "msg.h"
#include "smtpd.h"
#include "sock.h"
#include "strbuf.h"
#include "strlist.h"

/*
 * A reverse zone may list many names; each costs a forward query, so
 * only the first few are tried.
 */
#define PEER_FORWARD_TRIES	4

/* smtpd_peer_prepare - pre-chroot: hosts snapshot and resolver context */
void
smtpd_peer_prepare(struct config *cfg, bool lookup)
{
	struct strbuf err;

	if (!lookup)
		return;
	smtpd_hosts_load();
	if (dns_initialized())
		return;
	/* no resolver only means nameless clients: not worth refusing mail */
	strbuf_init(&err);
	if (dns_init(cfg, &err) != 0)
		msg_warn("no DNS for client names: %s", err.data);
	strbuf_free(&err);
}

/* name_plausible - a hosts-file name we are willing to print and log */
static bool
name_plausible(const char *name)
{
	const char *cp;

	if (*name == '\0' || strlen(name) > 255)
		return (false);
	for (cp = name; *cp; cp++)
		if (!((*cp >= 'a' && *cp <= 'z') || (*cp >= 'A' && *cp <= 'Z')
		    || (*cp >= '0' && *cp <= '9') || *cp == '-' || *cp == '.'
		    || *cp == '_'))
			return (false);
	return (true);
}

/*
 * dns_name - a PTR name of addr that resolves back to it, into peer->name;
 * false leaves the name alone.  A name that does not confirm is logged,
 * as Postfix does: the administrator of the client may want to know.
 */
static bool
dns_name(struct smtpd_peer *peer)
{
	struct strlist names;
	struct strbuf why;
	size_t i;
	int status = DNS_NOTFOUND;

	strlist_init(&names);
	strbuf_init(&why);
	status = dns_lookup_ptr(peer->addr, &names, &why);
	peer->reverse_status = status == DNS_OK ? PEER_NAME_OK :
	    status == DNS_TEMPFAIL ? PEER_NAME_TEMP : PEER_NAME_PERM;
	peer->name_status = peer->reverse_status;
	if (status == DNS_OK && names.count > 0) {
		snprintf(peer->reverse_name, sizeof(peer->reverse_name), "%s",
		    names.items[0]);
		status = DNS_NOTFOUND;
		for (i = 0; i < names.count && i < PEER_FORWARD_TRIES; i++) {
			status = dns_host_has_addr(names.items[i], peer->addr, &why);
			if (status == DNS_OK) {
				snprintf(peer->name, sizeof(peer->name), "%s",
				    names.items[i]);
				break;
			}
			if (status == DNS_TEMPFAIL) {
				msg_warn("hostname %s verification failed for "
				    "address %s: %s", names.items[i], peer->addr,
				    why.data);
				break;
			}
		}
		if (status != DNS_OK && status != DNS_TEMPFAIL)
			msg_warn("hostname %s does not resolve to address %s",
			    names.items[0], peer->addr);
		peer->name_status = status == DNS_OK ? PEER_NAME_OK :
		    status == DNS_TEMPFAIL ? PEER_NAME_TEMP : PEER_NAME_FORGED;
	}
	strbuf_free(&why);
	strlist_free(&names);
	return (status == DNS_OK);
}

/* peer_name - the verified name of peer->addr, or leave "unknown" */
static void
peer_name(struct smtpd_peer *peer)
{
	const char *listed;

	if ((listed = smtpd_hosts_name(peer->addr)) != NULL
	    && name_plausible(listed)) {
		snprintf(peer->name, sizeof(peer->name), "%s", listed);
		snprintf(peer->reverse_name, sizeof(peer->reverse_name), "%s",
		    listed);
		peer->name_status = peer->reverse_status = PEER_NAME_OK;
	} else
		(void)dns_name(peer);
}

/* smtpd_peer_init - fill peer from the connected socket fd */
void
smtpd_peer_init(struct smtpd_peer *peer, int fd, bool lookup)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int	 rc;

	memset(peer, 0, sizeof(*peer));
	memset(&ss, 0, sizeof(ss));
	strcpy(peer->name, "unknown");
	strcpy(peer->reverse_name, "unknown");
	strcpy(peer->addr, "unknown");
	/* without a lookup nothing is known: as a failed one */
	peer->name_status = peer->reverse_status = PEER_NAME_PERM;
	rc = getpeername(fd, (struct sockaddr *)&ss, &len);
	if (rc == 0 && (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)) {
		if (sockaddr_format((struct sockaddr *)&ss, len, peer->addr,
		    sizeof(peer->addr), &peer->port) != 0)
			strcpy(peer->addr, "unknown");
		else if (lookup)
			peer_name(peer);
	} else if ((rc == 0 && ss.ss_family == AF_UNIX) ||
	    (rc < 0 && errno == ENOTSOCK)) {
		/* local IPC, or the pipe of smtpd -S (sendmail -bs) */
		strcpy(peer->name, "localhost");
		strcpy(peer->reverse_name, "localhost");
		strcpy(peer->addr, "127.0.0.1");
		peer->name_status = peer->reverse_status = PEER_NAME_OK;
	}
	snprintf(peer->namaddr, sizeof(peer->namaddr), "%s[%s]", peer->name,
	    peer->addr);
}
