/*
 * anvil.h - what the files of the anvil daemon share.
 *
 * main.c wires the service skeleton and documents the protocol;
 * serve.c runs the requests of one client connection (an smtpd process)
 * against the one counter table of lib/service/anvil_table.h; stats.c logs the
 * peaks of that table every anvil_status_update_time and at exit.
 */
#ifndef SLUICE_ANVIL_H
#define SLUICE_ANVIL_H

#include <time.h>

#include "anvil_table.h"
#include "config_table.h"
#include "service.h"

/* The daemon's state; the parameters are read through anvil_params. */
struct anvil_daemon {
	struct anvil_table *table;
	long		 time_unit;	/* anvil_rate_time_unit, seconds */
	long		 status_update;	/* anvil_status_update_time, seconds */
	long		 max_idle;	/* seconds */
	time_t		 next_status;	/* when the peaks are logged next */
};

/* params.c */
extern const struct config_table anvil_params[];

/* serve.c */
void	anvil_serve(struct service_context *ctx, int client_fd);

/* stats.c */
void	anvil_stats_start(struct anvil_daemon *d, time_t now);
void	anvil_stats_due(struct anvil_daemon *d, time_t now);
void	anvil_stats_log(struct anvil_daemon *d);

#endif
