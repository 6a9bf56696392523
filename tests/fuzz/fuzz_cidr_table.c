/*
 * fuzz_cidr_table - the cidr: table parser and lookups on hostile text
 * (lib/map_cidr.c).
 *
 * Input: table text, optionally followed by a line "%%" and keys (client
 * addresses), one per line.  A table that parses answers every key; a
 * refused one says why with its line; a key that is no address is never
 * found.  Nothing may crash, leak or call msg_fatal().
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "map_impl.h"
#include "mem.h"
#include "strbuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* is_address - key is a numeric IPv4 or IPv6 address */
static int
is_address(const char *key)
{
	unsigned char buf[16];

	return (inet_pton(AF_INET, key, buf) == 1 ||
	    inet_pton(AF_INET6, key, buf) == 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmemdup(data, size), *sep, *keys, *save = NULL, *key;
	struct strbuf err, value;
	void *state;
	int rc;

	if ((sep = strstr(text, "\n%%\n")) != NULL) {
		*sep = 0;
		keys = sep + 4;
	} else {
		keys = text + strlen(text);
	}
	strbuf_init(&err);
	strbuf_init(&value);
	if ((state = map_cidr_type.parse(text, "fuzz", &err)) == NULL) {
		if (strncmp(err.data, "fuzz:", 5) != 0 ||
		    err.data[5] < '1' || err.data[5] > '9')
			abort();
	} else {
		for (key = strtok_r(keys, "\n", &save); key != NULL;
		    key = strtok_r(NULL, "\n", &save)) {
			strbuf_reset(&value);
			rc = map_cidr_type.lookup(state, key, strlen(key), &value);
			if (rc != MAP_FOUND && rc != MAP_NOTFOUND)
				abort();
			if (rc == MAP_FOUND && !is_address(key))
				abort();
		}
		map_cidr_type.free(state);
	}
	strbuf_free(&err);
	strbuf_free(&value);
	free(text);
	return (0);
}
