/*
 * snapshot.c - the main.cf in force, where the daemons read it.
 *
 * A daemon reads main.cf when the master starts it, which may be long
 * after the last start or reload.  Reading the administrator's file then
 * would hand it an edit the master refused at reload (or never saw), so
 * the master writes the text it checked and applied to queue/pid/main.cf
 * (the pid directory is root's alone: master_queue_dir_check) and starts
 * every daemon with -m naming that copy.  Its problems are still reported
 * at the lines of the original file (config_load_file_as).
 *
 * The copy is written to a temporary name, then renamed, so a daemon
 * starting meanwhile reads the old text or the new, never a mix.  Mode
 * 0600: daemons read it as root, before they drop privileges.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "master.h"
#include "mem.h"
#include "msg.h"

#define SNAPSHOT_TEMP	MASTER_SNAPSHOT_FILE ".tmp"

/* master_snapshot_write - see master.h */
int
master_snapshot_write(struct master_state *ms, struct strbuf *err)
{
	const char *p = ms->main_cf_text.data;
	size_t left = ms->main_cf_text.len;
	char cwd[PATH_MAX];
	ssize_t n;
	int fd;

	(void)unlink(SNAPSHOT_TEMP);
	if ((fd = open(SNAPSHOT_TEMP, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0) {
		strbuf_printf(err, "create %s: %s", SNAPSHOT_TEMP, strerror(errno));
		return (-1);
	}
	while (left > 0) {
		if ((n = write(fd, p, left)) < 0) {
			if (errno == EINTR)
				continue;
			strbuf_printf(err, "write %s: %s", SNAPSHOT_TEMP,
			    strerror(errno));
			close(fd);
			(void)unlink(SNAPSHOT_TEMP);
			return (-1);
		}
		p += n;
		left -= (size_t)n;
	}
	if (close(fd) < 0 || rename(SNAPSHOT_TEMP, MASTER_SNAPSHOT_FILE) < 0) {
		strbuf_printf(err, "%s: %s", MASTER_SNAPSHOT_FILE, strerror(errno));
		(void)unlink(SNAPSHOT_TEMP);
		return (-1);
	}
	if (ms->snapshot_path == NULL) {
		/* the master works in the queue directory (main.c) */
		if (getcwd(cwd, sizeof(cwd)) == NULL) {
			strbuf_printf(err, "getcwd: %s", strerror(errno));
			return (-1);
		}
		ms->snapshot_path = xmalloc(strlen(cwd) +
		    sizeof("/" MASTER_SNAPSHOT_FILE));
		sprintf(ms->snapshot_path, "%s/%s", cwd, MASTER_SNAPSHOT_FILE);
	}
	return (0);
}
