/*
 * resolve_once - the resolver's answer about one address, for the
 * checks of smtpd (rcpt.c and the restrictions).
 *
 * One result per process, reused: a session asks and reads it without
 * yielding to another session in between, so sharing it is safe, and
 * it saves an allocation per check.
 */
#include "resolve.h"
#include "smtpd.h"

/* smtpd_resolve - see smtpd.h */
const struct resolve_result *
smtpd_resolve(const struct smtpd_config *cfg, const char *address)
{
	static struct resolve_result rr;
	static bool ready;

	if (!ready) {
		resolve_result_init(&rr);
		ready = true;
	}
	(void)resolve_address(cfg->resolver, NULL, address, &rr);
	return (&rr);
}
