/*
 * cleanup_incoming.c - remove unfinished queue files at start-up.
 *
 * A writer that died mid-message leaves a file in incoming/ that is not
 * complete (queue_file_is_complete: mode 0700 and ending in E).  No
 * cleanup runs yet when the master starts, so nothing can be in the middle
 * of writing: whatever is incomplete now will never be finished.  Only a
 * file known to be unfinished is removed (mode not 0700, or its tail read
 * and not an E record): one that cannot be read now (EIO) may be
 * acknowledged mail, and stays for qmgr to try again.
 * incoming/ and its files are mail_owner's, so the master reads and
 * removes them as mail_owner (lib/util/eugid.h), never as root.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eugid.h"
#include "master.h"
#include "msg.h"
#include "queue_file.h"

#define INCOMING_DIR	"incoming"

/* master_cleanup_incoming - runs in the queue directory */
void
master_cleanup_incoming(struct master_state *ms)
{
	struct eugid_saved saved;
	struct dirent *de;
	struct stat st;
	DIR	*dir;
	int	 dfd, fd, state, read_errno;

	if (eugid_enter(ms->owner_uid, ms->owner_gid, &saved) < 0) {
		msg_warn("cannot become mail_owner to clean %s: %s",
		    INCOMING_DIR, strerror(errno));
		return;
	}
	if ((dir = opendir(INCOMING_DIR)) == NULL) {
		if (errno != ENOENT)
			msg_warn("open %s: %s", INCOMING_DIR, strerror(errno));
		eugid_leave(&saved);
		return;
	}
	dfd = dirfd(dir);
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		fd = openat(dfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC);
		if (fd < 0) {
			msg_warn("open %s/%s: %s", INCOMING_DIR, de->d_name,
			    strerror(errno));
			continue;
		}
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			continue;
		}
		state = queue_file_check_complete(fd);
		read_errno = errno;
		close(fd);
		if (state == QUEUE_FILE_IO_ERROR || state == QUEUE_FILE_BUSY) {
			msg_warn("%s/%s: cannot tell whether it is complete: %s; "
			    "left in place", INCOMING_DIR, de->d_name,
			    state == QUEUE_FILE_BUSY ? "a writer holds it" :
			    strerror(read_errno));
			continue;
		}
		if (state == 1)
			continue;
		if (unlinkat(dfd, de->d_name, 0) < 0)
			msg_warn("remove %s/%s: %s", INCOMING_DIR, de->d_name,
			    strerror(errno));
		else
			msg_info("removed incomplete queue file %s/%s",
			    INCOMING_DIR, de->d_name);
	}
	closedir(dir);
	eugid_leave(&saved);
}
