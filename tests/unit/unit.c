/*
 * unit - the shared main() tail of the Check test programs (unit.h).
 */
#include <stdlib.h>

#include "unit.h"

/* unit_run - run the suite, report, and say whether all passed */
int
unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
