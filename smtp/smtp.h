/*
 * smtp.h - the shared state of the SMTP/LMTP client delivery agent.
 *
 * One program serves private/smtp and private/lmtp.  A request names a
 * next hop; nexthop.c turns it into a list of hosts to try, connect.c
 * opens a session with the first one that answers, session.c does the
 * greeting and EHLO/LHLO, transaction.c sends one message and records a
 * per-recipient outcome from the replies (reply.c), and reuse.c keeps the
 * last session open for the next request to the same next hop.
 */
#ifndef SLUICE_SMTP_H
#define SLUICE_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

#include "strlist.h"
#include "config_table.h"
#include "config.h"
#include "deliver_request.h"
#include "maps.h"
#include "queue_file.h"
#include "stream.h"
#include "strbuf.h"
#include "tls.h"

#define SMTP_REPLY_LINE_MAX	2048	/* bytes of one reply line; more: error */
#define SMTP_REPLY_LINES_MAX	100	/* lines of one reply; more: error */
#define SMTP_REPLY_TEXT_MAX	4096	/* bytes of reply text kept */
#define SMTP_HOSTS_MAX		50	/* hosts tried per delivery */

/* EHLO keywords we act on */
#define SMTP_FEATURE_PIPELINING	0x01
#define SMTP_FEATURE_SIZE	0x02
#define SMTP_FEATURE_8BITMIME	0x04
#define SMTP_FEATURE_SMTPUTF8	0x08
#define SMTP_FEATURE_DSN	0x10
#define SMTP_FEATURE_CHUNKING	0x20
#define SMTP_FEATURE_STARTTLS	0x40
#define SMTP_FEATURE_AUTH	0x80

/*
 * The settings read after the jail through the table smtp_params
 * (params.c; times in seconds), and what main.c derives from them.
 */
struct smtp_params {
	char	*helo_name;
	char	*smtp_port;
	char	*lmtp_port;
	char	*bind_address;
	long	 connect_timeout;
	long	 helo_timeout;
	long	 mail_timeout;
	long	 rcpt_timeout;
	long	 data_init_timeout;
	long	 data_xfer_timeout;
	long	 data_done_timeout;
	long	 quit_timeout;
	long	 cache_time_limit;
	long	 ipc_timeout;
	long	 mx_address_limit;
	long	 mx_session_limit;
	long	 min_data_rate;		/* smtp_min_data_rate, bytes/s */
	struct strlist host_lookup;	/* smtp_host_lookup */
	bool	 host_lookup_dns;	/* smtp_host_lookup contains "dns" */
	bool	 host_lookup_native;	/* ... "native" */
};

/* params.c */
extern const struct config_table smtp_params[], smtp_tls_params[];

/* a parsed next hop */
struct smtp_nexthop {
	bool	 lmtp;
	bool	 unix_path;	/* lmtp unix:/path */
	bool	 mx;		/* look up MX records */
	char	*host;		/* domain, host name, address, or socket path */
	char	*port;		/* decimal; NULL for unix */
};

/* one address to try */
struct smtp_target {
	char	*hostname;
	char	 addr[64];	/* numeric text */
	struct sockaddr_storage sa;
	socklen_t sa_len;
};

/* TLS levels, weakest first (smtp_tls_security_level) */
enum smtp_tls_level {
	SMTP_TLS_NONE = 0,
	SMTP_TLS_MAY,
	SMTP_TLS_ENCRYPT,
	SMTP_TLS_VERIFY,
	SMTP_TLS_SECURE,
};

/* the TLS policy for one next hop (tls.c) */
struct smtp_tls_policy {
	enum smtp_tls_level level;
	char	*match;		/* ":"-separated match strategies or names */
	char	*nexthop;	/* the next-hop domain or host, for matching */
};

struct smtp_session {
	struct stream	*s;
	int		 tls_level;	/* enum smtp_tls_level in force */
	bool		 tls_active;
	bool		 tls_retry_plain; /* "may": handshake failed, go plain */
	char		*auth_mechs;	/* AUTH keyword's mechanisms */
	bool		 lmtp;
	char		*key;		/* next hop text it was opened for */
	char		*tls_policy_key; /* the TLS policy it was opened under */
	char		*hostname;
	char		*addr;
	int		 port;
	char		*relay;		/* "host[addr]:port" for logs */
	unsigned	 features;
	long		 size_limit;	/* SIZE n; 0 = none announced */
	time_t		 idle_since;
	unsigned	 transactions;
	bool		 rset_pending;	/* reused: RSET before the next MAIL */
};

struct smtp_reply {
	int		 code;		/* 0 = no reply (I/O failure) */
	char		 dsn[16];	/* enhanced status, or derived */
	struct strbuf	 text;		/* all lines joined by "; ", no CRLF */
	struct strbuf	 first;		/* the first line without the code */
	int		 io_status;	/* stream status or SMTP_REPLY_* if 0 */
};

/* io_status values beyond the stream's: the server broke the protocol */
#define SMTP_REPLY_MALFORMED	(-100)	/* not "DDD text", or codes differ */
#define SMTP_REPLY_TOOLONG	(-101)	/* a line over SMTP_REPLY_LINE_MAX */
#define SMTP_REPLY_TOOMANY	(-102)	/* over SMTP_REPLY_LINES_MAX lines */

struct smtp_agent {
	struct smtp_params	 p;
	struct tls_context	*tls;		/* NULL: no client TLS possible */
	/* read by tls.c before the jail (smtp_tls_params) */
	char			*tls_level_word;	/* smtp_tls_security_level */
	enum smtp_tls_level	 tls_level;	/* tls_level_word parsed */
	struct map_list		*tls_policy_maps;
	char			*tls_verify_match;
	char			*tls_secure_match;
	bool			 sasl_enable;
	bool			 sasl_tls_only;
	struct map_list		*sasl_password_maps;
	const struct smtp_tls_policy *policy;	/* of the current delivery */
	const char		*nexthop_key;	/* of the current delivery */
	const char		*service_name;
	struct smtp_session	*cached;	/* reuse.c */
	int			 qmgr_fd;	/* the request's connection; -1 */
};

/* the message being delivered */
struct smtp_message {
	struct deliver_request	*req;
	struct queue_message	 msg;
	int			 fd;
	double			 arrival;
	bool			 has_8bit;
	bool			 smtputf8;
	long			 size;		/* content bytes with CRLF */
};

/* main.c / request.c */
void	smtp_serve(struct smtp_agent *a, int client_fd);
bool	smtp_request_withdrawn(const struct smtp_agent *a);
void	smtp_session_watch(struct smtp_agent *a, struct smtp_session *sess);
double	smtp_now(void);
void	smtp_log_rcpt(const struct smtp_message *m, const struct deliver_rcpt *r,
	    const char *relay, const char *text);

/* nexthop.c */
int	smtp_nexthop_parse(const char *text, bool lmtp, const struct smtp_params *p,
	    struct smtp_nexthop *out, struct strbuf *err);
void	smtp_nexthop_free(struct smtp_nexthop *nh);

/* connect.c: 0 with *out, or -1 with dsn/why (status 4 or 5 in *status) */
int	smtp_connect(struct smtp_agent *a, const struct smtp_nexthop *nh,
	    const char *key, struct smtp_session **out, int *status,
	    char dsn[16], struct strbuf *why);
void	smtp_session_free(struct smtp_session *sess);

/* session.c: greeting + EHLO; 0, or -1 with the failed reply in why */
int	smtp_session_start(struct smtp_agent *a, struct smtp_session *sess,
	    struct strbuf *why, int *status, char dsn[16]);
void	smtp_session_quit(struct smtp_agent *a, struct smtp_session *sess);
int	smtp_session_rset(struct smtp_agent *a, struct smtp_session *sess);
void	smtp_parse_ehlo_line(struct smtp_session *sess, const char *line);

/* reply.c */
void	smtp_reply_init(struct smtp_reply *r);
void	smtp_reply_free(struct smtp_reply *r);
int	smtp_reply_read(struct stream *s, struct smtp_reply *r);
/* smtp_reply_read_each - the same, with each later line's text to line_cb */
int	smtp_reply_read_each(struct stream *s, struct smtp_reply *r,
	    void (*line_cb)(void *ctx, int code, const char *text), void *ctx);
const char *smtp_reply_fault(int io_status);
int	smtp_reply_parse_line(const char *line, size_t len, int *code,
	    bool *more, const char **text);
void	smtp_reply_dsn(struct smtp_reply *r);
void	smtp_reply_describe(const struct smtp_session *sess,
	    const struct smtp_reply *r, const char *command, struct strbuf *out);

/* transaction.c: run one delivery on an open session */
#define SMTP_TRANSACTION_STALE	(-2)
int	smtp_transaction(struct smtp_agent *a, struct smtp_session *sess,
	    struct smtp_message *m);

/* content.c: stream the content (CRLF, dot-stuffed) or as BDAT chunks */
int	smtp_content_scan(struct smtp_message *m);
int	smtp_content_send_data(struct smtp_session *sess, struct smtp_message *m);
int	smtp_content_send_bdat(struct smtp_session *sess, struct smtp_message *m,
	    struct smtp_reply *reply);

/* tls.c */
void	smtp_tls_setup(struct smtp_agent *a, struct config *cfg);
void	smtp_tls_policy_find(struct smtp_agent *a, const char *nexthop_text,
	    const char *nexthop_host, struct smtp_tls_policy *out);
void	smtp_tls_policy_free(struct smtp_tls_policy *pol);
int	smtp_tls_negotiate(struct smtp_agent *a, struct smtp_session *sess,
	    struct strbuf *why, int *status, char dsn[16]);
char	*smtp_tls_policy_key(struct smtp_agent *a,
	    const struct smtp_session *sess);

/* sasl.c: AUTH when configured; 0, or -1 with why */
int	smtp_sasl_authenticate(struct smtp_agent *a, struct smtp_session *sess,
	    struct strbuf *why, int *status, char dsn[16]);

/* reuse.c */
struct smtp_session *smtp_reuse_take(struct smtp_agent *a, const char *key);
void	smtp_reuse_keep(struct smtp_agent *a, struct smtp_session *sess);
void	smtp_reuse_expire(struct smtp_agent *a, bool all);
int	smtp_reuse_wait_ms(struct smtp_agent *a);

#endif
