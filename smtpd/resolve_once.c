/*
 * resolve_once - the resolver's answer about one address, for the
 * checks of smtpd (rcpt.c and the restrictions).
 *
 * One result per process, reused: a session asks and reads it without
 * yielding to another session in between, so sharing it is safe.  The
 * last address's answer is kept: at RCPT the address check, relay
 * control and recipient validation all ask about the same address.  A
 * failed resolution (class NONE) is asked again; a table that changes
 * ends the process after its sessions (smtpd_config_tables_changed).
 */
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "resolve.h"
#include "smtpd.h"

/* smtpd_resolve - see smtpd.h */
const struct resolve_result *
smtpd_resolve(const struct smtpd_config *cfg, const char *address)
{
	static struct resolve_result rr;
	static const struct resolver *last_resolver;
	static char *last_address;
	static bool ready;

	if (!ready) {
		resolve_result_init(&rr);
		ready = true;
	}
	if (last_address != NULL && last_resolver == cfg->resolver &&
	    strcmp(last_address, address) == 0 && rr.class != RESOLVE_CLASS_NONE)
		return (&rr);
	(void)resolve_address(cfg->resolver, NULL, address, &rr);
	free(last_address);
	last_address = xstrdup(address);
	last_resolver = cfg->resolver;
	return (&rr);
}
