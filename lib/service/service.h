/*
 * service - the skeleton every daemon started by the master runs in.
 *
 * A daemon's main() fills a struct service_ops and calls service_main().
 * The skeleton parses the arguments the master passes
 *	-c CONFIG_DIR [-m MAIN_CF] -n SERVICE_NAME -t TYPE -s LISTEN_FD_COUNT
 *	[-u] (unprivileged: run as mail_owner) [-r] (chroot to the queue dir)
 *	[-o name=value]... [-v]
 * loads main.cf (with -m, the master's copy of the main.cf it checked
 * and applied: master/snapshot.c), applies -o overrides, opens logging, chdirs to
 * queue_directory, then calls pre_jail (still root: open maps, keys),
 * chroots if asked, drops to mail_owner (setgid, initgroups, setuid) if
 * -u and running as root, and calls post_jail.  Not running as root, the
 * privilege steps are skipped (chroot with a debug note).
 *
 * Descriptors from the master: fd 3 is the write end of the service's
 * status pipe, fd 4 the in-flow control page (lib/io/flow.h: mapped and
 * closed at start), fds 5 .. 5+N-1 the listening sockets.  The skeleton writes a
 * struct service_status record (PIPE_BUF-atomic) when a child becomes busy
 * or idle; when the master closes the pipe's read end (reload, stop) an
 * idle child exits at once and a busy one after its current connection.
 *
 * One connection at a time: the skeleton accepts on any listening socket,
 * reports busy, calls serve(), closes the connection, reports idle.  It
 * exits after max_use connections or max_idle seconds without one.
 *
 * Several at a time: when pre_jail or post_jail sets session_limit above
 * 1, every accepted connection's serve() runs in a coroutine (lib/io/coro.h)
 * and the process keeps accepting until it has session_limit of them.
 * It reports busy only while it is full, so the master starts another
 * process only when every running one is full; it stops accepting after
 * max_use connections, or when the master closes the status pipe, or
 * when the daemon calls service_stop_accepting(), and exits when its last
 * session ends.  serve() must then wait only through lib/ (stream, sock,
 * tls, dns: all go through coro_poll), never in a blocking call of its
 * own, and must not exit().
 */
#ifndef SLUICE_SERVICE_H
#define SLUICE_SERVICE_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "config_table.h"

/* What the skeleton reads of main.cf, for the daemons' tables (config_programs.c) */
extern const struct config_table service_params[];

#define SERVICE_STATUS_FD	3
#define SERVICE_FLOW_FD		4	/* lib/io/flow.h's page; mapped, then closed */
#define SERVICE_LISTEN_FD	5

#define SERVICE_STATUS_IDLE	'I'
#define SERVICE_STATUS_BUSY	'B'
/*
 * SERVICE_STATUS_USED: a multi-session child has accepted its first
 * connection and still has room (it is neither busy nor new): a crash
 * later is not "died before its first request", which would throttle.
 */
#define SERVICE_STATUS_USED	'U'

struct service_status {
	pid_t	pid;
	char	status;		/* SERVICE_STATUS_* */
	char	pad[3];
};

struct service_context {
	struct config	*cfg;
	const char	*service_name;	/* master.cf column 1 */
	const char	*service_type;	/* "inet", "unix" */
	const char	*config_dir;
	bool		 chrooted;
	bool		 privileged;	/* started as root */
	unsigned long	 use_count;	/* connections served so far */
	unsigned	 session_limit;	/* concurrent serve() calls; 1 = classic */
	bool		 stop_accepting; /* finish the sessions, then exit */
	void		*app;		/* the daemon's own state */
};

struct service_ops {
	const char	*program;	/* "smtpd": log as sluice/smtpd */
	/* every table it reads: its entry in lib/config/config_programs.c */
	const struct config_table *const *tables;
	void		(*pre_jail)(struct service_context *ctx);	/* optional */
	void		(*post_jail)(struct service_context *ctx);	/* optional */
	/* serve one accepted connection; the skeleton closes client_fd after */
	void		(*serve)(struct service_context *ctx, int client_fd);
	/*
	 * optional: an event-driven daemon (qmgr) runs its own loop instead
	 * of the accept loop.  Called after post_jail with the listening
	 * sockets (non-blocking); the skeleton has reported the process busy
	 * for its whole life.  The daemon watches SERVICE_STATUS_FD (POLLERR/
	 * POLLHUP: the master closed its end) and returns to exit.  When run
	 * is set, serve may be NULL.
	 */
	void		(*run)(struct service_context *ctx, const int *listen_fds,
			    int count);
};

/* service_main - never returns */
void	service_main(int argc, char **argv, const struct service_ops *ops)
	    __attribute__((noreturn));

/*
 * service_drop_privileges - setgid/initgroups/setuid to user (not root);
 * msg_fatal on failure.  Shared with the command-line tools.
 */
void	service_drop_privileges(const char *user);

/*
 * service_stop_accepting - take no new connection; the process exits
 * when its current sessions are done (after a lookup table changed).
 */
void	service_stop_accepting(struct service_context *ctx);

#endif
