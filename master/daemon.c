/*
 * daemon.c - go to the background only once the master is ready.
 *
 * The parent stays until the child says it runs (pid written, lock held,
 * listeners open), so `sluice start` reports success only for a master
 * that actually runs, and a start-up error still reaches the terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "master.h"
#include "msg.h"

/* master_daemonize - returns (in the child) the fd to report readiness on */
int
master_daemonize(void)
{
	int	 ready[2];
	pid_t	 pid;
	char	 c;
	ssize_t	 n;

	if (pipe2(ready, O_CLOEXEC) < 0)
		msg_fatal("pipe: %s", strerror(errno));
	if ((pid = fork()) < 0)
		msg_fatal("fork: %s", strerror(errno));
	if (pid > 0) {
		close(ready[1]);
		do {
			n = read(ready[0], &c, 1);
		} while (n < 0 && errno == EINTR);
		_exit(n == 1 ? 0 : 1);
	}
	close(ready[0]);
	if (setsid() < 0)
		msg_fatal("setsid: %s", strerror(errno));
	return (ready[1]);
}

/* master_daemon_ready - detach stdio and release the waiting parent */
void
master_daemon_ready(int ready_fd)
{
	int	 fd;

	if ((fd = open("/dev/null", O_RDWR)) < 0)
		msg_fatal("open /dev/null: %s", strerror(errno));
	(void)dup2(fd, 0);
	(void)dup2(fd, 1);
	(void)dup2(fd, 2);
	if (fd > 2)
		close(fd);
	msg_set_stderr(false);
	if (write(ready_fd, "R", 1) != 1)
		msg_warn("cannot notify the starting process: %s",
		    strerror(errno));
	close(ready_fd);
}
