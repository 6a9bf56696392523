/*
 * show - sluice-conf's parameter listings.
 *
 *	(no option)	every known parameter, effective value
 *	-n		only what main.cf sets (also user-defined names)
 *	-d		the compiled-in defaults
 *	NAME...		just those (unknown: warning, exit status 1)
 * Values are printed as written, $names and all, unless -x expands them;
 * -h drops the "name = " part.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "msg.h"
#include "sluice_conf.h"
#include "strbuf.h"

struct show_ctx {
	const struct conf_opts	*opts;
	struct config		*cfg;
};

/*
 * print_param - one "name = value" line.  Any parameter, not one this
 * program uses: postconf's job, so the value comes from config_value(),
 * not from a parameter table; one that does not expand is shown raw.
 */
static void
print_param(struct show_ctx *ctx, const char *name, const char *raw)
{
	const char *value = raw;
	struct strbuf why;

	if (ctx->opts->expand) {
		strbuf_init(&why);
		if ((value = config_value(ctx->cfg, name, &why)) == NULL) {
			conf_warn("%s", why.data);
			value = raw;
		}
		strbuf_free(&why);
	}

	if (ctx->opts->values_only)
		printf("%s\n", value);
	else if (*value == 0)
		printf("%s =\n", name);
	else
		printf("%s = %s\n", name, value);
}

/* print_set - config_each_set callback for -n */
static void
print_set(const char *name, const char *raw, void *ptr)
{
	print_param(ptr, name, raw);
}

/* load - the defaults (-d) or defaults plus main.cf; NULL after an error */
static struct config *
load(const struct conf_opts *opts)
{
	struct config *cfg;
	struct strbuf err;

	if (opts->defaults)
		return (config_new(opts->config_dir));
	strbuf_init(&err);
	if ((cfg = config_load(opts->config_dir, &err)) == NULL)
		fprintf(stderr, "sluice-conf: fatal: %s\n", err.data);
	strbuf_free(&err);
	return (cfg);
}

/* conf_show - the listing the options ask for */
int
conf_show(const struct conf_opts *opts, int argc, char **argv)
{
	struct show_ctx ctx = { opts, NULL };
	const struct param_def *def;
	const char *raw;
	int status = 0;

	if ((ctx.cfg = load(opts)) == NULL)
		return (1);
	if (argc > 0) {
		for (int i = 0; i < argc; i++) {
			if ((raw = config_get_raw(ctx.cfg, argv[i])) == NULL ||
			    (opts->only_set && !config_is_set(ctx.cfg, argv[i]))) {
				if (raw == NULL)
					conf_warn("%s: unknown parameter", argv[i]);
				status = 1;
				continue;
			}
			print_param(&ctx, argv[i], raw);
		}
	} else if (opts->only_set) {
		config_each_set(ctx.cfg, print_set, &ctx);
	} else {
		for (def = config_param_table; def->name != NULL; def++)
			if ((raw = config_get_raw(ctx.cfg, def->name)) != NULL)
				print_param(&ctx, def->name, raw);
	}
	config_free(ctx.cfg);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "sluice-conf: fatal: write error on standard output\n");
		return (1);
	}
	return (status);
}
