/*
 * config_table - read and check a program's parameter table
 * (config_table.h).
 *
 * Reading and checking share one conversion per kind (config_row_value),
 * so that whatever the check accepts is exactly what the program can use:
 * a value the check passed cannot make the program die at start.
 */
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_table.h"
#include "config_table_impl.h"
#include "domain_list.h"
#include "map_impl.h"
#include "maps.h"
#include "mem.h"
#include "msg.h"
#include "netmatch.h"
#include "strlist.h"

#define CONFIG_LIST_SEPS	", \t\r\n"


/* The tables the running program declared (config_tables_declare). */
static const struct config_table *const *config_declared;

/* config_row_type - the defaults-table type a kind needs */
static enum param_type
config_row_type(enum config_kind kind)
{
	switch (kind) {
	case CONF_INT:
	case CONF_PER_TRANSPORT:
		return (PARAM_INT);
	case CONF_TIME:
	case CONF_TIME_MS:
		return (PARAM_TIME);
	case CONF_BOOL:
		return (PARAM_BOOL);
	default:
		return (PARAM_STR);
	}
}

/*
 * config_split_destination - "host", "[host]", "host:port" or
 * "[host]:port" (an IPv6 address only in brackets); 0 or -1
 */
static int
config_split_destination(const char *item, struct strbuf *host,
    struct strbuf *port)
{
	const char *close, *colon;

	strbuf_reset(host);
	strbuf_reset(port);
	if (item[0] == '[') {
		if ((close = strchr(item, ']')) == NULL ||
		    (close[1] != '\0' && close[1] != ':') ||
		    (close[1] == ':' && close[2] == '\0'))
			return (-1);
		strbuf_append(host, item + 1, (size_t)(close - item - 1));
		if (close[1] == ':')
			strbuf_puts(port, close + 2);
		return (0);
	}
	if ((colon = strchr(item, ':')) == NULL) {
		strbuf_puts(host, item);
		return (0);
	}
	if (strchr(colon + 1, ':') != NULL || colon[1] == '\0')
		return (-1);		/* a bare IPv6 address is ambiguous */
	strbuf_append(host, item, (size_t)(colon - item));
	strbuf_puts(port, colon + 1);
	return (0);
}

/* config_check_hostport - "", or a list of host, [host], host:port */
static int
config_check_hostport(const char *value, struct strbuf *err)
{
	struct strlist items;
	struct strbuf host, port;
	const char *p;
	long n;
	char *end;
	int rc = 0;

	strlist_init(&items);
	strbuf_init(&host);
	strbuf_init(&port);
	strlist_split(&items, value, CONFIG_LIST_SEPS);
	for (size_t i = 0; rc == 0 && i < items.count; i++) {
		if (config_split_destination(items.items[i], &host, &port) < 0 ||
		    host.len == 0) {
			strbuf_printf(err, "bad destination \"%.100s\" (expected "
			    "host, [host], host:port or [host]:port)",
			    items.items[i]);
			rc = -1;
			break;
		}
		for (p = host.data; *p != '\0'; p++)
			if (!(*p == '.' || *p == '-' || *p == ':' || *p == '_' ||
			    (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
			    (*p >= 'A' && *p <= 'Z')))
				break;
		if (*p != '\0') {
			strbuf_printf(err, "bad host name \"%.100s\" in \"%.100s\"",
			    host.data, items.items[i]);
			rc = -1;
		} else if (port.len > 0 && port.data[0] >= '0' &&
		    port.data[0] <= '9') {
			errno = 0;
			n = strtol(port.data, &end, 10);
			if (*end != '\0' || errno != 0 || n < 1 || n > 65535) {
				strbuf_printf(err, "bad port \"%.20s\" in "
				    "\"%.100s\"", port.data, items.items[i]);
				rc = -1;
			}
		} else if (port.len > 0) {
			for (p = port.data; *p != '\0'; p++)
				if (!((*p >= 'a' && *p <= 'z') || *p == '-' ||
				    (*p >= '0' && *p <= '9')))
					break;
			if (*p != '\0') {
				strbuf_printf(err, "bad port \"%.20s\" in "
				    "\"%.100s\"", port.data, items.items[i]);
				rc = -1;
			}
		}
	}
	strbuf_free(&port);
	strbuf_free(&host);
	strlist_free(&items);
	return (rc);
}

/*
 * config_row_value - convert value as kind wants it; 0, or -1 with the
 * reason in err.  The defaults-table row checks numbers and words first.
 */
static int
config_row_value(const struct param_def *def, enum config_kind kind,
    const char *name, const char *value, union config_value *out,
    struct strbuf *err)
{
	long num = 0;

	memset(out, 0, sizeof(*out));
	if (config_param_check(def, config_row_type(kind), name, value, &num,
	    err) != 0)
		return (-1);
	switch (kind) {
	case CONF_INT:
	case CONF_TIME_MS:
		out->num = num;
		return (0);
	case CONF_TIME:
		out->num = num / 1000 + (num % 1000 != 0);
		return (0);
	case CONF_BOOL:
		out->flag = (num != 0);
		return (0);
	case CONF_STR:
	case CONF_RAW:
	case CONF_FILE:
		out->str = xstrdup(value);
		return (0);
	case CONF_HOSTPORT:
		if (config_check_hostport(value, err) != 0)
			return (-1);
		out->str = xstrdup(value);
		return (0);
	case CONF_LIST:
		strlist_init(&out->list);
		strlist_split(&out->list, value, CONFIG_LIST_SEPS);
		return (0);
	case CONF_MAPS:
		if (value[strspn(value, CONFIG_LIST_SEPS)] == '\0')
			return (0);
		if ((out->maps = map_list_open(value, err)) == NULL)
			return (-1);
		if (map_list_count(out->maps) == 0) {
			map_list_close(out->maps);
			out->maps = NULL;
		}
		return (0);
	case CONF_DOMAINS:
		return ((out->domains = domain_list_open(value, err)) != NULL ?
		    0 : -1);
	case CONF_NETWORKS:
		return ((out->networks = netlist_parse(value, err)) != NULL ?
		    0 : -1);
	case CONF_PER_TRANSPORT:
		break;			/* config_row_convert's own */
	}
	msg_panic("config_row_value: bad kind %d", (int)kind);
}

/* config_value_release - free what config_row_value made */
void
config_value_release(enum config_kind kind, union config_value *v)
{
	switch (kind) {
	case CONF_STR:
	case CONF_RAW:
	case CONF_FILE:
	case CONF_HOSTPORT:
		free(v->str);
		v->str = NULL;
		break;
	case CONF_PER_TRANSPORT:
		if (v->per_transport != NULL) {
			for (size_t i = 0; i < v->per_transport->count; i++)
				free(v->per_transport->transports[i]);
			free(v->per_transport->transports);
			free(v->per_transport->values);
			free(v->per_transport);
		}
		v->per_transport = NULL;
		break;
	case CONF_LIST:
		strlist_free(&v->list);
		break;
	case CONF_MAPS:
		if (v->maps != NULL)
			map_list_close(v->maps);
		v->maps = NULL;
		break;
	case CONF_DOMAINS:
		if (v->domains != NULL)
			domain_list_free(v->domains);
		v->domains = NULL;
		break;
	case CONF_NETWORKS:
		if (v->networks != NULL)
			netlist_free(v->networks);
		v->networks = NULL;
		break;
	default:
		break;
	}
}

/* config_row_problem - one line of err: "ORIGIN: parameter NAME: why" */
void
config_row_problem(const struct config *cfg, const char *name,
    const struct strbuf *why, const char *program, struct strbuf *err)
{
	const char *origin = config_origin(cfg, name);

	if (err->len > 0)
		strbuf_putc(err, '\n');
	if (origin != NULL)
		strbuf_printf(err, "%s: ", origin);
	/* config_value() names the parameter already */
	if (strncmp(why->data, "parameter ", 10) != 0)
		strbuf_printf(err, "parameter %s: ", name);
	strbuf_puts(err, why->data);
	if (program != NULL)
		strbuf_printf(err, " (%s)", program);
}

/*
 * config_raw_check - the $name and ${name} of an unexpanded value are
 * among names (what the program fills in); 0, or -1 + why
 */
static int
config_raw_check(const char *value, const char *const *names,
    struct strbuf *why)
{
	const char *p = value, *start;
	size_t n, i;
	bool brace;

	while ((p = strchr(p, '$')) != NULL) {
		brace = (*++p == '{');
		start = p += brace;
		while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_')
			p++;
		n = (size_t)(p - start);
		if (brace && *p++ != '}') {
			strbuf_printf(why, "missing '}' after \"${%.*s\"",
			    (int)(n > 64 ? 64 : n), start);
			return (-1);
		}
		for (i = 0; names != NULL && names[i] != NULL; i++)
			if (strlen(names[i]) == n &&
			    strncmp(names[i], start, n) == 0)
				break;
		if (names == NULL || names[i] == NULL) {
			strbuf_printf(why, "unknown name \"$%.*s\" (this "
			    "parameter may use", (int)(n > 64 ? 64 : n), start);
			for (i = 0; names != NULL && names[i] != NULL; i++)
				strbuf_printf(why, "%s $%s", i ? "," : "",
				    names[i]);
			strbuf_putc(why, ')');
			return (-1);
		}
	}
	return (0);
}

/* The TRANSPORT_SUFFIX parameters of one CONF_PER_TRANSPORT row. */
struct per_transport_walk {
	struct config	*cfg;
	const char	*suffix;	/* "destination_concurrency_limit" */
	const struct param_def *fallback_def;
	struct config_per_transport *pt;
	struct strbuf	*why;
	struct strbuf	*culprit;	/* the parameter that failed */
	int		 failed;
};

/* per_transport_add - name, if it is TRANSPORT_SUFFIX, into the walk */
static void
per_transport_add(struct per_transport_walk *w, const char *name)
{
	const struct param_def *def;
	struct config_per_transport *pt = w->pt;
	size_t nlen = strlen(name), slen = strlen(w->suffix), tlen;
	const char *value;
	long num;

	if (w->failed || nlen <= slen + 1 ||
	    strcmp(name + nlen - slen, w->suffix) != 0 ||
	    name[nlen - slen - 1] != '_')
		return;
	tlen = nlen - slen - 1;
	if (tlen == 7 && strncmp(name, "default", 7) == 0)
		return;			/* the fallback itself */
	for (size_t i = 0; i < pt->count; i++)
		if (strlen(pt->transports[i]) == tlen &&
		    strncmp(pt->transports[i], name, tlen) == 0)
			return;		/* in the defaults table and set */
	if ((def = config_param_find(name)) == NULL)
		def = w->fallback_def;
	if ((value = config_value(w->cfg, name, w->why)) == NULL ||
	    config_param_check(def, PARAM_INT, name, value, &num, w->why) != 0) {
		strbuf_set(w->culprit, name);
		w->failed = 1;
		return;
	}
	pt->transports = xrealloc(pt->transports, (pt->count + 1) *
	    sizeof(*pt->transports));
	pt->values = xrealloc(pt->values, (pt->count + 1) * sizeof(*pt->values));
	pt->transports[pt->count] = xstrndup(name, tlen);
	pt->values[pt->count++] = num;
}

/* per_transport_set - config_each_set() callback */
static void
per_transport_set(const char *name, const char *raw, void *ctx)
{
	(void)raw;
	per_transport_add(ctx, name);
}

/* config_per_transport_read - a CONF_PER_TRANSPORT row; 0 or -1 + why */
static int
config_per_transport_read(struct config *cfg, const struct config_table *row,
    const struct param_def *def, union config_value *v, struct strbuf *why,
    struct strbuf *culprit)
{
	struct per_transport_walk w;
	const char *value;

	if (strncmp(row->name, "default_", 8) != 0)
		msg_panic("parameter table: %s is no default_ parameter",
		    row->name);
	v->per_transport = xcalloc(1, sizeof(*v->per_transport));
	if ((value = config_value(cfg, row->name, why)) == NULL ||
	    config_param_check(def, PARAM_INT, row->name, value,
	    &v->per_transport->fallback, why) != 0)
		return (-1);
	memset(&w, 0, sizeof(w));
	w.cfg = cfg;
	w.suffix = row->name + 8;
	w.fallback_def = def;
	w.pt = v->per_transport;
	w.why = why;
	w.culprit = culprit;
	for (const struct param_def *d = config_param_table; d->name; d++)
		per_transport_add(&w, d->name);
	config_each_set(cfg, per_transport_set, &w);
	return (w.failed ? -1 : 0);
}

/* config_per_transport_get - see config_table.h */
long
config_per_transport_get(const struct config_per_transport *pt,
    const char *transport)
{
	for (size_t i = 0; i < pt->count; i++)
		if (strcmp(pt->transports[i], transport) == 0)
			return (pt->values[i]);
	return (pt->fallback);
}

/*
 * config_row_convert - expanded, checked and converted; 0, or -1 + why
 * with the parameter at fault in culprit (the row's own, or one of a
 * CONF_PER_TRANSPORT row's TRANSPORT_SUFFIX)
 */
int
config_row_convert(struct config *cfg, const struct config_table *row,
    union config_value *v, struct strbuf *why, struct strbuf *culprit)
{
	const struct param_def *def = config_param_find(row->name);
	const char *value;

	memset(v, 0, sizeof(*v));
	strbuf_set(culprit, row->name);
	if (def == NULL)
		msg_panic("parameter table: %s is not in the defaults table",
		    row->name);
	if (def->type != config_row_type(row->kind))
		msg_panic("parameter table: %s has the wrong kind", row->name);
	if (row->kind == CONF_PER_TRANSPORT)
		return (config_per_transport_read(cfg, row, def, v, why,
		    culprit));
	if (row->kind == CONF_RAW) {
		if ((value = config_get_raw(cfg, row->name)) == NULL)
			return (-1);
		if (row->names != NULL &&
		    config_raw_check(value, row->names, why) != 0)
			return (-1);
	} else if ((value = config_value(cfg, row->name, why)) == NULL)
		return (-1);
	return (config_row_value(def, row->kind, row->name, value, v, why));
}

/* config_store_field - put v into the settings field of row */
void
config_store_field(const struct config_table *row, void *settings,
    union config_value *v)
{
	char *field = (char *)settings + row->offset;

	switch (row->kind) {
	case CONF_INT:
	case CONF_TIME:
	case CONF_TIME_MS:
		memcpy(field, &v->num, sizeof(v->num));
		break;
	case CONF_BOOL:
		memcpy(field, &v->flag, sizeof(v->flag));
		break;
	case CONF_STR:
	case CONF_RAW:
	case CONF_FILE:
	case CONF_HOSTPORT:
		memcpy(field, &v->str, sizeof(v->str));
		break;
	case CONF_PER_TRANSPORT:
		memcpy(field, &v->per_transport, sizeof(v->per_transport));
		break;
	case CONF_LIST:
		memcpy(field, &v->list, sizeof(v->list));
		break;
	case CONF_MAPS:
		memcpy(field, &v->maps, sizeof(v->maps));
		break;
	case CONF_DOMAINS:
		memcpy(field, &v->domains, sizeof(v->domains));
		break;
	case CONF_NETWORKS:
		memcpy(field, &v->networks, sizeof(v->networks));
		break;
	}
}

/* config_tables_declare - see config_table.h */
const struct config_table *const *
config_tables_declare(const struct config_table *const *tables)
{
	const struct config_table *const *before = config_declared;

	config_declared = tables;
	return (before);
}

/* config_table_declares - see config_table.h */
bool
config_table_declares(const char *name)
{
	if (config_declared == NULL)
		return (true);
	for (size_t i = 0; config_declared[i] != NULL; i++)
		for (const struct config_table *row = config_declared[i];
		    row->name != NULL; row++)
			if (strcmp(row->name, name) == 0)
				return (true);
	return (false);
}

/* config_table_declared - table is one the running program declared */
static void
config_table_declared(const struct config_table *table)
{
	if (config_declared == NULL)
		return;
	for (size_t i = 0; config_declared[i] != NULL; i++)
		if (config_declared[i] == table)
			return;
	msg_panic("config_table_read: the table with %s is not one of this "
	    "program's (lib/config/config_programs.c), so sluice check does "
	    "not validate it for this program", table->name);
}

/* config_table_read - see config_table.h */
int
config_table_read(struct config *cfg, const struct config_table *table,
    void *settings, struct strbuf *err)
{
	const struct config_table *row;
	union config_value v;
	struct strbuf why, culprit;
	int problems = 0;

	config_table_declared(table);
	strbuf_init(&why);
	strbuf_init(&culprit);
	for (row = table; row->name != NULL; row++) {
		if (row->offset == (size_t)-1)
			continue;
		strbuf_reset(&why);
		if (config_row_convert(cfg, row, &v, &why, &culprit) != 0) {
			config_value_release(row->kind, &v);
			config_row_problem(cfg, culprit.data, &why, NULL, err);
			problems++;
			if (row->kind == CONF_LIST)
				strlist_init(&v.list);
			else
				memset(&v, 0, sizeof(v));
		}
		config_store_field(row, settings, &v);
	}
	strbuf_free(&culprit);
	strbuf_free(&why);
	return (problems);
}

/* config_table_fatal - see config_table.h */
void
config_table_fatal(struct strbuf *problems)
{
	char *line, *save;
	int count = 0;

	for (line = strtok_r(problems->data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save), count++)
		msg_error("%s", line);
	msg_fatal("%d parameter value%s cannot be used (see sluice check)",
	    count, count == 1 ? "" : "s");
}

/* config_table_release - see config_table.h */
void
config_table_release(const struct config_table *table, void *settings)
{
	const struct config_table *row;
	union config_value v;
	char *field;

	for (row = table; row->name != NULL; row++) {
		if (row->offset == (size_t)-1)
			continue;
		field = (char *)settings + row->offset;
		switch (row->kind) {
		case CONF_STR:
		case CONF_RAW:
		case CONF_FILE:
		case CONF_HOSTPORT:
			memcpy(&v.str, field, sizeof(v.str));
			break;
		case CONF_PER_TRANSPORT:
			memcpy(&v.per_transport, field, sizeof(v.per_transport));
			break;
		case CONF_LIST:
			memcpy(&v.list, field, sizeof(v.list));
			break;
		case CONF_MAPS:
			memcpy(&v.maps, field, sizeof(v.maps));
			break;
		case CONF_DOMAINS:
			memcpy(&v.domains, field, sizeof(v.domains));
			break;
		case CONF_NETWORKS:
			memcpy(&v.networks, field, sizeof(v.networks));
			break;
		default:
			continue;
		}
		config_value_release(row->kind, &v);
		config_store_field(row, settings, &v);
	}
}
