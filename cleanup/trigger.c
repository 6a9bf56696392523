/*
 * trigger - tell qmgr that incoming/ has a new file.
 *
 * A one-byte "A" on qmgr's public socket (public/qmgr, so that the
 * setgid queue tools can poke it too), as Postfix's trigger services
 * expect.  It is a hint, not a handshake: qmgr also scans incoming/ on its
 * own, so a qmgr that is absent (not part of this release yet) or busy
 * costs nothing but a debug line.  The send never blocks.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "msg.h"
#include "sock.h"

/* cleanup_trigger_qmgr - poke qmgr at path, best effort */
void
cleanup_trigger_qmgr(const char *path)
{
	int	fd;

	if ((fd = unix_connect(path, 1)) < 0) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			msg_debug("trigger %s: %s", path, strerror(errno));
		else
			msg_warn("trigger %s: %s", path, strerror(errno));
		return;
	}
	if (send(fd, "A", 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno != EAGAIN)
		msg_warn("trigger %s: write: %s", path, strerror(errno));
	close(fd);
}
