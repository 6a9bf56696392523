/*
 * exec - sendmail's messages and the Sluice programs it hands over to.
 *
 * -bp, -q and -bi are other programs' jobs (sluice-queue, sluice-map);
 * sendmail finds them next to itself (where make install puts the user
 * commands), else in daemon_directory, and runs them with execv: never a
 * shell, and never a program found through the caller's PATH.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "sendmail.h"

/* sm_fatal - "sendmail: fatal: ..." on stderr, then exit */
void
sm_fatal(int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "sendmail: fatal: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(status);
}

/* sm_warn - "sendmail: warning: ..." on stderr */
void
sm_warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sendmail: warning: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

/* own_directory - the directory of the running executable, or NULL */
static char *
own_directory(void)
{
	char buf[PATH_MAX], *slash;
	ssize_t n;

	if ((n = readlink("/proc/self/exe", buf, sizeof(buf) - 1)) <= 0)
		return (NULL);
	buf[n] = 0;
	if ((slash = strrchr(buf, '/')) == NULL)
		return (NULL);
	*slash = 0;
	return (xstrdup(buf[0] ? buf : "/"));
}

/* sm_program_path - the first executable of the two candidates */
char *
sm_program_path(const struct sm_options *o, const char *program,
    bool daemon_first)
{
	const char *daemon_dir = o->daemon_directory;
	char *own = own_directory(), *found = NULL;
	const char *dirs[2];
	struct strbuf path;

	dirs[0] = daemon_first ? daemon_dir : own;
	dirs[1] = daemon_first ? own : daemon_dir;
	strbuf_init(&path);
	for (int i = 0; i < 2 && found == NULL; i++) {
		if (dirs[i] == NULL)
			continue;
		strbuf_reset(&path);
		strbuf_printf(&path, "%s/%s", dirs[i], program);
		if (access(path.data, X_OK) == 0)
			found = xstrdup(path.data);
	}
	if (found == NULL) {
		strbuf_reset(&path);
		strbuf_printf(&path, "%s/%s", daemon_dir, program);
		found = xstrdup(path.data);
	}
	strbuf_free(&path);
	free(own);
	return (found);
}

/* sm_exec_helper - program [-c DIR] args..., in place of sendmail */
void
sm_exec_helper(const struct sm_options *o, const char *program,
    const char *const *args)
{
	char *path = sm_program_path(o, program, false);
	const char *argv[16];
	int n = 0;

	argv[n++] = program;
	if (o->explicit_config) {
		argv[n++] = "-c";
		argv[n++] = o->config_dir;
	}
	for (; *args != NULL && n < 15; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	fflush(stdout);
	execv(path, (char *const *)argv);
	sm_fatal(EX_UNAVAILABLE, "cannot run %s: %s", path, strerror(errno));
}
