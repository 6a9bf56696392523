/*
 * clock - the monotonic clock, for deadlines, timeouts and rates.
 *
 * Every timer in Sluice measures intervals, and an interval must not jump
 * when an administrator or NTP sets the wall clock: all of them read
 * CLOCK_MONOTONIC through these two functions (the wall clock, time(2),
 * is only for what is logged or written to disk).
 */
#ifndef SLUICE_CLOCK_H
#define SLUICE_CLOCK_H

/* clock_monotonic_ms - milliseconds since an arbitrary fixed point */
long long clock_monotonic_ms(void);

/* clock_monotonic_us - the same clock in microseconds */
long long clock_monotonic_us(void);

#endif
