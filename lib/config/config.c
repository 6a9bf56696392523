/*
 * config - main.cf: parsing, $name expansion and typed access.
 *
 * A struct config holds one entry per known parameter (from the defaults
 * table in config_params.c) plus one per user-defined name, sorted by name.
 * Values are stored as written and expanded on lookup ($name, ${name},
 * ${name?text}, ${name:text}, $$); an expanded value is cached until the
 * next config_set().  Expansion errors (loops, runaway growth) and bad
 * typed values are reported by config_check_values(), which config_load()
 * runs, so a daemon that got a config from config_load() never dies in a
 * getter; the getters msg_fatal() on values set later that do not parse.
 * Unknown names are kept (for $name expansion) without a word: the
 * master and sluice check report them (config_names_check()), so that a
 * command-line program does not repeat the warning at every run.
 *
 * Dynamic defaults: myhostname (gethostname(), ".localdomain" appended
 * when it has no dot), mydomain (myhostname minus its first label) and
 * config_directory (the directory given to config_new()).
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "config_table.h"
#include "logical_lines.h"
#include "mem.h"
#include "msg.h"
#include "restriction_list.h"

#define CONFIG_FILE_MAX		(4 * 1024 * 1024)	/* bytes of main.cf */
#define CONFIG_LINE_MAX		(256 * 1024)	/* bytes of one logical line */
#define CONFIG_NAME_MAX		256
#define CONFIG_EXPAND_DEPTH	100
#define CONFIG_EXPAND_MAX	(1024 * 1024)	/* bytes of one expanded value */

struct config_entry {
	char		*name;
	const struct param_def *def;	/* NULL: user-defined name */
	char		*dflt;		/* default as written, NULL if none */
	char		*raw;		/* user value, NULL if not set */
	char		*origin;	/* "file:N" of raw, or NULL */
	char		*cache;		/* expanded value, NULL if stale */
	bool		 expanding;	/* loop detection */
};

struct config {
	struct config_entry *entries;	/* sorted by name */
	size_t		 count;
	size_t		 cap;
	bool		 lenient;	/* config_read_lenient() */
};

/* config_find - binary search for name */
static struct config_entry *
config_find(const struct config *cfg, const char *name)
{
	size_t lo = 0, hi = cfg->count, mid;
	int cmp;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		cmp = strcmp(name, cfg->entries[mid].name);
		if (cmp == 0)
			return (&cfg->entries[mid]);
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (NULL);
}

/* config_insert - the entry of name, created (sorted) when missing */
static struct config_entry *
config_insert(struct config *cfg, const char *name)
{
	struct config_entry *e;
	size_t pos = 0;

	if ((e = config_find(cfg, name)) != NULL)
		return (e);
	while (pos < cfg->count && strcmp(cfg->entries[pos].name, name) < 0)
		pos++;
	if (cfg->count == cfg->cap) {
		cfg->cap = cfg->cap ? cfg->cap * 2 : 64;
		cfg->entries = xrealloc(cfg->entries,
		    cfg->cap * sizeof(*cfg->entries));
	}
	memmove(&cfg->entries[pos + 1], &cfg->entries[pos],
	    (cfg->count - pos) * sizeof(*cfg->entries));
	cfg->count++;
	e = &cfg->entries[pos];
	memset(e, 0, sizeof(*e));
	e->name = xstrdup(name);
	e->def = config_param_find(name);
	return (e);
}

/* config_invalidate - drop every cached expansion */
static void
config_invalidate(struct config *cfg)
{
	for (size_t i = 0; i < cfg->count; i++) {
		free(cfg->entries[i].cache);
		cfg->entries[i].cache = NULL;
	}
}

/* config_domain_of - a host name minus its first label, or "localdomain" */
static char *
config_domain_of(const char *host)
{
	const char *dot = strchr(host, '.');

	if (dot == NULL || dot[1] == '\0')
		return (xstrdup("localdomain"));
	return (xstrdup(dot + 1));
}

/* config_set_default - replace the default of a table entry */
static void
config_set_default(struct config *cfg, const char *name, char *value)
{
	struct config_entry *e = config_insert(cfg, name);

	free(e->dflt);
	e->dflt = value;
}

/* config_directory_default - -c argument, else $SLUICE_CONFIG, else default */
const char *
config_directory_default(const char *from_command_line)
{
	const char *env;

	if (from_command_line != NULL && *from_command_line != '\0')
		return (from_command_line);
	if ((env = getenv("SLUICE_CONFIG")) != NULL && *env != '\0')
		return (env);
	return (SLUICE_CONFIG_DIR);
}

/* config_new - the defaults only, with the dynamic ones computed */
struct config *
config_new(const char *config_dir)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	const struct param_def *def;
	char host[256];
	size_t len;

	for (def = config_param_table; def->name != NULL; def++)
		config_insert(cfg, def->name)->dflt = xstrdup(def->default_value);
	config_set_default(cfg, "config_directory",
	    xstrdup(config_directory_default(config_dir)));
	if (gethostname(host, sizeof(host) - sizeof(".localdomain")) == 0) {
		host[sizeof(host) - sizeof(".localdomain")] = '\0';
		len = strlen(host);
		if (len > 0 && strchr(host, '.') == NULL)
			memcpy(host + len, ".localdomain", sizeof(".localdomain"));
		if (len > 0) {
			config_set_default(cfg, "myhostname", xstrdup(host));
			config_set_default(cfg, "mydomain", config_domain_of(host));
		}
	}
	return (cfg);
}

/* config_free - release everything */
void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->count; i++) {
		free(cfg->entries[i].name);
		free(cfg->entries[i].dflt);
		free(cfg->entries[i].raw);
		free(cfg->entries[i].origin);
		free(cfg->entries[i].cache);
	}
	free(cfg->entries);
	free(cfg);
}

/* config_store - set a value without the unknown-name warning */
static void
config_store(struct config *cfg, const char *name, const char *value,
    const char *origin)
{
	struct config_entry *e = config_insert(cfg, name);

	free(e->raw);
	free(e->origin);
	e->raw = xstrdup(value);
	e->origin = origin ? xstrdup(origin) : NULL;
	/* mydomain follows an explicit myhostname, as in Postfix */
	if (strcmp(name, "myhostname") == 0 && strchr(value, '$') == NULL)
		config_set_default(cfg, "mydomain", config_domain_of(value));
	config_invalidate(cfg);
}

/*
 * config_set - override one parameter.  An unknown name is not warned
 * about here: config_names_check() reports it once, from the master and
 * sluice check, not from every process that applies the override.
 */
void
config_set(struct config *cfg, const char *name, const char *value)
{
	config_store(cfg, name, value, NULL);
}

/* config_valid_name - parameter names are [A-Za-z0-9_]+, bounded */
static bool
config_valid_name(const char *name, size_t len)
{
	if (len == 0 || len > CONFIG_NAME_MAX)
		return (false);
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_')
			return (false);
	return (true);
}

/* config_parse_line - one logical "name = value" line */
static int
config_parse_line(struct config *cfg, struct strbuf *line, const char *origin,
    int lineno, struct strbuf *err)
{
	struct strbuf where;
	char *eq, *name, *value;
	size_t name_len;

	if ((eq = strchr(line->data, '=')) == NULL) {
		strbuf_printf(err, "%s:%d: missing '=' after parameter "
		    "name", origin, lineno);
		return (-1);
	}
	*eq = '\0';
	name = line->data;
	name_len = strlen(name);
	while (name_len > 0 && isspace((unsigned char)name[name_len - 1]))
		name[--name_len] = '\0';
	if (!config_valid_name(name, name_len)) {
		strbuf_printf(err, "%s:%d: bad parameter name \"%.64s\"",
		    origin, lineno, name);
		return (-1);
	}
	value = eq + 1;
	while (isspace((unsigned char)*value))
		value++;
	strbuf_init(&where);
	strbuf_printf(&where, "%s:%d", origin, lineno);
	config_store(cfg, name, value, where.data);
	strbuf_free(&where);
	return (0);
}

struct config_text {
	struct config	*cfg;
	const char	*origin;
	struct strbuf	*err;
	bool		 lenient;	/* skip what does not parse */
};

/* config_text_line - trim and parse one logical line */
static int
config_text_line(struct strbuf *line, int lineno, void *ctx)
{
	struct config_text *ct = ctx;
	struct strbuf skipped;

	strbuf_trim(line);
	if (!ct->lenient)
		return (config_parse_line(ct->cfg, line, ct->origin, lineno,
		    ct->err));
	strbuf_init(&skipped);
	(void)config_parse_line(ct->cfg, line, ct->origin, lineno, &skipped);
	strbuf_free(&skipped);
	return (0);
}

/* config_parse_text - merge main.cf-format text into cfg */
int
config_parse_text(struct config *cfg, const char *text, const char *origin,
    struct strbuf *err)
{
	struct config_text ct;

	ct.cfg = cfg;
	ct.origin = origin != NULL ? origin : "(text)";
	ct.err = err;
	ct.lenient = cfg->lenient;
	return (logical_lines(text, ct.origin, "parameter", CONFIG_LINE_MAX,
	    config_text_line, &ct, err));
}

/* config_read_fd - see config.h */
int
config_read_fd(int fd, const char *path, size_t limit, struct strbuf *text,
    struct strbuf *err)
{
	char buf[8192];
	ssize_t n;

	strbuf_reset(text);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || text->len + (size_t)n > limit) {
			strbuf_printf(err, "read %s: %s", path, n < 0 ?
			    strerror(errno) : "file too large");
			return (-1);
		}
		strbuf_append(text, buf, (size_t)n);
	}
	if (memchr(text->data, '\0', text->len) != NULL) {
		strbuf_printf(err, "%s: file contains a NUL byte", path);
		return (-1);
	}
	return (0);
}

/* config_file_text - the whole of a main.cf-format file; 0 or -1 + err */
int
config_file_text(const char *path, struct strbuf *text, struct strbuf *err)
{
	int fd, rc;

	strbuf_reset(text);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		strbuf_printf(err, "open %s: %s", path, strerror(errno));
		return (-1);
	}
	rc = config_read_fd(fd, path, CONFIG_FILE_MAX, text, err);
	close(fd);
	return (rc);
}

/* config_load_file - merge one main.cf-format file into cfg */
int
config_load_file(struct config *cfg, const char *path, struct strbuf *err)
{
	return (config_load_file_as(cfg, path, path, err));
}

/* config_load_file_as - the same, its lines reported as origin's */
int
config_load_file_as(struct config *cfg, const char *path, const char *origin,
    struct strbuf *err)
{
	struct strbuf text;
	int ret;

	strbuf_init(&text);
	ret = config_file_text(path, &text, err);
	if (ret == 0)
		ret = config_parse_text(cfg, text.data, origin, err);
	strbuf_free(&text);
	return (ret);
}

/* config_read - defaults + DIR/main.cf, values not checked yet */
struct config *
config_read(const char *config_dir, struct strbuf *err)
{
	struct config *cfg;
	struct strbuf path;
	int ret;

	config_dir = config_directory_default(config_dir);
	cfg = config_new(config_dir);
	strbuf_init(&path);
	strbuf_printf(&path, "%s/main.cf", config_dir);
	ret = config_load_file(cfg, path.data, err);
	strbuf_free(&path);
	if (ret != 0) {
		config_free(cfg);
		return (NULL);
	}
	return (cfg);
}

static const char *config_expand_entry(struct config *, struct config_entry *,
	    int, struct strbuf *);

/* config_read_lenient - whatever of main.cf can be used, never NULL */
struct config *
config_read_lenient(const char *config_dir)
{
	struct config *cfg;
	struct config_entry *e;
	struct strbuf path, err;
	const char *value;
	long out;

	config_dir = config_directory_default(config_dir);
	cfg = config_new(config_dir);
	cfg->lenient = true;
	strbuf_init(&path);
	strbuf_init(&err);
	strbuf_printf(&path, "%s/main.cf", config_dir);
	(void)config_load_file(cfg, path.data, &err);
	cfg->lenient = false;
	/* a value that does not expand or parse gives way to the default */
	for (size_t i = 0; i < cfg->count; i++) {
		e = &cfg->entries[i];
		if (e->raw == NULL)
			continue;
		strbuf_reset(&err);
		if ((value = config_expand_entry(cfg, e, 0, &err)) != NULL &&
		    (e->def == NULL || config_param_check(e->def, e->def->type,
		    e->name, value, &out, &err) == 0))
			continue;
		free(e->raw);
		e->raw = NULL;
		config_invalidate(cfg);
	}
	strbuf_free(&err);
	strbuf_free(&path);
	return (cfg);
}

/* config_load_text - defaults + main.cf text (named origin), checked */
struct config *
config_load_text(const char *config_dir, const char *text, const char *origin,
    struct strbuf *err)
{
	struct config *cfg = config_new(config_directory_default(config_dir));

	if (config_parse_text(cfg, text, origin, err) != 0 ||
	    config_check_values(cfg, err) > 0) {
		config_free(cfg);
		return (NULL);
	}
	return (cfg);
}

/* config_load - defaults + DIR/main.cf, with every value checked */
struct config *
config_load(const char *config_dir, struct strbuf *err)
{
	struct config *cfg;

	if ((cfg = config_read(config_dir, err)) == NULL)
		return (NULL);
	if (config_check_values(cfg, err) > 0) {
		config_free(cfg);
		return (NULL);
	}
	return (cfg);
}

/* config_value_of - expanded value of name ("" when unknown) */
static const char *
config_value_of(struct config *cfg, const char *name, size_t len, int depth,
    struct strbuf *err)
{
	struct config_entry *e;
	char key[CONFIG_NAME_MAX + 1];

	if (len > CONFIG_NAME_MAX)
		return ("");
	memcpy(key, name, len);
	key[len] = '\0';
	if ((e = config_find(cfg, key)) == NULL)
		return ("");
	return (config_expand_entry(cfg, e, depth + 1, err));
}

/* config_expand_text - expand text into out; -1 with err on failure */
static int
config_expand_text(struct config *cfg, const char *text, size_t size,
    int depth, struct strbuf *out, struct strbuf *err)
{
	const char *p = text, *end = text + size, *name, *value, *sub;
	size_t name_len, plain;
	int nest;
	char op;

	while (p < end) {
		plain = 0;
		while (p + plain < end && p[plain] != '$')
			plain++;
		strbuf_append(out, p, plain);
		if ((p += plain) >= end)
			break;
		p++;				/* the '$' */
		if (p < end && *p == '$') {
			strbuf_putc(out, '$');
			p++;
		} else if (p < end && *p == '{') {
			name = ++p;
			while (p < end && (isalnum((unsigned char)*p) || *p == '_'))
				p++;
			name_len = (size_t)(p - name);
			op = p < end ? *p : '\0';
			if (name_len == 0 || (op != '}' && op != '?' && op != ':')) {
				strbuf_printf(err, "bad ${...} syntax in \"%.*s\"",
				    (int)(size > 200 ? 200 : size), text);
				return (-1);
			}
			value = ++p;
			for (nest = 1; op != '}' && p < end; p++)
				if (*p == '{')
					nest++;
				else if (*p == '}' && --nest == 0)
					break;
			if (op != '}' && p >= end) {
				strbuf_printf(err, "missing '}' in \"%.*s\"",
				    (int)(size > 200 ? 200 : size), text);
				return (-1);
			}
			if ((sub = config_value_of(cfg, name, name_len, depth,
			    err)) == NULL)
				return (-1);
			if (op == '}')
				strbuf_puts(out, sub);
			else if ((op == '?') == (*sub != '\0') &&
			    config_expand_text(cfg, value, (size_t)(p - value),
			    depth + 1, out, err) != 0)
				return (-1);
			if (op != '}')
				p++;		/* the closing '}' */
		} else if (p < end && (isalnum((unsigned char)*p) || *p == '_')) {
			name = p;
			while (p < end && (isalnum((unsigned char)*p) || *p == '_'))
				p++;
			if ((sub = config_value_of(cfg, name, (size_t)(p - name),
			    depth, err)) == NULL)
				return (-1);
			strbuf_puts(out, sub);
		} else
			strbuf_putc(out, '$');	/* a lone '$' stays */
		if (out->len > CONFIG_EXPAND_MAX) {
			strbuf_printf(err, "expanded value longer than %d bytes",
			    CONFIG_EXPAND_MAX);
			return (-1);
		}
	}
	return (0);
}

/* config_expand_entry - the cached expansion of one entry, NULL on error */
static const char *
config_expand_entry(struct config *cfg, struct config_entry *e, int depth,
    struct strbuf *err)
{
	struct strbuf out;
	const char *raw = e->raw ? e->raw : e->dflt;
	int ret;

	if (e->cache != NULL)
		return (e->cache);
	if (e->expanding || depth > CONFIG_EXPAND_DEPTH) {
		strbuf_printf(err, "parameter %s: expansion loop (or nesting "
		    "deeper than %d) through $%s", e->name,
		    CONFIG_EXPAND_DEPTH, e->name);
		return (NULL);
	}
	if (raw == NULL)
		raw = "";
	strbuf_init(&out);
	e->expanding = true;
	ret = config_expand_text(cfg, raw, strlen(raw), depth, &out, err);
	e->expanding = false;
	if (ret != 0) {
		strbuf_free(&out);
		return (NULL);
	}
	/* mydomain follows a myhostname that needed expansion */
	if (e->raw == NULL && strcmp(e->name, "mydomain") == 0) {
		struct config_entry *host = config_find(cfg, "myhostname");

		if (host != NULL && host->raw != NULL &&
		    strchr(host->raw, '$') != NULL) {
			const char *h = config_expand_entry(cfg, host, depth + 1,
			    err);
			char *dom;

			if (h == NULL) {
				strbuf_free(&out);
				return (NULL);
			}
			dom = config_domain_of(h);
			strbuf_set(&out, dom);
			free(dom);
		}
	}
	e->cache = strbuf_detach(&out);
	strbuf_free(&out);
	return (e->cache);
}

/* config_fatal - report a bad value of e; err is freed first (fatal hooks) */
static void __attribute__((noreturn))
config_fatal(const struct config_entry *e, struct strbuf *err)
{
	char text[1024];

	snprintf(text, sizeof(text), "%s%s%s", e->origin ? e->origin : "",
	    e->origin ? ": " : "", err->data);
	strbuf_free(err);
	msg_fatal("%s", text);
}

/* config_lookup - the expanded value; msg_fatal on an expansion error */
static const char *
config_lookup(struct config *cfg, const char *name, struct config_entry **ep)
{
	struct config_entry *e;
	struct strbuf err;
	const char *value;

	if ((e = config_find(cfg, name)) == NULL)
		msg_panic("config_get: unknown parameter %s", name);
	if (!config_table_declares(name))
		msg_panic("config_get: parameter %s is in none of this program's "
		    "tables (lib/config/config_programs.c), so sluice check "
		    "does not validate it for this program", name);
	strbuf_init(&err);
	if ((value = config_expand_entry(cfg, e, 0, &err)) == NULL)
		config_fatal(e, &err);
	strbuf_free(&err);
	if (ep != NULL)
		*ep = e;
	return (value);
}

/* config_get - the expanded value of a known or user-set parameter */
const char *
config_get(struct config *cfg, const char *name)
{
	return (config_lookup(cfg, name, NULL));
}

/* config_value - the expanded value, or NULL with the reason in err */
const char *
config_value(struct config *cfg, const char *name, struct strbuf *err)
{
	struct config_entry *e;

	if ((e = config_find(cfg, name)) == NULL)
		msg_panic("config_value: unknown parameter %s", name);
	return (config_expand_entry(cfg, e, 0, err));
}

/* config_origin - "FILE:N" of the value of name, or NULL */
const char *
config_origin(const struct config *cfg, const char *name)
{
	struct config_entry *e = config_find(cfg, name);

	return (e != NULL ? e->origin : NULL);
}

/* config_get_raw - unexpanded value as written (or the default), or NULL */
const char *
config_get_raw(const struct config *cfg, const char *name)
{
	struct config_entry *e = config_find(cfg, name);

	if (e == NULL)
		return (NULL);
	return (e->raw ? e->raw : e->dflt);
}

/* config_is_set - the user set it (main.cf or config_set) */
bool
config_is_set(const struct config *cfg, const char *name)
{
	struct config_entry *e = config_find(cfg, name);

	return (e != NULL && e->raw != NULL);
}

/* config_each_set - every user-set parameter in name order */
void
config_each_set(const struct config *cfg,
    void (*fn)(const char *name, const char *raw_value, void *ctx), void *ctx)
{
	for (size_t i = 0; i < cfg->count; i++)
		if (cfg->entries[i].raw != NULL)
			fn(cfg->entries[i].name, cfg->entries[i].raw, ctx);
}

/* config_typed - the expanded value of name parsed as type, or msg_fatal */
static long
config_typed(struct config *cfg, const char *name, enum param_type type)
{
	struct config_entry *e;
	struct strbuf err;
	const char *value = config_lookup(cfg, name, &e);
	long out = 0;

	if (e->def != NULL && e->def->type != type)
		msg_panic("parameter %s is not of the requested type", name);
	strbuf_init(&err);
	if (config_param_check(e->def, type, name, value, &out, &err) != 0)
		config_fatal(e, &err);
	strbuf_free(&err);
	return (out);
}

/* config_get_int - an INT parameter, validated */
long
config_get_int(struct config *cfg, const char *name)
{
	return (config_typed(cfg, name, PARAM_INT));
}

/* config_get_time - a TIME parameter in seconds, rounded up */
long
config_get_time(struct config *cfg, const char *name)
{
	long ms = config_typed(cfg, name, PARAM_TIME);

	return (ms / 1000 + (ms % 1000 != 0));
}

/* config_get_time_ms - a TIME parameter in milliseconds */
long
config_get_time_ms(struct config *cfg, const char *name)
{
	return (config_typed(cfg, name, PARAM_TIME));
}

/* config_get_bool - a BOOL parameter */
bool
config_get_bool(struct config *cfg, const char *name)
{
	return (config_typed(cfg, name, PARAM_BOOL) != 0);
}

/* config_get_list - split the expanded value on ", \t\r\n" */
void
config_get_list(struct config *cfg, const char *name, struct strlist *list)
{
	strlist_split(list, config_get(cfg, name), ", \t\r\n");
}

/* config_check_values - expand and validate everything; count errors */
int
config_check_values(struct config *cfg, struct strbuf *err)
{
	struct strbuf why;
	struct config_entry *e;
	const char *value;
	long out;
	int errors = 0;

	strbuf_init(&why);
	for (size_t i = 0; i < cfg->count; i++) {
		e = &cfg->entries[i];
		strbuf_reset(&why);
		value = config_expand_entry(cfg, e, 0, &why);
		if (value != NULL && e->def != NULL)
			(void)config_param_check(e->def, e->def->type, e->name,
			    value, &out, &why);
		if (why.len == 0)
			continue;
		errors++;
		if (err->len > 0)
			strbuf_putc(err, '\n');
		if (e->origin != NULL)
			strbuf_printf(err, "%s: ", e->origin);
		/* one form for every check: "FILE:N: parameter NAME: why" */
		if (strncmp(why.data, "parameter ", 10) != 0)
			strbuf_printf(err, "parameter %s: ", e->name);
		strbuf_puts(err, why.data);
	}
	strbuf_free(&why);
	/* smtpd's lists need the whole configuration (their classes) */
	if (errors == 0)
		errors += restriction_syntax_check(cfg, err);
	return (errors);
}
