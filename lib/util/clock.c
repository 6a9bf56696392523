/*
 * clock.c - the monotonic clock in milliseconds and microseconds; see
 * clock.h for why every interval is measured with it.
 */
#include <time.h>

#include "clock.h"

/* clock_monotonic_us - CLOCK_MONOTONIC in microseconds */
long long
clock_monotonic_us(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

/* clock_monotonic_ms - CLOCK_MONOTONIC in milliseconds */
long long
clock_monotonic_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}
