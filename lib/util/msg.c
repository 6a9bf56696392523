/*
 * msg - logging in the Postfix style.
 *
 * Lines go to syslog (facility mail, ident "sluice/PROGRAM") or, with
 * maillog_file, are appended to that file.  Both are opened by msg_open()
 * so that they keep working after chroot().  Each line is built in a stack
 * buffer and written with one write(2), so concurrent processes never
 * interleave; nothing here allocates, so msg_fatal() works when memory is
 * exhausted.  Before msg_open() lines go to stderr only (usage errors of
 * a program).
 *
 * The text often carries network input (commands, remote replies), which
 * must neither forge extra log lines nor break tools that read the log as
 * text.  One rule, applied here to every line so that callers need not
 * care: printable ASCII and well-formed UTF-8 (SMTPUTF8 addresses) pass;
 * every other byte is written as an escape - CR, LF and TAB as \r, \n,
 * \t, anything else as \xNN (two lower-case hex digits).  "Anything else"
 * is the other C0 controls, DEL, bytes that are not part of a well-formed
 * UTF-8 sequence (stray continuation bytes, overlong forms, surrogates,
 * code points above U+10FFFF, sequences cut short), and the bytes of the
 * C1 controls U+0080-U+009F and of U+2028/U+2029, which some readers take
 * for line breaks.  So each line is valid UTF-8 without control characters.
 * A line too long for the buffer is cut before a whole character or
 * escape, never inside one, and still goes out with one write(2).
 *
 * A full disk can make that write(2) to maillog_file short: half a line,
 * onto which the next line would be glued.  Such a line is dropped whole
 * (the file cut back to where it began, when nobody appended since) or,
 * failing that, ended with a newline.  A logging failure is never
 * reported to the caller and never changes errno: it must not change
 * what happens to mail.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "json_write.h"
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
static int	msg_facility = LOG_MAIL;	/* syslog_facility */

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

/* msg_set_syslog_facility - the facility of syslog lines; 0 or -1 */
int
msg_set_syslog_facility(const char *name)
{
	static const struct {
		const char	*name;
		int		 facility;
	} facilities[] = {
		{ "mail", LOG_MAIL }, { "user", LOG_USER },
		{ "daemon", LOG_DAEMON }, { "local0", LOG_LOCAL0 },
		{ "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
		{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
		{ "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
		{ "local7", LOG_LOCAL7 },
	};

	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcasecmp(name, facilities[i].name) == 0) {
			msg_facility = facilities[i].facility;
			return (0);
		}
	return (-1);
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
		openlog(msg_ident, LOG_PID | LOG_NDELAY, msg_facility);
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

/*
 * utf8_printable - length of the character at p (len bytes left) when it
 * is well-formed UTF-8 beyond ASCII (the check of lib/json_write) and may
 * be logged as is; 0 otherwise
 */
static size_t
utf8_printable(const unsigned char *p, size_t len)
{
	size_t n = json_utf8_sequence(p, len);

	if (n < 2)
		return (0);
	/* C1 controls and the Unicode line and paragraph separators */
	if (p[0] == 0xc2 && p[1] <= 0x9f)
		return (0);
	if (n == 3 && p[0] == 0xe2 && p[1] == 0x80
	    && (p[2] == 0xa8 || p[2] == 0xa9))
		return (0);
	return (n);
}

/* escape_byte - the escape of one byte that may not be logged as is */
static size_t
escape_byte(char *esc, size_t size, unsigned char c)
{
	switch (c) {
	case '\r':
		return ((size_t)snprintf(esc, size, "\\r"));
	case '\n':
		return ((size_t)snprintf(esc, size, "\\n"));
	case '\t':
		return ((size_t)snprintf(esc, size, "\\t"));
	default:
		return ((size_t)snprintf(esc, size, "\\x%02x", c));
	}
}

/*
 * msg_escape - copy text into dst (size bytes, NUL included) by the rule
 * at the top of this file; stops before a character or escape that does
 * not fit.  Returns the length written.
 */
static size_t
msg_escape(char *dst, size_t size, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	const unsigned char *end = p + strlen(text);
	char esc[8];
	const char *out;
	size_t len = 0, n, step;

	if (size == 0)
		return (0);
	for (; p < end; p += step) {
		if (*p >= 0x20 && *p < 0x7f)
			step = 1;
		else
			step = utf8_printable(p, (size_t)(end - p));
		if (step > 0) {
			out = (const char *)p;
			n = step;
		} else {
			out = esc;
			n = escape_byte(esc, sizeof(esc), *p);
			step = 1;
		}
		if (len + n >= size)
			break;
		memcpy(dst + len, out, n);
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
static ssize_t
msg_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	do {
		n = write(fd, buf, len);
	} while (n < 0 && errno == EINTR);
	return (n);
}

/*
 * msg_write_file - one line to maillog_file (O_APPEND), whole or not at
 * all.  After a short write the file offset is where our part ended; if
 * the file still ends there, nobody appended since and the part can be
 * cut off again.  Else a newline at least ends it.
 */
static void
msg_write_file(int fd, const char *buf, size_t len)
{
	struct stat st;
	ssize_t n;
	off_t end;

	n = msg_write_all(fd, buf, len);
	if (n <= 0 || (size_t)n == len)
		return;
	if ((end = lseek(fd, 0, SEEK_CUR)) >= n && fstat(fd, &st) == 0 &&
	    S_ISREG(st.st_mode) && st.st_size == end &&
	    ftruncate(fd, end - n) == 0)
		return;
	(void)msg_write_all(fd, "\n", 1);
}

/*
 * msg_line - head, then text escaped into what room is left, then the
 * newline; the length of the line in buf (MSG_LINE_MAX bytes).
 */
static size_t
msg_line(char *buf, const char *head, const char *text)
{
	size_t len;

	len = (size_t)snprintf(buf, MSG_LINE_MAX / 2, "%s", head);
	if (len >= MSG_LINE_MAX / 2)
		len = MSG_LINE_MAX / 2 - 1;
	/* room for the newline: msg_escape leaves its NUL where it goes */
	len += msg_escape(buf + len, MSG_LINE_MAX - len - 1, text);
	buf[len++] = '\n';
	return (len);
}

/* msg_output - format, escape and emit one line to every destination */
static void
msg_output(int priority, const char *text)
{
	char line[MSG_LINE_MAX];
	char head[MSG_LINE_MAX / 2];
	char stamp[32];
	const char *prefix = msg_prefix(priority);
	struct tm tm;
	time_t now;
	size_t len;

	if (msg_log_fd >= 0) {
		now = time(NULL);
		if (localtime_r(&now, &tm) == NULL ||
		    strftime(stamp, sizeof(stamp), "%b %d %H:%M:%S", &tm) == 0)
			snprintf(stamp, sizeof(stamp), "%s", "- -");
		snprintf(head, sizeof(head), "%s %s %s[%ld]: %s", stamp,
		    msg_hostname, msg_ident, (long)getpid(), prefix);
		len = msg_line(line, head, text);
		msg_write_file(msg_log_fd, line, len);
	} else if (msg_use_syslog) {
		/* syslog adds the head: leave it room in the same bound */
		msg_escape(line, MSG_LINE_MAX - 200, text);
		syslog(msg_facility | (priority > LOG_CRIT ? priority : LOG_CRIT),
		    "%s%s", prefix, line);
	}
	if (msg_to_stderr || !msg_opened) {
		snprintf(head, sizeof(head), "%s[%ld]: %s",
		    msg_opened ? msg_ident : msg_program_name,
		    (long)getpid(), prefix);
		len = msg_line(line, head, text);
		(void)msg_write_all(STDERR_FILENO, line, len);
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
