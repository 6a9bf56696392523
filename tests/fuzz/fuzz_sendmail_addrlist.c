/*
 * fuzz_sendmail_addrlist - sendmail's RFC 5322 address-list reader (the
 * To:/Cc:/Bcc: of -t, and recipients given on the command line) on
 * arbitrary header text.  Every address it returns must be non-empty
 * and no longer than its input; one with a CR or LF in it (a quoted
 * string may carry one) must be refused by the syntax check that
 * decides what goes into the envelope.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sendmail.h"
#include "strlist.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strlist out;

	strlist_init(&out);
	sm_address_list((const char *)data, size, &out);
	for (size_t i = 0; i < out.count; i++) {
		const char *a = out.items[i];
		size_t	 n = strlen(a);

		if (n == 0 || n > size)
			abort();
		if (sm_address_valid(a) && strpbrk(a, "\r\n") != NULL)
			abort();
	}
	strlist_free(&out);
	return (0);
}
