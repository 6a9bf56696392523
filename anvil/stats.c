/*
 * stats - anvil's statistics: the highest session count and the highest
 * rate of each event seen, with the client and the time, and the largest
 * table size, logged as Postfix's anvil does
 *
 *	statistics: max connection rate 12/60s for (smtp:192.0.2.1) at Dec  7 15:54:25
 *	statistics: max connection count 5 for (smtp:192.0.2.1) at Dec  7 15:54:25
 *	statistics: max cache size 3 at Dec  7 15:54:25
 *
 * every anvil_status_update_time and when the process exits, then reset.
 * The skeleton has no timers: a request arriving after the due time
 * logs them (with no requests there is nothing new to report).
 */
#include <stdio.h>
#include <time.h>

#include "anvil.h"
#include "msg.h"

/* format_when - "Mmm dd hh:mm:ss", as ctime(3) without day and year */
static void
format_when(time_t when, char *buf, size_t len)
{
	struct tm tm;

	if (localtime_r(&when, &tm) == NULL ||
	    strftime(buf, len, "%b %e %H:%M:%S", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)when);
}

/* anvil_stats_start - the first report is due one interval from now */
void
anvil_stats_start(struct anvil_daemon *d, time_t now)
{
	d->next_status = now + d->status_update;
}

/* anvil_stats_due - log and reset the peaks when the interval is over */
void
anvil_stats_due(struct anvil_daemon *d, time_t now)
{
	if (now < d->next_status)
		return;
	anvil_stats_log(d);
	d->next_status = now + d->status_update;
}

/* anvil_stats_log - one line per peak that is not zero, then reset */
void
anvil_stats_log(struct anvil_daemon *d)
{
	const struct anvil_peaks *p;
	char	 when[32];

	if (d == NULL || d->table == NULL)
		return;
	p = anvil_table_peaks(d->table);
	for (int i = 0; i < ANVIL_EVENT_COUNT; i++) {
		if (p->rate[i].value <= 0)
			continue;
		format_when(p->rate[i].when, when, sizeof(when));
		msg_info("statistics: max %s rate %ld/%lds for (%s) at %s",
		    anvil_event_name((enum anvil_event)i), p->rate[i].value,
		    d->time_unit, p->rate[i].ident, when);
		if (i == ANVIL_EVENT_CONNECT && p->count.value > 0) {
			format_when(p->count.when, when, sizeof(when));
			msg_info("statistics: max connection count %ld for (%s) "
			    "at %s", p->count.value, p->count.ident, when);
		}
	}
	if (p->table_size > 0) {
		format_when(p->table_size_when, when, sizeof(when));
		msg_info("statistics: max cache size %zu at %s", p->table_size,
		    when);
	}
	anvil_table_reset_peaks(d->table);
}
