/*
 * local.h - the shared state of the local and virtual delivery agent.
 *
 * One process serves private/local and private/virtual.  A request's
 * recipients are delivered one by one; each recipient may expand (aliases,
 * .forward, :include:) into a tree of deliveries, walked recursively with
 * a struct local_state per level; expand.c holds the one depth limit and
 * loop and duplicate filter every step passes.  Every leaf delivery is
 * logged and folded into the recipient's single outcome for qmgr (defer
 * beats bounce beats success, so a partly failed expansion is retried
 * rather than lost).
 */
#ifndef SLUICE_LOCAL_H
#define SLUICE_LOCAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "config_table.h"
#include "deliver_request.h"
#include "domain_list.h"
#include "maps.h"
#include "queue_file.h"
#include "resolve.h"
#include "strbuf.h"
#include "strlist.h"

/* Where an expanded destination came from (allow_mail_to_* classes). */
#define LOCAL_CLASS_ALIAS	0x01
#define LOCAL_CLASS_FORWARD	0x02
#define LOCAL_CLASS_INCLUDE	0x04

/* prepend_delivered_header classes */
#define LOCAL_HDR_COMMAND	0x01
#define LOCAL_HDR_FILE		0x02
#define LOCAL_HDR_FORWARD	0x04

#define LOCAL_EXPAND_DEPTH_MAX	20	/* alias/forward/include lists, nested */
#define LOCAL_LIST_SIZE_MAX	(1024 * 1024)	/* .forward, :include: file */
#define LOCAL_HEADER_SCAN_MAX	(1024 * 1024)	/* loop detection scan */

/*
 * The settings; main.c reads the rows of local_params (params.c) into
 * struct local_daemon and derives the rest.
 */
struct local_params {
	char		*myhostname;
	char		*home_mailbox;
	char		*mail_spool_directory;
	char		*forward_path;
	char		*virtual_mailbox_base;
	char		*default_privs;
	char		*cleanup_path;		/* "private/cleanup" */
	bool		 lock_fcntl;
	bool		 lock_dotlock;
	bool		 owner_request_special;
	long		 mailbox_size_limit;
	long		 virtual_mailbox_limit;
	long		 virtual_minimum_uid;
	long		 dup_filter_limit;	/* duplicate_filter_limit */
	long		 command_time_limit;	/* seconds */
	long		 ipc_timeout;		/* seconds */
	char		*cleanup_service_name;
	char		*mail_owner;
	struct strlist	 alias_maps;		/* specs: main.c opens each */
	struct strlist	 delivery_lock;		/* mailbox_delivery_lock */
	struct strlist	 allow_mail_to_commands;
	struct strlist	 allow_mail_to_files;
	struct strlist	 prepend_delivered_header;
	unsigned	 allow_commands;	/* LOCAL_CLASS_* */
	unsigned	 allow_files;
	unsigned	 prepend_delivered;	/* LOCAL_HDR_* */
	uid_t		 mail_owner_uid;
};

/* One alias table and whose privileges its files and commands get. */
struct local_alias_map {
	struct map	*map;
	uid_t		 uid;
	gid_t		 gid;
};

struct local_daemon {
	struct local_params	 p;
	const char		*service_name;
	bool			 privileged;	/* running as root */
	struct local_alias_map	*alias_maps;
	size_t			 alias_count;
	struct resolver		*resolver;	/* classes (lib/resolve.h) */
	struct map_list		*vmailbox_maps;
	struct map_list		*vuid_maps;
	struct map_list		*vgid_maps;
};

extern const struct config_table local_params[];
/* the $names of forward_path, filled in per recipient (forward.c) */
extern const char *const local_forward_names[];

/*
 * The steps one recipient's expansion took (expand.c: a lib/htable of
 * "kind name" keys): every structural step (address, alias, .forward,
 * :include:), and leaf deliveries up to duplicate_filter_limit.  Also
 * the message's Delivered-To: addresses (noted, no limit).  The counts
 * are what the fuzz harness checks the work against.
 */
struct htable;
struct local_expand {
	struct htable	 *seen;		/* NULL until the first key */
	long		  limit;	/* leaf keys kept at most, 0 = no limit */
	size_t		  lookups;	/* steps asked about */
	size_t		  structural;	/* structural keys kept (all taken) */
	size_t		  leaves;	/* leaf steps taken */
	size_t		  leaves_kept;	/* ... of them remembered */
	bool		  full;		/* past the limit: warned */
};

/* The message being delivered: one per request. */
struct local_message {
	struct deliver_request	*req;
	struct queue_message	 msg;
	int			 fd;		/* active/ID, read-only */
	struct local_expand	 delivered_to;	/* Delivered-To: addresses,
						   lower-cased (a set) */
	double			 arrival;
};

/* Whose identity file and command deliveries take. */
struct local_privs {
	uid_t	 uid;
	gid_t	 gid;
	char	 user[64];
	char	 home[256];
	char	 shell[128];
};

/* The folded outcome of one request recipient. */
struct local_result {
	int		 status;	/* 0 none yet, 2, 4, 5 */
	char		 dsn[16];
	struct strbuf	 reason;
	int		 leaves;
	struct local_expand filter;	/* loop and duplicate filter */
};

/* One level of the expansion tree. */
struct local_state {
	struct local_daemon	*d;
	struct local_message	*m;
	struct deliver_rcpt	*rcpt;
	struct local_result	*result;
	const char		*address;	/* being delivered at this level */
	const char		*parent;	/* the address whose list produced it */
	int			 depth;
	unsigned		 source;	/* LOCAL_CLASS_* of the list, 0 = top */
	const struct local_privs *privs; /* for files/commands; NULL = none yet */
	const char		*sender;	/* for forwarded copies */
	bool			 no_alias;	/* "\user": mailbox, no alias/forward */
};

/* request.c */
void	local_serve(struct local_daemon *d, int client_fd);
double	local_now(void);

/* recipient.c */
void	local_deliver_address(struct local_state *st);
void	local_deliver_rcpt(struct local_daemon *d, struct local_message *m,
	    struct deliver_rcpt *rcpt);
void	local_walk_rcpt(struct local_daemon *d, struct local_message *m,
	    struct deliver_rcpt *rcpt, struct local_result *res);
void	local_result_free(struct local_result *res);
int	local_address_is_local(struct local_daemon *d, const char *address);
int	local_address_is_virtual(struct local_daemon *d, const char *address);
void	local_result(struct local_state *st, const char *to, int status,
	    const char *dsn, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/* expand.c: what one expansion step is, and whether it may go ahead */
enum local_step {
	/* structural: always remembered, so loops end */
	LOCAL_STEP_RECIPIENT,		/* an address (local_rcpt_key) */
	LOCAL_STEP_ALIAS,		/* "table key" of an alias expanded */
	LOCAL_STEP_FORWARD,		/* a .forward file, by path */
	LOCAL_STEP_FORWARD_DONE,	/* ... whose expansion has finished */
	LOCAL_STEP_INCLUDE,		/* "uid path" of an :include: file */
	LOCAL_STEP_LIST_FILE,		/* "uid dev:ino" of a list file read */
	/* leaves: remembered up to duplicate_filter_limit */
	LOCAL_STEP_MAILBOX,		/* a local part's mailbox */
	LOCAL_STEP_FILE,		/* "uid path" of a /file */
	LOCAL_STEP_COMMAND,		/* "uid command" of a |command */
	LOCAL_STEP_REMOTE,		/* an address forwarded (local_rcpt_key) */
	LOCAL_STEP_DELIVERED_TO,	/* local_message.delivered_to only */
};
enum local_verdict {
	LOCAL_GO,			/* new: go ahead */
	LOCAL_SKIP,			/* taken before: a loop or duplicate */
	LOCAL_STOP,			/* too deep: outcome already reported */
};
void	local_expand_init(struct local_expand *x, long limit);
void	local_expand_free(struct local_expand *x);
enum local_verdict local_expand_step(struct local_state *st, const char *to,
	    enum local_step kind, const char *name);
bool	local_expand_has(const struct local_expand *x, enum local_step kind,
	    const char *name);
bool	local_expand_note(struct local_expand *x, enum local_step kind,
	    const char *name);
size_t	local_expand_kept(const struct local_expand *x);
void	local_rcpt_key(struct local_daemon *d, const char *address,
	    bool no_alias, struct strbuf *key);

/* alias.c */
int	local_alias(struct local_state *st, const char *local_part);
void	local_expand_list(struct local_state *st, const char *text,
	    unsigned source, const struct local_privs *privs, const char *sender,
	    const char *delivered_to);

/* forward.c */
int	local_forward(struct local_state *st, const struct local_privs *user,
	    const char *local_part, const char *extension);
int	local_include(struct local_state *st, const char *path,
	    unsigned source);

/* forward_inject.c */
void	local_forward_inject(struct local_state *st, const struct strlist *addrs,
	    const char *sender, const char *delivered_to);

/* maildir.c */
void	local_maildir(struct local_state *st, const char *dir,
	    const struct local_privs *owner, long size_limit,
	    const char *final_address);

/* mbox.c */
struct local_copy;
void	local_mbox(struct local_state *st, const char *path,
	    const struct local_privs *owner, long size_limit, bool spool,
	    bool add_delivered, const char *what);

/* pipe.c */
void	local_pipe(struct local_state *st, const char *command,
	    const struct local_privs *privs);

/* file.c */
void	local_file(struct local_state *st, const char *path,
	    const struct local_privs *privs);

/* virtual.c */
void	local_virtual(struct local_state *st);

/* privs.c */
int	local_privs_lookup(const char *name, struct local_privs *out);
int	local_privs_from_uid(uid_t uid, gid_t gid, struct local_privs *out);
int	local_privs_enter(struct local_daemon *d, const struct local_privs *p);
void	local_privs_leave(struct local_daemon *d);
int	local_privs_apply_child(const struct local_privs *p);

/* headers.c */
void	local_headers_scan(struct local_message *m);
bool	local_headers_loop(const struct local_message *m, const char *address);

/*
 * copy.c - write the message to a descriptor with the prefix lines a
 * delivery type wants (From_ line, Return-Path, Delivered-To) and, for
 * mbox files, ">From " quoting and a trailing empty line.
 */
#define LOCAL_COPY_FROM		0x01	/* "From sender date" first line */
#define LOCAL_COPY_RETURN_PATH	0x02
#define LOCAL_COPY_DELIVERED	0x04
#define LOCAL_COPY_QUOTE	0x08	/* ">From " quoting */
#define LOCAL_COPY_BLANK	0x10	/* mbox: end with an empty line */
#define LOCAL_COPY_MBOX		(LOCAL_COPY_FROM | LOCAL_COPY_QUOTE | LOCAL_COPY_BLANK)

int	local_copy(struct local_state *st, int fd, unsigned flags,
	    const char *delivered_to, struct strbuf *err);
const char *local_write_dsn(int err);
extern volatile int local_timed_out;

#endif
