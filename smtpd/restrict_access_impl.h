/*
 * restrict_access_impl - what restrict_access.c and restrict_access_dns.c
 * share (internal: the engine's table uses restrict_builtin.h).
 */
#ifndef SLUICE_RESTRICT_ACCESS_IMPL_H
#define SLUICE_RESTRICT_ACCESS_IMPL_H

#include "access.h"
#include "restrict.h"

/* One check_*_access step's tables, opened before the jail. */
struct access_table {
	struct access_lookup lookup;
	const char	*null_key;	/* smtpd_null_access_lookup_key */
};

/* restrict_access_result - a lookup's outcome carried out */
enum restrict_result restrict_access_result(struct restrict_ctx *ctx,
	    const struct restrict_step *step, int found,
	    const struct strbuf *value, const char *reply_name,
	    const char *reply_class);
/* restrict_access_no_permit - an OK from a check that may not permit */
enum restrict_result restrict_access_no_permit(struct restrict_ctx *ctx,
	    const struct restrict_step *step, enum restrict_result status,
	    const char *target);

#endif
