/*
 * sluice-queue - the user's view of the mail queue, like postqueue(1).
 *
 * Usage: sluice-queue [-c DIR] [-v] -p | -j | -f | -s SITE | -i ID
 *	-p	the classic mailq listing
 *	-j	JSON Lines, one object per message (postqueue -j fields)
 *	-f	flush: every deferred message is due now
 *	-s SITE	flush the mail for one destination
 *	-i ID	flush one message
 * Installed setgid setgid_group: the only privilege is access to the
 * sockets in public/ (showq for listings, qmgr for flush requests), and it
 * is given up as soon as the one connection is made.  A setgid program
 * must not let a user choose its configuration: an alternate directory
 * (-c or SLUICE_CONFIG) is accepted only when it and its main.cf belong to
 * root or to the user who runs the program.
 * A listing starts with one more line while the queue file system is
 * too full for new mail (queue_minfree; see listing.c), measured here
 * with the rule smtpd uses.
 * Parameters read: queue_directory, qmgr_service_name, ipc_timeout,
 * queue_minfree, message_size_limit.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_programs.h"
#include "config_trust.h"
#include "mem.h"
#include "msg.h"
#include "queue_id.h"
#include "queue_space.h"
#include "sluice_queue.h"
#include "sock.h"
#include "strbuf.h"
#include "trigger.h"

#define SITE_NAME_MAX	255
#define SHOWQ_CONNECT_TIMEOUT	10

enum queue_mode { MODE_NONE, MODE_LIST, MODE_JSON, MODE_FLUSH, MODE_SITE,
	MODE_ID };

/* queue_fatal - report on stderr like postqueue, log it, exit */
void
queue_fatal(int status, const char *fmt, ...)
{
	char	 text[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	fflush(stdout);
	fprintf(stderr, "sluice-queue: fatal: %s\n", text);
	msg_set_stderr(false);
	msg_error("%s", text);
	exit(status);
}

/* usage - the synopsis, then fail */
static void
usage(void)
{
	fprintf(stderr, "usage: sluice-queue [-c config_dir] [-v] "
	    "-p | -j | -f | -s site | -i queue_id\n");
	exit(EX_QUEUE_USAGE);
}

/* load_config - main.cf of the chosen instance, under the setgid rule */
static struct config *
load_config(const char *from_command_line)
{
	const char *dir = config_directory_default(from_command_line);

	if (!config_dir_trusted(dir, getgid() != getegid()))
		queue_fatal(EX_QUEUE_NOPERM, "%s: an alternate configuration "
		    "directory must be owned by root or by you", dir);
	/*
	 * Listing and flushing need only queue_directory and a few limits:
	 * they must work while main.cf has errors, which sluice check and
	 * the maillog report (a value that does not parse gives way to its
	 * default here).
	 */
	return (config_read_lenient(dir));
}

/* drop_setgid - give up the setgid_group privilege for good */
static void
drop_setgid(void)
{
	if (getegid() != getgid() && setgid(getgid()) < 0)
		queue_fatal(EX_QUEUE_NOPERM, "setgid: %s", strerror(errno));
}

/* The settings, read once by main(). */
static struct sq_settings sq;

/* public_path - queue_directory/public/NAME */
static char *
public_path(const char *name)
{
	struct strbuf path;

	strbuf_init(&path);
	strbuf_printf(&path, "%s/public/%s", sq.queue_directory, name);
	return (strbuf_detach(&path));
}

/*
 * space_notice - the first line of the listing while smtpd, sendmail and
 * sluice-drop refuse new mail for lack of space; nothing otherwise (or
 * when the file system cannot be measured: showq will say more)
 */
static void
space_notice(struct config *cfg, enum listing_format format)
{
	struct queue_space_usage usage;
	struct queue_space qs;
	struct strbuf err;

	strbuf_init(&err);
	if (queue_space_init_config(&qs, cfg, sq.queue_directory, &err) != 0)
		msg_warn("%s", err.data);	/* not after a lenient read */
	else if (queue_space_measure(sq.queue_directory, NULL, &usage) < 0)
		msg_debug("statvfs %s: %s", sq.queue_directory, strerror(errno));
	else if (queue_space_judge(&usage, qs.minfree, qs.size_limit, 0) ==
	    QUEUE_SPACE_LOW)
		listing_print_space(stdout, format, &usage, qs.minfree,
		    qs.size_limit);
	queue_space_free(&qs);
	strbuf_free(&err);
}

/* list_queue - fetch the listing from showq and print it */
static void
list_queue(struct config *cfg, enum listing_format format)
{
	char	*path = public_path("showq");
	struct stream *s;
	int	 fd;

	fd = unix_connect(path, SHOWQ_CONNECT_TIMEOUT);
	drop_setgid();
	if (fd < 0) {
		msg_debug("connect %s: %s", path, strerror(errno));
		queue_fatal(EX_QUEUE_UNAVAILABLE,
		    "Queue report unavailable - mail system is down");
	}
	space_notice(cfg, format);
	s = stream_open(fd);
	stream_set_timeout(s, (int)sq.ipc_timeout);
	listing_print(s, stdout, format);
	stream_close(s);
	free(path);
	if (fflush(stdout) != 0 || ferror(stdout))
		queue_fatal(EX_QUEUE_SOFTWARE, "write error on standard output");
}

/* site_valid - a domain name or an address literal, nothing else */
static bool
site_valid(const char *site)
{
	size_t	 len = strlen(site);

	if (len == 0 || len > SITE_NAME_MAX)
		return (false);
	return (strspn(site, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_[]:") == len);
}

/* flush_request - send one trigger to qmgr */
static void
flush_request(const char *request, size_t len)
{
	char	*path = public_path(sq.qmgr_service_name);
	int	 status;

	status = trigger_send(path, request, len);
	drop_setgid();
	if (status < 0)
		queue_fatal(EX_QUEUE_UNAVAILABLE,
		    "Cannot flush mail queue - mail system is down");
	free(path);
}

int
main(int argc, char **argv)
{
	enum queue_mode mode = MODE_NONE;
	const char *config_dir = NULL, *arg = NULL;
	struct config *cfg;
	struct strbuf req;
	int	 ch, verbose = 0;

	(void)config_tables_declare(sluice_queue_tables);
	msg_open("sluice-queue", NULL);
	msg_set_stderr(true);
	while ((ch = getopt(argc, argv, "c:fi:jps:v")) != -1) {
		enum queue_mode want = MODE_NONE;

		switch (ch) {
		case 'c':
			config_dir = optarg;
			continue;
		case 'v':
			msg_set_verbose(++verbose);
			continue;
		case 'p':
			want = MODE_LIST;
			break;
		case 'j':
			want = MODE_JSON;
			break;
		case 'f':
			want = MODE_FLUSH;
			break;
		case 's':
			want = MODE_SITE;
			arg = optarg;
			break;
		case 'i':
			want = MODE_ID;
			arg = optarg;
			break;
		default:
			usage();
		}
		if (mode != MODE_NONE && mode != want)
			usage();
		mode = want;
	}
	if (mode == MODE_NONE || optind != argc)
		usage();
	if (mode == MODE_SITE && !site_valid(arg))
		queue_fatal(EX_QUEUE_USAGE, "bad site name: %.100s", arg);
	if (mode == MODE_ID && !queue_id_valid(arg))
		queue_fatal(EX_QUEUE_USAGE, "bad queue ID: %.100s", arg);
	cfg = load_config(config_dir);
	strbuf_init(&req);
	/* lenient: a value main.cf gets wrong has given way to its default */
	if (config_table_read(cfg, sluice_queue_params, &sq, &req) > 0)
		queue_fatal(EX_QUEUE_SOFTWARE, "%s", req.data);
	switch (mode) {
	case MODE_LIST:
	case MODE_JSON:
		list_queue(cfg, mode == MODE_JSON ? LISTING_JSON : LISTING_CLASSIC);
		break;
	case MODE_FLUSH:
		strbuf_putc(&req, TRIGGER_FLUSH);
		flush_request(req.data, req.len);
		break;
	case MODE_SITE:
	case MODE_ID:
		strbuf_printf(&req, "%c%s\n", mode == MODE_SITE ?
		    TRIGGER_FLUSH_SITE : TRIGGER_FLUSH_ID, arg);
		flush_request(req.data, req.len);
		break;
	case MODE_NONE:
		break;
	}
	strbuf_free(&req);
	config_table_release(sluice_queue_params, &sq);
	config_free(cfg);
	return (0);
}
