/*
 * cleanup.h - what the files of the cleanup daemon share.
 *
 * main.c wires the service skeleton; protocol.c speaks the conversation of
 * cleanup_client.h; envelope.c checks and writes the envelope, whose
 * recipients expand.c replaces by their virtual alias expansion; content.c
 * streams the message into the queue file and hands header lines to
 * headers.c.  One struct cleanup_session per connection (several run at
 * once, each in a coroutine, up to cleanup_process_session_limit) holds
 * the struct cleanup_message being received; sessions and their buffers
 * are kept between connections so that the hot path does not allocate.
 */
#ifndef SLUICE_CLEANUP_H
#define SLUICE_CLEANUP_H

#include <stdbool.h>
#include <stddef.h>

#include "config_table.h"
#include "attr.h"
#include "config.h"
#include "htable.h"
#include "maps.h"
#include "mime.h"
#include "queue_file.h"
#include "queue_id.h"
#include "resolve.h"
#include "service.h"
#include "strbuf.h"
#include "strlist.h"

#define CLEANUP_ADDRESS_MAX	512	/* RFC 5321 path, with room to spare */
#define CLEANUP_ATTR_TEXT_MAX	1024	/* any other envelope attribute */
#define CLEANUP_MESSAGE_ID_MAX	998	/* RFC 5322 line limit */

/* Status texts sent to the client (cleanup_client.h adds the SMTP code). */
#define CLEANUP_TEXT_WRITE	"4.3.0 Error: queue file write error"
#define CLEANUP_TEXT_PROTO	"4.3.0 Error: internal protocol error"
#define CLEANUP_TEXT_HOPS	"5.4.6 Error: too many hops"
#define CLEANUP_TEXT_SIZE	"5.3.4 Error: message file too big"
#define CLEANUP_TEXT_ALIAS_TABLE "4.3.0 Error: alias expansion failed, try again later"
#define CLEANUP_TEXT_ALIAS_LIMIT "4.6.0 Alias expansion error"
#define CLEANUP_TEXT_REWRITE	"4.3.0 Error: address rewriting failed, try again later"
#define CLEANUP_TEXT_CHECKS	"4.3.0 Error: header or body check failed, try again later"
#define CLEANUP_TEXT_NESTING	"5.6.0 Error: MIME nesting exceeds safety limit"

/* How the addresses in a message's headers are canonicalised (rewrite.c). */
enum cleanup_hdr_context {
	CLEANUP_HDR_NONE,	/* canonical maps and masquerading only */
	CLEANUP_HDR_LOCAL,	/* and @$myorigin, .$mydomain */
	CLEANUP_HDR_REMOTE,	/* and @$remote_header_rewrite_domain */
};

struct cleanup_expand;
struct netlist;

/* Parameters, read once after the privilege drop. */
/* The settings main.c reads through the table cleanup_params (params.c). */
struct cleanup_params {
	long	 hopcount_limit;
	long	 header_size_limit;
	long	 message_size_limit;	/* 0 = unlimited */
	bool	 always_add_missing_headers;
	bool	 replace_stray_cr_lf;	/* cleanup_replace_stray_cr_lf */
	char	*myhostname;
	long	 ipc_timeout;		/* seconds */
	long	 in_flow_delay;		/* seconds; 0 = no in-flow control */
	long	 session_limit;		/* cleanup_process_session_limit */
};

extern const struct config_table cleanup_params[], cleanup_expand_params[];

/* header and body checks (checks.c), opened before the jail */
struct cleanup_checks {
	struct map_list	*header;	/* header_checks */
	struct map_list	*mime_header;	/* mime_header_checks */
	struct map_list	*nested_header;	/* nested_header_checks */
	struct map_list	*body;		/* body_checks */
	long		 body_size_limit; /* body_checks_size_limit, 0: all */
	bool		 disable_mime;	/* disable_mime_input_processing */
	long		 nesting_limit;	/* mime_nesting_limit */
	long		 boundary_limit; /* mime_boundary_length_limit */
	long		 line_limit;	/* line_length_limit: body pieces */
	long		 header_limit;	/* header_size_limit, per MIME section */
	struct mime_limits limits;	/* the three above, for the parser */
};

extern const struct config_table cleanup_checks_params[];

/* What a header or body check does to its line (checks.c). */
enum cleanup_check {
	CHECK_KEEP,
	CHECK_DROP,
	CHECK_REPLACE,		/* msg->check_replace instead */
};

enum cleanup_phase {
	CLEANUP_IN_HEADERS,
	CLEANUP_IN_BODY,
};

/* The message being received; buffers survive from one message to the next. */
struct cleanup_message {
	const struct cleanup_params *params;
	struct queue_writer *writer;	/* NULL once the message is rejected */
	char		 id[QUEUE_ID_SIZE];
	long		 flags;		/* CLEANUP_FLAG_* */
	struct strbuf	 sender;
	enum cleanup_phase phase;
	struct strbuf	 line;		/* header line split across chunks */
	struct strbuf	 header;	/* current logical header, folded lines */
	size_t		 header_bytes;	/* header section seen so far */
	unsigned long long content_size; /* bytes received from the client */
	long		 hops;		/* Received: headers */
	bool		 seen_message_id;
	bool		 seen_date;
	bool		 seen_from;
	struct strbuf	 message_id;	/* found or generated, for the log */
	const struct cleanup_expand *expand;	/* the resolver (rewrite.c) */
	enum cleanup_hdr_context hdr_context;
	struct strbuf	 rewrite_out;	/* a header being rebuilt */
	struct strbuf	 rewrite_addr;	/* one of its addresses */
	struct strbuf	 rewrite_scratch;
	struct resolve_result rewrite_why;	/* a table's failure */
	int		 status;	/* 0 while fine, else 4 or 5 */
	const char	*reason;	/* CLEANUP_TEXT_* when status != 0 */
	/* side effects (effects.c), applied when the content is complete */
	bool		 effect_hold;
	bool		 effect_discard;
	bool		 effect_bounce;	/* local mail refused: check_reason */
	struct strbuf	 effect_filter;	/* transport:nexthop, or empty */
	struct strbuf	 effect_redirect;	/* address, or empty */
	struct strlist	 effect_bcc;
	unsigned long long prepended_bytes; /* content from prepend= lists */
	/* header and body checks (checks.c) */
	const struct cleanup_checks *checks;
	struct mime_state *mime;	/* created when first needed */
	bool		 checks_on;	/* looked at, until REJECT, PASS ... */
	bool		 body_mime;	/* the body goes through mime line by line */
	struct strbuf	 body_line;	/* a body line split across chunks */
	struct strbuf	 check_key;
	struct strbuf	 check_value;
	struct strbuf	 check_replace;	/* REPLACE/PREPEND text, LF-ended */
	struct strbuf	 check_reason;	/* REJECT/DEFER reply text */
	struct strbuf	 check_log;
	struct strbuf	 log_origin;	/* "name[addr]", or "local" */
	struct strbuf	 log_proto;
	struct strbuf	 log_helo;
	struct strbuf	 log_rcpt;	/* the first recipient */
};

/* Virtual alias expansion (expand.c), opened once per process. */
struct cleanup_expand {
	struct resolver	*resolver;	/* NULL: could not be opened */
	char		*open_error;	/* why, for the log */
	/* read through cleanup_expand_params (params.c) */
	bool		 enable_orcpt;	/* enable_original_recipient */
	long		 dup_limit;	/* duplicate_filter_limit, 0: none */
	struct strlist	 rewrite_clients; /* local_header_rewrite_clients */
	struct netlist	*mynetworks;
	char		*remote_domain;	/* remote_header_rewrite_domain */
	/* rewrite_clients parsed (rewrite.c) */
	bool		 hdr_inet_interfaces;
	bool		 hdr_mynetworks;
	bool		 hdr_sasl;
	bool		 hdr_all;
	struct netlist	*hdr_clients;	/* addresses and networks listed */
	bool		 remote_rewrite;	/* remote_header_rewrite_domain set */
};

/* The duplicate filter of one message's recipients (expand.c). */
struct cleanup_dups {
	struct htable	*seen;		/* NULL until a second record */
	size_t		 records;	/* written so far */
	struct strbuf	 first;		/* the first record's key */
	struct strbuf	 key;		/* scratch */
	struct strbuf	 canon;		/* a recipient after rewriting */
	struct strbuf	 scratch;
	struct resolve_result why;	/* of the rewriting */
	bool		 mappings;	/* this message: canonical, virtual
					 * (not no_address_mappings) */
};

/* One connection's state; kept on a free list for the next connection. */
struct cleanup_session {
	struct attr_list	request;	/* reused for every list read */
	struct cleanup_message	msg;
	struct cleanup_dups	dups;
	struct cleanup_session	*next_free;
};

struct cleanup_daemon {
	struct cleanup_params	params;
	struct cleanup_checks	checks;
	struct cleanup_expand	expand;
	struct cleanup_session	*free_sessions;
};

/* protocol.c */
void	cleanup_serve(struct service_context *ctx, int client_fd);

/* envelope.c */
/*
 * cleanup_envelope_check - strict check of the envelope list; fills msg's
 * sender and flags.  0, or -1 with why (for the log) filled.
 */
int	cleanup_envelope_check(const struct attr_list *env,
	    struct cleanup_message *msg, struct strbuf *why);
/*
 * cleanup_envelope_write - S (sender: the rewritten one), A, the
 * rewritten and expanded R records and the content
 * start: 0; -1 for a write error (errno set); 1 when the recipients could
 * not be expanded (*reason: the client's text; the cause is logged)
 */
int	cleanup_envelope_write(struct queue_writer *w, const struct attr_list *env,
	    const char *sender, const struct cleanup_expand *x,
	    struct cleanup_dups *dups, const char *id, const char **reason);

/* expand.c */
/* cleanup_expand_open - open the tables (before the jail) */
void	cleanup_expand_open(struct cleanup_expand *x, struct config *cfg);
void	cleanup_dups_init(struct cleanup_dups *dups);
void	cleanup_dups_reset(struct cleanup_dups *dups);
/*
 * cleanup_expand_recipient - write the R records of one given recipient:
 * 0, -1 (write error) or 1 (refuse the message: *reason) as above
 */
int	cleanup_expand_recipient(const struct cleanup_expand *x,
	    struct queue_writer *w, const char *id,
	    const struct queue_recipient *given, struct cleanup_dups *dups,
	    const char **reason);

/* content.c */
void	cleanup_message_init(struct cleanup_message *msg,
	    const struct cleanup_params *params);
/* cleanup_message_start - reset the per-message state for writer w */
void	cleanup_message_start(struct cleanup_message *msg, struct queue_writer *w);
/* cleanup_content - take one data chunk (stray CRs are replaced in place) */
void	cleanup_content(struct cleanup_message *msg, char *data, size_t len);
/* cleanup_content_end - flush everything; msg->status tells the verdict */
void	cleanup_content_end(struct cleanup_message *msg);
/* cleanup_body_line - a line that starts the body (headers.c) */
void	cleanup_body_line(struct cleanup_message *msg, const char *line, size_t len);
/* cleanup_content_out - queue bytes for the queue file (headers.c) */
void	cleanup_content_out(struct cleanup_message *msg, const char *data, size_t len);
/* cleanup_reject - stop writing: the message will get status/reason */
void	cleanup_reject(struct cleanup_message *msg, int status, const char *reason);

/* effects.c */
/* each notes one side effect; why (may be NULL) is logged "ID: ACTION: why" */
void	cleanup_effect_hold(struct cleanup_message *msg, const char *why);
void	cleanup_effect_discard(struct cleanup_message *msg, const char *why);
void	cleanup_effect_filter(struct cleanup_message *msg, const char *filter,
	    const char *why);
void	cleanup_effect_redirect(struct cleanup_message *msg, const char *addr,
	    const char *why);
void	cleanup_effect_bcc(struct cleanup_message *msg, const char *addr,
	    const char *why);
void	cleanup_effects_reset(struct cleanup_message *msg);
/*
 * cleanup_effect_request - a protocol list hold=/discard=/filter=/
 * redirect=/bcc=/prepend= (cleanup_client.h): 0 taken, 1 not such a
 * list, -1 malformed or misplaced (logged)
 */
int	cleanup_effect_request(struct cleanup_message *msg,
	    const struct attr_list *list);
/*
 * cleanup_effects_finish - FILTER, REDIRECT and BCC into the extracted
 * segment, HOLD's directory: 0, -1 (write error), 1 (*reason: a BCC
 * recipient could not be expanded)
 */
int	cleanup_effects_finish(struct cleanup_message *msg,
	    const struct cleanup_expand *x, struct cleanup_dups *dups,
	    const char **reason);

/* checks.c */
/* cleanup_checks_start - log context and checks for a new message */
void	cleanup_checks_start(struct cleanup_message *msg,
	    const struct attr_list *env);
/* cleanup_check_header - one logical header of section (LF-ended lines) */
enum cleanup_check cleanup_check_header(struct cleanup_message *msg,
	    enum mime_section section, const char *text, size_t len);
/* cleanup_checks_body - the body is to be fed line by line */
bool	cleanup_checks_body(const struct cleanup_message *msg);
/* cleanup_checks_line - a body line or piece (no LF: continued) */
void	cleanup_checks_line(struct cleanup_message *msg, const char *text,
	    size_t len);
void	cleanup_checks_headers_end(struct cleanup_message *msg);
void	cleanup_checks_end(struct cleanup_message *msg);

/* headers.c */
/*
 * cleanup_header_line - one complete line (LF included, unless it is the
 * last line of a message without one) of the header section.  Switches
 * msg->phase to body when the header section ends.
 */
void	cleanup_header_line(struct cleanup_message *msg, const char *line, size_t len);
/* cleanup_headers_end - the header section ended with the content */
void	cleanup_headers_end(struct cleanup_message *msg, bool add_blank_line);
/* cleanup_header_overflow - header_size_limit reached: the rest is body */
void	cleanup_header_overflow(struct cleanup_message *msg);


/* rewrite.c */
void	cleanup_rewrite_open(struct cleanup_expand *x);
/* cleanup_rewrite_start - the message's header context, from its client */
void	cleanup_rewrite_start(const struct cleanup_expand *x,
	    struct cleanup_message *msg, const struct attr_list *env);
/* cleanup_rewrite_sender - msg->sender rewritten; 0, or 1 with *reason */
int	cleanup_rewrite_sender(const struct cleanup_expand *x,
	    struct cleanup_message *msg, struct strbuf *scratch,
	    const char **reason);
/* cleanup_rewrite_recipient - one envelope recipient into out; 0 / -1 */
int	cleanup_rewrite_recipient(const struct cleanup_expand *x,
	    const char *address, struct strbuf *out, struct strbuf *scratch,
	    struct resolve_result *why, const char *id, bool mappings);
/* cleanup_rewrite_header - the addresses of msg->header (name_len bytes) */
void	cleanup_rewrite_header(struct cleanup_message *msg, size_t name_len);

#endif
