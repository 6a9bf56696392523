/*
 * client_limits.h - per-client session count and connection rate limits
 * of smtpd, counted across all smtpd processes by anvil(8).
 */
#ifndef SLUICE_SMTPD_CLIENT_LIMITS_H
#define SLUICE_SMTPD_CLIENT_LIMITS_H

#include <stdbool.h>

#include "config.h"

struct smtpd_client_limits;
struct smtpd_config;
struct smtpd_session;

/*
 * smtpd_client_limits_load - the limits smtpd_config_load() read (the
 * smtpd_client_* rows of params.c); service names the counters
 */
struct smtpd_client_limits *smtpd_client_limits_load(
	    const struct smtpd_config *sc, const char *service);

/*
 * smtpd_client_limits_admit - register the session with anvil; false
 * when the client is over a limit: the 421 reply is queued and logged,
 * and the session must end
 */
bool	smtpd_client_limits_admit(struct smtpd_session *s);

/* smtpd_client_limits_done - the session ends: give its slot back */
void	smtpd_client_limits_done(struct smtpd_session *s);

#endif
