/*
 * queue_scan - directory walking for showq and sluice-super; see
 * queue_scan.h.
 *
 * Directory entries are read with readdir(3) and sorted with qsort(3):
 * queue IDs start with the arrival time in fixed-width hex, so name order
 * is arrival order, which is what listings want.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "queue_id.h"
#include "queue_scan.h"

const char *const queue_scan_all[] = {
	QUEUE_MAILDROP, QUEUE_INCOMING, QUEUE_ACTIVE, QUEUE_DEFERRED,
	QUEUE_HOLD, NULL,
};

/* queue_scan_is_queue - one of the message queues */
bool
queue_scan_is_queue(const char *name)
{
	for (const char *const *q = queue_scan_all; *q != NULL; q++)
		if (strcmp(*q, name) == 0)
			return (true);
	return (false);
}

/* compare_names - qsort comparator for C strings */
static int
compare_names(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* queue_scan_dir - the sorted, bounded entries of one directory */
int
queue_scan_dir(const char *subdir, bool ids_only, size_t limit,
    struct strlist *names, bool *truncated, struct strbuf *err)
{
	struct dirent *de;
	size_t first = names->count;
	DIR	*dir;

	if (truncated != NULL)
		*truncated = false;
	if ((dir = opendir(subdir)) == NULL) {
		strbuf_reset(err);
		strbuf_printf(err, "open directory %s: %s", subdir,
		    strerror(errno));
		return (-1);
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(dir)) == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (ids_only && !queue_id_valid(de->d_name))
			continue;
		if (names->count - first >= limit) {
			if (truncated != NULL)
				*truncated = true;
			break;
		}
		strlist_add(names, de->d_name);
	}
	if (de == NULL && errno != 0) {
		strbuf_reset(err);
		strbuf_printf(err, "read directory %s: %s", subdir,
		    strerror(errno));
		closedir(dir);
		return (-1);
	}
	closedir(dir);
	if (names->count - first > 1)
		qsort(names->items + first, names->count - first,
		    sizeof(char *), compare_names);
	return (0);
}

/* queue_scan_find - the queue that holds id */
const char *
queue_scan_find(const char *const *queues, const char *id)
{
	char	 path[256];
	struct stat st;

	for (; *queues != NULL; queues++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", *queues, id) >=
		    sizeof(path))
			continue;
		if (lstat(path, &st) == 0)
			return (*queues);
	}
	return (NULL);
}

/* queue_scan_absent - see queue_scan.h */
bool
queue_scan_absent(const char *const *queues, const char *id)
{
	char	 path[256];
	struct stat st;

	for (; *queues != NULL; queues++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", *queues, id) >=
		    sizeof(path) || lstat(path, &st) == 0 || errno != ENOENT)
			return (false);
	}
	return (true);
}

/* queue_scan_open - open one entry safely */
int
queue_scan_open(const char *subdir, const char *name, int flags,
    struct stat *st)
{
	struct stat sb;
	char	 path[4096];
	int	 fd, saved;

	if (strchr(name, '/') != NULL || (size_t)snprintf(path, sizeof(path),
	    "%s/%s", subdir, name) >= sizeof(path)) {
		errno = EINVAL;
		return (-1);
	}
	if ((fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
		return (-1);
	if (fstat(fd, &sb) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		errno = EINVAL;
		return (-1);
	}
	if (st != NULL)
		*st = sb;
	return (fd);
}
