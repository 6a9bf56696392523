/*
 * sendmail.h - the sendmail(1) front end's internals: options (main.c),
 * the hand-over to sluice-drop (drop.c), reading a message from standard
 * input (message.c), address lists in headers and arguments (addrlist.c),
 * helper programs (exec.c; -bs runs smtpd -S).
 */
#ifndef SLUICE_SENDMAIL_H
#define SLUICE_SENDMAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sysexits.h>

#include "config.h"
#include "queue_id.h"
#include "stream.h"
#include "strbuf.h"
#include "strlist.h"

#define SM_RCPT_MAX		10000	/* as sluice-drop enforces */
#define SM_ENVID_MAX		100
#define SM_LINE_PIECE		4096	/* content is read in pieces this big */

struct sm_rcpt {
	char	*address;
	char	*orcpt;		/* "" or "rfc822;addr" (decoded) */
	int	 notify;	/* DSN_NOTIFY_* */
};

/* One message's envelope, as sluice-drop takes it. */
struct sm_envelope {
	char		*sender;	/* NULL: pickup uses the login name */
	char		*envid;		/* NULL or the DSN ENVID */
	const char	*ret;		/* NULL, "FULL" or "HDRS" */
	struct sm_rcpt	*rcpts;
	size_t		 rcpt_count;
	size_t		 rcpt_cap;
};

/* What the command line asked for. */
struct sm_options {
	struct config	*cfg;
	const char	*config_dir;	/* resolved */
	bool		 explicit_config; /* -c/-C/SLUICE_CONFIG given */
	bool		 extract;	/* -t */
	bool		 ignore_dots;	/* -i, -oi */
	int		 verbose;	/* -v */
	char		*sender;	/* -f/-r, "" for <>; NULL if none */
	char		*full_name;	/* -F */
	int		 notify;	/* -N */
	const char	*ret;		/* -R */
	char		*envid;		/* -V */
	/* main.cf, read through sendmail_params (params.c) */
	long		 size_limit;	/* message_size_limit, 0 = none */
	long		 header_limit;	/* header_size_limit */
	char		*daemon_directory;
	char		*myorigin;
	char		*queue_directory;
};

/* drop.c: a running sluice-drop */
struct sm_drop;
struct sm_drop *sm_drop_open(const struct sm_options *o,
	    const struct sm_envelope *env);
int	sm_drop_write(struct sm_drop *d, const void *data, size_t len);
/*
 * sm_drop_close - end the content, read the ID, reap the child.  Returns
 * its exit status (EX_OK when queued; id set); the child's complaint went
 * to our stderr.  Frees d.
 */
int	sm_drop_close(struct sm_drop *d, char id[QUEUE_ID_SIZE]);
/* sm_drop_abort - kill the submission (the file is removed). Frees d. */
void	sm_drop_abort(struct sm_drop *d);
/*
 * sm_queue_space_ok - false, with the free and needed bytes in why, while
 * the queue file system is too full for new mail (queue_minfree)
 */
bool	sm_queue_space_ok(const struct sm_options *o, struct strbuf *why);

/* envelope helpers (drop.c) */
void	sm_envelope_init(struct sm_envelope *env);
void	sm_envelope_free(struct sm_envelope *env);
/* sm_envelope_add - one recipient; duplicates are dropped; -1 when full */
int	sm_envelope_add(struct sm_envelope *env, const char *address,
	    const char *orcpt, int notify);

/* addrlist.c */
/* sm_address_list - the addr-specs of an RFC 5322 address list */
void	sm_address_list(const char *text, size_t len, struct strlist *out);
/* sm_address_valid - syntax that sluice-drop accepts (bare local parts too) */
bool	sm_address_valid(const char *address);

/* verify.c: -bv; the exit status, -1 when no address was given */
int	sm_verify(const struct sm_options *o, int argc, char **argv);

/* message.c: -bm/-t, the message on stdin; returns an exit status */
int	sm_send_stdin(const struct sm_options *o, const struct strlist *rcpts);

/* exec.c */
/* sm_exec_helper - run a Sluice program in place of this one */
void	sm_exec_helper(const struct sm_options *o, const char *program,
	    const char *const *args) __attribute__((noreturn));
/* sm_program_path - program in our own directory, else daemon_directory */
char	*sm_program_path(const struct sm_options *o, const char *program,
	    bool daemon_first);
void	sm_fatal(int status, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));
void	sm_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
