/*
 * fuzz_pcre_table - the pcre: and regexp: table parsers and lookups on
 * hostile text (lib/map_regex.c, lib/map_regex_subst.c).
 *
 * Input: table text, optionally followed by a line "%%" and keys, one
 * per line.  The text is parsed as a pcre: and as a regexp: table; a
 * table that parses answers every key (found, not found, or a temporary
 * failure when a match limit is reached) and a refused one says why with
 * its line.  Nothing may crash, leak, hang or call msg_fatal().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "map_impl.h"
#include "mem.h"
#include "strbuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* run_type - parse text as one type and look up every key */
static void
run_type(const struct map_text_type *type, const char *text, char *keys)
{
	struct strbuf err, value;
	char *save = NULL, *key;
	void *state;
	int rc;

	strbuf_init(&err);
	strbuf_init(&value);
	if ((state = type->parse(text, "fuzz", &err)) == NULL) {
		if (strncmp(err.data, "fuzz:", 5) != 0 ||
		    err.data[5] < '1' || err.data[5] > '9')
			abort();	/* every refusal names the line */
	} else {
		for (key = strtok_r(keys, "\n", &save); key != NULL;
		    key = strtok_r(NULL, "\n", &save)) {
			strbuf_reset(&value);
			rc = type->lookup(state, key, strlen(key), &value);
			if (rc != MAP_FOUND && rc != MAP_NOTFOUND &&
			    rc != MAP_TEMPFAIL)
				abort();
			if (rc != MAP_FOUND && value.len != 0)
				abort();
		}
		type->free(state);
	}
	strbuf_free(&err);
	strbuf_free(&value);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmemdup(data, size), *sep, *keys, *copy;

	if ((sep = strstr(text, "\n%%\n")) != NULL) {
		*sep = 0;
		keys = sep + 4;
	} else {
		keys = text + strlen(text);	/* no keys */
	}
	copy = xstrdup(keys);
	run_type(&map_pcre_type, text, keys);
	run_type(&map_regexp_type, text, copy);
	free(copy);
	free(text);
	return (0);
}
