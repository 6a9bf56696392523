/*
 * signals.c - the self-pipe that turns signals into poll events.
 *
 * Handlers only write the signal number into a non-blocking pipe; the
 * event loop reads it and does the work (reap, reload, stop) outside of
 * signal context.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "master.h"
#include "msg.h"

static int signal_pipe[2] = {-1, -1};

/* master_signal_handler - async-signal-safe: one write */
static void
master_signal_handler(int signo)
{
	unsigned char c = (unsigned char)signo;
	int	 saved = errno;

	(void)write(signal_pipe[1], &c, 1);
	errno = saved;
}

/* master_signals_init - install handlers; returns the fd to poll */
int
master_signals_init(void)
{
	static const int sigs[] = {SIGCHLD, SIGHUP, SIGTERM, SIGINT};
	struct sigaction sa;
	size_t	 i;

	if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		msg_fatal("pipe: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = master_signal_handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			msg_fatal("sigaction: %s", strerror(errno));
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
	return (signal_pipe[0]);
}

/* master_signal_next - next pending signal number, or 0 */
int
master_signal_next(void)
{
	unsigned char c;

	if (read(signal_pipe[0], &c, 1) == 1)
		return (c);
	return (0);
}
