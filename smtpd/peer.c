/*
 * peer - who is on the other end of the SMTP connection.
 *
 * The address comes from getpeername(2).  With smtpd_peername_lookup the
 * name is the PTR name of the address, kept only when it resolves forward
 * to the same address again (otherwise anyone controlling a reverse zone
 * could claim any name); any failure yields "unknown", as Postfix does.
 * smtpd may run chrooted, so the resolver and the name-service modules
 * are loaded before the chroot (smtpd_peer_prepare) and the resolver is
 * told to give up quickly: a slow DNS server must not hold the session.
 *
 * Parameters: smtpd_peername_lookup.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/nameser.h>

#include <netdb.h>
#include <resolv.h>
#include <stdio.h>
#include <string.h>

#include "msg.h"
#include "smtpd.h"
#include "sock.h"

/* smtpd_peer_prepare - load resolver state and NSS modules pre-chroot */
void
smtpd_peer_prepare(void)
{
	struct addrinfo hints, *res = NULL;
	char host[NI_MAXHOST];
	struct sockaddr_in sin;

	if (res_init() == 0) {
		_res.retrans = 2;	/* seconds per try */
		_res.retry = 1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo("localhost", NULL, &hints, &res) == 0)
		freeaddrinfo(res);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	(void)getnameinfo((struct sockaddr *)&sin, sizeof(sin), host, sizeof(host),
	    NULL, 0, NI_NAMEREQD);
	smtpd_hosts_load();
}

/* forward_confirmed - does name resolve back to addr */
static bool
forward_confirmed(const char *name, const char *addr)
{
	struct addrinfo hints, *res, *ai;
	char text[64];
	int port;
	bool found = false;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(name, NULL, &hints, &res) != 0)
		return (false);
	for (ai = res; ai != NULL && !found; ai = ai->ai_next) {
		if (sockaddr_format(ai->ai_addr, ai->ai_addrlen, text,
		    sizeof(text), &port) == 0 && strcmp(text, addr) == 0)
			found = true;
	}
	freeaddrinfo(res);
	return (found);
}

/* name_plausible - a PTR answer we are willing to print and log */
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

/* smtpd_peer_init - fill peer from the connected socket fd */
void
smtpd_peer_init(struct smtpd_peer *peer, int fd, bool lookup)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[NI_MAXHOST];
	const char *listed;

	memset(peer, 0, sizeof(*peer));
	memset(&ss, 0, sizeof(ss));
	strcpy(peer->name, "unknown");
	strcpy(peer->addr, "unknown");
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0
	    && (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)) {
		if (sockaddr_format((struct sockaddr *)&ss, len, peer->addr,
		    sizeof(peer->addr), &peer->port) != 0)
			strcpy(peer->addr, "unknown");
		else if (lookup && (listed = smtpd_hosts_name(peer->addr)) != NULL
		    && name_plausible(listed))
			snprintf(peer->name, sizeof(peer->name), "%s", listed);
		else if (lookup && getnameinfo((struct sockaddr *)&ss, len, host,
		    sizeof(host), NULL, 0, NI_NAMEREQD) == 0
		    && name_plausible(host) && forward_confirmed(host, peer->addr))
			snprintf(peer->name, sizeof(peer->name), "%s", host);
	} else if (ss.ss_family == AF_UNIX) {
		strcpy(peer->name, "localhost");
		strcpy(peer->addr, "127.0.0.1");	/* local IPC, trusted */
	}
	snprintf(peer->namaddr, sizeof(peer->namaddr), "%s[%s]", peer->name,
	    peer->addr);
}
