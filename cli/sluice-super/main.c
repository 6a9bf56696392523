/*
 * sluice-super - queue maintenance by the administrator, like postsuper(1).
 *
 * Usage: sluice-super [-c DIR] [-v] [-s] [-d ID] [-h ID] [-H ID] [-r ID]
 *	    [queue...]
 *	-d ID|ALL|-	delete (default queues: hold incoming active deferred)
 *	-h ID|ALL|-	put on hold (default: incoming active deferred)
 *	-H ID|ALL|-	release from hold (to deferred/, due at once)
 *	-r ID|ALL|-	requeue to incoming/ (default: hold incoming active
 *			deferred); qmgr resolves the recipients afresh
 *	-s		check and repair the queue structure (runs first)
 * "-" reads IDs from standard input, one per line.  Queue names after the
 * options restrict -d, -h and -r to those queues.
 *
 * Only root may run it, except on an unprivileged instance whose queue
 * directory belongs to the invoking user.  The queue directories belong
 * to mail_owner, who could plant symbolic links or swap files there, so
 * root does all its work in them as mail_owner (effective uid and gid,
 * lib/util/eugid.h): removing, renaming, reading queue files and defer logs,
 * poking qmgr.  Only the ownership and mode repair of -s needs root, and
 * it works on an open descriptor (super_as_root).  Every change is logged to the
 * maillog; deletions and the totals are also reported on stderr as
 * postsuper does.  Afterwards qmgr is poked (W, and A when mail went to
 * incoming/) so that it notices at once.
 * Parameters read: queue_directory, mail_owner, maillog_file,
 * qmgr_service_name.
 */
#include <sys/stat.h>

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_programs.h"
#include "config_log.h"
#include "config.h"
#include "eugid.h"
#include "mem.h"
#include "msg.h"
#include "queue_scan.h"
#include "sluice_super.h"
#include "strbuf.h"
#include "trigger.h"

#define MAX_REQUESTS	64

struct super_request {
	enum super_op	 op;
	const char	*arg;
};

/* What each operation is called in the totals line. */
static const char *const op_totals[SUPER_OP_COUNT] = {
	"Deleted", "Placed on hold", "Released from hold", "Requeued",
};

/* super_report - stderr like postsuper, and the maillog */
void
super_report(const char *fmt, ...)
{
	char	 text[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	fprintf(stderr, "sluice-super: %s\n", text);
	msg_set_stderr(false);
	msg_info("%s", text);
	msg_set_stderr(true);
}

/* super_fatal - "sluice-super: fatal: ..." and exit 1 */
static void __attribute__((format(printf, 1, 2), noreturn))
super_fatal(const char *fmt, ...)
{
	char	 text[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	fprintf(stderr, "sluice-super: fatal: %s\n", text);
	msg_set_stderr(false);
	msg_error("%s", text);
	exit(1);
}

/* usage - the synopsis, then fail */
static void
usage(void)
{
	fprintf(stderr, "usage: sluice-super [-c config_dir] [-v] [-s] "
	    "[-d id|ALL|-] [-h id|ALL|-] [-H id|ALL|-] [-r id|ALL|-] "
	    "[queue...]\n");
	exit(2);
}

/* check_privilege - root, or the owner of an unprivileged instance */
static void
check_privilege(const char *queue_dir)
{
	struct stat sb;

	if (geteuid() == 0)
		return;
	if (stat(queue_dir, &sb) < 0)
		super_fatal("%s: %s", queue_dir, strerror(errno));
	if (sb.st_uid != getuid() || getuid() != geteuid())
		super_fatal("use of this command is reserved for the superuser");
}

/*
 * check_queue_dir_owner - as root, the queue directory must be root's
 * alone, as the master demands: root opens "subdir/name" in it, and a
 * mail_owner who could replace a subdirectory by a link would choose
 * which file root opens and repairs.
 */
static void
check_queue_dir_owner(const char *queue_dir)
{
	struct stat sb;
	struct strbuf why;

	if (geteuid() != 0)
		return;
	if (stat(".", &sb) < 0)
		super_fatal("stat %s: %s", queue_dir, strerror(errno));
	strbuf_init(&why);
	if (!eugid_dir_is_roots(queue_dir, &sb, &why))
		super_fatal("%s", why.data);
	strbuf_free(&why);
}

/* poke_qmgr - tell qmgr the queue changed; best effort */
static void
poke_qmgr(const struct super_state *st)
{
	struct strbuf path;
	char	 cmd;

	strbuf_init(&path);
	strbuf_printf(&path, "public/%s", st->qmgr_service_name);
	if (st->new_mail) {
		cmd = TRIGGER_NEW_MAIL;
		(void)trigger_send(path.data, &cmd, 1);
	}
	cmd = TRIGGER_WAKEUP;
	(void)trigger_send(path.data, &cmd, 1);
	strbuf_free(&path);
}

/* resolve_owner - mail_owner's uid and primary gid for -s */
static void
resolve_owner(struct super_state *st)
{
	const char *owner = st->mail_owner;
	struct passwd *pw;

	st->privileged = geteuid() == 0;
	if ((pw = getpwnam(owner)) == NULL) {
		msg_warn("mail_owner %s: no such user; ownership not checked",
		    owner);
		return;
	}
	st->have_owner = true;
	st->owner_uid = pw->pw_uid;
	st->owner_gid = pw->pw_gid;
}

/* become_owner - root works in the queue as mail_owner from here on */
static void
become_owner(struct super_state *st)
{
	if (!st->privileged)
		return;
	if (!st->have_owner)
		super_fatal("mail_owner %s: no such user; root does not work "
		    "in the queue directories as root", st->mail_owner);
	if (eugid_enter(st->owner_uid, st->owner_gid, &st->as_owner) < 0)
		super_fatal("cannot become mail_owner: %s", strerror(errno));
}

/* super_as_root - see sluice_super.h */
int
super_as_root(struct super_state *st, int (*fn)(void *), void *arg)
{
	int	 rc, saved;

	if (!st->as_owner.switched)
		return (fn(arg));
	eugid_leave(&st->as_owner);
	rc = fn(arg);
	saved = errno;
	if (eugid_enter(st->owner_uid, st->owner_gid, &st->as_owner) < 0)
		super_fatal("cannot become mail_owner: %s", strerror(errno));
	errno = saved;
	return (rc);
}

int
main(int argc, char **argv)
{
	struct super_request req[MAX_REQUESTS];
	bool	 requested[SUPER_OP_COUNT] = { false };
	struct super_state st;
	const char *config_dir = NULL, *queue_dir;
	struct strbuf err;
	size_t	 nreq = 0;
	bool	 repair = false;
	int	 ch, verbose = 0, op;

	(void)config_tables_declare(sluice_super_tables);
	msg_open("sluice-super", NULL);
	msg_set_stderr(true);
	memset(&st, 0, sizeof(st));
	while ((ch = getopt(argc, argv, "c:d:h:H:r:sv")) != -1) {
		switch (ch) {
		case 'c':
			config_dir = optarg;
			continue;
		case 's':
			repair = true;
			continue;
		case 'v':
			msg_set_verbose(++verbose);
			continue;
		case 'd':
			op = SUPER_DELETE;
			break;
		case 'h':
			op = SUPER_HOLD;
			break;
		case 'H':
			op = SUPER_RELEASE;
			break;
		case 'r':
			op = SUPER_REQUEUE;
			break;
		default:
			usage();
		}
		if (nreq >= MAX_REQUESTS)
			super_fatal("too many requests (at most %d)", MAX_REQUESTS);
		req[nreq].op = (enum super_op)op;
		req[nreq++].arg = optarg;
		requested[op] = true;
	}
	if (nreq == 0 && !repair)
		usage();
	for (int i = optind; i < argc; i++)
		if (!queue_scan_is_queue(argv[i]))
			super_fatal("invalid queue name: %.100s", argv[i]);
	if (optind < argc)
		st.queues = (const char *const *)(argv + optind);
	for (size_t i = 0, stdin_used = 0; i < nreq; i++)
		if (strcmp(req[i].arg, "-") == 0 && stdin_used++ > 0)
			super_fatal("\"-\" (IDs from standard input) may be "
			    "given only once");

	strbuf_init(&err);
	if ((st.cfg = config_load(config_directory_default(config_dir),
	    &err)) == NULL)
		super_fatal("%s", err.data);
	if (config_table_read(st.cfg, sluice_super_params, &st, &err) > 0)
		super_fatal("%s", err.data);
	strbuf_free(&err);
	queue_dir = st.queue_directory;
	check_privilege(queue_dir);
	config_log_open("sluice-super", st.cfg);
	if (chdir(queue_dir) < 0)
		super_fatal("chdir %s: %s", queue_dir, strerror(errno));
	check_queue_dir_owner(queue_dir);
	resolve_owner(&st);
	become_owner(&st);

	if (repair)
		super_repair(&st);
	for (size_t i = 0; i < nreq; i++)
		super_apply(&st, req[i].op, req[i].arg);
	if (st.changed)
		poke_qmgr(&st);
	for (op = 0; op < SUPER_OP_COUNT; op++)
		if (requested[op])
			super_report("%s: %ld message%s", op_totals[op],
			    st.count[op], st.count[op] == 1 ? "" : "s");
	eugid_leave(&st.as_owner);
	config_table_release(sluice_super_params, &st);
	config_free(st.cfg);
	return (0);
}
