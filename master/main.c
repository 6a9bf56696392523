/*
 * master - the Sluice process supervisor.
 *
 * Usage: master [-c CONFIG_DIR] [-f] [-v]
 *
 * Runs as root: takes the pid lock, opens every listener of master.cf,
 * removes unfinished queue files, goes to the background (unless -f) and
 * then starts service children on demand.  It never reads network input.
 * Whatever it does inside a directory mail_owner can write (the sockets of
 * private/ and public/, incoming/) it does as mail_owner (lib/util/eugid.h);
 * the queue directory and pid/ must be root's alone (pidfile.c).
 * The work is split by concern: config.c, listen.c, spawn.c, status.c,
 * reap.c, reload.c, pidfile.c, cleanup_incoming.c, stop.c, wakeup.c,
 * daemon.c and loop.c.
 *
 * Parameters: queue_directory, maillog_file (and those of the files above).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_programs.h"
#include "config_log.h"
#include "flow.h"
#include "master.h"
#include "mem.h"
#include "msg.h"

/* master_usage - the one-line synopsis */
static void
master_usage(void)
{
	msg_fatal("usage: master [-c CONFIG_DIR] [-f] [-v]");
}

/* master_std_fds - exactly 0, 1, 2 open: nothing inherited leaks to children */
static void
master_std_fds(void)
{
	int	 fd;

	closefrom(3);
	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

/* master_open_services - listeners and status pipes of the first table */
static void
master_open_services(struct master_state *ms)
{
	struct master_service *svc;
	struct strbuf err;

	strbuf_init(&err);
	if ((ms->services = master_services_build(ms, &err)) == NULL)
		msg_fatal("%s", err.data);
	master_ipc_dirs(ms);
	for (svc = ms->services; svc != NULL; svc = svc->next) {
		if (master_listen_open(ms, svc, &err) < 0)
			msg_fatal("service %s/%s: %s", svc->name, svc->type,
			    err.data);
		if (master_status_open(svc) < 0)
			msg_fatal("pipe: %s", strerror(errno));
	}
	strbuf_free(&err);
}

int
main(int argc, char **argv)
{
	struct master_state ms;
	struct strbuf err, notes;
	const char *dir = NULL, *queue_dir;
	char	 real[PATH_MAX];
	int	 ch, ready_fd = -1;

	master_std_fds();
	umask(022);
	(void)config_tables_declare(master_tables);
	msg_open("master", NULL);
	memset(&ms, 0, sizeof(ms));
	strlist_init(&ms.env);
	while ((ch = getopt(argc, argv, "c:fv")) != -1) {
		switch (ch) {
		case 'c':
			dir = optarg;
			break;
		case 'f':
			ms.foreground = true;
			break;
		case 'v':
			msg_set_verbose(++ms.verbose);
			break;
		default:
			master_usage();
		}
	}
	if (optind != argc)
		master_usage();
	/* Start-up errors must reach whoever ran `sluice start`. */
	msg_set_stderr(true);
	dir = config_directory_default(dir);
	if (realpath(dir, real) == NULL)
		msg_fatal("configuration directory %s: %s", dir, strerror(errno));
	ms.config_dir = xstrdup(real);
	ms.privileged = (geteuid() == 0);

	strbuf_init(&err);
	strbuf_init(&notes);
	if (master_main_load(&ms, false, &err, &notes) < 0) {
		/* main.cf does not parse: logged where what parses of it says */
		ms.cfg = config_read_lenient(ms.config_dir);
		config_log_open("master", ms.cfg);
		msg_error("configuration error: %s", err.data);
		msg_fatal("refusing to start: the configuration has errors (see "
		    "sluice check)");
	}
	strbuf_free(&err);
	config_log_open("master", ms.cfg);
	master_log_notes(&notes);	/* once per start, in the maillog */
	strbuf_free(&notes);
	queue_dir = ms.set.queue_directory;
	if (chdir(queue_dir) < 0)
		msg_fatal("chdir %s: %s", queue_dir, strerror(errno));
	master_queue_dir_check(&ms, queue_dir);

	ms.pid_fd = master_pidfile_lock(&ms, MASTER_PID_FILE);
	strbuf_init(&err);
	if (master_snapshot_write(&ms, &err) < 0)
		msg_fatal("%s", err.data);
	strbuf_free(&err);
	if ((ms.flow_fd = flow_create((int)ms.set.in_flow_window)) < 0)
		msg_fatal("flow page: %s", strerror(errno));
	master_open_services(&ms);
	master_cleanup_incoming(&ms);
	if (!ms.foreground)
		ready_fd = master_daemonize();
	master_pidfile_write(ms.pid_fd);
	msg_info("daemon started -- version %s, configuration %s",
	    MASTER_VERSION, ms.config_dir);
	if (!ms.foreground)
		master_daemon_ready(ready_fd);
	master_loop(&ms);
}
