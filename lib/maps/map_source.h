/*
 * map_source - parse the text source of a fixed-key table ("key value"
 * or aliases(5)), shared by the lmdb: compiler and texthash:.
 */
#ifndef SLUICE_MAP_SOURCE_H
#define SLUICE_MAP_SOURCE_H

#include <stddef.h>

#include "maps.h"
#include "strbuf.h"

/* add - one entry (key folded to lower case); 0, or -1 with err filled */
typedef int (*map_source_add_fn)(void *ctx, const char *key,
	    const char *value, int lineno);

/*
 * map_source_parse - every logical line of text (at most line_max bytes)
 * to add; 0, or -1 with err "PATH:N: why"
 */
int	map_source_parse(const char *text, const char *path,
	    enum map_source_format format, size_t line_max,
	    map_source_add_fn add, void *ctx, struct strbuf *err);

#endif
