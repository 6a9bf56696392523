/*
 * fuzz_dns_mx - MX and PTR rdata decoding (dns_mx_decode, dns_ptr_decode)
 * on arbitrary bytes: a decoded name must be a valid host name text,
 * never longer than DNS_NAME_MAX, and feeding it to dns_name_valid must
 * agree.  The same bytes as text go to dns_reverse_name too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns_impl.h"
#include "strbuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf name;
	char *text;
	int pref;

	strbuf_init(&name);
	if (dns_mx_decode(data, size, &pref, &name) == 0) {
		if (pref < 0 || pref > 65535 || name.len > DNS_NAME_MAX ||
		    strlen(name.data) != name.len)
			abort();
		if (name.len > 0 && !dns_name_valid(name.data))
			abort();
	}
	strbuf_reset(&name);
	if (dns_ptr_decode(data, size, &name) == 0) {
		if (name.len == 0 || name.len > DNS_NAME_MAX ||
		    strlen(name.data) != name.len || !dns_name_valid(name.data))
			abort();
	}
	text = malloc(size + 1);
	if (text != NULL) {
		memcpy(text, data, size);
		text[size] = '\0';
		(void)dns_name_valid(text);
		strbuf_reset(&name);
		(void)dns_reverse_name(text, &name);
		free(text);
	}
	strbuf_free(&name);
	return (0);
}
