/*
 * sluice-drop - the only way in to maildrop/, like Postfix's postdrop(1).
 *
 * Usage: sluice-drop [-c DIR] [-v]
 * Reads one submission on standard input (the format is described in
 * drop.c; sendmail(1) writes it), checks it, writes it to
 * queue_directory/maildrop/ID, prints the ID on standard output and pokes
 * pickup (public/pickup) so the message moves on at once; if the mail
 * system is down the file waits.  While the queue file system is short
 * of space (queue_minfree, lib/queue/queue_space.h) it refuses with
 * EX_TEMPFAIL before it reads anything.  Exit status per sysexits(3).
 *
 * Installed setgid setgid_group, the group that may write maildrop/ and
 * reach public/.  So it trusts nothing from its caller: the environment is
 * emptied, descriptors 0-2 are made valid, the umask is 077, and an
 * alternate configuration directory (-c or SLUICE_CONFIG) is accepted
 * while setgid only when it and its main.cf belong to root or to the real
 * user.  It logs to syslog (never to a file a configuration could name)
 * and to standard error.
 *
 * Parameters read: queue_directory, message_size_limit, queue_minfree.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_programs.h"
#include "config.h"
#include "config_trust.h"
#include "mem.h"
#include "msg.h"
#include "queue_space.h"
#include "sluice_drop.h"
#include "strbuf.h"
#include "trigger.h"

#define DROP_PATH_MAX	64

static char unfinished_path[DROP_PATH_MAX];

#ifdef __SANITIZE_ADDRESS__
/*
 * A set-group-ID process is not dumpable, so LeakSanitizer cannot inspect
 * it and would fail every run of a sanitizer build; the sanitizer also
 * ignores the environment here.  Release builds do not contain this.
 */
const char *__lsan_default_options(void);

const char *
__lsan_default_options(void)
{
	return ("detect_leaks=0");
}
#endif

/* drop_set_unfinished - remember (or forget, NULL) the file being written */
void
drop_set_unfinished(const char *path)
{
	if (path == NULL || strlen(path) >= sizeof(unfinished_path))
		unfinished_path[0] = 0;
	else
		memcpy(unfinished_path, path, strlen(path) + 1);
}

/* drop_fatal - see sluice_drop.h */
void
drop_fatal(int status, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (unfinished_path[0] != 0)
		(void)unlink(unfinished_path);
	fprintf(stderr, "sluice-drop: fatal: %s\n", text);
	msg_set_stderr(false);
	msg_error("%s", text);
	exit(status);
}

/* on_signal - an interrupted submission leaves no file behind */
static void
on_signal(int sig)
{
	(void)sig;
	if (unfinished_path[0] != 0)
		(void)unlink(unfinished_path);
	_exit(EX_TEMPFAIL);
}

/* sane_process - valid stdio descriptors, strict umask, known signals */
static void
sane_process(void)
{
	struct sigaction sa;
	int fd;

	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 &&
		    open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			_exit(EX_OSERR);
	umask(077);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* load_config - main.cf of the chosen instance, under the setgid rule */
static struct config *
load_config(const char *dir)
{
	struct strbuf err;
	struct config *cfg;

	strbuf_init(&err);
	if (!config_dir_trusted(dir, getgid() != getegid()))
		drop_fatal(EX_NOPERM, "%s: an alternate configuration directory "
		    "must be owned by root or by you", dir);
	if ((cfg = config_load(dir, &err)) == NULL)
		drop_fatal(EX_CONFIG, "%s", err.data);
	strbuf_free(&err);
	return (cfg);
}

/*
 * check_room - EX_TEMPFAIL, before anything is read or written, while
 * the queue file system (cwd) has too little free space for new mail.
 * One that cannot be measured counts as room: a write error still fails
 * cleanly.
 */
static void
check_room(const struct queue_space *qs)
{
	struct queue_space_usage usage;
	struct strbuf why;
	long minfree = qs->minfree;
	long limit = qs->size_limit;

	if (queue_space_measure(".", NULL, &usage) < 0) {
		msg_warn("cannot measure free space in the queue file system: "
		    "%s", strerror(errno));
		return;
	}
	if (queue_space_judge(&usage, minfree, limit, 0) != QUEUE_SPACE_LOW)
		return;
	strbuf_init(&why);
	queue_space_describe(&why, &usage, minfree, limit);
	drop_fatal(EX_TEMPFAIL, "Insufficient system storage in the queue file "
	    "system: %s: message not accepted, try again later", why.data);
}

/* usage - the synopsis, then fail */
static void
usage(void)
{
	fprintf(stderr, "usage: sluice-drop [-c config_dir] [-v]\n");
	exit(EX_USAGE);
}

int
main(int argc, char **argv)
{
	const char *config_dir = NULL, *env_dir;
	char id[QUEUE_ID_SIZE], *dir;
	static const char poke = TRIGGER_NEW_MAIL;
	struct drop_settings set;
	struct queue_space qs;
	struct config *cfg;
	struct strbuf err;
	struct stream *in;
	int ch;

	sane_process();
	(void)config_tables_declare(sluice_drop_tables);
	msg_open("sluice-drop", NULL);
	msg_set_stderr(true);
	/* the one variable we listen to, then nothing of the caller's */
	env_dir = getenv("SLUICE_CONFIG");
	dir = env_dir != NULL ? xstrdup(env_dir) : NULL;
	clearenv();
	while ((ch = getopt(argc, argv, "c:v")) != -1) {
		switch (ch) {
		case 'c':
			config_dir = optarg;
			break;
		case 'v':
			msg_set_verbose(msg_verbose + 1);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (config_dir == NULL)
		config_dir = dir != NULL && dir[0] != 0 ? dir : SLUICE_CONFIG_DIR;
	cfg = load_config(config_dir);
	memset(&set, 0, sizeof(set));
	strbuf_init(&err);
	if (config_table_read(cfg, sluice_drop_params, &set, &err) > 0 ||
	    queue_space_init_config(&qs, cfg, ".", &err) != 0)
		drop_fatal(EX_CONFIG, "%s", err.data);
	strbuf_free(&err);
	if (chdir(set.queue_directory) < 0)
		drop_fatal(EX_CONFIG, "chdir %s: %s", set.queue_directory,
		    strerror(errno));
	check_room(&qs);
	in = stream_open(0);
	drop_message(in, qs.size_limit, id);
	stream_close(in);
	msg_debug("%s: queued in maildrop", id);
	if (trigger_send("public/pickup", &poke, 1) < 0)
		msg_debug("poke public/pickup: %s", strerror(errno));
	printf("%s\n", id);
	if (fflush(stdout) != 0)
		msg_debug("write queue ID: %s", strerror(errno));
	queue_space_free(&qs);
	config_table_release(sluice_drop_params, &set);
	config_free(cfg);
	free(dir);
	return (EX_OK);
}
