/*
 * sock - listening and connecting sockets, UNIX and TCP.
 *
 * The master opens every listening socket here before any service drops
 * privileges; services inherit and only accept.  A UNIX socket is made,
 * and a stale one removed, with the caller's identity, which for the
 * master is mail_owner's (lib/util/eugid.h), never root's: private/ and
 * public/ belong to mail_owner, who could put a symbolic link at the name
 * at any time.  Clients of internal services connect with a timeout so
 * that a wedged service cannot hang them.  Every descriptor created here
 * is close-on-exec: the master decides explicitly which descriptors a
 * child inherits.
 *
 * inet_listen() binds one address.  The wildcard host ("" or "all") means
 * the IPv4 wildcard 0.0.0.0; a caller that also wants IPv6 asks for "::"
 * separately (that socket is IPV6_V6ONLY, so the two never collide).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "coro.h"
#include "sock.h"

#define SOCK_HOST_MAX	255

/* set_err - replace err's text (err may be NULL) */
static void
set_err(struct strbuf *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
set_err(struct strbuf *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	strbuf_reset(err);
	va_start(ap, fmt);
	strbuf_vprintf(err, fmt, ap);
	va_end(ap);
}

/* sock_set_nonblock - toggle O_NONBLOCK */
int
sock_set_nonblock(int fd, bool on)
{
	int flags;

	if ((flags = fcntl(fd, F_GETFL)) < 0)
		return (-1);
	flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
	return (fcntl(fd, F_SETFL, flags) < 0 ? -1 : 0);
}

/* sock_set_cloexec - toggle FD_CLOEXEC */
int
sock_set_cloexec(int fd, bool on)
{
	int flags;

	if ((flags = fcntl(fd, F_GETFD)) < 0)
		return (-1);
	flags = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
	return (fcntl(fd, F_SETFD, flags) < 0 ? -1 : 0);
}

/* fill_sun - a UNIX address for path; -1 when the path does not fit */
static int
fill_sun(struct sockaddr_un *sun, const char *path)
{
	size_t len = strlen(path);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (len == 0 || len >= sizeof(sun->sun_path))
		return (-1);
	memcpy(sun->sun_path, path, len + 1);
	return (0);
}

/* unix_listen - a listening UNIX stream socket at path with mode */
int
unix_listen(const char *path, mode_t mode, int backlog, struct strbuf *err)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old_mask;
	int fd, saved;

	if (fill_sun(&sun, path) < 0) {
		set_err(err, "socket path too long or empty: %s", path);
		errno = ENAMETOOLONG;
		return (-1);
	}
	/* Remove a stale socket, but never anything else that has the name. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			set_err(err, "%s exists and is not a socket", path);
			errno = EEXIST;
			return (-1);
		}
		if (unlink(path) < 0 && errno != ENOENT) {
			set_err(err, "remove old socket %s: %m", path);
			return (-1);
		}
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		set_err(err, "socket: %m");
		return (-1);
	}
	/* Create it with the final mode, so it is never briefly too open. */
	old_mask = umask(~mode & 0777);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		saved = errno;
		umask(old_mask);
		set_err(err, "bind %s: %s", path, strerror(saved));
		close(fd);
		errno = saved;
		return (-1);
	}
	umask(old_mask);
	/*
	 * No chmod(path) or chown(path) afterwards: the caller's identity and
	 * the umask above made the node right, and a path-based change here
	 * would follow whatever the directory's owner put at the name since
	 * the bind (a symbolic link to any file).
	 */
	if (listen(fd, backlog) < 0) {
		saved = errno;
		set_err(err, "listen %s: %s", path, strerror(saved));
		close(fd);
		errno = saved;
		return (-1);
	}
	return (fd);
}

/* remaining_ms - milliseconds until deadline (a CLOCK_MONOTONIC time) */
static int
remaining_ms(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return (ms < 0 ? 0 : ms > 86400000 ? 86400000 : (int)ms);
}

/*
 * sock_connect - connect a non-blocking socket of sa's family within
 * timeout_ms, waiting through coro_poll so that inside a coroutine only
 * the caller waits
 */
int
sock_connect(const struct sockaddr *sa, socklen_t salen, int timeout_ms)
{
	struct timespec deadline;
	socklen_t optlen;
	int fd, n, soerr, saved;

	if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) < 0)
		return (-1);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	if (timeout_ms > 0) {
		deadline.tv_sec += timeout_ms / 1000;
		deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
		if (deadline.tv_nsec >= 1000000000) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000;
		}
	}
	for (;;) {
		if (connect(fd, sa, salen) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			/* A full backlog on UNIX sockets: retry until the deadline. */
			if (timeout_ms > 0 && remaining_ms(&deadline) == 0) {
				errno = ETIMEDOUT;
				goto fail;
			}
			(void)coro_poll(-1, 0, 10, NULL);
			continue;
		}
		if (errno != EINPROGRESS)
			goto fail;
		do {
			n = coro_poll(fd, POLLOUT, timeout_ms > 0 ?
			    remaining_ms(&deadline) : -1, NULL);
		} while (n < 0 && errno == EINTR);
		if (n == 0)
			errno = ETIMEDOUT;
		if (n <= 0)
			goto fail;
		optlen = sizeof(soerr);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &optlen) < 0)
			goto fail;
		if (soerr != 0) {
			errno = soerr;
			goto fail;
		}
		break;
	}
	if (sock_set_nonblock(fd, false) < 0)
		goto fail;
	return (fd);

fail:
	saved = errno;
	close(fd);
	errno = saved;
	return (-1);
}

/* unix_connect - connect to path within timeout seconds (0 = wait forever) */
int
unix_connect(const char *path, int timeout)
{
	struct sockaddr_un sun;

	if (fill_sun(&sun, path) < 0) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	return (sock_connect((struct sockaddr *)&sun, sizeof(sun),
	    timeout > 0 ? timeout * 1000 : 0));
}

/* port_number - a numeric port, or a service name from /etc/services */
static int
port_number(const char *port, char *buf, size_t size)
{
	struct servent *se;
	char *end;
	long val;

	if (*port >= '0' && *port <= '9') {
		errno = 0;
		val = strtol(port, &end, 10);
		if (errno != 0 || *end != 0 || val < 0 || val > 65535)
			return (-1);
	} else {
		if ((se = getservbyname(port, "tcp")) == NULL)
			return (-1);
		val = ntohs((unsigned short)se->s_port);
	}
	snprintf(buf, size, "%ld", val);
	return (0);
}

/* inet_listen - one listening TCP socket on host:port */
int
inet_listen(const char *host, const char *port, int backlog, struct strbuf *err)
{
	struct addrinfo hints, *res, *ai;
	char hostbuf[SOCK_HOST_MAX + 1], portbuf[16];
	const char *node = host;
	size_t hlen;
	int fd = -1, on = 1, gerr, saved = 0;

	if (port_number(port, portbuf, sizeof(portbuf)) < 0) {
		set_err(err, "bad port: %s", port);
		errno = EINVAL;
		return (-1);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (host == NULL || *host == 0 || strcmp(host, "all") == 0) {
		node = NULL;
		hints.ai_family = AF_INET;
	} else if (host[0] == '[') {
		hlen = strlen(host);
		if (hlen < 3 || host[hlen - 1] != ']' || hlen - 2 > SOCK_HOST_MAX) {
			set_err(err, "bad host: %s", host);
			errno = EINVAL;
			return (-1);
		}
		memcpy(hostbuf, host + 1, hlen - 2);
		hostbuf[hlen - 2] = 0;
		node = hostbuf;
	}
	if ((gerr = getaddrinfo(node, portbuf, &hints, &res)) != 0) {
		set_err(err, "%s:%s: %s", host ? host : "", port,
		    gai_strerror(gerr));
		errno = EINVAL;
		return (-1);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (ai->ai_family == AF_INET6)
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
			    sizeof(on));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, backlog) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		set_err(err, "bind %s:%s: %s", host ? host : "", port,
		    strerror(saved));
		errno = saved;
	}
	return (fd);
}

/* valid_port_text - digits, or a service name of letters, digits, '-' */
static bool
valid_port_text(const char *p, size_t len)
{
	if (len == 0 || len > 32)
		return (false);
	for (size_t i = 0; i < len; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= 'A' && p[i] <= 'Z') || p[i] == '-'))
			return (false);
	return (true);
}

/* valid_host_text - no blanks, controls, brackets or slashes */
static bool
valid_host_text(const char *p, size_t len, bool v6)
{
	if (len > SOCK_HOST_MAX)
		return (false);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c <= ' ' || c >= 0x7f || c == '[' || c == ']' || c == '/')
			return (false);
		if (c == ':' && !v6)
			return (false);
	}
	return (!v6 || len > 0);
}

/* inet_split_hostport - "host:port", "[v6]:port" or "port" */
int
inet_split_hostport(const char *text, struct strbuf *host, struct strbuf *port)
{
	const char *colon, *close;

	strbuf_reset(host);
	strbuf_reset(port);
	if (text[0] == '[') {
		if ((close = strchr(text, ']')) == NULL || close[1] != ':' ||
		    !valid_host_text(text + 1, (size_t)(close - text - 1), true) ||
		    !valid_port_text(close + 2, strlen(close + 2)))
			return (-1);
		strbuf_append(host, text + 1, (size_t)(close - text - 1));
		strbuf_puts(port, close + 2);
		return (0);
	}
	if ((colon = strrchr(text, ':')) == NULL) {
		if (!valid_port_text(text, strlen(text)))
			return (-1);
		strbuf_puts(port, text);
		return (0);
	}
	if (!valid_host_text(text, (size_t)(colon - text), false) ||
	    !valid_port_text(colon + 1, strlen(colon + 1)))
		return (-1);
	strbuf_append(host, text, (size_t)(colon - text));
	strbuf_puts(port, colon + 1);
	return (0);
}

/* sockaddr_format - numeric address and port; IPv4-mapped v6 as IPv4 */
int
sockaddr_format(const struct sockaddr *sa, socklen_t len, char *addr,
    size_t addr_size, int *port)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;
	struct in_addr v4;
	int p = 0;

	if (sa == NULL || addr == NULL || addr_size == 0)
		return (-1);
	switch (sa->sa_family) {
	case AF_INET:
		if (len < (socklen_t)sizeof(*sin))
			return (-1);
		sin = (const struct sockaddr_in *)sa;
		if (inet_ntop(AF_INET, &sin->sin_addr, addr, addr_size) == NULL)
			return (-1);
		p = ntohs(sin->sin_port);
		break;
	case AF_INET6:
		if (len < (socklen_t)sizeof(*sin6))
			return (-1);
		sin6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			memcpy(&v4, &sin6->sin6_addr.s6_addr[12], sizeof(v4));
			if (inet_ntop(AF_INET, &v4, addr, addr_size) == NULL)
				return (-1);
		} else if (inet_ntop(AF_INET6, &sin6->sin6_addr, addr,
		    addr_size) == NULL)
			return (-1);
		p = ntohs(sin6->sin6_port);
		break;
	case AF_UNIX:
		/* a local client has no address worth printing */
		if (snprintf(addr, addr_size, "local") >= (int)addr_size)
			return (-1);
		break;
	default:
		return (-1);
	}
	if (port != NULL)
		*port = p;
	return (0);
}
