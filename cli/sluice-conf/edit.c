/*
 * edit - sluice-conf -e name=value... and -X name...
 *
 * The edits go through lib/config_edit: every other line of main.cf,
 * comments included, stays as it was, and the file is replaced
 * atomically.  main.cf is not loaded first, so a broken main.cf can be
 * repaired with -e.  Names Sluice does not know are allowed (they can be
 * used in $name expansion) but warned about, since a typo is likelier.
 * A typed value (number, time, yes/no) without $names is checked first:
 * writing one that every daemon would refuse is an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_edit.h"
#include "mem.h"
#include "sluice_conf.h"
#include "strbuf.h"

/* conf_edit - parse the arguments, then one atomic rewrite of main.cf */
int
conf_edit(const struct conf_opts *opts, bool remove, int argc, char **argv)
{
	struct config_edit *edits = xcalloc((size_t)argc, sizeof(*edits));
	struct strbuf name, value, err, path;
	const struct param_def *def;
	long parsed;
	int status = 0, i;

	strbuf_init(&name);
	strbuf_init(&value);
	strbuf_init(&err);
	strbuf_init(&path);
	for (i = 0; i < argc && status == 0; i++) {
		if (remove) {
			strbuf_set(&name, argv[i]);
			strbuf_trim(&name);
			edits[i].name = xstrdup(name.data);
			continue;
		}
		if (config_edit_parse(argv[i], &name, &value, &err) != 0) {
			fprintf(stderr, "sluice-conf: fatal: %s\n", err.data);
			status = 1;
			break;
		}
		if ((def = config_param_find(name.data)) == NULL) {
			conf_warn("%s: unknown parameter (written anyway)", name.data);
		} else if (def->type != PARAM_STR && strchr(value.data, '$') == NULL
		    && config_param_check(def, def->type, def->name, value.data,
		    &parsed, &err) != 0) {
			/* every daemon would refuse to start: say so now */
			fprintf(stderr, "sluice-conf: fatal: %s\n", err.data);
			status = 1;
			break;
		}
		edits[i].name = xstrdup(name.data);
		edits[i].value = xstrdup(value.data);
	}
	if (status == 0) {
		strbuf_printf(&path, "%s/main.cf", opts->config_dir);
		if (config_edit_file(path.data, edits, (size_t)argc, &err) != 0) {
			fprintf(stderr, "sluice-conf: fatal: %s\n", err.data);
			status = 1;
		}
	}
	for (i = 0; i < argc; i++) {
		free((char *)edits[i].name);
		free((char *)edits[i].value);
	}
	free(edits);
	strbuf_free(&name);
	strbuf_free(&value);
	strbuf_free(&err);
	strbuf_free(&path);
	return (status);
}
