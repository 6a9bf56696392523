/*
 * test_dns - unit tests for lib/dns*.c against a real authoritative server.
 *
 * The test starts Debian's nsd on a free loopback port with a "test." zone
 * (MX at two preferences and at equal ones, null MX, A-only, AAAA-only,
 * CNAMEs, a dangling MX; the server names of check_*_mx_access and
 * check_*_ns_access), reverse zones under in-addr.arpa and ip6.arpa
 * (loopback and RFC 1918 addresses, which libunbound would answer itself
 * unless told otherwise) and points dns_resolver_address at it; a second
 * context points at a port where nothing listens, for DNS_TEMPFAIL.  The
 * wire decoders have their own file, test_dns_wire.c.  Without
 * /usr/sbin/nsd the server cases are skipped (with a message); the
 * offline cases still run.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "dns.h"
#include "dns_impl.h"
#include "strbuf.h"
#include "strlist.h"

#ifndef NSD_PATH
#define NSD_PATH	"/usr/sbin/nsd"
#endif

static char server_dir[] = "/tmp/test_dns.XXXXXX";
static pid_t nsd_pid = -1;
static int nsd_port;
static struct config *cfg;
static struct strbuf why;

static const char zone_text[] =
	"$ORIGIN test.\n"
	"$TTL 60\n"
	"@ IN SOA ns.test. admin.test. 1 3600 600 86400 60\n"
	"@ IN NS ns\n"
	"ns IN A 127.0.0.1\n"
	"mx IN MX 20 mx2.mx\n"
	"mx IN MX 10 mx1.mx\n"
	"mx1.mx IN A 127.0.0.2\n"
	"mx2.mx IN A 127.0.0.3\n"
	"mx2.mx IN AAAA ::3\n"
	"eq IN MX 10 h1.eq\n"
	"eq IN MX 10 h2.eq\n"
	"eq IN MX 10 h3.eq\n"
	"eq IN MX 10 h4.eq\n"
	"eq IN MX 5 first.eq\n"
	"first.eq IN A 127.0.1.5\n"
	"h1.eq IN A 127.0.1.1\n"
	"h2.eq IN A 127.0.1.2\n"
	"h3.eq IN A 127.0.1.3\n"
	"h4.eq IN A 127.0.1.4\n"
	"nullmx IN MX 0 .\n"
	"nullmx IN A 127.0.0.9\n"
	"nomx IN A 127.0.0.4\n"
	"nomx IN AAAA ::4\n"
	"cname IN CNAME nomx\n"
	"cnamemx IN MX 10 alias.cnamemx\n"
	"alias.cnamemx IN CNAME mx1.mx\n"
	"aaaa IN AAAA ::5\n"
	"deadmx IN MX 10 nowhere.deadmx\n"
	"halfdead IN MX 10 nowhere.halfdead\n"
	"halfdead IN MX 20 mx1.mx\n"
	"txtonly IN TXT \"no mail here\"\n"
	"good.ptr IN A 127.0.0.2\n"
	"bad.ptr IN A 127.0.0.99\n"
	"six.ptr IN A 127.0.0.6\n"
	"lan.ptr IN A 10.0.0.1\n"
	"v6.ptr IN AAAA ::2\n"
	"v6.ptr IN A 127.0.0.2\n";

/* reverse zones: what the PTR cases look up */
static const char in_addr_text[] =
	"$ORIGIN in-addr.arpa.\n"
	"$TTL 60\n"
	"@ IN SOA ns.test. admin.test. 1 3600 600 86400 60\n"
	"@ IN NS ns.test.\n"
	"2.0.0.127 IN PTR good.ptr.test.\n"
	"3.0.0.127 IN PTR bad.ptr.test.\n"
	"4.0.0.127 IN PTR 10.0.0.1.\n"
	"5.0.0.127 IN PTR -dash.ptr.test.\n"
	"5.0.0.127 IN PTR nx.ptr.test.\n"
	"6.0.0.127 IN PTR bad.ptr.test.\n"
	"6.0.0.127 IN PTR six.ptr.test.\n"
	"1.0.0.10 IN PTR lan.ptr.test.\n";

static const char ip6_arpa_text[] =
	"$ORIGIN ip6.arpa.\n"
	"$TTL 60\n"
	"@ IN SOA ns.test. admin.test. 1 3600 600 86400 60\n"
	"@ IN NS ns.test.\n"
	"2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN PTR "
	"v6.ptr.test.\n";

static const struct { const char *name, *file, *text; } zones[] = {
	{ "test", "test.zone", zone_text },
	{ "in-addr.arpa", "in-addr.zone", in_addr_text },
	{ "ip6.arpa", "ip6.zone", ip6_arpa_text },
};

/* write_file - create path with text (outside the cases: no ck_assert) */
static int
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "wx");

	if (fp == NULL) {
		fprintf(stderr, "create %s: %s\n", path, strerror(errno));
		return (-1);
	}
	fputs(text, fp);
	return (fclose(fp) == 0 ? 0 : -1);
}

/* free_port - a loopback port free for both UDP and TCP (best effort) */
static int
free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, tfd, port;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		return (-1);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) != 0) {
		close(fd);
		return (-1);
	}
	port = ntohs(sin.sin_port);
	if ((tfd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(tfd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		port = -1;
	if (tfd >= 0)
		close(tfd);
	close(fd);
	return (port);
}

/* server_answers - a raw SOA query for "test." gets any UDP reply */
static int
server_answers(int port)
{
	static const unsigned char query[] = {
		0x12, 0x34, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 4, 't', 'e', 's', 't', 0, 0x00, 0x06, 0x00, 0x01,
	};
	struct sockaddr_in sin;
	struct pollfd pfd;
	unsigned char reply[512];
	int fd, ok = 0;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		return (0);
	if (sendto(fd, query, sizeof(query), 0, (struct sockaddr *)&sin,
	    sizeof(sin)) == (ssize_t)sizeof(query)) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 200) == 1 && recv(fd, reply, sizeof(reply), 0) > 12)
			ok = reply[0] == 0x12 && reply[1] == 0x34;
	}
	close(fd);
	return (ok);
}

/* start_nsd - zones, configuration, nsd -d in a child; 0 or -1 */
static int
start_nsd(void)
{
	char path[256], conf[2048];
	size_t z, used;
	int i;

	if (mkdtemp(server_dir) == NULL)
		return (-1);
	for (z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		snprintf(path, sizeof(path), "%s/%s", server_dir, zones[z].file);
		if (write_file(path, zones[z].text) != 0)
			return (-1);
	}
	if ((nsd_port = free_port()) < 0)
		return (-1);
	snprintf(conf, sizeof(conf),
	    "server:\n\tip-address: 127.0.0.1\n\tport: %d\n\tzonesdir: \"%s\"\n"
	    "\tpidfile: \"%s/nsd.pid\"\n\tusername: \"\"\n\tchroot: \"\"\n"
	    "\tdatabase: \"\"\n\tzonelistfile: \"%s/zone.list\"\n"
	    "\txfrdfile: \"%s/xfrd.state\"\n\txfrdir: \"%s\"\n"
	    "\tlogfile: \"%s/nsd.log\"\n\tverbosity: 0\n\tserver-count: 1\n"
	    "remote-control:\n\tcontrol-enable: no\n",
	    nsd_port, server_dir, server_dir, server_dir, server_dir,
	    server_dir, server_dir);
	for (z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		used = strlen(conf);
		snprintf(conf + used, sizeof(conf) - used,
		    "zone:\n\tname: \"%s\"\n\tzonefile: \"%s\"\n",
		    zones[z].name, zones[z].file);
	}
	snprintf(path, sizeof(path), "%s/nsd.conf", server_dir);
	if (write_file(path, conf) != 0)
		return (-1);
	if ((nsd_pid = fork()) < 0)
		return (-1);
	if (nsd_pid == 0) {
		/* never outlive a crashed test */
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		execl(NSD_PATH, "nsd", "-d", "-c", path, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		if (server_answers(nsd_port))
			return (0);
		if (waitpid(nsd_pid, NULL, WNOHANG) == nsd_pid) {
			nsd_pid = -1;
			return (-1);
		}
	}
	return (-1);
}

/* stop_nsd - by pid, and remove its files */
static void
stop_nsd(void)
{
	char cmd[300];

	if (nsd_pid > 0) {
		kill(nsd_pid, SIGTERM);
		waitpid(nsd_pid, NULL, 0);
		nsd_pid = -1;
	}
	if (strchr(server_dir, 'X') == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", server_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", server_dir);
	}
}

/* init_with - a resolver context for the nsd under test */
static void
init_with(const char *protocols)
{
	char addr[64];
	struct strbuf err;

	snprintf(addr, sizeof(addr), "127.0.0.1:%d", nsd_port);
	config_set(cfg, "dns_resolver_address", addr);
	config_set(cfg, "inet_protocols", protocols);
	strbuf_init(&err);
	ck_assert_msg(dns_init(cfg, &err) == 0, "dns_init: %s", err.data);
	strbuf_free(&err);
}

/* setup - fresh configuration per case */
static void
setup(void)
{
	cfg = config_new("/nonexistent");
	strbuf_init(&why);
}

/* teardown - drop the context */
static void
teardown(void)
{
	dns_shutdown();
	config_free(cfg);
	strbuf_free(&why);
}

/* addr_text - numeric form of one dns_addr */
static const char *
addr_text(const struct dns_addr *a)
{
	static char buf[64];
	const struct sockaddr *sa = (const struct sockaddr *)&a->sa;

	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    buf, sizeof(buf));
	else
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
		    buf, sizeof(buf));
	return (buf);
}

START_TEST(mx_preference_order)
{
	struct dns_hosts hosts;

	init_with("all");
	ck_assert_int_eq(dns_lookup_mx("mx.test", &hosts, &why), DNS_OK);
	ck_assert_uint_eq(hosts.count, 2);
	ck_assert_str_eq(hosts.hosts[0].name, "mx1.mx.test");
	ck_assert_int_eq(hosts.hosts[0].preference, 10);
	ck_assert_uint_eq(hosts.hosts[0].addr_count, 1);
	ck_assert_str_eq(addr_text(&hosts.hosts[0].addrs[0]), "127.0.0.2");
	ck_assert_str_eq(hosts.hosts[1].name, "mx2.mx.test");
	ck_assert_int_eq(hosts.hosts[1].preference, 20);
	ck_assert_uint_eq(hosts.hosts[1].addr_count, 2);
	ck_assert_str_eq(addr_text(&hosts.hosts[1].addrs[0]), "127.0.0.3");
	ck_assert_str_eq(addr_text(&hosts.hosts[1].addrs[1]), "::3");
	ck_assert(!hosts.secure);
	dns_hosts_free(&hosts);
	/* a trailing dot is the same name */
	ck_assert_int_eq(dns_lookup_mx("MX.test.", &hosts, &why), DNS_OK);
	ck_assert_uint_eq(hosts.count, 2);
	dns_hosts_free(&hosts);
}
END_TEST

START_TEST(mx_inet_protocols)
{
	struct dns_hosts hosts;

	init_with("ipv4");
	ck_assert_int_eq(dns_lookup_mx("mx.test", &hosts, &why), DNS_OK);
	ck_assert_uint_eq(hosts.count, 2);
	ck_assert_uint_eq(hosts.hosts[1].addr_count, 1);
	ck_assert_str_eq(addr_text(&hosts.hosts[1].addrs[0]), "127.0.0.3");
	dns_hosts_free(&hosts);
	dns_shutdown();
	/* ipv6 only: mx1 has no AAAA and drops out */
	init_with("ipv6");
	ck_assert_int_eq(dns_lookup_mx("mx.test", &hosts, &why), DNS_OK);
	ck_assert_uint_eq(hosts.count, 1);
	ck_assert_str_eq(hosts.hosts[0].name, "mx2.mx.test");
	ck_assert_str_eq(addr_text(&hosts.hosts[0].addrs[0]), "::3");
	dns_hosts_free(&hosts);
	ck_assert_int_eq(dns_lookup_host("127.0.0.1", &hosts, &why), DNS_NOTFOUND);
	ck_assert_int_eq(dns_lookup_host("nomx.test", &hosts, &why), DNS_OK);
	ck_assert_uint_eq(hosts.hosts[0].addr_count, 1);
	ck_assert_str_eq(addr_text(&hosts.hosts[0].addrs[0]), "::4");
	dns_hosts_free(&hosts);
}
END_TEST

START_TEST(mx_equal_preference_shuffled)
{
	struct dns_hosts hosts;
	unsigned seen = 0;
	int i;

	init_with("ipv4");
	for (i = 0; i < 60; i++) {
		ck_assert_int_eq(dns_lookup_mx("eq.test", &hosts, &why), DNS_OK);
		ck_assert_uint_eq(hosts.count, 5);
		ck_assert_str_eq(hosts.hosts[0].name, "first.eq.test");
		ck_assert_int_eq(hosts.hosts[0].preference, 5);
		ck_assert_int_eq(hosts.hosts[4].preference, 10);
		ck_assert_int_eq(strncmp(hosts.hosts[1].name, "h", 1), 0);
		seen |= 1u << (hosts.hosts[1].name[1] - '0');
		dns_hosts_free(&hosts);
	}
	/* four equal hosts, 60 tries: each must have come first at least once */
	ck_assert_uint_eq(seen, 0x1e);
}
END_TEST

START_TEST(null_mx)
{
	struct dns_hosts hosts;

	init_with("all");
	ck_assert_int_eq(dns_lookup_mx("nullmx.test", &hosts, &why), DNS_NULLMX);
	ck_assert_uint_eq(hosts.count, 0);
	ck_assert_ptr_nonnull(strstr(why.data, "does not accept mail"));
	ck_assert_int_eq(dns_domain_exists("nullmx.test", &why), DNS_NULLMX);
}
END_TEST

START_TEST(implicit_mx)
{
	struct dns_hosts hosts;

	init_with("all");
	ck_assert_int_eq(dns_lookup_mx("nomx.test", &hosts, &why), DNS_OK);
	ck_assert_uint_eq(hosts.count, 1);
	ck_assert_str_eq(hosts.hosts[0].name, "nomx.test");
	ck_assert_int_eq(hosts.hosts[0].preference, 0);
	ck_assert_uint_eq(hosts.hosts[0].addr_count, 2);
	ck_assert_str_eq(addr_text(&hosts.hosts[0].addrs[0]), "127.0.0.4");
	ck_assert_str_eq(addr_text(&hosts.hosts[0].addrs[1]), "::4");
	dns_hosts_free(&hosts);
	ck_assert_int_eq(dns_domain_exists("nomx.test", &why), DNS_OK);
	ck_assert_int_eq(dns_domain_exists("mx.test", &why), DNS_OK);
	ck_assert_int_eq(dns_domain_exists("aaaa.test", &why), DNS_OK);
}
END_TEST

START_TEST(cnames_followed)
{
	struct dns_hosts hosts;

	init_with("ipv4");
	ck_assert_int_eq(dns_lookup_host("cname.test", &hosts, &why), DNS_OK);
	ck_assert_str_eq(addr_text(&hosts.hosts[0].addrs[0]), "127.0.0.4");
	dns_hosts_free(&hosts);
	ck_assert_int_eq(dns_lookup_mx("cname.test", &hosts, &why), DNS_OK);
	ck_assert_uint_eq(hosts.count, 1);
	ck_assert_str_eq(addr_text(&hosts.hosts[0].addrs[0]), "127.0.0.4");
	dns_hosts_free(&hosts);
	ck_assert_int_eq(dns_lookup_mx("cnamemx.test", &hosts, &why), DNS_OK);
	ck_assert_uint_eq(hosts.count, 1);
	ck_assert_str_eq(hosts.hosts[0].name, "alias.cnamemx.test");
	ck_assert_str_eq(addr_text(&hosts.hosts[0].addrs[0]), "127.0.0.2");
	dns_hosts_free(&hosts);
}
END_TEST

START_TEST(aaaa_only)
{
	struct dns_hosts hosts;

	init_with("ipv4");
	ck_assert_int_eq(dns_lookup_host("aaaa.test", &hosts, &why), DNS_NOTFOUND);
	ck_assert_int_eq(dns_lookup_mx("aaaa.test", &hosts, &why), DNS_NOTFOUND);
	dns_shutdown();
	init_with("all");
	ck_assert_int_eq(dns_lookup_host("aaaa.test", &hosts, &why), DNS_OK);
	ck_assert_uint_eq(hosts.hosts[0].addr_count, 1);
	ck_assert_str_eq(addr_text(&hosts.hosts[0].addrs[0]), "::5");
	dns_hosts_free(&hosts);
}
END_TEST

START_TEST(not_found)
{
	struct dns_hosts hosts;

	init_with("all");
	ck_assert_int_eq(dns_lookup_mx("nx.test", &hosts, &why), DNS_NOTFOUND);
	ck_assert_uint_eq(hosts.count, 0);
	ck_assert_ptr_nonnull(strstr(why.data, "nx.test"));
	ck_assert_int_eq(dns_lookup_host("nx.nx.test", &hosts, &why), DNS_NOTFOUND);
	ck_assert_int_eq(dns_domain_exists("nx.test", &why), DNS_NOTFOUND);
	ck_assert_int_eq(dns_domain_exists("txtonly.test", &why), DNS_NOTFOUND);
	/* the only MX host does not exist */
	ck_assert_int_eq(dns_lookup_mx("deadmx.test", &hosts, &why), DNS_NOTFOUND);
	/* one MX host missing: the other one is used */
	ck_assert_int_eq(dns_lookup_mx("halfdead.test", &hosts, &why), DNS_OK);
	ck_assert_uint_eq(hosts.count, 1);
	ck_assert_str_eq(hosts.hosts[0].name, "mx1.mx.test");
	dns_hosts_free(&hosts);
}
END_TEST

START_TEST(tempfail_dead_resolver)
{
	struct dns_hosts hosts;
	struct strlist names;
	struct strbuf err;
	char addr[64];
	time_t start = time(NULL);

	/* nothing listens on the port of a closed UDP socket */
	ck_assert_int_gt(nsd_port, 0);
	strlist_init(&names);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", free_port());
	config_set(cfg, "dns_resolver_address", addr);
	strbuf_init(&err);
	ck_assert_msg(dns_init(cfg, &err) == 0, "dns_init with %s: %s", addr,
	    err.data);
	strbuf_free(&err);
	ck_assert_int_eq(dns_lookup_mx("mx.test", &hosts, &why), DNS_TEMPFAIL);
	ck_assert_uint_eq(hosts.count, 0);
	ck_assert_int_eq(dns_domain_exists("mx.test", &why), DNS_TEMPFAIL);
	ck_assert_int_eq(dns_lookup_host("mx1.mx.test", &hosts, &why), DNS_TEMPFAIL);
	ck_assert_int_eq(dns_lookup_ptr("127.0.0.2", &names, &why), DNS_TEMPFAIL);
	ck_assert_uint_eq(names.count, 0);
	ck_assert_int_eq(dns_host_has_addr("good.ptr.test", "127.0.0.2", &why),
	    DNS_TEMPFAIL);
	strlist_free(&names);
	ck_assert_int_le(time(NULL) - start, 55);
}
END_TEST

START_TEST(no_context_tempfails)
{
	struct dns_hosts hosts;
	struct strlist names;

	strlist_init(&names);
	ck_assert_int_eq(dns_fd(), -1);
	ck_assert(!dns_initialized());
	ck_assert_int_eq(dns_lookup_mx("mx.test", &hosts, &why), DNS_TEMPFAIL);
	ck_assert_int_eq(dns_lookup_ptr("127.0.0.2", &names, &why), DNS_TEMPFAIL);
	ck_assert_uint_eq(names.count, 0);
	ck_assert_int_eq(dns_host_has_addr("good.ptr.test", "127.0.0.2", &why),
	    DNS_TEMPFAIL);
	ck_assert_int_eq(dns_domain_exists("mx.test", &why), DNS_TEMPFAIL);
	/* literals need no resolver */
	ck_assert_int_eq(dns_lookup_host("127.0.0.7", &hosts, &why), DNS_OK);
	ck_assert_str_eq(addr_text(&hosts.hosts[0].addrs[0]), "127.0.0.7");
	dns_hosts_free(&hosts);
	strlist_free(&names);
}
END_TEST

START_TEST(invalid_names)
{
	struct dns_hosts hosts;
	char name[300];

	init_with("all");
	ck_assert_int_eq(dns_lookup_mx("", &hosts, &why), DNS_INVALID);
	ck_assert_int_eq(dns_lookup_mx("a..test", &hosts, &why), DNS_INVALID);
	ck_assert_int_eq(dns_lookup_mx(".test", &hosts, &why), DNS_INVALID);
	ck_assert_int_eq(dns_lookup_mx("a b.test", &hosts, &why), DNS_INVALID);
	ck_assert_int_eq(dns_lookup_host("a\nb.test", &hosts, &why), DNS_INVALID);
	ck_assert_int_eq(dns_domain_exists("x/y.test", &why), DNS_INVALID);
	memset(name, 'a', 64);
	strcpy(name + 64, ".test");
	ck_assert(!dns_name_valid(name));
	ck_assert_int_eq(dns_lookup_mx(name, &hosts, &why), DNS_INVALID);
	ck_assert(dns_name_valid(name + 1));	/* 63 is fine */
	/* 253 characters pass, 254 do not */
	memset(name, 'a', 253);
	name[253] = '\0';
	for (int i = 63; i < 253; i += 64)
		name[i] = '.';
	ck_assert(dns_name_valid(name));
	name[253] = 'a';
	name[254] = '\0';
	ck_assert(!dns_name_valid(name));
}
END_TEST

START_TEST(bad_configuration)
{
	struct strbuf err;
	static const char *const bad[] = {
		"dns.example:53", "127.0.0.1:99999", "127.0.0.1:", "[::1",
		"[::1]:x", "::1:53:bogus", "[nothost]:53",
		/* ambiguous, and refused by sluice check as by dns_init */
		"::1",
	};
	size_t i;

	strbuf_init(&err);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		config_set(cfg, "dns_resolver_address", bad[i]);
		strbuf_reset(&err);
		ck_assert_msg(dns_init(cfg, &err) == -1, "accepted %s", bad[i]);
		ck_assert_ptr_nonnull(strstr(err.data, "dns_resolver_address"));
		ck_assert_int_eq(dns_fd(), -1);
		ck_assert(!dns_initialized());
	}
	config_set(cfg, "dns_resolver_address", "127.0.0.1, [::1]:5353, [::1]:53");
	strbuf_reset(&err);
	ck_assert_msg(dns_init(cfg, &err) == 0, "%s", err.data);
	ck_assert_int_ge(dns_fd(), 0);
	ck_assert(dns_initialized());
	config_set(cfg, "inet_protocols", "ipv5");
	ck_assert_int_eq(dns_init(cfg, &err), -1);
	ck_assert(!dns_initialized());
	config_set(cfg, "inet_protocols", "all");
	config_set(cfg, "dns_trust_anchor_file", "/nonexistent/root.key");
	strbuf_reset(&err);
	ck_assert_int_eq(dns_init(cfg, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.data, "/nonexistent/root.key"));
	config_set(cfg, "dns_trust_anchor_file", "/dev/null");
	ck_assert_int_eq(dns_init(cfg, &err), -1);
	strbuf_free(&err);
}
END_TEST

/* ptr_expect - dns_lookup_ptr of addr gives status and (if OK) names */
static void
ptr_expect(const char *addr, int status, const char *first,
    const char *second)
{
	struct strlist names;

	strlist_init(&names);
	ck_assert_msg(dns_lookup_ptr(addr, &names, &why) == status,
	    "%s: %s", addr, why.data);
	ck_assert_uint_eq(names.count, first == NULL ? 0 : second == NULL ? 1 : 2);
	if (first != NULL && second == NULL)
		ck_assert_str_eq(names.items[0], first);
	if (second != NULL) {
		ck_assert(strlist_contains_ci(&names, first));
		ck_assert(strlist_contains_ci(&names, second));
	}
	strlist_free(&names);
}

START_TEST(ptr_lookup)
{
	init_with("all");
	ck_assert(dns_initialized());
	ptr_expect("127.0.0.2", DNS_OK, "good.ptr.test", NULL);
	ptr_expect("127.0.0.3", DNS_OK, "bad.ptr.test", NULL);
	ptr_expect("127.0.0.4", DNS_INVALID, NULL, NULL);	/* numeric PTR */
	ck_assert_ptr_nonnull(strstr(why.data, "malformed PTR"));
	ptr_expect("127.0.0.5", DNS_OK, "nx.ptr.test", NULL);	/* -dash dropped */
	ptr_expect("127.0.0.6", DNS_OK, "bad.ptr.test", "six.ptr.test");
	ptr_expect("127.0.0.7", DNS_NOTFOUND, NULL, NULL);
	ptr_expect("10.0.0.1", DNS_OK, "lan.ptr.test", NULL);	/* RFC 1918 */
	ptr_expect("::2", DNS_OK, "v6.ptr.test", NULL);
	ptr_expect("::3", DNS_NOTFOUND, NULL, NULL);
}
END_TEST

START_TEST(forward_confirmation)
{
	init_with("all");
	ck_assert_int_eq(dns_host_has_addr("good.ptr.test", "127.0.0.2", &why),
	    DNS_OK);
	ck_assert_int_eq(dns_host_has_addr("GOOD.ptr.test.", "127.0.0.2", &why),
	    DNS_OK);
	ck_assert_int_eq(dns_host_has_addr("six.ptr.test", "127.0.0.6", &why),
	    DNS_OK);
	ck_assert_int_eq(dns_host_has_addr("bad.ptr.test", "127.0.0.3", &why),
	    DNS_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(why.data, "does not resolve to address"));
	ck_assert_int_eq(dns_host_has_addr("nx.ptr.test", "127.0.0.5", &why),
	    DNS_NOTFOUND);
	/* the address family picks A or AAAA */
	ck_assert_int_eq(dns_host_has_addr("v6.ptr.test", "::2", &why), DNS_OK);
	ck_assert_int_eq(dns_host_has_addr("v6.ptr.test", "127.0.0.2", &why),
	    DNS_OK);
	ck_assert_int_eq(dns_host_has_addr("good.ptr.test", "::2", &why),
	    DNS_NOTFOUND);
	ck_assert_int_eq(dns_host_has_addr("lan.ptr.test", "10.0.0.1", &why),
	    DNS_OK);
	/* names and addresses that are not */
	ck_assert_int_eq(dns_host_has_addr("a..test", "127.0.0.2", &why),
	    DNS_INVALID);
	ck_assert_int_eq(dns_host_has_addr("good.ptr.test", "good", &why),
	    DNS_INVALID);
}
END_TEST

START_TEST(server_names)
{
	struct strlist names;

	init_with("all");
	strlist_init(&names);
	/* every MX name, also one without an address, in preference order */
	ck_assert_int_eq(dns_lookup_servers("halfdead.test", DNS_SERVERS_MX,
	    &names, &why), DNS_OK);
	ck_assert_uint_eq(names.count, 2);
	ck_assert_str_eq(names.items[0], "nowhere.halfdead.test");
	ck_assert_str_eq(names.items[1], "mx1.mx.test");
	strlist_free(&names);
	strlist_init(&names);
	ck_assert_int_eq(dns_lookup_servers("mx.test", DNS_SERVERS_MX, &names,
	    &why), DNS_OK);
	ck_assert_str_eq(names.items[0], "mx1.mx.test");
	strlist_free(&names);
	/* no MX, or no such domain: the domain is its own mail server */
	strlist_init(&names);
	ck_assert_int_eq(dns_lookup_servers("nomx.test", DNS_SERVERS_MX, &names,
	    &why), DNS_OK);
	ck_assert_uint_eq(names.count, 1);
	ck_assert_str_eq(names.items[0], "nomx.test");
	strlist_free(&names);
	strlist_init(&names);
	ck_assert_int_eq(dns_lookup_servers("nx.test", DNS_SERVERS_MX, &names,
	    &why), DNS_OK);
	ck_assert_str_eq(names.items[0], "nx.test");
	strlist_free(&names);
	strlist_init(&names);
	ck_assert_int_eq(dns_lookup_servers("nullmx.test", DNS_SERVERS_MX,
	    &names, &why), DNS_NULLMX);
	ck_assert_uint_eq(names.count, 0);
	/* NS: the zone's own, or the nearest parent's */
	ck_assert_int_eq(dns_lookup_servers("test", DNS_SERVERS_NS, &names,
	    &why), DNS_OK);
	ck_assert_uint_eq(names.count, 1);
	ck_assert_str_eq(names.items[0], "ns.test");
	strlist_free(&names);
	strlist_init(&names);
	ck_assert_int_eq(dns_lookup_servers("h1.eq.test", DNS_SERVERS_NS,
	    &names, &why), DNS_OK);
	ck_assert_str_eq(names.items[0], "ns.test");
	ck_assert_int_eq(dns_lookup_servers("bad..name", DNS_SERVERS_NS,
	    &names, &why), DNS_INVALID);
	strlist_free(&names);
}
END_TEST

/* main - offline cases always; server cases when nsd is installed */
int
main(void)
{
	Suite *s = suite_create("dns");
	TCase *offline = tcase_create("offline");
	TCase *server = tcase_create("server");
	SRunner *sr;
	int failed, have_server = 0;

	tcase_add_checked_fixture(offline, setup, teardown);
	tcase_add_test(offline, no_context_tempfails);
	tcase_add_test(offline, bad_configuration);
	tcase_set_timeout(offline, 30);
	suite_add_tcase(s, offline);
	if (access(NSD_PATH, X_OK) != 0) {
		printf("test_dns: %s not installed: skipping the server tests\n",
		    NSD_PATH);
	} else if (start_nsd() != 0) {
		printf("test_dns: nsd did not start\n");
		stop_nsd();
		return (1);
	} else {
		have_server = 1;
		tcase_add_checked_fixture(server, setup, teardown);
		tcase_add_test(server, mx_preference_order);
		tcase_add_test(server, mx_inet_protocols);
		tcase_add_test(server, mx_equal_preference_shuffled);
		tcase_add_test(server, null_mx);
		tcase_add_test(server, implicit_mx);
		tcase_add_test(server, cnames_followed);
		tcase_add_test(server, aaaa_only);
		tcase_add_test(server, not_found);
		tcase_add_test(server, invalid_names);
		tcase_add_test(server, ptr_lookup);
		tcase_add_test(server, forward_confirmation);
		tcase_add_test(server, server_names);
		tcase_add_test(server, tempfail_dead_resolver);
		tcase_set_timeout(server, 90);
		suite_add_tcase(s, server);
	}
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (have_server)
		stop_nsd();
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
