/*
 * init.c - `sluice init DIR [--port N] [--hostname H]`.
 *
 * Creates a self-contained instance: DIR/etc (main.cf, master.cf, aliases
 * + aliases.lmdb, vmailbox + vmailbox.lmdb), DIR/queue with its
 * subdirectories, DIR/mail (the virtual mailbox base, with the demo
 * domain's directory owned by the virtual uid), DIR/log.
 * As root the daemons' user and group ("sluice", "sluicedrop") must exist
 * already: creating system accounts is the administrator's decision, so we
 * only say how.  Not as root, the instance belongs to the caller and the
 * privilege steps of the daemons are skipped.
 *
 * Root creates everything by name under DIR, so DIR must be root's and
 * writable by root alone (an existing one is checked), and each directory
 * gets its owner and mode through a descriptor opened with O_NOFOLLOW:
 * a directory that already exists as a symbolic link is refused, never
 * followed.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eugid.h"
#include "init.h"
#include "maps.h"
#include "mem.h"
#include "msg.h"
#include "sluice.h"
#include "strbuf.h"

#define INIT_OWNER	"sluice"
#define INIT_GROUP	"sluicedrop"
#define HOSTNAME_MAX	253

struct init_dir {
	const char	*path;		/* relative to DIR */
	mode_t		 mode;
	int		 owner;		/* INIT_BY_* */
};

#define INIT_BY_ROOT	0	/* root:root (the caller when not root) */
#define INIT_BY_OWNER	1	/* mail_owner:mail_owner's group */
#define INIT_BY_DROP	2	/* mail_owner:setgid_group */

static const struct init_dir init_dirs[] = {
	{"etc", 0755, INIT_BY_ROOT},
	{"queue", 0755, INIT_BY_ROOT},
	{"queue/incoming", 0700, INIT_BY_OWNER},
	{"queue/active", 0700, INIT_BY_OWNER},
	{"queue/deferred", 0700, INIT_BY_OWNER},
	{"queue/hold", 0700, INIT_BY_OWNER},
	{"queue/corrupt", 0700, INIT_BY_OWNER},
	{"queue/recycle", 0700, INIT_BY_OWNER},
	{"queue/defer", 0700, INIT_BY_OWNER},
	{"queue/private", 0700, INIT_BY_OWNER},
	/* sticky: a submitter may not remove another one's file */
	{"queue/maildrop", 01730, INIT_BY_DROP},
	{"queue/public", 0710, INIT_BY_DROP},
	{"queue/pid", 0755, INIT_BY_ROOT},
	{"mail", 0755, INIT_BY_ROOT},
	/* the virtual uid (mail_owner here) creates the Maildirs in it */
	{"mail/" INIT_VIRTUAL_DOMAIN, 0700, INIT_BY_OWNER},
	{"log", 0755, INIT_BY_ROOT},
	{NULL, 0, 0},
};

/* init_valid_port - decimal 1..65535 */
static bool
init_valid_port(const char *s)
{
	char	*end;
	long	 n;

	if (!isdigit((unsigned char)*s))
		return (false);
	n = strtol(s, &end, 10);
	return (*end == '\0' && n >= 1 && n <= 65535);
}

/* init_valid_hostname - letters, digits, '-', '.'; no empty labels */
static bool
init_valid_hostname(const char *s)
{
	size_t	 len = strlen(s), i;

	if (len == 0 || len > HOSTNAME_MAX || s[0] == '.' || s[0] == '-' ||
	    s[len - 1] == '.' || strstr(s, "..") != NULL)
		return (false);
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
			return (false);
	return (true);
}

/* init_users - decide owner and group; explain missing accounts */
static int
init_users(struct init_layout *lay)
{
	struct passwd *pw;
	struct group *gr;

	lay->privileged = (geteuid() == 0);
	if (!lay->privileged) {
		if ((pw = getpwuid(getuid())) == NULL ||
		    (gr = getgrgid(getgid())) == NULL) {
			fprintf(stderr, "sluice init: cannot find my own user "
			    "or group name\n");
			return (-1);
		}
		lay->owner = xstrdup(pw->pw_name);
		lay->group = xstrdup(gr->gr_name);
		lay->owner_uid = pw->pw_uid;
		lay->owner_gid = pw->pw_gid;
		lay->drop_gid = gr->gr_gid;
		return (0);
	}
	if ((pw = getpwnam(INIT_OWNER)) == NULL) {
		fprintf(stderr, "sluice init: the user \"%s\" does not exist.\n"
		    "The daemons run as this unprivileged user.  Create it with:\n"
		    "  useradd --system --no-create-home --home-dir /nonexistent "
		    "--shell /usr/sbin/nologin %s\n", INIT_OWNER, INIT_OWNER);
		return (-1);
	}
	if (pw->pw_uid == 0 || pw->pw_gid == 0) {
		fprintf(stderr, "sluice init: user \"%s\" must not have uid or "
		    "gid 0\n", INIT_OWNER);
		return (-1);
	}
	lay->owner = INIT_OWNER;
	lay->owner_uid = pw->pw_uid;
	lay->owner_gid = pw->pw_gid;
	if ((gr = getgrnam(INIT_GROUP)) == NULL) {
		fprintf(stderr, "sluice init: the group \"%s\" does not exist.\n"
		    "Mail submission (sluice-drop) uses it.  Create it with:\n"
		    "  groupadd --system %s\n", INIT_GROUP, INIT_GROUP);
		return (-1);
	}
	lay->group = INIT_GROUP;
	lay->drop_gid = gr->gr_gid;
	return (0);
}

/* init_mkdir - one directory with exact owner and mode */
static int
init_mkdir(const struct init_layout *lay, const struct init_dir *d)
{
	struct strbuf path;
	struct stat st;
	uid_t	 uid = 0;
	gid_t	 gid = 0;
	int	 rc = -1, fd = -1;

	strbuf_init(&path);
	strbuf_printf(&path, "%s/%s", lay->dir, d->path);
	/* created 0700; the final mode is set below, once the owner is */
	if (mkdir(path.data, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "sluice init: mkdir %s: %s\n", path.data,
		    strerror(errno));
		goto out;
	}
	if ((fd = open(path.data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "sluice init: %s: %s\n", path.data,
		    errno == ELOOP || errno == ENOTDIR ? "not a directory "
		    "(a symbolic link?)" : strerror(errno));
		goto out;
	}
	if (d->owner == INIT_BY_OWNER) {
		uid = lay->owner_uid;
		gid = lay->owner_gid;
	} else if (d->owner == INIT_BY_DROP) {
		uid = lay->owner_uid;
		gid = lay->drop_gid;
	}
	if (lay->privileged && fchown(fd, uid, gid) < 0) {
		fprintf(stderr, "sluice init: chown %s: %s\n", path.data,
		    strerror(errno));
		goto out;
	}
	/* mkdir() is subject to the umask; the modes must be exact. */
	if (fchmod(fd, d->mode) < 0) {
		fprintf(stderr, "sluice init: chmod %s: %s\n", path.data,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	strbuf_free(&path);
	return (rc);
}

/*
 * init_check_top - as root, DIR must be a directory of root's that no one
 * else may write: everything below is created by name.
 */
static int
init_check_top(const struct init_layout *lay)
{
	struct strbuf why;
	struct stat st;
	int	 fd;

	if (!lay->privileged)
		return (0);
	if ((fd = open(lay->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "sluice init: %s: %s\n", lay->dir,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return (-1);
	}
	close(fd);
	strbuf_init(&why);
	if (!eugid_dir_is_roots(lay->dir, &st, &why)) {
		fprintf(stderr, "sluice init: %s\n", why.data);
		strbuf_free(&why);
		return (-1);
	}
	strbuf_free(&why);
	return (0);
}

/* init_write - create DIR/etc/NAME exclusively with text */
static int
init_write(const struct init_layout *lay, const char *name,
    const struct strbuf *text)
{
	struct strbuf path;
	int	 fd, rc = -1;

	strbuf_init(&path);
	strbuf_printf(&path, "%s/etc/%s", lay->dir, name);
	fd = open(path.data, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "sluice init: create %s: %s\n", path.data,
		    strerror(errno));
		goto out;
	}
	if (write(fd, text->data, text->len) != (ssize_t)text->len ||
	    fsync(fd) < 0) {
		fprintf(stderr, "sluice init: write %s: %s\n", path.data,
		    strerror(errno));
		close(fd);
		goto out;
	}
	close(fd);
	rc = 0;
out:
	strbuf_free(&path);
	return (rc);
}

/* init_table - write DIR/etc/NAME and compile it to NAME.lmdb */
static int
init_table(const struct init_layout *lay, const char *name,
    const struct strbuf *text, enum map_source_format format)
{
	struct strbuf path, err;
	int	 rc = -1;

	if (init_write(lay, name, text) < 0)
		return (-1);
	strbuf_init(&path);
	strbuf_init(&err);
	strbuf_printf(&path, "%s/etc/%s", lay->dir, name);
	if (map_lmdb_build(path.data, format, &err) < 0)
		fprintf(stderr, "sluice init: %s\n", err.data);
	else
		rc = 0;
	strbuf_free(&err);
	strbuf_free(&path);
	return (rc);
}

/* init_files - main.cf, master.cf and the compiled tables */
static int
init_files(const struct init_layout *lay)
{
	struct strbuf text;
	int	 rc = -1;

	strbuf_init(&text);
	init_master_cf(&text, lay);
	if (init_write(lay, "master.cf", &text) < 0)
		goto out;
	strbuf_reset(&text);
	init_aliases(&text);
	if (init_table(lay, "aliases", &text, MAP_SOURCE_ALIASES) < 0)
		goto out;
	strbuf_reset(&text);
	init_vmailbox(&text);
	if (init_table(lay, "vmailbox", &text, MAP_SOURCE_TABLE) < 0)
		goto out;
	/* main.cf last: its presence marks a finished instance. */
	strbuf_reset(&text);
	init_main_cf(&text, lay);
	if (init_write(lay, "main.cf", &text) < 0)
		goto out;
	rc = 0;
out:
	strbuf_free(&text);
	return (rc);
}

/* init_daemon_dir - the directory holding this very `sluice` binary */
static char *
init_daemon_dir(void)
{
	char	 exe[PATH_MAX];
	ssize_t	 n;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0)
		msg_fatal("readlink /proc/self/exe: %s", strerror(errno));
	exe[n] = '\0';
	return (xstrdup(dirname(exe)));
}

/* sluice_init - the command */
int
sluice_init(const struct sluice_opts *opts, int argc, char **argv)
{
	struct init_layout lay;
	struct strbuf main_cf;
	const char *target = NULL;
	char	 real[PATH_MAX];
	const struct init_dir *d;
	struct stat st;
	char	*daemon_dir, *owner_copy = NULL, *group_copy = NULL;
	int	 i, rc;

	(void)opts;
	memset(&lay, 0, sizeof(lay));
	lay.port = "25";
	lay.hostname = "localhost";
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
			lay.port = argv[++i];
		else if (strcmp(argv[i], "--hostname") == 0 && i + 1 < argc)
			lay.hostname = argv[++i];
		else if (argv[i][0] != '-' && target == NULL)
			target = argv[i];
		else
			target = NULL, i = argc + 1;
	}
	if (target == NULL || i > argc) {
		fprintf(stderr, "usage: sluice init DIR [--port N] "
		    "[--hostname H]\n");
		return (2);
	}
	if (!init_valid_port(lay.port)) {
		fprintf(stderr, "sluice init: bad port \"%s\"\n", lay.port);
		return (2);
	}
	if (!init_valid_hostname(lay.hostname)) {
		fprintf(stderr, "sluice init: bad hostname \"%s\"\n",
		    lay.hostname);
		return (2);
	}
	if (init_users(&lay) < 0)
		return (1);
	if (!lay.privileged) {
		/* init_users copied these; free them on every path below. */
		owner_copy = (char *)lay.owner;
		group_copy = (char *)lay.group;
	}
	umask(022);
	if (mkdir(target, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "sluice init: mkdir %s: %s\n", target,
		    strerror(errno));
		free(owner_copy);
		free(group_copy);
		return (1);
	}
	if (realpath(target, real) == NULL) {
		fprintf(stderr, "sluice init: %s: %s\n", target, strerror(errno));
		free(owner_copy);
		free(group_copy);
		return (1);
	}
	lay.dir = real;
	if (strpbrk(real, " \t\n,{}\"'$") != NULL) {
		/* main.cf table lists ("lmdb:DIR/etc/aliases") split there */
		fprintf(stderr, "sluice init: %s: the instance path may not "
		    "contain blanks, commas, quotes, braces or '$'\n", real);
		free(owner_copy);
		free(group_copy);
		return (1);
	}
	strbuf_init(&main_cf);
	strbuf_printf(&main_cf, "%s/etc/main.cf", lay.dir);
	if (lstat(main_cf.data, &st) == 0) {
		fprintf(stderr, "sluice init: %s exists; not overwriting an "
		    "existing instance\n", main_cf.data);
		strbuf_free(&main_cf);
		free(owner_copy);
		free(group_copy);
		return (1);
	}
	strbuf_free(&main_cf);
	daemon_dir = init_daemon_dir();
	lay.daemon_dir = daemon_dir;
	rc = init_check_top(&lay) < 0 ? 1 : 0;
	for (d = init_dirs; rc == 0 && d->path != NULL; d++)
		if (init_mkdir(&lay, d) < 0)
			rc = 1;
	if (rc == 0 && init_files(&lay) < 0)
		rc = 1;
	free(daemon_dir);
	free(owner_copy);
	free(group_copy);
	if (rc != 0)
		return (rc);
	printf("sluice: created instance %s (SMTP on 127.0.0.1:%s); start it "
	    "with: sluice -c %s/etc start\n", lay.dir, lay.port, lay.dir);
	return (0);
}
