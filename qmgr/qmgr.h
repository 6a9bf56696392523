/*
 * qmgr.h - the queue manager's shared state.
 *
 * One process, one poll loop (loop.c).  Messages are read once into
 * memory (message.c) and split into jobs: the recipients of one message
 * for one (transport, next hop) destination, at most the transport's
 * recipient limit per job.  Destinations keep FIFO job queues and run at
 * most their concurrency limit of jobs at a time (schedule.c) over
 * connections to private/TRANSPORT that stay open between jobs
 * (agent.c).  When a message has no job left, notify.c asks the bounce
 * service for the notices it owes (notice.c, without waiting in the
 * loop) and, once they are answered, outcome.c records the results in
 * the queue file and removes the file or moves it to deferred/; an attempt whose writes fail stays
 * in memory and in active/ until they succeed (stall.c).
 *
 * Nothing here may cost more than linear time in the addresses of a
 * message (up to smtpd_recipient_limit times virtual_alias_expansion_limit
 * records as cleanup expanded them, or as many addresses from the
 * records of an old queue file, which qmgr still expands): duplicates
 * are found through a hash table, arrays grow by doubling, each record
 * counts its addresses not yet delivered, and a message is resolved in
 * slices of QMGR_RESOLVE_SLICE_MS from the event loop, so that other
 * mail is scheduled while a huge one is routed.
 */
#ifndef SLUICE_QMGR_H
#define SLUICE_QMGR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "bounce_request.h"
#include "config.h"
#include "config_table.h"
#include "defer_log.h"
#include "deliver_request.h"
#include "htable.h"
#include "queue_file.h"
#include "resolve.h"
#include "service.h"
#include "strbuf.h"
#include "strlist.h"
#include "trigger.h"

#define QMGR_INCOMING_SAFETY	5	/* seconds between incoming/ scans */
#define QMGR_AGENT_IDLE		60	/* close unused agent connections */
#define QMGR_AGENT_WRITE_TIMEOUT 60	/* a request write may take */
#define QMGR_REPLY_MAX		(16 * 1024 * 1024)
#define QMGR_TRIGGER_TIMEOUT	5	/* a trigger client gets this long */
#define QMGR_TRIGGER_CONN_MAX	64
#define QMGR_DRAIN_TIMEOUT	30	/* finish jobs after the master left */
#define QMGR_RESOLVE_SLICE_MS	10	/* resolving one message, per loop turn */
#define QMGR_STALL_FIRST	1	/* seconds before a first retry to record */
#define QMGR_STALL_MAX		60	/* the retry interval doubles up to this */
#define QMGR_NOTICE_LIMIT	20	/* connections to private/bounce */

struct qmgr_dest;

/* One final address (after virtual alias rewriting) of one R record. */
struct qmgr_rcpt {
	char		*address;
	/*
	 * The resolver's final address when it is not address (a route
	 * through our domains peeled: user%other@ours goes to user@other, as
	 * Postfix's qmgr delivers it); what the agent gets, never a key of
	 * qmgr's own records (done marks, sent= lines, duplicates)
	 */
	char		*deliver_to;
	size_t		 rec;		/* index into msg.recipients */
	long		 same_as;	/* duplicate of rcpts[same_as], or -1 */
	long		 next_dup;	/* the next duplicate of a first, or -1 */
	int		 status;	/* 0 pending, 2 sent, 4 deferred, 5 failed */
	char		 dsn[16];
	char		*reason;
	bool		 notified;	/* failure: bounce queued or not wanted */
	bool		 sent_before;	/* delivered in an earlier attempt */
};

/* What qmgr counts per R record of an active message. */
struct qmgr_rec {
	size_t		 expansions;	/* addresses, less those sent before */
	size_t		 undone;	/* addresses not delivered (yet) */
	size_t		 in_job;	/* scratch of qmgr_agent_send */
};

struct qmgr_message {
	struct qmgr_message *prev, *next;
	struct qmgr_message *resolve_next;	/* qm->resolving, FIFO */
	char		 id[QUEUE_ID_SIZE];
	dev_t		 dev;		/* of active/ID, to notice removal */
	ino_t		 ino;
	struct queue_message msg;
	struct defer_log defer;		/* warned flag across attempts */
	bool		 warned_on_disk; /* defer.warned as read from defer/ID */
	struct qmgr_rcpt *rcpts;
	size_t		 rcpt_count;
	size_t		 rcpt_cap;
	struct qmgr_rec	*recs;		/* one per msg.recipients[] */
	struct htable	*firsts;	/* address -> first rcpt, while resolving */
	size_t		 next_rec;	/* the next R record to resolve */
	bool		 resolving;	/* on qm->resolving */
	unsigned long	 sync_turn;	/* defer/ID listed in qm->unsynced then */
	int		 jobs;		/* queued or in flight (+1 resolving) */
	struct timespec	 started;	/* when it became active */
	bool		 decided;	/* expired and notified: only record */
	bool		 stalled;	/* on qm->stalled (stall.c) */
	struct qmgr_message *stall_next, *stall_prev;
	time_t		 retry_at;	/* the next try to record the attempt */
	bool		 flushed;	/* flushed while stalled: due at once */
	long		 retry_wait;	/* seconds, doubling */
	/* the attempt's notices (notify.c), one request at a time */
	bool		 notices_begun;	/* settled, notices under way or done */
	bool		 notifying;	/* a request is out: finish waits */
	unsigned	 notice_stage;	/* which kind of notice goes next */
	size_t		 notice_pos;	/* the next address to consider */
	time_t		 notice_time;	/* when the attempt ended */
	bool		 delay_sent, delay_failed; /* the delay warning */
};

/* One request to the bounce service and its connection (notice.c). */
struct qmgr_notice {
	struct qmgr_notice *next;
	struct qmgr_message *msg;
	enum bounce_action action;
	size_t		*idx;		/* the msg->rcpts it reports */
	size_t		 count;
	int		 fd;		/* -1: waiting for a connection, or failed */
	bool		 waiting;	/* for a free connection (FIFO) */
	struct strbuf	 out;		/* the request on the wire */
	size_t		 out_pos;	/* written so far */
	struct strbuf	 in;		/* reply bytes read so far */
	struct strbuf	 error;		/* why it failed before a reply */
	time_t		 deadline;	/* reply due; 0: failed, report now */
};

struct qmgr_job {
	struct qmgr_job	*next;
	struct qmgr_message *msg;
	struct qmgr_dest *dest;
	size_t		*idx;		/* into msg->rcpts */
	size_t		 count;
};

struct qmgr_agent;

struct qmgr_transport {
	struct qmgr_transport *next;
	char		*name;
	struct htable	*dest_index;	/* next hop -> its qmgr_dest */
	int		 concurrency;	/* per destination */
	int		 rcpt_limit;	/* per job */
	int		 agent_limit;	/* connections (master.cf maxproc) */
	int		 agents;	/* open connections */
	/* destinations with a job waiting, or gone idle: FIFO */
	struct qmgr_dest *listed, *listed_tail;
};

struct qmgr_dest {
	struct qmgr_dest *next;		/* in transport->listed */
	bool		 on_list;
	struct qmgr_transport *transport;
	char		*name;		/* next hop */
	struct qmgr_job	*head, *tail;
	int		 active;	/* jobs in flight */
};

struct qmgr_agent {
	struct qmgr_agent *next;
	struct qmgr_transport *transport;
	struct stream	*stream;
	int		 fd;
	struct strbuf	 in;		/* reply bytes read so far */
	size_t		 in_pos;	/* consumed by the parser */
	struct qmgr_job	*job;		/* NULL: idle */
	struct deliver_request req;
	time_t		 deadline;	/* reply due / idle close */
};

struct qmgr_trigger_conn {
	struct qmgr_trigger_conn *next;
	int		 fd;
	char		 buf[TRIGGER_MAX];
	size_t		 len;
	time_t		 deadline;
};

extern const struct config_table qmgr_params[];

struct qmgr {
	struct service_context *ctx;
	struct config	*cfg;
	struct resolver	*resolver;
	/* read through the table qmgr_params (params.c) */
	long		 min_backoff, max_backoff;
	long		 lifetime, bounce_lifetime, delay_warning;
	long		 queue_run_delay, active_limit, ipc_timeout;
	long		 flow_window;	/* in_flow_window (lib/io/flow.h) */
	long		 default_process_limit;
	/* TRANSPORT_destination_concurrency_limit, _recipient_limit */
	struct config_per_transport *concurrency_limits, *recipient_limits;
	struct qmgr_message *head, *tail;
	size_t		 message_count;
	struct qmgr_message *resolving, *resolving_tail;
	struct strlist	 unsynced;	/* IDs whose defer/ID got sent= lines */
	unsigned long	 sync_turn;	/* counts qmgr_outcome_sync calls */
	struct qmgr_transport *transports;
	struct qmgr_agent *agents;
	struct qmgr_trigger_conn *triggers;
	size_t		 trigger_count;
	struct master_entry *services;	/* master.cf, for agent limits */
	size_t		 service_count;
	bool		 want_incoming, want_deferred, flush_all;
	struct strlist	 flush_ids, flush_sites;
	time_t		 next_incoming, next_deferred;
	bool		 draining;
	int		 watch_fd;	/* inotify on incoming/, or -1 */
	/* attempts that could not be recorded (stall.c) */
	struct qmgr_message *stalled;
	time_t		 next_stall;	/* the earliest retry_at of them */
	bool		 stall_kick;	/* one was recorded: retry all now */
	bool		 write_trouble;	/* in an episode of failed writes */
	struct qmgr_notice *notices;	/* to the bounce service, oldest first */
};

/* scan.c */
void	qmgr_recover_active(struct qmgr *qm);
void	qmgr_scan_incoming(struct qmgr *qm);
void	qmgr_scan_deferred(struct qmgr *qm);

/* message.c */
struct qmgr_message *qmgr_message_activate(struct qmgr *qm, const char *queue,
	    const char *id);
void	qmgr_message_resolve_some(struct qmgr *qm);
void	qmgr_message_free(struct qmgr *qm, struct qmgr_message *m);
double	qmgr_message_delay(const struct qmgr_message *m);
void	qmgr_log_rcpt(const struct qmgr_message *m, const struct qmgr_rcpt *r,
	    const char *status);

/* schedule.c */
struct qmgr_transport *qmgr_transport_get(struct qmgr *qm, const char *name);
void	qmgr_job_add(struct qmgr *qm, struct qmgr_message *m, const char *transport,
	    const char *nexthop, size_t rcpt_index);
void	qmgr_schedule(struct qmgr *qm);
void	qmgr_dest_list(struct qmgr_dest *d);
void	qmgr_job_done(struct qmgr *qm, struct qmgr_job *job);

/* agent.c */
struct qmgr_agent *qmgr_agent_get(struct qmgr *qm, struct qmgr_transport *t,
	    struct strbuf *err);
int	qmgr_agent_send(struct qmgr *qm, struct qmgr_agent *a, struct qmgr_job *job);
void	qmgr_agent_input(struct qmgr *qm, struct qmgr_agent *a);
void	qmgr_agent_close(struct qmgr *qm, struct qmgr_agent *a, const char *why);
void	qmgr_agent_expire(struct qmgr *qm, time_t now);
int	qmgr_agents_busy(const struct qmgr *qm);

/* outcome.c */
void	qmgr_rcpt_set(struct qmgr_rcpt *r, int status, const char *dsn,
	    const char *reason);
void	qmgr_outcome_job(struct qmgr *qm, struct qmgr_job *job);
void	qmgr_outcome_note(struct qmgr_message *m, const struct qmgr_rcpt *r,
	    struct defer_log *notes);
void	qmgr_outcome_append(struct qmgr *qm, struct qmgr_message *m,
	    const struct defer_log *notes);
void	qmgr_outcome_sync(struct qmgr *qm);
int	qmgr_outcome_record(struct qmgr *qm, struct qmgr_message *m, int fd,
	    time_t now, struct strbuf *err);
void	qmgr_message_finish(struct qmgr *qm, struct qmgr_message *m);

/* stall.c */
void	qmgr_stall(struct qmgr *qm, struct qmgr_message *m, const char *why);
void	qmgr_stall_remove(struct qmgr *qm, struct qmgr_message *m);
void	qmgr_stall_recorded(struct qmgr *qm, struct qmgr_message *m);
void	qmgr_stall_retry(struct qmgr *qm, time_t now);
void	qmgr_stall_flush(struct qmgr *qm, const char *id);
void	qmgr_write_trouble(struct qmgr *qm, const char *id, const char *why);

/* notify.c */
bool	qmgr_notify_start(struct qmgr *qm, struct qmgr_message *m, time_t now);
void	qmgr_notify_reply(struct qmgr *qm, struct qmgr_message *m,
	    enum bounce_action action, const size_t *idx, size_t count,
	    const struct bounce_reply *reply, const char *why);

/* notice.c */
void	qmgr_notice_send(struct qmgr *qm, struct qmgr_message *m,
	    const struct bounce_request *req, size_t *idx, size_t count);
short	qmgr_notice_events(const struct qmgr_notice *x);
void	qmgr_notice_input(struct qmgr *qm, struct qmgr_notice *x, short revents);
void	qmgr_notice_expire(struct qmgr *qm, time_t now);
time_t	qmgr_notice_deadline(const struct qmgr *qm, time_t next);

/* watch.c */
int	qmgr_watch_init(void);
void	qmgr_watch_input(struct qmgr *qm, int fd);

/* trigger.c */
void	qmgr_trigger_accept(struct qmgr *qm, int listen_fd);
void	qmgr_trigger_input(struct qmgr *qm, struct qmgr_trigger_conn *t);
void	qmgr_trigger_expire(struct qmgr *qm, time_t now);

/* loop.c */
void	qmgr_loop(struct qmgr *qm, const int *listen_fds, int count);

#endif
