/*
 * control.c - sluice start, stop, reload, status.
 *
 * Whether a master runs is decided by the lock on queue/pid/master.pid
 * (see master/pidfile.c), never by the pid alone: a stale pid file from a
 * crash must not make us signal an unrelated process.
 *
 * stop and status work while main.cf is broken (config_read_lenient):
 * they need only queue_directory.  start reads it leniently too, for
 * daemon_directory: the master it runs checks the configuration and
 * refuses to start what sluice check refuses, on the terminal and in the
 * maillog.  reload runs the one configuration
 * check first and refuses, on the terminal and in the maillog, what the
 * master would refuse, so that it never reports a success the master
 * then undoes.
 *
 * Parameters: queue_directory, daemon_directory, maillog_file.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "config_log.h"
#include "config_programs.h"
#include "mem.h"
#include "msg.h"
#include "sluice.h"
#include "strbuf.h"

#define STOP_WAIT_SECONDS	30

/* sluice_master_pid - see sluice.h */
pid_t
sluice_master_pid(const char *queue_directory)
{
	struct strbuf path;
	struct flock lk;
	char	 buf[32];
	ssize_t	 n;
	long	 pid = 0;
	int	 fd;

	strbuf_init(&path);
	strbuf_printf(&path, "%s/pid/master.pid", queue_directory);
	fd = open(path.data, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	strbuf_free(&path);
	if (fd < 0)
		return (0);
	memset(&lk, 0, sizeof(lk));
	lk.l_type = F_WRLCK;
	lk.l_whence = SEEK_SET;
	if (fcntl(fd, F_OFD_GETLK, &lk) < 0 || lk.l_type == F_UNLCK) {
		close(fd);
		return (0);
	}
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		pid = strtol(buf, NULL, 10);
	}
	/* Locked but no pid yet: the master is still starting. */
	return (pid > 1 ? (pid_t)pid : -1);
}

/* sluice_signal_master - send signo, or say that nothing runs */
static int
sluice_signal_master(const char *queue_directory, int signo, pid_t *pidp)
{
	pid_t	 pid;

	if ((pid = sluice_master_pid(queue_directory)) == 0) {
		fprintf(stderr, "sluice: the Sluice mail system is not running\n");
		return (-1);
	}
	if (pid < 0 || kill(pid, signo) < 0) {
		fprintf(stderr, "sluice: cannot signal the master: %s\n",
		    pid < 0 ? "pid not yet written" : strerror(errno));
		return (-1);
	}
	*pidp = pid;
	return (0);
}

/* sluice_start - exec the master (which daemonizes unless -f) */
int
sluice_start(const struct sluice_opts *opts, int argc, char **argv)
{
	struct sluice_settings set;
	struct config *cfg;
	struct strbuf path;
	char	*args[7];
	int	 n = 0;
	bool	 foreground = false;

	if (argc == 2 && strcmp(argv[1], "-f") == 0)
		foreground = true;
	else if (argc != 1) {
		fprintf(stderr, "usage: sluice start [-f]\n");
		return (2);
	}
	/* the master checks the configuration, and refuses what check does */
	cfg = config_read_lenient(opts->config_dir);
	sluice_settings_read(cfg, &set);
	if (sluice_master_pid(set.queue_directory) != 0) {
		fprintf(stderr,
		    "sluice: the Sluice mail system is already running\n");
		sluice_settings_free(&set);
		config_free(cfg);
		return (1);
	}
	strbuf_init(&path);
	strbuf_printf(&path, "%s/master", set.daemon_directory);
	args[n++] = path.data;
	args[n++] = "-c";
	args[n++] = (char *)opts->config_dir;
	if (foreground)
		args[n++] = "-f";
	if (opts->verbose)
		args[n++] = "-v";
	args[n] = NULL;
	fflush(NULL);
	/* exec, not fork: with -f the caller's pid is the master's pid. */
	execv(path.data, args);
	fprintf(stderr, "sluice: exec %s: %s\n", path.data, strerror(errno));
	strbuf_free(&path);
	sluice_settings_free(&set);
	config_free(cfg);
	return (1);
}

/* sluice_stop - SIGTERM, then wait until the lock is released */
int
sluice_stop(const struct sluice_opts *opts, int argc, char **argv)
{
	struct timespec nap = {0, 100 * 1000 * 1000};
	struct sluice_settings set;
	struct config *cfg;
	pid_t	 pid;
	int	 i, rc;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: sluice stop\n");
		return (2);
	}
	cfg = config_read_lenient(opts->config_dir);	/* works with a broken main.cf */
	sluice_settings_read(cfg, &set);
	rc = 1;
	if (sluice_signal_master(set.queue_directory, SIGTERM, &pid) == 0) {
		for (i = 0; i < STOP_WAIT_SECONDS * 10; i++) {
			if (sluice_master_pid(set.queue_directory) == 0) {
				printf("sluice: stopped the Sluice mail system\n");
				rc = 0;
				break;
			}
			(void)nanosleep(&nap, NULL);
		}
		if (rc != 0)
			fprintf(stderr, "sluice: master pid %ld did not stop "
			    "within %ds\n", (long)pid, STOP_WAIT_SECONDS);
	}
	sluice_settings_free(&set);
	config_free(cfg);
	return (rc);
}

/*
 * reload_refuse - a configuration the master would refuse: each problem
 * on the terminal and in the maillog, the running configuration stays
 */
static int
reload_refuse(struct config *cfg, struct strbuf *problems)
{
	char	*line, *save;

	config_log_open("sluice", cfg);
	msg_set_stderr(false);
	for (line = strtok_r(problems->data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		fprintf(stderr, "sluice: reload: %s\n", line);
		msg_error("reload refused: %s", line);
	}
	fprintf(stderr, "sluice: reload refused; the running configuration "
	    "stays in force (see sluice check)\n");
	msg_error("reload refused; the running configuration stays in force");
	msg_set_stderr(true);
	return (1);
}

/* sluice_reload - the one configuration check, then SIGHUP */
int
sluice_reload(const struct sluice_opts *opts, int argc, char **argv)
{
	struct sluice_settings set;
	struct config *cfg;
	struct strbuf problems, warnings;
	pid_t	 pid;
	int	 rc;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: sluice reload\n");
		return (2);
	}
	strbuf_init(&problems);
	strbuf_init(&warnings);
	if ((cfg = config_read(opts->config_dir, &problems)) == NULL ||
	    config_programs_check(cfg, opts->config_dir, &warnings,
	    &problems) > 0) {
		if (cfg != NULL)
			config_free(cfg);
		/* what stop and status read: the broken values give way */
		cfg = config_read_lenient(opts->config_dir);
		sluice_settings_read(cfg, &set);
		/* the master must see nothing: it is not signalled */
		rc = sluice_master_pid(set.queue_directory) == 0 ?
		    (fprintf(stderr, "sluice: the Sluice mail system is not "
		    "running\n"), 1) : reload_refuse(cfg, &problems);
		strbuf_free(&problems);
		strbuf_free(&warnings);
		sluice_settings_free(&set);
		config_free(cfg);
		return (rc);
	}
	strbuf_free(&problems);
	strbuf_free(&warnings);		/* the master logs them once */
	sluice_settings_read(cfg, &set);
	rc = sluice_signal_master(set.queue_directory, SIGHUP, &pid);
	sluice_settings_free(&set);
	config_free(cfg);
	if (rc < 0)
		return (1);
	printf("sluice: refreshing the Sluice mail system\n");
	return (0);
}

/* sluice_status - exit 0 when a master runs */
int
sluice_status(const struct sluice_opts *opts, int argc, char **argv)
{
	struct sluice_settings set;
	struct config *cfg;
	pid_t	 pid;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: sluice status\n");
		return (2);
	}
	cfg = config_read_lenient(opts->config_dir);	/* works with a broken main.cf */
	sluice_settings_read(cfg, &set);
	pid = sluice_master_pid(set.queue_directory);
	sluice_settings_free(&set);
	config_free(cfg);
	if (pid == 0) {
		printf("sluice: the Sluice mail system is not running\n");
		return (1);
	}
	printf("sluice: the Sluice mail system is running: PID: %ld\n",
	    (long)pid);
	return (0);
}
