/*
 * master.h - state shared by the files of the master daemon.
 *
 * The master owns the listening sockets, one status pipe per service and
 * the table of live children.  A reload builds a new generation of
 * services; the old one is "retired" until its last child has exited.
 */
#ifndef SLUICE_MASTER_H
#define SLUICE_MASTER_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "config_table.h"
#include "mail_version.h"
#include "strbuf.h"
#include "strlist.h"

#define MASTER_VERSION		SLUICE_MAIL_VERSION
#define MASTER_PID_FILE		"pid/master.pid"
#define MASTER_STOP_WAIT_MS	5000	/* SIGTERM grace before SIGKILL */

struct master_service;

struct master_child {
	pid_t			 pid;
	struct master_service	*service;
	bool			 reported;	/* sent any status record */
	bool			 busy;
	bool			 ever_busy;	/* served at least one client */
	struct master_child	*next;
};

struct master_service {
	char		*name;		/* master.cf column 1 */
	char		*type;		/* "inet" or "unix" */
	bool		 private_;
	bool		 unpriv;
	bool		 chroot;
	int		 wakeup;	/* seconds, 0 = never */
	int		 maxproc;	/* 0 = unlimited */
	struct strlist	 argv;		/* command + args from master.cf */
	char		*path;		/* daemon_directory/command */
	struct strlist	 addresses;	/* what the listeners are bound to */
	int		*listen_fds;
	int		 listen_count;
	int		 status_rd;	/* -1 when closed */
	int		 status_wr;
	int		 child_count;
	int		 avail_count;	/* idle or still starting */
	bool		 throttled;
	unsigned long	 throttle_refused;	/* clients turned away (unix) */
	/* throttled because a child exited on its own before it reported */
	bool		 throttle_refused_start;
	long long	 throttle_until;	/* monotonic ms */
	long long	 next_wakeup;	/* monotonic ms, 0 = none */
	bool		 retired;	/* old generation after a reload */
	struct master_service *next;
};

/* What the master reads of main.cf: the rows of master_params (params.c). */
struct master_settings {
	char		*daemon_directory;
	char		*queue_directory;
	char		*mail_owner;
	char		*setgid_group;
	struct strlist	 import_environment;
	struct strlist	 inet_interfaces;
	long		 default_process_limit;
	long		 listen_backlog;
	long		 in_flow_window;
	long		 service_throttle_time;	/* seconds */
};

extern const struct config_table master_params[];

struct master_state {
	struct config	*cfg;
	struct master_settings set;	/* of cfg */
	char		*config_dir;	/* absolute */
	bool		 foreground;
	int		 verbose;
	bool		 privileged;	/* running as root */
	uid_t		 owner_uid;	/* mail_owner, or ourselves */
	gid_t		 owner_gid;
	struct strlist	 env;		/* from import_environment */
	struct master_service *services;	/* current generation */
	struct master_service *retired;		/* old ones with live children */
	struct master_child *children;
	int		 pid_fd;
	int		 flow_fd;	/* lib/io/flow.h page, passed as fd 4 */
	struct strbuf	 main_cf_text;	/* the main.cf in force (snapshot.c) */
	char		*snapshot_path;	/* absolute; NULL before it is written */
	bool		 stopping;	/* SIGTERM deaths are expected now */
};

/* config.c */
int	master_main_load(struct master_state *ms, bool reload, struct strbuf *err,
	    struct strbuf *notes);
/* master_log_notes - each line of notes as a warning */
void	master_log_notes(struct strbuf *notes);
struct master_service *master_services_build(struct master_state *ms,
	    struct strbuf *err);
void	master_service_free(struct master_service *svc);
bool	master_service_same_listeners(const struct master_service *a,
	    const struct master_service *b);

/*
 * snapshot.c: the main.cf in force, copied where the daemons read it, so
 * that an edit the master refused (or was not told about) reaches no
 * daemon it starts; 0 or -1 + err
 */
#define MASTER_SNAPSHOT_FILE	"pid/main.cf"
int	master_snapshot_write(struct master_state *ms, struct strbuf *err);

/* listen.c */
void	master_ipc_dirs(struct master_state *ms);
int	master_listen_open(struct master_state *ms, struct master_service *svc,
	    struct strbuf *err);
void	master_listen_close(struct master_state *ms, struct master_service *svc,
	    bool unlink_path);
int	master_status_open(struct master_service *svc);
void	master_status_close(struct master_service *svc);

/* spawn.c */
void	master_spawn(struct master_state *ms, struct master_service *svc);

/* status.c */
bool	master_wants_child(const struct master_service *svc);
void	master_status_read(struct master_state *ms, struct master_service *svc);

/* reap.c */
void	master_reap(struct master_state *ms);
void	master_throttle(struct master_state *ms, struct master_service *svc);
void	master_unthrottle(struct master_service *svc, long long now);
/*
 * master_throttle_refusing - an internal (unix) service without a child,
 * throttled because one refused to start (exited before it reported):
 * its waiting clients are turned away rather than left to wait
 */
bool	master_throttle_refusing(const struct master_service *svc);
/* master_throttle_refuse - accept one waiting client on fd and close it */
void	master_throttle_refuse(struct master_service *svc, int fd);
void	master_retired_sweep(struct master_state *ms);

/* reload.c */
void	master_reload(struct master_state *ms);

/* pidfile.c */
void	master_queue_dir_check(struct master_state *ms, const char *queue_dir);
int	master_pidfile_lock(struct master_state *ms, const char *path);
void	master_pidfile_write(int fd);
void	master_pidfile_remove(int fd, const char *path);

/* cleanup_incoming.c */
void	master_cleanup_incoming(struct master_state *ms);

/* signals.c */
int	master_signals_init(void);
int	master_signal_next(void);

/* stop.c */
void	master_stop(struct master_state *ms, int signo) __attribute__((noreturn));

/* wakeup.c */
void	master_wakeup_run(struct master_state *ms, long long now);

/* daemon.c */
int	master_daemonize(void);
void	master_daemon_ready(int ready_fd);

/* loop.c */
void	master_loop(struct master_state *ms) __attribute__((noreturn));

#endif
