/*
 * sock - listening and connecting sockets, UNIX and TCP.
 *
 * The master opens every listening socket (before services drop
 * privileges; UNIX ones as mail_owner, see unix_listen); services only
 * accept.  Addresses are written as Postfix
 * does: "host:port", "[v6addr]:port", or a bare port.
 */
#ifndef SLUICE_SOCK_H
#define SLUICE_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "strbuf.h"

/*
 * unix_listen - bind a stream socket at path (an old socket file is
 * removed first; anything else there is refused), created with exactly
 * mode (through the umask; nothing is changed by path afterwards), listen
 * with backlog.  fd or -1 + err.  The socket belongs to the caller's
 * effective uid and gid: in a directory another user can write, call it
 * as that user (eugid_enter), never as root.
 */
int	unix_listen(const char *path, mode_t mode, int backlog, struct strbuf *err);
/* unix_connect - connect to path within timeout seconds; fd or -1 (errno) */
int	unix_connect(const char *path, int timeout);
/*
 * sock_connect - a stream socket of sa's family connected to sa within
 * timeout_ms (<= 0: no limit), in blocking mode; a wait inside a
 * coroutine holds only its session.  fd or -1 (errno; ETIMEDOUT).
 */
int	sock_connect(const struct sockaddr *sa, socklen_t salen, int timeout_ms);
/*
 * inet_listen - bind "host:port" / "[v6]:port" with SO_REUSEADDR (and
 * IPV6_V6ONLY for v6), listen with backlog.  fd or -1 + err.
 */
int	inet_listen(const char *host, const char *port, int backlog, struct strbuf *err);
/*
 * inet_split_hostport - "127.0.0.1:2525" -> host, port; "[::1]:25" -> ::1,
 * 25; "2525" -> "", 2525.  -1 on malformed input.
 */
int	inet_split_hostport(const char *text, struct strbuf *host, struct strbuf *port);
/* sock_set_nonblock - toggle O_NONBLOCK; 0 / -1 */
int	sock_set_nonblock(int fd, bool on);
/* sock_set_cloexec - set FD_CLOEXEC; 0 / -1 */
int	sock_set_cloexec(int fd, bool on);
/*
 * sockaddr_format - numeric address text (IPv4-mapped v6 shown as IPv4)
 * and port.  Returns 0 or -1.
 */
int	sockaddr_format(const struct sockaddr *sa, socklen_t len, char *addr,
	    size_t addr_size, int *port);

#endif
