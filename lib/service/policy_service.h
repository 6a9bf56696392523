/*
 * policy_service - the argument of check_policy_service: a server, and
 * optionally Postfix 3.0's per-server overrides of the
 * smtpd_policy_service_* parameters:
 *
 *	check_policy_service inet:127.0.0.1:10023
 *	check_policy_service { unix:private/policy, timeout=10s,
 *	    default_action=DUNNO, try_limit=1 }
 *
 * The names inside the braces are default_action, max_idle, max_ttl,
 * policy_context, request_limit, retry_delay, timeout and try_limit, each
 * with its parameter's syntax and bounds.  sluice check and smtpd parse
 * with the same function, so smtpd never meets an argument the check let
 * through.
 */
#ifndef SLUICE_POLICY_SERVICE_H
#define SLUICE_POLICY_SERVICE_H

#include "policy_client.h"
#include "strbuf.h"

struct policy_service_spec {
	char	*endpoint;
	struct policy_client_settings set;	/* the base, overridden */
	char	*default_action;	/* NULL: the parameter's */
	char	*context;		/* NULL: the parameter's */
};

/*
 * policy_service_parse - arg into spec, starting from base (NULL: the
 * parameters' defaults).  0, or -1 with one sentence in err; spec must
 * be freed either way.
 */
int	policy_service_parse(const char *arg,
	    const struct policy_client_settings *base,
	    struct policy_service_spec *spec, struct strbuf *err);
void	policy_service_spec_free(struct policy_service_spec *spec);

/* policy_service_check - is arg usable?  (restriction_names.c's check) */
int	policy_service_check(const char *arg, struct strbuf *err);

/*
 * policy_default_action_check - can action be carried out as an access(5)
 * answer (not a broken code, a FILTER without transport, ...)?  0, or -1
 * with one sentence in err
 */
int	policy_default_action_check(const char *action, struct strbuf *err);

/*
 * policy_service_config_check - smtpd_policy_service_default_action of
 * cfg, for sluice check: 0, or -1 with one line appended to err
 */
struct config;
int	policy_service_config_check(struct config *cfg, struct strbuf *err);

/*
 * policy_service_key - a text naming the server and every setting, so
 * that steps asking the same server the same way share one client
 */
void	policy_service_key(const struct policy_service_spec *spec,
	    struct strbuf *key);

#endif
