/*
 * mail_date - RFC 5322 date-time for Date:, Received: and DSN fields.
 *
 * Local time with a numeric zone, "Wed, 25 Nov 2026 06:01:11 +0000".  The
 * day and month names are spelled out here rather than by strftime(), whose
 * %a/%b follow the locale.
 */
#ifndef SLUICE_MAIL_DATE_H
#define SLUICE_MAIL_DATE_H

#include <time.h>

#include "strbuf.h"

/* mail_date - append the date-time of when to out */
void	mail_date(struct strbuf *out, time_t when);

#endif
