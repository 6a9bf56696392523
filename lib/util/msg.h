/*
 * msg - logging in the Postfix style.
 *
 * Every line goes to syslog (facility mail) as "sluice/PROGRAM[PID]: text",
 * or, when maillog_file is set, is appended to that file with one write(2)
 * per line ("Mon DD HH:MM:SS HOST sluice/PROGRAM[PID]: text"), so lines from
 * many processes never interleave.  Per-message lines start with the queue
 * ID ("3F2A...: client=..."), which the caller puts in the text.
 *
 * msg_fatal() logs and exits(1); msg_panic() logs and abort()s.  Tests
 * intercept both through msg_set_fatal_hook().
 */
#ifndef SLUICE_MSG_H
#define SLUICE_MSG_H

#include <stdarg.h>
#include <stdbool.h>

#define MSG_PRINTF(a, b) __attribute__((format(printf, a, b)))

/*
 * msg_open - start logging as "sluice/PROGRAM".  maillog_file may be NULL or
 * "" for syslog.  Opens the file (O_APPEND|O_NOFOLLOW) or the syslog socket
 * now, so logging keeps working after chroot.  Safe to call again (reload).
 */
void	msg_open(const char *program, const char *maillog_file);
/* msg_set_stderr - also copy every line to stderr (foreground / -v use) */
void	msg_set_stderr(bool on);
/* msg_set_verbose - enable msg_debug() output */
void	msg_set_verbose(int level);
extern int msg_verbose;
const char *msg_program(void);

void	msg_debug(const char *fmt, ...) MSG_PRINTF(1, 2);
void	msg_info(const char *fmt, ...) MSG_PRINTF(1, 2);
void	msg_warn(const char *fmt, ...) MSG_PRINTF(1, 2);
void	msg_error(const char *fmt, ...) MSG_PRINTF(1, 2);
void	msg_fatal(const char *fmt, ...) MSG_PRINTF(1, 2) __attribute__((noreturn));
void	msg_panic(const char *fmt, ...) MSG_PRINTF(1, 2) __attribute__((noreturn));
void	msg_vlog(int priority, const char *fmt, va_list ap);

/*
 * msg_set_fatal_hook - called with the formatted text instead of exiting;
 * the hook must not return (tests longjmp out of it).  NULL restores exit.
 */
typedef void (*msg_fatal_hook_fn)(const char *text);
void	msg_set_fatal_hook(msg_fatal_hook_fn hook);

/*
 * msg_set_syslog_name - the "sluice" part of the ident "sluice/PROGRAM"
 * (parameter syslog_name); call before msg_open().
 */
void	msg_set_syslog_name(const char *name);
/*
 * msg_set_syslog_facility - mail (the default), user, daemon, local0 ..
 * local7 (parameter syslog_facility); call before msg_open(); 0, or -1
 * for an unknown name (the facility stays)
 */
int	msg_set_syslog_facility(const char *name);

#endif
