/*
 * policy_service - parse check_policy_service's argument
 * (policy_service.h).
 *
 * The overrides are checked by config_param_check() against the row of
 * the parameter they stand for, so "timeout=0" is refused here exactly
 * as smtpd_policy_service_timeout = 0 is in main.cf.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "config.h"
#include "mem.h"
#include "policy_service.h"
#include "strlist.h"

#define SPEC_MAX	2048	/* the whole argument, braces included */

/* what a name inside the braces sets */
enum opt_field {
	OPT_TIMEOUT, OPT_MAX_IDLE, OPT_MAX_TTL, OPT_REQUEST_LIMIT,
	OPT_TRY_LIMIT, OPT_RETRY_DELAY, OPT_DEFAULT_ACTION, OPT_CONTEXT,
};

static const struct {
	const char	*name;
	const char	*param;
	enum param_type	 type;
	enum opt_field	 field;
} options[] = {
	{ "default_action", "smtpd_policy_service_default_action", PARAM_STR,
	    OPT_DEFAULT_ACTION },
	{ "max_idle", "smtpd_policy_service_max_idle", PARAM_TIME,
	    OPT_MAX_IDLE },
	{ "max_ttl", "smtpd_policy_service_max_ttl", PARAM_TIME, OPT_MAX_TTL },
	{ "policy_context", "smtpd_policy_service_policy_context", PARAM_STR,
	    OPT_CONTEXT },
	{ "request_limit", "smtpd_policy_service_request_limit", PARAM_INT,
	    OPT_REQUEST_LIMIT },
	{ "retry_delay", "smtpd_policy_service_retry_delay", PARAM_TIME,
	    OPT_RETRY_DELAY },
	{ "timeout", "smtpd_policy_service_timeout", PARAM_TIME, OPT_TIMEOUT },
	{ "try_limit", "smtpd_policy_service_try_limit", PARAM_INT,
	    OPT_TRY_LIMIT },
};

/* default_settings - the parameters' defaults, from the one table */
static void
default_settings(struct policy_client_settings *set)
{
	struct strbuf err;

	strbuf_init(&err);
#define DEF(name, type, field) do { \
	const struct param_def *d = config_param_find(name); \
	long	 v = 0; \
	if (d != NULL) \
		(void)config_param_check(d, (type), (name), d->default_value, \
		    &v, &err); \
	set->field = v; \
} while (0)
	DEF("smtpd_policy_service_timeout", PARAM_TIME, timeout_ms);
	DEF("smtpd_policy_service_max_idle", PARAM_TIME, max_idle_ms);
	DEF("smtpd_policy_service_max_ttl", PARAM_TIME, max_ttl_ms);
	DEF("smtpd_policy_service_request_limit", PARAM_INT, request_limit);
	DEF("smtpd_policy_service_try_limit", PARAM_INT, try_limit);
	DEF("smtpd_policy_service_retry_delay", PARAM_TIME, retry_delay_ms);
#undef DEF
	strbuf_free(&err);
}

/* policy_default_action_check - see policy_service.h */
int
policy_default_action_check(const char *action, struct strbuf *err)
{
	struct access_action act;
	enum access_verb verb;
	int	 rc = 0;

	access_action_init(&act);
	verb = access_action_parse(action, strlen(action), &act);
	if (*action == 0 || verb == ACCESS_ERROR || verb == ACCESS_IGNORED) {
		strbuf_printf(err, "policy default action \"%.100s\": %s", action,
		    act.why != NULL ? act.why : "not an access(5) action");
		rc = -1;
	}
	access_action_free(&act);
	return (rc);
}

/* policy_service_config_check - see policy_service.h */
int
policy_service_config_check(struct config *cfg, struct strbuf *err)
{
	const char *action = config_get(cfg, "smtpd_policy_service_default_action");
	struct strbuf why;
	int	 rc;

	strbuf_init(&why);
	if ((rc = policy_default_action_check(action ? action : "", &why)) != 0) {
		if (err->len > 0)
			strbuf_putc(err, '\n');
		strbuf_printf(err, "smtpd_policy_service_default_action: %s",
		    why.data);
	}
	strbuf_free(&why);
	return (rc);
}

/* set_option - name=value inside the braces; -1 with err */
static int
set_option(struct policy_service_spec *spec, const char *item,
    struct strbuf *err)
{
	const char *eq = strchr(item, '=');
	size_t	 nlen, i;
	long	 v = 0;

	if (eq == NULL) {
		strbuf_printf(err, "check_policy_service: \"%s\" is not "
		    "name=value", item);
		return (-1);
	}
	nlen = (size_t)(eq - item);
	for (i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (strlen(options[i].name) == nlen &&
		    strncmp(item, options[i].name, nlen) == 0)
			break;
	if (i == sizeof(options) / sizeof(options[0])) {
		strbuf_printf(err, "check_policy_service: unknown option "
		    "\"%.*s\"", (int)nlen, item);
		return (-1);
	}
	if (options[i].type != PARAM_STR &&
	    config_param_check(config_param_find(options[i].param),
	    options[i].type, options[i].name, eq + 1, &v, err) != 0)
		return (-1);
	switch (options[i].field) {
	case OPT_TIMEOUT:	spec->set.timeout_ms = v; break;
	case OPT_MAX_IDLE:	spec->set.max_idle_ms = v; break;
	case OPT_MAX_TTL:	spec->set.max_ttl_ms = v; break;
	case OPT_REQUEST_LIMIT:	spec->set.request_limit = v; break;
	case OPT_TRY_LIMIT:	spec->set.try_limit = v; break;
	case OPT_RETRY_DELAY:	spec->set.retry_delay_ms = v; break;
	case OPT_DEFAULT_ACTION:
		if (policy_default_action_check(eq + 1, err) != 0)
			return (-1);
		free(spec->default_action);
		spec->default_action = xstrdup(eq + 1);
		break;
	case OPT_CONTEXT:
		free(spec->context);
		spec->context = xstrdup(eq + 1);
		break;
	}
	return (0);
}

/* trimmed - item without surrounding blanks (a copy) */
static char *
trimmed(const char *p, size_t len)
{
	while (len > 0 && isspace((unsigned char)*p)) {
		p++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)p[len - 1]))
		len--;
	return (xstrndup(p, len));
}

/* policy_service_parse - see policy_service.h */
int
policy_service_parse(const char *arg, const struct policy_client_settings *base,
    struct policy_service_spec *spec, struct strbuf *err)
{
	const char *p, *end, *comma;
	size_t	 len = strlen(arg);
	char	*item;
	int	 rc = 0, n = 0;

	memset(spec, 0, sizeof(*spec));
	if (base != NULL)
		spec->set = *base;
	else
		default_settings(&spec->set);
	if (len > SPEC_MAX) {
		strbuf_printf(err, "check_policy_service: argument longer than "
		    "%d bytes", SPEC_MAX);
		return (-1);
	}
	p = arg;
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '{') {
		spec->endpoint = trimmed(p, strlen(p));
		return (policy_endpoint_check(spec->endpoint, err));
	}
	end = arg + len;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	if (end - p < 2 || end[-1] != '}') {
		strbuf_printf(err, "check_policy_service: missing \"}\" in "
		    "\"%s\"", arg);
		return (-1);
	}
	/* the endpoint, then name=value items, separated by commas */
	for (p++, end--; rc == 0 && p <= end; p = comma + 1, n++) {
		if ((comma = memchr(p, ',', (size_t)(end - p))) == NULL)
			comma = end;
		item = trimmed(p, (size_t)(comma - p));
		if (n == 0) {
			spec->endpoint = item;
			if (*item == 0)
				break;
			rc = policy_endpoint_check(item, err);
			if (comma == end)
				break;
			continue;
		}
		if (*item != 0)
			rc = set_option(spec, item, err);
		free(item);
		if (comma == end)
			break;
	}
	if (rc == 0 && (spec->endpoint == NULL || *spec->endpoint == 0)) {
		strbuf_printf(err, "check_policy_service: no server in \"%s\"",
		    arg);
		rc = -1;
	}
	return (rc);
}

/* policy_service_spec_free - see policy_service.h */
void
policy_service_spec_free(struct policy_service_spec *spec)
{
	free(spec->endpoint);
	free(spec->default_action);
	free(spec->context);
	memset(spec, 0, sizeof(*spec));
}

/* policy_service_check - see policy_service.h */
int
policy_service_check(const char *arg, struct strbuf *err)
{
	struct policy_service_spec spec;
	int	 rc;

	rc = policy_service_parse(arg, NULL, &spec, err);
	policy_service_spec_free(&spec);
	return (rc);
}

/* policy_service_key - see policy_service.h */
void
policy_service_key(const struct policy_service_spec *spec, struct strbuf *key)
{
	const struct policy_client_settings *s = &spec->set;

	strbuf_reset(key);
	strbuf_printf(key, "%s %ld %ld %ld %ld %ld %ld", spec->endpoint,
	    s->timeout_ms, s->max_idle_ms, s->max_ttl_ms, s->request_limit,
	    s->try_limit, s->retry_delay_ms);
}
