/*
 * queue_id - unique, time-sortable message identifiers.
 *
 * An ID is QUEUE_ID_LEN upper-case hex digits: 8 for the arrival second,
 * 5 for the microsecond, 4 for a per-process sequence mixed with the pid.
 * IDs sort by arrival time, are safe as file names and match the
 * "[0-9A-F]+" pattern of Postfix log tools.  Uniqueness is enforced by the
 * caller creating the queue file with O_EXCL and asking for another ID on
 * EEXIST.
 */
#ifndef SLUICE_QUEUE_ID_H
#define SLUICE_QUEUE_ID_H

#include <stdbool.h>
#include <stddef.h>

#define QUEUE_ID_LEN	17
#define QUEUE_ID_SIZE	(QUEUE_ID_LEN + 1)

void	queue_id_new(char id[QUEUE_ID_SIZE]);
bool	queue_id_valid(const char *id);	/* exactly QUEUE_ID_LEN hex digits */

#endif
