/*
 * restrict.h - smtpd's restriction engine: Postfix's smtpd_*_restrictions.
 *
 * How it fits: lib/config/restriction_list.c parses the lists and the
 * classes of main.cf into words (sluice check uses the same parser, so
 * it refuses what smtpd would).  restrict_load() (restrict_load.c) turns
 * each word into a step with its handler (restrict_table.c) and lets the
 * handler prepare its argument before the jail (open a table, parse a
 * DNSBL filter, ...).  The commands call the stage drivers
 * (restrict_eval.c): restrict_check_connect/helo/sender/rcpt/data/bdat/
 * eod, which evaluate the lists as Postfix does and, on a refusal, send
 * the reply (reply.c adds soft_bounce and smtpd_reject_footer) after the
 * "reject:" line was logged (restrict_reply.c).
 *
 * Writing a restriction (one file per family: restrict_access.c,
 * restrict_dnsbl.c, restrict_policy.c, ...):
 *   1. a row in lib/config/restriction_names.c: the name and the kind of
 *      argument it takes (RESTRICTION_ARG_TABLE, _DNSXL, _SERVICE, or a
 *      check function of your own for a stricter argument syntax);
 *   2. a row in smtpd/restrict_table.c: the name, the handler, and
 *      optionally prepare/release (run once per process at config load,
 *      before the chroot; put what you open in step->data; a -1 from
 *      prepare leaves the server answering 421 4.3.5 with your reason
 *      logged, as any unusable parameter does);
 *   3. the handler: enum restrict_result fn(ctx, step).  It reads the
 *      session through ctx (client name/addr, helo, sender, recipient,
 *      stage) and returns
 *        RESTRICT_DUNNO   nothing to say, the list goes on;
 *        RESTRICT_OK      permit: this list ends (use restrict_permit());
 *        RESTRICT_REJECT  a 4xx/5xx: ALWAYS made by restrict_reject(),
 *                         which applies warn_if_reject, defer_if_reject
 *                         and soft_bounce, logs, and returns
 *                         RESTRICT_REJECT or (warn_if_reject) DUNNO;
 *      restrict_defer_if_permit()/restrict_defer_if_reject() record a
 *      deferral decided later, exactly as Postfix's DEFER_IF_PERMIT and
 *      DEFER_IF_REJECT: a later permit (or the end of the lists) turns
 *      into the recorded 4xx; a later 5xx reject becomes that 4xx.
 *      restrict_tempfail() is for a DNS server (or another service)
 *      that cannot answer: per reject_tempfail_action (rules->
 *      tempfail_defer) or a restriction's own *_tempfail_action; a
 *      table that cannot answer is restrict_lookup_failure() (451).
 *      A handler may yield (coro_poll) while it waits for the network.
 *   4. Side effects for the message (HOLD, DISCARD, FILTER, REDIRECT,
 *      BCC, PREPEND) go into ctx->effects (restrict_effects_*); they stay
 *      for the transaction and are passed to cleanup at DATA/BDAT.  A
 *      DISCARD stops further evaluation and accepts everything after it.
 *   5. An access table's result that names a class is evaluated with
 *      restrict_class_find() and restrict_eval_list() (restrict_action.c
 *      does this for access tables and policy answers alike).
 */
#ifndef SLUICE_RESTRICT_H
#define SLUICE_RESTRICT_H

#include <stdbool.h>

#include "restriction_list.h"
#include "strbuf.h"
#include "strlist.h"

struct smtpd_session;
struct smtpd_config;

enum restrict_result {
	RESTRICT_DUNNO = 0,	/* go on */
	RESTRICT_OK,		/* permit: stop this list */
	RESTRICT_REJECT,	/* stop: the reply is in ctx->reply (4xx or 5xx) */
};

/* Why a refusal happened: warn_if_reject softens only a policy one. */
enum restrict_error {
	RESTRICT_ERR_POLICY,	/* the configuration said so */
	RESTRICT_ERR_SOFTWARE,	/* a configuration or program error */
	RESTRICT_ERR_DATA,	/* a table could not answer */
	RESTRICT_ERR_RESOURCE,	/* out of something */
};

/* A deferral decided later (Postfix's SMTPD_DEFER). */
struct restrict_defer {
	bool		 active;
	enum restrict_error error;
	int		 code;
	char		 dsn[16];
	struct strbuf	 reason;
};

/*
 * What a message gets besides acceptance; smtpd passes these to cleanup
 * with the content (the cleanup protocol, lib/mail/cleanup_client.h).
 */
struct restrict_effects {
	bool		 hold;
	char		*hold_reason;
	bool		 discard;
	char		*discard_reason;
	char		*filter;	/* transport:nexthop */
	char		*redirect;	/* address */
	struct strlist	 bcc;		/* addresses */
	struct strlist	 prepend;	/* header lines */
	/* what queue.c has passed to cleanup already */
	unsigned	 unsent;	/* RESTRICT_EFFECT_* changed since */
	size_t		 bcc_sent, prepend_sent;
};

#define RESTRICT_EFFECT_HOLD		0x01
#define RESTRICT_EFFECT_DISCARD		0x02
#define RESTRICT_EFFECT_FILTER		0x04
#define RESTRICT_EFFECT_REDIRECT	0x08

void	restrict_effects_init(struct restrict_effects *e);
void	restrict_effects_free(struct restrict_effects *e);
/* Each records one effect (the last FILTER/REDIRECT wins, as in Postfix). */
void	restrict_effects_hold(struct restrict_effects *e, const char *reason);
void	restrict_effects_discard(struct restrict_effects *e, const char *reason);
void	restrict_effects_filter(struct restrict_effects *e, const char *nexthop);
void	restrict_effects_redirect(struct restrict_effects *e, const char *addr);
void	restrict_effects_bcc(struct restrict_effects *e, const char *addr);
void	restrict_effects_prepend(struct restrict_effects *e, const char *header);

struct restrict_step;
struct restrict_ctx;

typedef enum restrict_result (*restrict_fn)(struct restrict_ctx *ctx,
	    const struct restrict_step *step);

struct restrict_handler {
	const char	*name;		/* as in restriction_names.c */
	restrict_fn	 run;
	/* prepare - at load, before the jail; 0, or -1 with err (one line) */
	int	(*prepare)(struct restrict_step *step, struct smtpd_config *sc,
		    struct strbuf *err);
	/* release - what prepare made */
	void	(*release)(struct restrict_step *step);
	/*
	 * changed - a table prepare opened was rebuilt (sluice-map): the
	 * process ends after its sessions and a fresh one reopens it
	 */
	bool	(*changed)(const struct restrict_step *step);
};

/* restrict_table.c: every handler (one row per restriction_names.c row) */
const struct restrict_handler *restrict_handler_find(const char *name);

struct restrict_list;

/* One word of a list, ready to run. */
struct restrict_step {
	const struct restriction_step *word;	/* name, arg (parsed) */
	const struct restrict_handler *handler;	/* NULL: a class */
	const struct restrict_list *class_list;	/* a class's steps */
	void		*data;		/* the handler's, from prepare */
};

struct restrict_list {
	const char	*param;		/* for logs: the parameter or class */
	struct restrict_step *steps;
	size_t		 count;
};

/* All lists of one configuration (struct smtpd_config's restrictions). */
struct restrict_rules {
	struct restriction_set *words;
	struct restrict_list stages[RESTRICTION_STAGES];
	struct restrict_list *classes;
	size_t		 class_count;
	/* the parameters of the engine (restrict_load.c) */
	bool		 delay_reject;		/* smtpd_delay_reject */
	bool		 relay_first;	/* smtpd_relay_before_recipient_... */
	bool		 soft_bounce;
	bool		 reject_unlisted_sender;
	bool		 reject_unlisted_recipient;
	char		*tempfail_action;	/* reject_tempfail_action */
	char		*helo_tempfail_action;	/* unknown_helo_hostname_... */
	char		*address_tempfail_action;	/* unknown_address_... */
	bool		 tempfail_defer;	/* reject_tempfail_action = defer */
	bool		 helo_tempfail_defer;
	bool		 address_tempfail_defer;
	char		*footer;		/* smtpd_reject_footer */
	bool		 needs_dns;	/* a restriction asks the DNS (main.c) */
	long		 defer_code, reject_code, relay_code;
	long		 unknown_client_code, unknown_hostname_code;
	long		 unknown_address_code, non_fqdn_code, bad_name_code;
	long		 unauth_pipelining_code, multi_rcpt_bounce_code;
	long		 unknown_local_code, unknown_relay_code;
	long		 unknown_virtual_alias_code, unknown_virtual_mailbox_code;
	long		 access_reject_code, access_defer_code;
};

/*
 * restrict_load - parse and prepare every list of cfg into rules.  0, or
 * -1 with the reasons (one per line) in err: the server then answers 421.
 */
struct config;
int	restrict_load(struct restrict_rules *rules, struct config *cfg,
	    struct smtpd_config *sc, struct strbuf *err);
void	restrict_unload(struct restrict_rules *rules);
/* restrict_changed - a table of a step has changed (handler's changed()) */
bool	restrict_changed(const struct restrict_rules *rules);

/* The state one evaluation works on. */
struct restrict_ctx {
	struct smtpd_session *session;
	const struct restrict_rules *rules;
	enum restriction_stage stage;
	/* the request */
	const char	*client_name;	/* verified, or "unknown" */
	const char	*client_addr;
	const char	*namaddr;	/* name[addr] */
	const char	*helo;		/* NULL before HELO/EHLO */
	const char	*sender;	/* NULL before MAIL; "" the null sender */
	const char	*recipient;	/* NULL outside RCPT */
	const char	*command;	/* "RCPT", "MAIL", "CONNECT", ... for logs */
	/* what this stage is about, as in Postfix's replies */
	const char	*reply_name;	/* the client, helo, sender, recipient */
	const char	*reply_class;	/* "Client host", "Sender address", ... */
	struct strbuf	 reply;		/* the reply of a RESTRICT_REJECT */
	/* Postfix's bookkeeping */
	int		 recursion;
	int		 warn_if_reject;	/* the recursion level it was set at */
	struct restrict_defer defer_if_permit;
	struct restrict_defer defer_if_reject;
	struct restrict_effects *effects;	/* the transaction's */
};

/* Results a handler returns through these (restrict_reply.c). */
enum restrict_result restrict_reject(struct restrict_ctx *ctx,
	    enum restrict_error error, int code, const char *dsn,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
enum restrict_result restrict_permit(struct restrict_ctx *ctx,
	    const struct restrict_step *step);
enum restrict_result restrict_defer_if_permit(struct restrict_ctx *ctx,
	    enum restrict_error error, int code, const char *dsn,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
enum restrict_result restrict_defer_if_reject(struct restrict_ctx *ctx,
	    enum restrict_error error, int code, const char *dsn,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/*
 * restrict_tempfail - a restriction that cannot decide now (the DNS did
 * not answer): with defer (reject_tempfail_action or the restriction's
 * own *_tempfail_action = defer) the 4xx now, else defer_if_permit
 */
enum restrict_result restrict_tempfail(struct restrict_ctx *ctx, bool defer,
	    int code, const char *dsn, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
/* restrict_lookup_failure - 451 4.3.0 <name>: Temporary lookup failure */
enum restrict_result restrict_lookup_failure(struct restrict_ctx *ctx,
	    const char *reply_name);
/* restrict_server_error - 451 4.3.5 Server configuration error */
enum restrict_result restrict_server_error(struct restrict_ctx *ctx);
/* restrict_log - "NOQUEUE: WHAT: CMD from name[addr]: TEXT; from=<> ..." */
void	restrict_log(struct restrict_ctx *ctx, const char *what,
	    const char *text);

/*
 * restrict_eval_list - run a list in ctx (a class, or a table result's
 * list); RESTRICT_DUNNO when it ran out.
 */
enum restrict_result restrict_eval_list(struct restrict_ctx *ctx,
	    const struct restrict_list *list);
/*
 * restrict_class_find - the class named name, or NULL (for a table
 * result naming a class)
 */
const struct restrict_list *restrict_class_find(const struct restrict_rules *r,
	    const char *name);

/* What a session keeps between its checks (struct smtpd_session). */
struct restrict_state {
	struct restrict_defer defer_if_permit;
	bool		 dip_client, dip_helo, dip_sender;	/* per stage */
	bool		 sender_checked;	/* reject_unlisted_sender ran */
	bool		 recipient_checked;	/* reject_unlisted_recipient ran */
	char		*access_denied;	/* the client list refused at CONNECT */
	bool		 ill_pipelining;	/* commands sent ahead, not allowed */
	const char	*reply_recipient;	/* $recipient of a footer (reply.c) */
};

void	restrict_state_free(struct restrict_state *st);

/*
 * The implicit checks of smtpd_reject_unlisted_sender/_recipient, also
 * the restrictions reject_unlisted_* (restrict_unlisted.c)
 */
enum restrict_result restrict_unlisted_sender(struct restrict_ctx *ctx);
enum restrict_result restrict_unlisted_recipient(struct restrict_ctx *ctx);

/*
 * The stage drivers (restrict_eval.c): 0 to go on, -1 after the refusal
 * was replied and logged.  restrict_check_connect runs the client list
 * when smtpd_delay_reject = no; its refusal is the session's greeting
 * and every later command but QUIT gets 503 (Postfix's access_denied).
 */
int	restrict_check_connect(struct smtpd_session *s);
int	restrict_check_helo(struct smtpd_session *s, const char *helo);
int	restrict_check_sender(struct smtpd_session *s, const char *sender);
int	restrict_check_rcpt(struct smtpd_session *s, const char *recipient);
int	restrict_check_data(struct smtpd_session *s);
/*
 * restrict_check_bdat - smtpd_data_restrictions at the first BDAT: the
 * refusal (logged) is left in reply for the caller, who must read the
 * chunk before answering
 */
int	restrict_check_bdat(struct smtpd_session *s, struct strbuf *reply);
int	restrict_check_eod(struct smtpd_session *s);

#endif
