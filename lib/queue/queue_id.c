/*
 * queue_id - unique, time-sortable message identifiers.
 *
 * The arrival second and microsecond make IDs sort by time; the last four
 * digits separate IDs made in the same microsecond.  They come from a
 * per-process counter mixed with the current pid, so that children forked
 * with a copy of the counter still produce different IDs.  The caller's
 * O_EXCL create is what finally guarantees uniqueness.
 */
#include <sys/time.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "queue_id.h"

static unsigned int queue_id_sequence;

/* queue_id_new - a fresh ID, QUEUE_ID_LEN hex digits and a NUL */
void
queue_id_new(char id[QUEUE_ID_SIZE])
{
	struct timeval tv;
	unsigned int mix;

	gettimeofday(&tv, NULL);
	/* Knuth's multiplier spreads neighbouring pids apart. */
	mix = (unsigned int)getpid() * 2654435761u + queue_id_sequence++;
	snprintf(id, QUEUE_ID_SIZE, "%08X%05X%04X",
	    (unsigned int)((unsigned long long)tv.tv_sec & 0xffffffffu),
	    (unsigned int)tv.tv_usec & 0xfffffu, mix & 0xffffu);
}

/* queue_id_valid - exactly QUEUE_ID_LEN upper-case hex digits */
bool
queue_id_valid(const char *id)
{
	size_t i;

	if (id == NULL)
		return (false);
	for (i = 0; i < QUEUE_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'A' && id[i] <= 'F')))
			return (false);
	return (id[i] == 0);
}
