/*
 * fuzz_xtext - xtext_decode on arbitrary bytes; whatever decodes must
 * re-encode to text that decodes to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "strbuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf dec, enc, again;

	strbuf_init(&dec);
	strbuf_init(&enc);
	strbuf_init(&again);
	if (xtext_decode((const char *)data, size, &dec) == 0) {
		xtext_encode(dec.data, dec.len, &enc);
		if (xtext_decode(enc.data, enc.len, &again) != 0 ||
		    again.len != dec.len || memcmp(again.data, dec.data, dec.len) != 0)
			abort();
	}
	xtext_encode((const char *)data, size, &enc);
	if (xtext_decode(enc.data, enc.len, &again) != 0 || again.len != size ||
	    (size && memcmp(again.data, data, size) != 0))
		abort();
	strbuf_free(&dec);
	strbuf_free(&enc);
	strbuf_free(&again);
	return (0);
}
