/*
 * fuzz_address - smtp_path_parse on arbitrary bytes.
 *
 * The first byte selects the flags and the sender/recipient mode, the
 * rest is the text after "MAIL FROM:".  An accepted path must satisfy the
 * invariants the callers rely on: bounded length, '@' index in range,
 * valid UTF-8 when non-ASCII.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "mem.h"
#include "strbuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_path path;
	struct strbuf local;
	const char *params, *error;
	unsigned flags;
	char *text;

	if (size == 0)
		return (0);
	flags = data[0] & 0x0F;
	text = xmemdup(data + 1, size - 1);	/* stops at an embedded NUL */
	smtp_path_init(&path);
	strbuf_init(&local);
	if (smtp_path_parse(text, flags, (data[0] & 0x10) != 0, &path,
	    &params, &error) == 0) {
		if (path.address.len > SMTP_PATH_MAX || path.at > path.address.len ||
		    params < text || params > text + strlen(text))
			abort();
		if (path.utf8 && !utf8_valid(path.address.data, path.address.len))
			abort();
		if (!path.utf8 && !(flags & SMTP_PATH_UTF8))
			for (size_t i = 0; i < path.address.len; i++)
				if ((unsigned char)path.address.data[i] >= 0x80)
					abort();
		(void)address_domain(path.address.data);
		address_local_part(path.address.data, &local);
	} else if (error == NULL || strlen(error) < 10) {
		abort();
	}
	(void)domain_valid(text, strlen(text), (flags & SMTP_PATH_UTF8) != 0);
	(void)utf8_valid((const char *)data, size);
	strbuf_free(&local);
	smtp_path_free(&path);
	free(text);
	return (0);
}
