/*
 * msg - logging in the Postfix style.
 *
 * Lines go to syslog (facility mail, ident "sluice/PROGRAM") or, with
 * maillog_file, are appended to that file.  Both are opened by msg_open()
 * so that they keep working after chroot().  Each line is built in a stack
 * buffer and written with one write(2), so concurrent processes never
 * interleave; nothing here allocates, so msg_fatal() works when memory is
 * exhausted.  Control characters in the text are escaped: the text often
 * carries client input, which must not be able to forge extra log lines.
 * Before msg_open() lines go to stderr only (usage errors of a program).
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"

#define MSG_LINE_MAX	4096		/* bytes per line, newline included */
#define MSG_NAME_MAX	64

int	msg_verbose;

static char	msg_program_name[MSG_NAME_MAX] = "sluice";
static char	msg_syslog_name[MSG_NAME_MAX] = "sluice";
static char	msg_ident[2 * MSG_NAME_MAX + 2] = "sluice";	/* openlog keeps it */
static char	msg_hostname[256] = "localhost";
static int	msg_log_fd = -1;
static bool	msg_opened;
static bool	msg_use_syslog;
static bool	msg_to_stderr;
static msg_fatal_hook_fn msg_fatal_hook;

/* msg_copy_name - bounded copy of a short name */
static void
msg_copy_name(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src != NULL && *src != '\0' ? src : "sluice");
}

/* msg_set_syslog_name - the "sluice" part of "sluice/PROGRAM" */
void
msg_set_syslog_name(const char *name)
{
	msg_copy_name(msg_syslog_name, sizeof(msg_syslog_name), name);
	snprintf(msg_ident, sizeof(msg_ident), "%s/%s", msg_syslog_name,
	    msg_program_name);
}

/* msg_open - start logging as "sluice/PROGRAM" to syslog or a file */
void
msg_open(const char *program, const char *maillog_file)
{
	const char *base;
	char *dot;
	int fd;

	if (program != NULL && (base = strrchr(program, '/')) != NULL)
		program = base + 1;
	msg_copy_name(msg_program_name, sizeof(msg_program_name), program);
	snprintf(msg_ident, sizeof(msg_ident), "%s/%s", msg_syslog_name,
	    msg_program_name);
	if (gethostname(msg_hostname, sizeof(msg_hostname)) != 0)
		snprintf(msg_hostname, sizeof(msg_hostname), "localhost");
	msg_hostname[sizeof(msg_hostname) - 1] = '\0';
	if ((dot = strchr(msg_hostname, '.')) != NULL && dot != msg_hostname)
		*dot = '\0';
	/* Load the time zone now: /etc/localtime is gone after chroot. */
	tzset();

	if (msg_log_fd >= 0) {
		close(msg_log_fd);
		msg_log_fd = -1;
	}
	if (msg_use_syslog) {
		closelog();
		msg_use_syslog = false;
	}
	msg_opened = true;
	if (maillog_file != NULL && *maillog_file != '\0') {
		fd = open(maillog_file, O_WRONLY | O_APPEND | O_CREAT |
		    O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0) {
			msg_to_stderr = true;
			msg_fatal("open maillog_file %s: %s", maillog_file,
			    strerror(errno));
		}
		msg_log_fd = fd;
	} else {
		openlog(msg_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
		msg_use_syslog = true;
	}
}

/* msg_set_stderr - also copy every line to stderr */
void
msg_set_stderr(bool on)
{
	msg_to_stderr = on;
}

/* msg_set_verbose - enable msg_debug() output */
void
msg_set_verbose(int level)
{
	msg_verbose = level;
}

/* msg_program - the program name given to msg_open() */
const char *
msg_program(void)
{
	return (msg_program_name);
}

/* msg_set_fatal_hook - intercept msg_fatal()/msg_panic() (tests) */
void
msg_set_fatal_hook(msg_fatal_hook_fn hook)
{
	msg_fatal_hook = hook;
}

/* msg_escape - copy text into dst, escaping control bytes; bounded */
static size_t
msg_escape(char *dst, size_t size, const char *text)
{
	const unsigned char *p;
	char esc[8];
	size_t len = 0, n;

	for (p = (const unsigned char *)text; *p != '\0'; p++) {
		if (*p >= 0x20 && *p != 0x7f) {
			esc[0] = (char)*p;
			n = 1;
		} else if (*p == '\r') {
			memcpy(esc, "\\r", n = 2);
		} else if (*p == '\n') {
			memcpy(esc, "\\n", n = 2);
		} else if (*p == '\t') {
			memcpy(esc, "\\t", n = 2);
		} else {
			n = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", *p);
		}
		if (len + n >= size)
			break;
		memcpy(dst + len, esc, n);
		len += n;
	}
	dst[len] = '\0';
	return (len);
}

/* msg_prefix - the severity label Postfix puts before the text */
static const char *
msg_prefix(int priority)
{
	switch (priority) {
	case LOG_WARNING:
		return ("warning: ");
	case LOG_ERR:
		return ("error: ");
	case LOG_CRIT:
		return ("fatal: ");
	case LOG_ALERT:
	case LOG_EMERG:
		return ("panic: ");
	default:
		return ("");
	}
}

/* msg_write_all - one write(2) per line; retry only on EINTR */
static void
msg_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	do {
		n = write(fd, buf, len);
	} while (n < 0 && errno == EINTR);
}

/* msg_output - format, escape and emit one line to every destination */
static void
msg_output(int priority, const char *text)
{
	char clean[MSG_LINE_MAX];
	char line[MSG_LINE_MAX + 256];
	char stamp[32];
	const char *prefix = msg_prefix(priority);
	struct tm tm;
	time_t now;
	int head, len;

	msg_escape(clean, sizeof(clean) - 200, text);
	if (msg_log_fd >= 0) {
		now = time(NULL);
		if (localtime_r(&now, &tm) == NULL ||
		    strftime(stamp, sizeof(stamp), "%b %d %H:%M:%S", &tm) == 0)
			snprintf(stamp, sizeof(stamp), "%s", "- -");
		head = snprintf(line, MSG_LINE_MAX, "%s %s %s[%ld]: %s",
		    stamp, msg_hostname, msg_ident, (long)getpid(), prefix);
		len = snprintf(line + head, MSG_LINE_MAX - (size_t)head,
		    "%s\n", clean);
		len = head + len >= MSG_LINE_MAX ? MSG_LINE_MAX - 1 : head + len;
		line[len - 1] = '\n';
		msg_write_all(msg_log_fd, line, (size_t)len);
	} else if (msg_use_syslog) {
		syslog(LOG_MAIL | (priority > LOG_CRIT ? priority : LOG_CRIT),
		    "%s%s", prefix, clean);
	}
	if (msg_to_stderr || !msg_opened) {
		len = snprintf(line, MSG_LINE_MAX, "%s[%ld]: %s%s\n",
		    msg_opened ? msg_ident : msg_program_name,
		    (long)getpid(), prefix, clean);
		if (len >= MSG_LINE_MAX) {
			len = MSG_LINE_MAX - 1;
			line[len - 1] = '\n';
		}
		msg_write_all(STDERR_FILENO, line, (size_t)len);
	}
}

/* msg_vlog - log at a syslog priority (LOG_INFO, LOG_WARNING, ...) */
void
msg_vlog(int priority, const char *fmt, va_list ap)
{
	char text[MSG_LINE_MAX];
	int saved_errno = errno;

	vsnprintf(text, sizeof(text), fmt, ap);
	msg_output(priority, text);
	errno = saved_errno;
}

/* msg_debug - verbose logging, only with msg_verbose > 0 */
void
msg_debug(const char *fmt, ...)
{
	va_list ap;

	if (msg_verbose <= 0)
		return;
	va_start(ap, fmt);
	msg_vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

/* msg_info - an informational line */
void
msg_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

/* msg_warn - "warning: " line */
void
msg_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}

/* msg_error - "error: " line */
void
msg_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

/* msg_fatal - "fatal: " line, then the hook or exit(1) */
void
msg_fatal(const char *fmt, ...)
{
	char text[MSG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	msg_output(LOG_CRIT, text);
	if (msg_fatal_hook != NULL)
		msg_fatal_hook(text);
	exit(1);
}

/* msg_panic - "panic: " line (a bug), then the hook or abort() */
void
msg_panic(const char *fmt, ...)
{
	char text[MSG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	msg_output(LOG_ALERT, text);
	if (msg_fatal_hook != NULL)
		msg_fatal_hook(text);
	abort();
}
