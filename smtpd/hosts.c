/*
 * hosts - a snapshot of /etc/hosts taken before the chroot.
 *
 * Inside the chroot the resolver library has no hosts file, so a client on
 * 127.0.0.1 (or any address the administrator listed in /etc/hosts) would
 * need a DNS PTR query, which on some networks stalls for the resolver's
 * full timeout before failing.  The snapshot answers those addresses at
 * once, with the first name listed: a name the administrator wrote down
 * counts as forward-confirmed.  Bounded in lines and size.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "smtpd.h"
#include "sock.h"
#include "strbuf.h"

#define HOSTS_PATH	"/etc/hosts"
#define HOSTS_MAX	4096		/* entries kept */
#define HOSTS_LINE_MAX	1024

struct hosts_entry {
	char	*addr;			/* as sockaddr_format() prints it */
	char	*name;
};

static struct hosts_entry *hosts;
static size_t hosts_count;

/* canonical_addr - the address text the way smtpd prints peers */
static bool
canonical_addr(const char *text, char *out, size_t size)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	int	 port;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, text, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		return (sockaddr_format((struct sockaddr *)&sin, sizeof(sin), out,
		    size, &port) == 0);
	}
	if (inet_pton(AF_INET6, text, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		return (sockaddr_format((struct sockaddr *)&sin6, sizeof(sin6),
		    out, size, &port) == 0);
	}
	return (false);
}

/* smtpd_hosts_load - read /etc/hosts once (pre-chroot) */
void
smtpd_hosts_load(void)
{
	char	 line[HOSTS_LINE_MAX], addr[64], *p, *a, *n;
	FILE	*fp;

	if (hosts != NULL || (fp = fopen(HOSTS_PATH, "re")) == NULL)
		return;
	hosts = xcalloc(HOSTS_MAX, sizeof(*hosts));
	while (hosts_count < HOSTS_MAX && fgets(line, sizeof(line), fp) != NULL) {
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		if ((a = strtok(line, " \t\r\n")) == NULL ||
		    (n = strtok(NULL, " \t\r\n")) == NULL ||
		    !canonical_addr(a, addr, sizeof(addr)))
			continue;
		for (size_t i = 0; i < hosts_count; i++)
			if (strcmp(hosts[i].addr, addr) == 0)
				goto next;		/* the first line wins */
		hosts[hosts_count].addr = xstrdup(addr);
		hosts[hosts_count].name = xstrdup(n);
		hosts_count++;
next:		;
	}
	fclose(fp);
}

/* smtpd_hosts_name - the hosts-file name of addr, or NULL */
const char *
smtpd_hosts_name(const char *addr)
{
	for (size_t i = 0; i < hosts_count; i++)
		if (strcmp(hosts[i].addr, addr) == 0)
			return (hosts[i].name);
	return (NULL);
}
