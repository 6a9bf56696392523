/*
 * listen.c - the sockets and status pipes the master hands to services.
 *
 * Listening sockets are opened here, as root, before any service runs;
 * services only accept.  Every descriptor the master holds is close-on-
 * exec: spawn.c moves a service's own descriptors onto 3, 4.. in the child,
 * so a child never inherits another service's sockets or pipes.  UNIX
 * sockets live in private/ (master and services only) or public/ (the
 * setgid helpers) and belong to mail_owner, as does private/dirsync, the
 * table through which services share directory fsyncs (lib/io/dir_sync.h).
 * mail_owner can write both directories, so everything done inside them
 * by name (removing a stale socket, binding, creating dirsync, removing a
 * retired service's socket) runs with mail_owner's effective identity
 * (lib/util/eugid.h): a symbolic link put there can then never make root
 * change, open or remove anything.  The directories themselves are set up
 * through a descriptor, never chmod/chown by name.
 *
 * Parameters: listen_backlog, setgid_group.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dir_sync.h"
#include "eugid.h"
#include "master.h"
#include "mem.h"
#include "msg.h"
#include "sock.h"

/* master_ipc_dir - create dir if missing; never loosen an existing one */
static void
master_ipc_dir(struct master_state *ms, const char *dir, mode_t mode, gid_t gid)
{
	struct stat st;
	int	 fd;

	if (lstat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			msg_fatal("%s is not a directory", dir);
		if (ms->privileged && st.st_uid != ms->owner_uid)
			msg_warn("%s is not owned by mail_owner (uid %ld)", dir,
			    (long)ms->owner_uid);
		if (st.st_mode & 0002)
			msg_fatal("%s is world-writable", dir);
		return;
	}
	if (errno != ENOENT)
		msg_fatal("lstat %s: %s", dir, strerror(errno));
	if (mkdir(dir, 0700) < 0)
		msg_fatal("mkdir %s: %s", dir, strerror(errno));
	/* by descriptor: the name is looked up once, and never followed */
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		msg_fatal("open %s: %s", dir, strerror(errno));
	if (ms->privileged && fchown(fd, ms->owner_uid, gid) < 0)
		msg_fatal("chown %s: %s", dir, strerror(errno));
	if (fchmod(fd, mode) < 0)
		msg_fatal("chmod %s: %s", dir, strerror(errno));
	close(fd);
	msg_info("created %s", dir);
}

/* master_ipc_dirs - private/ and public/ under the queue directory (cwd) */
void
master_ipc_dirs(struct master_state *ms)
{
	struct eugid_saved saved;
	struct group *gr;
	gid_t	 drop_gid = ms->owner_gid;

	if (ms->privileged &&
	    (gr = getgrnam(ms->set.setgid_group)) != NULL)
		drop_gid = gr->gr_gid;
	master_ipc_dir(ms, "private", 0700, ms->owner_gid);
	master_ipc_dir(ms, "public", 0710, drop_gid);
	/*
	 * Shared by cleanup and local for their directory fsyncs; made as
	 * mail_owner, so that it is mail_owner's without a chown.
	 */
	if (eugid_enter(ms->owner_uid, ms->owner_gid, &saved) < 0)
		msg_fatal("cannot become mail_owner: %s", strerror(errno));
	if (dir_sync_table_create(DIR_SYNC_TABLE, ms->owner_uid,
	    ms->owner_gid) < 0)
		msg_warn("cannot create %s (directory fsyncs will not be "
		    "shared): %s", DIR_SYNC_TABLE, strerror(errno));
	eugid_leave(&saved);
}

/* master_listen_one - open one address of svc; fd or -1 + err */
static int
master_listen_one(struct master_state *ms, struct master_service *svc,
    const char *address, int backlog, struct strbuf *err)
{
	struct eugid_saved saved;
	struct strbuf host;
	const char *bar;
	int	 fd;

	if (strcmp(svc->type, "unix") == 0) {
		/* mail_owner's socket, made by mail_owner: no chown by name */
		if (eugid_enter(ms->owner_uid, ms->owner_gid, &saved) < 0) {
			strbuf_printf(err, "cannot become mail_owner: %s",
			    strerror(errno));
			return (-1);
		}
		fd = unix_listen(address, 0666, backlog, err);
		eugid_leave(&saved);
		return (fd);
	}
	bar = strrchr(address, '|');
	strbuf_init(&host);
	strbuf_append(&host, address, (size_t)(bar - address));
	fd = inet_listen(host.data, bar + 1, backlog, err);
	strbuf_free(&host);
	return (fd);
}

/* master_listen_open - open every listener of svc, all or none */
int
master_listen_open(struct master_state *ms, struct master_service *svc,
    struct strbuf *err)
{
	long	 backlog;
	size_t	 i;
	int	 fd;

	backlog = ms->set.listen_backlog;
	if (backlog <= 0 || backlog > 65535)
		backlog = 65535;
	svc->listen_fds = xcalloc(svc->addresses.count + 1, sizeof(int));
	svc->listen_count = 0;
	for (i = 0; i < svc->addresses.count; i++) {
		fd = master_listen_one(ms, svc, svc->addresses.items[i],
		    (int)backlog, err);
		if (fd < 0) {
			master_listen_close(ms, svc, true);
			return (-1);
		}
		if (sock_set_cloexec(fd, true) < 0)
			msg_fatal("FD_CLOEXEC: %s", strerror(errno));
		svc->listen_fds[svc->listen_count++] = fd;
	}
	return (0);
}

/* master_listen_close - close svc's listeners; remove its socket files */
void
master_listen_close(struct master_state *ms, struct master_service *svc,
    bool unlink_path)
{
	struct eugid_saved saved;
	int	 i;

	for (i = 0; i < svc->listen_count; i++)
		close(svc->listen_fds[i]);
	if (unlink_path && svc->listen_count > 0 &&
	    strcmp(svc->type, "unix") == 0) {
		/* in mail_owner's directory, so as mail_owner */
		if (eugid_enter(ms->owner_uid, ms->owner_gid, &saved) < 0)
			msg_warn("cannot become mail_owner to remove %s: %s",
			    svc->addresses.items[0], strerror(errno));
		else {
			if (unlink(svc->addresses.items[0]) < 0 &&
			    errno != ENOENT)
				msg_warn("remove %s: %s",
				    svc->addresses.items[0], strerror(errno));
			eugid_leave(&saved);
		}
	}
	svc->listen_count = 0;
	free(svc->listen_fds);
	svc->listen_fds = NULL;
}

/* master_status_open - the status pipe: master reads, children write */
int
master_status_open(struct master_service *svc)
{
	int	 fds[2];

	if (pipe2(fds, O_CLOEXEC) < 0)
		return (-1);
	if (sock_set_nonblock(fds[0], true) < 0) {
		close(fds[0]);
		close(fds[1]);
		return (-1);
	}
	svc->status_rd = fds[0];
	svc->status_wr = fds[1];
	return (0);
}

/* master_status_close - idle children see the pipe close and exit */
void
master_status_close(struct master_service *svc)
{
	if (svc->status_rd >= 0)
		close(svc->status_rd);
	if (svc->status_wr >= 0)
		close(svc->status_wr);
	svc->status_rd = svc->status_wr = -1;
}
