/*
 * config_lists - parameters whose value is a list of tables, domains or
 * networks, opened once when a daemon starts.
 *
 * A daemon cannot run with such a parameter it cannot use, so these die
 * with msg_fatal("parameter NAME: why") instead of returning an error.
 */
#ifndef SLUICE_CONFIG_LISTS_H
#define SLUICE_CONFIG_LISTS_H

#include "config.h"
#include "domain_list.h"
#include "maps.h"
#include "netmatch.h"

/* config_maps - the tables of parameter name; NULL when it names none */
struct map_list *config_maps(struct config *cfg, const char *name);
/* config_domains - the domain list of parameter name */
struct domain_list *config_domains(struct config *cfg, const char *name);
/* config_networks - the network list of parameter name */
struct netlist *config_networks(struct config *cfg, const char *name);

#endif
