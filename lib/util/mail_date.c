/*
 * mail_date - the one RFC 5322 date formatter; see mail_date.h.
 */
#include <stdlib.h>
#include <time.h>

#include "mail_date.h"

/* mail_date - append "Day, D Mon YYYY HH:MM:SS +hhmm" */
void
mail_date(struct strbuf *out, time_t when)
{
	static const char days[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	long	 off;

	if (localtime_r(&when, &tm) == NULL) {
		strbuf_puts(out, "Thu, 1 Jan 1970 00:00:00 +0000");
		return;
	}
	off = tm.tm_gmtoff / 60;
	strbuf_printf(out, "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld",
	    days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
}
