/*
 * trigger - the client side of trigger pokes; see trigger.h.
 *
 * Used by cleanup (new mail), the master (wakeups) and the queue tools
 * (flush).  A missing or refusing service is normal (not started yet,
 * instance stopped) and only logged at debug level.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "sock.h"
#include "trigger.h"

/* trigger_send - poke the service at path, best effort */
int
trigger_send(const char *path, const void *data, size_t len)
{
	int	fd;
	int	saved;

	if (len == 0 || len > TRIGGER_MAX) {
		errno = EINVAL;
		return (-1);
	}
	if ((fd = unix_connect(path, 1)) < 0) {
		saved = errno;
		if (errno == ENOENT || errno == ECONNREFUSED)
			msg_debug("trigger %s: %s", path, strerror(errno));
		else
			msg_warn("trigger %s: %s", path, strerror(errno));
		errno = saved;
		return (-1);
	}
	if (send(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
	    errno != EAGAIN) {
		saved = errno;
		msg_warn("trigger %s: write: %s", path, strerror(errno));
		close(fd);
		errno = saved;
		return (-1);
	}
	close(fd);
	return (0);
}
