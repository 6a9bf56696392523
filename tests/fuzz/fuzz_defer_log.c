/*
 * fuzz_defer_log - the defer/ID reader (lib/queue/defer_log.c) on arbitrary
 * file content.  A file it accepts must give entries that are valid as
 * the writer makes them (a D.D.D status, a bounded one-line reason), and
 * writing the log back and reading it again must give the same log
 * (entries and delivered addresses); appending one more address to the
 * written file must keep all of it and add that one.
 * The harness works in a scratch directory of its own (the reader takes
 * paths relative to the queue directory, the daemons' cwd).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "defer_log.h"
#include "strbuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ID	"6B0000000000000F0"

/*
 * scratch_enter - cd into a private directory with defer/ in it (made
 * once); returns the caller's cwd to go back to, since the fuzzer's own
 * corpus paths are relative
 */
static char scratch_dir[] = "/tmp/fuzz_defer_log.XXXXXX";

/* scratch_remove - at exit: the scratch directory goes */
static void
scratch_remove(void)
{
	char	 path[sizeof(scratch_dir) + 64];

	snprintf(path, sizeof(path), "%s/%s/%s", scratch_dir, DEFER_LOG_DIR,
	    FUZZ_ID);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/%s", scratch_dir, DEFER_LOG_DIR);
	(void)rmdir(path);
	(void)rmdir(scratch_dir);
}

static int
scratch_enter(void)
{
	char	*dir = scratch_dir;
	static bool made;
	int	 back;

	if ((back = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		abort();
	if (!made) {
		if (mkdtemp(dir) == NULL)
			abort();
		made = true;
		atexit(scratch_remove);
		if (chdir(dir) < 0 || mkdir(DEFER_LOG_DIR, 0700) < 0)
			abort();
	} else if (chdir(dir) < 0)
		abort();
	return (back);
}

/* entry_valid - what defer_log_set promises */
static void
entry_valid(const struct defer_entry *e)
{
	size_t	 n = strlen(e->dsn);

	if (n == 0 || n >= sizeof(e->dsn) || (e->dsn[0] != '2' &&
	    e->dsn[0] != '4' && e->dsn[0] != '5'))
		abort();
	if (strlen(e->reason) > DEFER_REASON_MAX)
		abort();
	for (const char *p = e->reason; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct defer_log log, again, add;
	struct strbuf err;
	const struct defer_entry *e;
	char	 path[64];
	int	 fd, back;

	back = scratch_enter();
	snprintf(path, sizeof(path), "%s/%s", DEFER_LOG_DIR, FUZZ_ID);
	(void)unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	strbuf_init(&err);
	defer_log_init(&log);
	defer_log_init(&again);
	defer_log_init(&add);
	if (defer_log_read(FUZZ_ID, &log, &err) == 0) {
		for (size_t i = 0; i < log.count; i++)
			entry_valid(&log.entries[i]);
		/* what qmgr would write back reads back the same */
		if (defer_log_write(FUZZ_ID, &log, &err) < 0 ||
		    defer_log_read(FUZZ_ID, &again, &err) < 0 ||
		    again.count != log.count || again.warned != log.warned)
			abort();
		for (size_t i = 0; i < log.count; i++) {
			e = defer_log_find(&again, log.entries[i].offset);
			if (e == NULL || strcmp(e->dsn, log.entries[i].dsn) != 0 ||
			    strcmp(e->reason, log.entries[i].reason) != 0)
				abort();
		}
		if (again.sent_count != log.sent_count)
			abort();
		for (size_t i = 0; i < log.sent_count; i++)
			if (!defer_log_was_sent(&again, log.sent[i].offset,
			    log.sent[i].address))
				abort();
		/* an append keeps everything and adds its address */
		defer_log_add_sent(&add, 1, "appended@fuzz.test");
		if (defer_log_append(FUZZ_ID, &log, &add, &err) < 0 ||
		    defer_log_read(FUZZ_ID, &again, &err) < 0 ||
		    again.count != log.count ||
		    !defer_log_was_sent(&again, 1, "appended@fuzz.test") ||
		    again.sent_count < log.sent_count ||
		    again.sent_count > log.sent_count + 1)
			abort();
	}
	defer_log_free(&log);
	defer_log_free(&again);
	defer_log_free(&add);
	strbuf_free(&err);
	if (fchdir(back) < 0)
		abort();
	close(back);
	return (0);
}
