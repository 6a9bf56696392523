/*
 * config_names - main.cf names Sluice does not read.
 *
 * A name that is in no table is a typo or a Postfix parameter Sluice
 * does not have: a warning, kept for $name expansion.  A Postfix
 * parameter that decides what is accepted, rejected, signed or copied
 * (restriction lists, header and body checks, SASL, milters, BCC copies,
 * content filters ...) that Sluice does not implement yet is an error
 * ("not supported yet"), unless its value is one under which Postfix
 * would do nothing more than Sluice does: an administrator must never
 * believe such a setting is in force when it is not.  The list of those
 * parameters is config_names.c's one table; it shrinks as the features
 * land.
 *
 * The master runs this at start and at each reload (one warning per name
 * in the maillog) and sluice check prints it; other programs keep quiet.
 */
#ifndef SLUICE_CONFIG_NAMES_H
#define SLUICE_CONFIG_NAMES_H

#include "config.h"
#include "strbuf.h"

/*
 * config_names_check - append one line per unknown name to warnings and
 * one per unsupported Postfix parameter to errors, each "FILE:N: ..."
 * when the name comes from a file.  Returns the number of errors.
 */
int	config_names_check(struct config *cfg, struct strbuf *warnings,
	    struct strbuf *errors);

/* config_name_unsupported - is name in the table of unsupported ones? */
bool	config_name_unsupported(const char *name);

#endif
