/*
 * unit - what every Check test program of tests/unit shares: running a
 * suite and turning its failures into the exit status.
 */
#ifndef SLUICE_TESTS_UNIT_H
#define SLUICE_TESTS_UNIT_H

#include <check.h>

/* unit_run - run every test of s (forking, Check's default); exit status */
int	unit_run(Suite *s);

#endif
