/*
 * map_source - the text format of fixed-key tables: what sluice-map
 * compiles into lmdb: tables and what texthash: reads at open time.
 *
 * Lines as in every configuration file (logical_lines: '#' comments,
 * blank lines, indented continuation lines).  TABLE: "key whitespace
 * value", as Postfix's postmap reads it.  ALIASES: aliases(5), "name:
 * value, value...", as postalias reads it; the key is stored without the
 * colon.  A TABLE line whose key ends in ':' is an aliases file given to
 * the wrong command: refused with a message that says so, since compiling
 * it would store "root:" and no lookup would ever find it.
 */
#include <string.h>

#include "logical_lines.h"
#include "map_impl.h"
#include "map_source.h"
#include "strbuf.h"

struct source_ctx {
	const char		*path;
	enum map_source_format	 format;
	map_source_add_fn	 add;
	void			*ctx;
	struct strbuf		*err;
	struct strbuf		 key;
};

/* source_line - split one logical line into key and value */
static int
source_line(struct strbuf *line, int lineno, void *arg)
{
	struct source_ctx *sc = arg;
	const char *cp, *sep;
	size_t klen;

	strbuf_trim(line);
	cp = line->data;
	if (sc->format == MAP_SOURCE_ALIASES) {
		if ((sep = strchr(cp, ':')) == NULL) {
			strbuf_printf(sc->err, "%s:%d: expected format: "
			    "name: value", sc->path, lineno);
			return (-1);
		}
	} else {
		sep = cp + strcspn(cp, " \t");
	}
	strbuf_reset(&sc->key);
	strbuf_append(&sc->key, cp, (size_t)(sep - cp));
	strbuf_trim(&sc->key);
	klen = strcspn(sc->key.data, " \t");
	cp = sep + (*sep == ':');
	cp += strspn(cp, " \t");
	if (sc->format == MAP_SOURCE_TABLE && sc->key.len > 1 &&
	    sc->key.data[sc->key.len - 1] == ':') {
		strbuf_printf(sc->err, "%s:%d: key \"%.64s\" ends in ':' "
		    "as in an aliases(5) file: compile aliases with "
		    "sluice-map -a (or newaliases)", sc->path, lineno,
		    sc->key.data);
		return (-1);
	}
	if (sc->key.len == 0 || klen != sc->key.len || *cp == 0) {
		strbuf_printf(sc->err, "%s:%d: expected format: %s",
		    sc->path, lineno, sc->format == MAP_SOURCE_ALIASES ?
		    "name: value" : "key whitespace value");
		return (-1);
	}
	if (sc->key.len > MAP_KEY_MAX) {
		strbuf_printf(sc->err, "%s:%d: key longer than %d bytes",
		    sc->path, lineno, MAP_KEY_MAX);
		return (-1);
	}
	strbuf_lower(&sc->key);
	return (sc->add(sc->ctx, sc->key.data, cp, lineno));
}

/* map_source_parse - hand every entry of text to add */
int
map_source_parse(const char *text, const char *path,
    enum map_source_format format, size_t line_max, map_source_add_fn add,
    void *ctx, struct strbuf *err)
{
	struct source_ctx sc;
	int rc;

	sc.path = path;
	sc.format = format;
	sc.add = add;
	sc.ctx = ctx;
	sc.err = err;
	strbuf_init(&sc.key);
	rc = logical_lines(text, path, "line", line_max, source_line, &sc, err);
	strbuf_free(&sc.key);
	return (rc);
}
