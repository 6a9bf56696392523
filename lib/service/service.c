/*
 * service - the skeleton every daemon started by the master runs in.
 *
 * The master execs a daemon with its status pipe on fd 3 and its listening
 * sockets on fds 4 and up (see service.h).  This file turns that into a
 * one-connection-at-a-time worker: parse the arguments, load main.cf, open
 * logging, enter the queue directory, run the daemon's pre-jail hook, chroot
 * and drop to mail_owner when asked, run the post-jail hook, then accept and
 * serve until max_use, max_idle or the master closing the status pipe.
 *
 * Parameters: queue_directory, mail_owner, maillog_file, max_use, max_idle.
 */
#include <sys/epoll.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config_log.h"
#include "config.h"
#include "config_table.h"
#include "coro.h"
#include "flow.h"
#include "mem.h"
#include "msg.h"
#include "service.h"
#include "sock.h"
#include "strbuf.h"

#define SERVICE_LISTEN_MAX	64	/* sanity bound on -s */
#define SERVICE_GROUPS_MAX	64	/* supplementary groups of mail_owner */

struct service_args {
	const char	*config_dir;
	const char	*main_cf;	/* -m: the master's copy of main.cf */
	const char	*service_name;
	const char	*service_type;
	int		 listen_count;
	bool		 unprivileged;
	bool		 chroot;
	int		 verbose;
	char		**overrides;	/* "name=value" from -o */
	int		 override_count;
};

/* service_parse_args - getopt over the master's argument vector */
static void
service_parse_args(int argc, char **argv, struct service_args *args)
{
	char	*end;
	long	 n;
	int	 ch;

	memset(args, 0, sizeof(*args));
	args->listen_count = -1;
	args->overrides = xcalloc((size_t)argc + 1, sizeof(char *));
	optind = 1;
	opterr = 0;
	while ((ch = getopt(argc, argv, "c:m:n:t:s:uro:v")) != -1) {
		switch (ch) {
		case 'c':
			args->config_dir = optarg;
			break;
		case 'm':
			args->main_cf = optarg;
			break;
		case 'n':
			args->service_name = optarg;
			break;
		case 't':
			args->service_type = optarg;
			break;
		case 's':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    n < 0 || n > SERVICE_LISTEN_MAX)
				msg_fatal("bad listen socket count: -s %s", optarg);
			args->listen_count = (int)n;
			break;
		case 'u':
			args->unprivileged = true;
			break;
		case 'r':
			args->chroot = true;
			break;
		case 'o':
			if (strchr(optarg, '=') == NULL || optarg[0] == '=')
				msg_fatal("bad -o argument (need name=value): %s",
				    optarg);
			args->overrides[args->override_count++] = optarg;
			break;
		case 'v':
			args->verbose++;
			break;
		default:
			msg_fatal("usage: %s -c CONFIG_DIR [-m MAIN_CF] -n SERVICE "
			    "-t TYPE -s NFDS [-u] [-r] [-o name=value]... [-v]",
			    argv[0] ? argv[0] : "service");
		}
	}
	if (optind < argc)
		msg_fatal("unexpected argument: %s", argv[optind]);
	if (args->service_name == NULL || args->service_name[0] == '\0')
		msg_fatal("missing -n SERVICE");
	if (args->service_type == NULL || args->service_type[0] == '\0')
		msg_fatal("missing -t TYPE");
	if (args->listen_count < 0)
		msg_fatal("missing -s NFDS");
}

/*
 * A jailed process cannot read /etc/passwd or /etc/group any more, so
 * the user's ids and groups are looked up before chroot and applied after.
 */
struct service_ids {
	char	*name;
	uid_t	 uid;
	gid_t	 gid;
	gid_t	 groups[SERVICE_GROUPS_MAX];
	int	 ngroups;
};

/* service_lookup_ids - resolve user while the databases are reachable */
static void
service_lookup_ids(const char *user, struct service_ids *ids)
{
	struct passwd *pw;

	if (user == NULL || *user == '\0')
		msg_fatal("cannot drop privileges: no user name");
	if ((pw = getpwnam(user)) == NULL)
		msg_fatal("cannot drop privileges: unknown user \"%s\"", user);
	if (pw->pw_uid == 0 || pw->pw_gid == 0)
		msg_fatal("cannot drop privileges to \"%s\": uid or gid is 0",
		    user);
	ids->name = xstrdup(pw->pw_name);
	ids->uid = pw->pw_uid;
	ids->gid = pw->pw_gid;
	ids->ngroups = SERVICE_GROUPS_MAX;
	if (getgrouplist(pw->pw_name, pw->pw_gid, ids->groups,
	    &ids->ngroups) < 0)
		msg_fatal("%s is in more than %d groups", user,
		    SERVICE_GROUPS_MAX);
}

/* service_apply_ids - setgroups/setgid/setuid, irreversibly */
static void
service_apply_ids(const struct service_ids *ids)
{
	if (setgroups((size_t)ids->ngroups, ids->groups) < 0)
		msg_fatal("setgroups for %s: %s", ids->name, strerror(errno));
	if (setgid(ids->gid) < 0)
		msg_fatal("setgid(%ld): %s", (long)ids->gid, strerror(errno));
	if (setuid(ids->uid) < 0)
		msg_fatal("setuid(%ld): %s", (long)ids->uid, strerror(errno));
	/* Paranoia: a setuid that "worked" must not leave a way back. */
	if (setuid(0) == 0 || seteuid(0) == 0)
		msg_fatal("privilege drop to %s is reversible", ids->name);
}

/* service_drop_privileges - become user for good, never root */
void
service_drop_privileges(const char *user)
{
	struct service_ids ids;

	service_lookup_ids(user, &ids);
	service_apply_ids(&ids);
	free(ids.name);
}

/* service_report - tell the master we are busy or idle; false if it is gone */
static bool
service_report(char status)
{
	struct service_status rec;
	ssize_t n;

	memset(&rec, 0, sizeof(rec));
	rec.pid = getpid();
	rec.status = status;
	do {
		n = write(SERVICE_STATUS_FD, &rec, sizeof(rec));
	} while (n < 0 && errno == EINTR);
	return (n == (ssize_t)sizeof(rec));
}

/* service_check_fds - the descriptors the master promised must exist */
static void
service_check_fds(int listen_count)
{
	int	 fd;

	if (fcntl(SERVICE_STATUS_FD, F_GETFD) < 0)
		msg_fatal("status descriptor %d is not open: %s",
		    SERVICE_STATUS_FD, strerror(errno));
	for (fd = SERVICE_LISTEN_FD; fd < SERVICE_LISTEN_FD + listen_count;
	    fd++) {
		if (fcntl(fd, F_GETFD) < 0)
			msg_fatal("listen descriptor %d is not open: %s", fd,
			    strerror(errno));
		/* Siblings share the socket: a lost accept race must not block. */
		if (sock_set_nonblock(fd, true) < 0)
			msg_fatal("listen descriptor %d: O_NONBLOCK: %s", fd,
			    strerror(errno));
		(void)sock_set_cloexec(fd, true);
	}
	(void)sock_set_cloexec(SERVICE_STATUS_FD, true);
	/* Absent when not started by the master: then no flow control. */
	if (fcntl(SERVICE_FLOW_FD, F_GETFD) >= 0 && !flow_attach(SERVICE_FLOW_FD))
		msg_warn("descriptor %d is not the master's flow page",
		    SERVICE_FLOW_FD);
}

/* What the skeleton itself reads of main.cf (service_params). */
static struct service_settings {
	char		*queue_directory;
	char		*mail_owner;
	long		 max_use;
	long		 max_idle;	/* seconds */
} service_set;

#define ROW(name, kind, field) \
	CONFIG_ROW(name, kind, struct service_settings, field)

const struct config_table service_params[] = {
	ROW("queue_directory", CONF_STR, queue_directory),
	ROW("mail_owner", CONF_STR, mail_owner),
	ROW("max_use", CONF_INT, max_use),
	ROW("max_idle", CONF_TIME, max_idle),
	CONFIG_TABLE_END,
};

/* service_enter_jail - chdir, pre_jail, chroot, privilege drop, post_jail */
static void
service_enter_jail(struct service_context *ctx, const struct service_args *args,
    const struct service_ops *ops)
{
	struct service_ids ids;
	const char *queue_dir;
	bool	 drop;

	queue_dir = service_set.queue_directory;
	if (chdir(queue_dir) < 0)
		msg_fatal("chdir %s: %s", queue_dir, strerror(errno));
	if (ops->pre_jail != NULL)
		ops->pre_jail(ctx);
	drop = args->unprivileged && ctx->privileged;
	if (drop)
		service_lookup_ids(service_set.mail_owner, &ids);
	else if (args->unprivileged)
		msg_debug("not root: privilege drop skipped");
	if (args->chroot) {
		if (ctx->privileged) {
			if (chroot(queue_dir) < 0)
				msg_fatal("chroot %s: %s", queue_dir,
				    strerror(errno));
			if (chdir("/") < 0)
				msg_fatal("chdir / in jail: %s", strerror(errno));
			ctx->chrooted = true;
		} else {
			msg_debug("not root: chroot skipped");
		}
	}
	if (drop) {
		service_apply_ids(&ids);
		free(ids.name);
	}
	if (ops->post_jail != NULL)
		ops->post_jail(ctx);
}

/* service_accept_one - accept on fd; -1 when a sibling won the race */
static int
service_accept_one(int listen_fd)
{
	int	 fd;

	fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED && errno != EPROTO)
			msg_warn("accept: %s", strerror(errno));
		return (-1);
	}
	/* Daemons expect blocking I/O with their own timeouts. */
	(void)sock_set_nonblock(fd, false);
	return (fd);
}

/*
 * service_wait_set - an epoll set over the status pipe and the listening
 * sockets.  EPOLLEXCLUSIVE: a new connection wakes one idle process, not
 * every process of the service (with poll() each connection woke them
 * all, and all but one got EAGAIN from accept: most of the master-side
 * CPU at a few hundred connections a second).
 */
static int
service_wait_set(int listen_count)
{
	struct epoll_event ev;
	int	 ep, i;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		msg_fatal("epoll_create1: %s", strerror(errno));
	memset(&ev, 0, sizeof(ev));
	ev.events = 0;		/* EPOLLERR/EPOLLHUP: the master closed its end */
	ev.data.fd = SERVICE_STATUS_FD;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, SERVICE_STATUS_FD, &ev) < 0)
		msg_fatal("epoll_ctl status: %s", strerror(errno));
	for (i = 0; i < listen_count; i++) {
		ev.events = EPOLLIN | EPOLLEXCLUSIVE;
		ev.data.fd = SERVICE_LISTEN_FD + i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, SERVICE_LISTEN_FD + i, &ev) < 0)
			msg_fatal("epoll_ctl listen: %s", strerror(errno));
	}
	return (ep);
}

/* service_loop - accept, report, serve, until told or time to go */
static void
service_loop(struct service_context *ctx, const struct service_ops *ops,
    int listen_count)
{
	struct epoll_event *evs;
	long	 max_use, max_idle;
	int	 ep, i, n, client, timeout_ms;
	bool	 stop;

	max_use = service_set.max_use;
	max_idle = service_set.max_idle;
	timeout_ms = max_idle > 0 && max_idle < INT_MAX / 1000 ?
	    (int)(max_idle * 1000) : -1;
	ep = service_wait_set(listen_count);
	evs = xcalloc((size_t)listen_count + 1, sizeof(*evs));
	if (!service_report(SERVICE_STATUS_IDLE))
		msg_fatal("cannot report to the master: %s", strerror(errno));
	for (;;) {
		n = epoll_wait(ep, evs, listen_count + 1, timeout_ms);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			msg_fatal("epoll_wait: %s", strerror(errno));
		}
		if (n == 0) {
			msg_debug("idle for %lds, exiting", max_idle);
			break;
		}
		/* Reload or stop wins over a pending connection. */
		stop = false;
		for (i = 0; i < n; i++)
			if (evs[i].data.fd == SERVICE_STATUS_FD)
				stop = true;
		if (stop)
			break;
		client = -1;
		for (i = 0; i < n && client < 0; i++)
			if (evs[i].events & EPOLLIN)
				client = service_accept_one(evs[i].data.fd);
		if (client < 0)
			continue;
		if (!service_report(SERVICE_STATUS_BUSY)) {
			/* Master gone: still serve this client, then exit. */
			ops->serve(ctx, client);
			close(client);
			break;
		}
		ops->serve(ctx, client);
		close(client);
		ctx->use_count++;
		if (ctx->stop_accepting)
			break;
		if (max_use > 0 && ctx->use_count >= (unsigned long)max_use)
			break;
		if (!service_report(SERVICE_STATUS_IDLE))
			break;
	}
	free(evs);
	close(ep);
}

/* multi_session - what one coroutine runs: a whole connection */
struct multi_session {
	struct service_context *ctx;
	const struct service_ops *ops;
	int	 fd;
};


/* multi_session_run - serve, close, forget */
static void
multi_session_run(void *arg)
{
	struct multi_session *ms = arg;

	ms->ops->serve(ms->ctx, ms->fd);
	close(ms->fd);
	free(ms);
}

/* service_stop_accepting - see service.h */
void
service_stop_accepting(struct service_context *ctx)
{
	ctx->stop_accepting = true;
}

/*
 * service_loop_multi - up to session_limit connections at once, each in a
 * coroutine; the coroutine scheduler polls the sessions together with
 * the status pipe and (while there is room) the listening sockets.
 */
static void
service_loop_multi(struct service_context *ctx, const struct service_ops *ops,
    int listen_count)
{
	struct pollfd *ready;
	struct multi_session *ms;
	long	 max_use, max_idle;
	time_t	 idle_since = time(NULL);
	bool	 busy = false, room, listening = false, watching_status;
	int	 i, n, client;

	/*
	 * max_use counts per session slot: a Postfix smtpd process serves
	 * max_use connections one after the other, so a process holding
	 * session_limit of them at once serves max_use times that.  Counted
	 * per process, it would restart session_limit times as often for
	 * the same work (an exec per 100 connections was 8% of the CPU at
	 * 10 sessions).
	 */
	max_use = service_set.max_use;
	if (max_use > 0)
		max_use = max_use > LONG_MAX / (long)ctx->session_limit ?
		    LONG_MAX : max_use * (long)ctx->session_limit;
	max_idle = service_set.max_idle;
	ready = xcalloc((size_t)listen_count + 1, sizeof(*ready));
	for (i = 0; i < listen_count; i++)
		(void)sock_set_nonblock(SERVICE_LISTEN_FD + i, true);
	if (!service_report(SERVICE_STATUS_IDLE))
		msg_fatal("cannot report to the master: %s", strerror(errno));
	/* POLLERR/POLLHUP on the status pipe: the master left */
	if (coro_watch(SERVICE_STATUS_FD, 0) < 0)
		msg_fatal("watch the status pipe: %s", strerror(errno));
	watching_status = true;
	for (;;) {
		if (max_use > 0 && ctx->use_count >= (unsigned long)max_use)
			ctx->stop_accepting = true;
		if (ctx->stop_accepting && watching_status) {
			coro_unwatch(SERVICE_STATUS_FD);
			watching_status = false;
		}
		if (ctx->stop_accepting && coro_count() == 0)
			break;
		if (coro_count() > 0)
			idle_since = time(NULL);
		else if (max_idle > 0 && time(NULL) - idle_since >= max_idle) {
			msg_debug("idle for %lds, exiting", max_idle);
			break;
		}
		room = !ctx->stop_accepting && coro_count() < ctx->session_limit;
		/* busy while full: the master then starts another process */
		if (room == busy) {
			busy = !room;
			if (!service_report(busy ? SERVICE_STATUS_BUSY :
			    SERVICE_STATUS_IDLE))
				ctx->stop_accepting = true;
		}
		/* the listening sockets are watched only while there is room */
		if (room != listening) {
			for (i = 0; i < listen_count; i++) {
				if (!room)
					coro_unwatch(SERVICE_LISTEN_FD + i);
				else if (coro_watch(SERVICE_LISTEN_FD + i,
				    POLLIN) < 0)
					msg_fatal("watch a listening socket: %s",
					    strerror(errno));
			}
			listening = room;
		}
		n = coro_schedule(ready, (size_t)listen_count + 1,
		    coro_count() == 0 && max_idle > 0 ? 1000 : -1);
		if (n < 0)
			msg_fatal("epoll: %s", strerror(errno));
		for (i = 0; i < n; i++) {
			if (ready[i].fd == SERVICE_STATUS_FD) {
				ctx->stop_accepting = true;
				continue;
			}
			if (!(ready[i].revents & POLLIN) || ctx->stop_accepting ||
			    coro_count() >= ctx->session_limit)
				continue;
			if ((client = service_accept_one(ready[i].fd)) < 0)
				continue;
			ms = xcalloc(1, sizeof(*ms));
			ms->ctx = ctx;
			ms->ops = ops;
			ms->fd = client;
			if (ctx->use_count++ == 0)
				(void)service_report(SERVICE_STATUS_USED);
			if (coro_start(multi_session_run, ms) < 0) {
				msg_warn("cannot start a session: %s",
				    strerror(errno));
				close(client);
				free(ms);
			}
		}
	}
	free(ready);
}

/*
 * service_run - hand the listening sockets to an event-driven daemon.
 * It reports busy once: the master then neither throttles it as a
 * child that died before its first request nor counts it as spare.
 */
static void
service_run(struct service_context *ctx, const struct service_ops *ops,
    int listen_count)
{
	int	*fds;
	int	 i;

	fds = xcalloc((size_t)listen_count + 1, sizeof(*fds));
	for (i = 0; i < listen_count; i++)
		fds[i] = SERVICE_LISTEN_FD + i;
	if (!service_report(SERVICE_STATUS_BUSY))
		msg_fatal("cannot report to the master: %s", strerror(errno));
	ops->run(ctx, fds, listen_count);
	free(fds);
}

/* service_loop_multi_or_not - the loop that session_limit asks for */
static void
service_loop_multi_or_not(struct service_context *ctx,
    const struct service_ops *ops, int listen_count)
{
	if (ctx->session_limit > 1)
		service_loop_multi(ctx, ops, listen_count);
	else
		service_loop(ctx, ops, listen_count);
}

/*
 * service_config_load - main.cf: the master's copy of the one it checked
 * and applied (-m), reported at the lines of the original; else the file
 */
static struct config *
service_config_load(const struct service_context *ctx,
    const struct service_args *args, struct strbuf *err)
{
	struct config *cfg;
	struct strbuf origin;

	if (args->main_cf == NULL)
		return (config_load(ctx->config_dir, err));
	cfg = config_new(ctx->config_dir);
	strbuf_init(&origin);
	strbuf_printf(&origin, "%s/main.cf", ctx->config_dir);
	if (config_load_file_as(cfg, args->main_cf, origin.data, err) != 0 ||
	    config_check_values(cfg, err) > 0) {
		config_free(cfg);
		cfg = NULL;
	}
	strbuf_free(&origin);
	return (cfg);
}

/* service_main - the whole life of a daemon process */
void
service_main(int argc, char **argv, const struct service_ops *ops)
{
	struct service_context ctx;
	struct service_args args;
	struct strbuf err;
	char	*eq, *name;
	int	 i;

	if (ops == NULL || ops->program == NULL || ops->tables == NULL ||
	    (ops->serve == NULL && ops->run == NULL))
		msg_panic("service_main: incomplete service_ops");
	(void)config_tables_declare(ops->tables);
	(void)signal(SIGPIPE, SIG_IGN);
	/* a file size limit is EFBIG, a write error handled as such (as Postfix) */
	(void)signal(SIGXFSZ, SIG_IGN);
	umask(077);
	/* Errors so far go to stderr, which the master passes on. */
	service_parse_args(argc, argv, &args);
	/* Before anything opens a descriptor that could land on 3, 4, 5... */
	service_check_fds(args.listen_count);
	msg_open(ops->program, NULL);
	if (args.verbose)
		msg_set_verbose(args.verbose);

	memset(&ctx, 0, sizeof(ctx));
	ctx.config_dir = config_directory_default(args.config_dir);
	ctx.service_name = args.service_name;
	ctx.service_type = args.service_type;
	ctx.privileged = (geteuid() == 0);
	strbuf_init(&err);
	if ((ctx.cfg = service_config_load(&ctx, &args, &err)) == NULL)
		msg_fatal("%s", err.data);
	for (i = 0; i < args.override_count; i++) {
		name = xstrdup(args.overrides[i]);
		eq = strchr(name, '=');
		*eq = '\0';
		config_set(ctx.cfg, name, eq + 1);
		free(name);
	}
	config_log_open(ops->program, ctx.cfg);
	/* logged where main.cf says: the master passes our stderr on too */
	if (config_table_read(ctx.cfg, service_params, &service_set, &err) > 0)
		config_table_fatal(&err);
	strbuf_free(&err);

	service_enter_jail(&ctx, &args, ops);
	if (ops->run != NULL)
		service_run(&ctx, ops, args.listen_count);
	else
		service_loop_multi_or_not(&ctx, ops, args.listen_count);
	free(args.overrides);
	exit(0);
}
