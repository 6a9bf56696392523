/*
 * smtpd.h - what the files of the SMTP server share.
 *
 * The server handles one session at a time (the service skeleton keeps a
 * pool of processes).  Settings are read once into struct smtpd_config
 * before the chroot; a session lives in struct smtpd_session and carries
 * at most one mail transaction (struct smtpd_txn).  Each file implements
 * one concern: the command loop (session.c), the command table
 * (commands.c), one file per SMTP verb, the restriction engine
 * (restrict*.c, restrict.h),
 * the hand-off to cleanup (queue.c, content.c, received.c) and replies
 * (reply.c).
 */
#ifndef SLUICE_SMTPD_H
#define SLUICE_SMTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "address.h"
#include "cleanup_client.h"
#include "drop_client.h"
#include "config.h"
#include "config_table.h"
#include "queue_id.h"
#include "restrict.h"
#include "strbuf.h"
#include "strlist.h"
#include "stream.h"
#include "tls.h"

struct dnsbl_cache;
struct map_list;
struct resolver;
struct netlist;
struct smtpd_client_limits;
struct queue_space;

/* smtpd_tls_security_level */
enum smtpd_tls_level {
	SMTPD_TLS_NONE,
	SMTPD_TLS_MAY,		/* offer STARTTLS */
	SMTPD_TLS_ENCRYPT,	/* and require it before mail */
};

/* smtpd_forbid_bare_newline */
enum smtpd_bare_newline {
	BARE_NEWLINE_REJECT,	/* yes: 521 and disconnect */
	BARE_NEWLINE_NORMALIZE,	/* normalize / no: a bare LF ends a line */
};

/*
 * The settings: the fields up to queue_space are filled from the table
 * smtpd_params (params.c), the rest derived from them (settings.c).
 */
struct smtpd_config {
	char		*myhostname;
	char		*banner;
	char		*cleanup_service;	/* cleanup_service_name */
	char		*cleanup_socket;	/* "private/cleanup" */
	char		*bare_newline_word;	/* smtpd_forbid_bare_newline */
	char		*tls_level_word;	/* smtpd_tls_security_level */
	struct strlist	 receive_override;	/* receive_override_options */
	char		*content_filter;	/* transport:nexthop, or "" */
	long		 session_limit;		/* smtpd_process_session_limit */
	/* smtpd_client_*: client_limits.c */
	long		 client_count_limit;
	long		 client_rate_limit;
	long		 client_ipv4_prefix;
	long		 client_ipv6_prefix;
	struct netlist	*client_limit_exceptions;
	char		*anvil_service;		/* anvil_service_name */
	/* smtpd_policy_service_*: restrict_policy.c */
	long		 policy_timeout;	/* seconds */
	long		 policy_max_idle;
	long		 policy_max_ttl;
	long		 policy_request_limit;
	long		 policy_try_limit;
	long		 policy_retry_delay;
	char		*policy_default_action;
	char		*policy_context;
	/*
	 * broken: a parameter could not be used; every client gets 421
	 * 4.3.5 (and the reason is logged) instead of a dead listener
	 */
	bool		 broken;
	long		 greet_pause_ms;
	long		 timeout;		/* seconds */
	long		 error_sleep_ms;
	long		 soft_error_limit;
	long		 hard_error_limit;
	long		 junk_command_limit;	/* smtpd_junk_command_limit */
	bool		 per_record_deadline;	/* smtpd_per_record_deadline */
	long		 min_data_rate;		/* smtpd_min_data_rate, bytes/s */
	long		 recipient_limit;
	long		 message_size_limit;	/* 0 = none */
	long		 header_size_limit;
	long		 line_length_limit;
	long		 ipc_timeout;
	bool		 helo_required;
	bool		 strict_envelopes;
	bool		 smtputf8_enable;
	bool		 disable_vrfy;
	bool		 peername_lookup;
	enum smtpd_bare_newline bare_newline;
	struct strlist	 discard_ehlo;
	struct netlist	*mynetworks;
	struct netlist	*bare_newline_exclusions;
	struct resolver	*resolver;		/* classes, routes (lib/resolve.h) */
	struct map_list	*local_recipient_maps;	/* NULL when empty */
	struct map_list	*virtual_mailbox_maps;
	struct restrict_rules rules;	/* the restriction engine (restrict.h) */
	/* restrict_access.c: access(5) lookups */
	char		*parent_domain_matches_subdomains;
	char		*null_access_lookup_key;	/* the null sender's key */
	/* the DNS list restrictions (restrict_dnsbl.c) */
	char		*default_rbl_reply;	/* a template, as written */
	long		 maps_rbl_code;		/* maps_rbl_reject_code */
	struct map_list	*rbl_reply_maps;	/* NULL when empty */
	enum smtpd_tls_level tls_level;
	bool		 tls_wrappermode;	/* TLS from the first byte */
	bool		 tls_received_header;	/* smtpd_tls_received_header */
	struct tls_context *tls_ctx;		/* NULL: no TLS at all */
	struct queue_space *queue_space;	/* queue_minfree, per process */
	struct smtpd_client_limits *client_limits;	/* client_limits.c */
	/* smtpd -S (standalone.c): the pipe of sendmail -bs */
	bool		 standalone;	/* messages go to sluice-drop */
	bool		 policy_off;	/* a user's: no access policy */
	char		*drop_program;	/* daemon_directory/sluice-drop */
	const char	*drop_config_dir; /* its -c, or NULL */
};

/* What smtpd -S reads itself, where the master's skeleton is not there. */
struct smtpd_standalone {
	char		*mail_owner;
	char		*daemon_directory;
	char		*queue_directory;
};

/* params.c */
extern const struct config_table smtpd_params[], smtpd_standalone_params[];

/* settings.c */
bool	smtpd_config_tables_changed(struct smtpd_config *sc);
void	smtpd_config_load(struct smtpd_config *sc, struct config *cfg);

/* How a peer name lookup ended (Postfix's SMTPD_PEER_CODE_*). */
enum peer_name_status {
	PEER_NAME_OK,
	PEER_NAME_TEMP,		/* the DNS could not answer */
	PEER_NAME_PERM,		/* no name */
	PEER_NAME_FORGED,	/* the name does not resolve back */
};

struct smtpd_peer {
	char	 name[1025];	/* verified host name or "unknown" */
	char	 reverse_name[1025];	/* the PTR name, or "unknown" */
	enum peer_name_status name_status;
	enum peer_name_status reverse_status;
	char	 addr[64];	/* numeric address or "unknown" */
	int	 port;
	char	 namaddr[1025 + 64 + 2];	/* name[addr] for logs */
};

/* peer.c */
void	smtpd_peer_init(struct smtpd_peer *peer, int fd, bool lookup);
void	smtpd_peer_prepare(struct config *cfg, bool lookup);	/* before chroot */
/* hosts.c: /etc/hosts snapshot for peer names inside the chroot */
void	smtpd_hosts_load(void);
const char *smtpd_hosts_name(const char *addr);

/*
 * content.c: the one scanner of DATA and BDAT content (CRLF to LF, the
 * bare CR/LF policy), which counts and forwards it to cleanup
 */
struct content_sink {
	struct cleanup_client *cleanup;
	struct drop_client *drop;	/* instead of cleanup: smtpd -S */
	off_t	 size;
	long	 size_limit;
	long	 header_limit;
	long	 header_bytes;
	int	 header_state;
	bool	 forbid_bare;	/* smtpd_forbid_bare_newline, after exclusions */
	bool	 carry_cr;	/* the last piece ended in CR */
	bool	 too_big;
	bool	 header_too_big;
	bool	 write_error;
};

void	content_sink_init(struct content_sink *sink, struct cleanup_client *c,
	    long size_limit, long header_limit, bool forbid_bare);
/* content_sink_wire - client content (CRLF lines); NULL, "<CR>" or "<LF>" refused */
const char *content_sink_wire(struct content_sink *sink, const char *data,
	    size_t len);
/* content_sink_wire_end - the end of the content: a CR still held is bare */
const char *content_sink_wire_end(struct content_sink *sink);
void	content_sink_put(struct content_sink *sink, const char *data, size_t len);
bool	content_sink_failed(const struct content_sink *sink);

struct smtpd_rcpt {
	char	*address;
	char	*orcpt;		/* "rfc822;addr" or "" */
	int	 notify;	/* DSN_NOTIFY_* */
};

enum smtpd_content_mode {
	CONTENT_NONE,
	CONTENT_DATA,
	CONTENT_BDAT,
};

struct smtpd_txn {
	bool		 active;	/* MAIL accepted */
	char		*sender;
	bool		 smtputf8;
	char		 body_type[12];	/* "", 7BIT, 8BITMIME, BINARYMIME */
	char		 ret[8];	/* "", FULL, HDRS */
	char		*envid;		/* decoded, or NULL */
	struct smtpd_rcpt *rcpts;
	size_t		 rcpt_count;
	size_t		 rcpt_cap;
	enum smtpd_content_mode mode;
	struct cleanup_client *cleanup;
	struct drop_client *drop;	/* instead of cleanup: smtpd -S */
	char		 queue_id[QUEUE_ID_SIZE];
	struct content_sink sink;
	char		*bdat_fail;	/* reply repeated until BDAT LAST */
	long		 declared_size;	/* MAIL's SIZE=, 0 when none */
	char		 policy_instance[48];	/* policy_request.c */
	struct restrict_effects effects;	/* HOLD, DISCARD ... (restrict.h) */
};

#define SMTPD_CMD_SLOTS	24

struct smtpd_counter {
	unsigned	total;
	unsigned	ok;
};

struct smtpd_session {
	struct smtpd_config *cfg;
	struct stream	*stream;
	struct smtpd_peer peer;
	char		*helo_name;
	bool		 esmtp;
	bool		 bare_newline_reject;	/* mode after exclusions */
	const char	*where;		/* last command, for "after X" */
	int		 last_code;	/* of the last final reply */
	long		 error_count;
	long		 junk_cmds;	/* NOOP, RSET, ... since the last message */
	struct smtpd_counter counters[SMTPD_CMD_SLOTS];
	struct smtpd_txn txn;
	bool		 tls_active;
	struct tls_session_info tls_info;
	unsigned long	 anvil_ticket;	/* counted by anvil; 0: not */
	bool		 hangup;	/* a table's 421/521: close after it */
	struct restrict_state rstate;	/* the engine's, across commands */
	struct dnsbl_cache *dnsbl;	/* the DNS lists' answers (dnsbl.h) */
};

/* session.c */
void	smtpd_session_run(struct smtpd_config *cfg, int fd);
/* smtpd_session_run_stdio - the session of smtpd -S, on fds 0 and 1 */
void	smtpd_session_run_stdio(struct smtpd_config *cfg);

/* standalone.c: smtpd -S, for sendmail -bs; does not return */
void	smtpd_standalone_main(int argc, char **argv) __attribute__((noreturn));
void	smtpd_txn_reset(struct smtpd_session *s);
const char *smtpd_protocol(const struct smtpd_session *s);
bool	smtpd_bare_newline(struct smtpd_session *s, const char *what);
void	smtpd_read_failed(struct smtpd_session *s, int status);
void	smtpd_arm_deadline(struct smtpd_session *s, bool content);

/*
 * expand.c: the session's $names of reply templates (Postfix's): the
 * caller fills session, sender and recipient (NULL: not known yet) and
 * inits buf, which holds the values made on demand
 */
struct smtpd_expand {
	const struct smtpd_session *session;
	const char	*sender;
	const char	*recipient;
	struct strbuf	 buf;
};
const char *smtpd_expand_lookup(const char *name, void *arg);

/* reply.c */
void	smtpd_reply(struct smtpd_session *s, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	smtpd_reply_part(struct smtpd_session *s, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	smtpd_reject(struct smtpd_session *s, const char *stage,
	    const char *recipient, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
void	smtpd_log_reject(struct smtpd_session *s, const char *stage,
	    const char *recipient, const char *text);
void	smtpd_flush(struct smtpd_session *s);

/* commands.c */
int	smtpd_dispatch(struct smtpd_session *s, char *line);
void	smtpd_format_counters(const struct smtpd_session *s, struct strbuf *out);

/* per-verb handlers (check + proceed), each in its own file */
int	smtpd_helo_check(struct smtpd_session *s, const char *args);
int	smtpd_helo(struct smtpd_session *s, const char *args);
int	smtpd_ehlo(struct smtpd_session *s, const char *args);
/* mail.c: one ESMTP parameter: 1 found, 0 no more, -1 bad syntax */
int	smtpd_next_param(const char **cursor, struct strbuf *keyword,
	    struct strbuf *value, bool *has_value);
int	smtpd_mail_check(struct smtpd_session *s, const char *args);
int	smtpd_mail(struct smtpd_session *s, const char *args);
int	smtpd_rcpt_check(struct smtpd_session *s, const char *args);
int	smtpd_rcpt(struct smtpd_session *s, const char *args);
int	smtpd_data_check(struct smtpd_session *s, const char *args);
int	smtpd_data(struct smtpd_session *s, const char *args);
int	smtpd_bdat(struct smtpd_session *s, const char *args);

/*
 * resolve_once.c: what the resolver says about address; valid until the
 * next call, so read it before anything that may yield
 */
struct resolve_result;
const struct resolve_result *smtpd_resolve(const struct smtpd_config *cfg,
	    const char *address);

/* rcpt.c: 0, or -1 with the 501 of an address no restriction can judge */
int	smtpd_rcpt_address_check(struct smtpd_session *s,
	    const struct smtp_path *rcpt, struct strbuf *reply);

/* queue.c */
int	smtpd_queue_open(struct smtpd_session *s, struct strbuf *reply);
void	smtpd_queue_finish(struct smtpd_session *s);
void	smtpd_queue_abort(struct smtpd_session *s);

/* starttls.c */
void	smtpd_tls_setup(struct smtpd_config *sc, struct config *cfg);
bool	smtpd_starttls_offered(const struct smtpd_session *s);
bool	smtpd_tls_required(struct smtpd_session *s);
int	smtpd_starttls(struct smtpd_session *s, const char *args);
int	smtpd_tls_wrapper_start(struct smtpd_session *s);

/*
 * policy_request.c: the attributes of a policy request (Postfix's
 * SMTPD_POLICY_README) for state, the command being checked ("RCPT",
 * "MAIL", "DATA", "END-OF-MESSAGE", ...); sender NULL: the transaction's,
 * recipient NULL: none (at DATA the only one, if there is one).
 */
void	smtpd_policy_request(struct smtpd_session *s, const char *state,
	    const char *sender, const char *recipient, const char *context,
	    struct strbuf *req);

/* received.c */
void	smtpd_received_header(const struct smtpd_session *s, struct strbuf *out);

#endif
