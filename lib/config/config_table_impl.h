/*
 * config_table_impl - what config_table.c (reading rows) shares with
 * config_table_check.c (checking them without keeping the values).
 */
#ifndef SLUICE_CONFIG_TABLE_IMPL_H
#define SLUICE_CONFIG_TABLE_IMPL_H

#include <stdbool.h>

#include "config_table.h"
#include "strbuf.h"
#include "strlist.h"

struct map_list;
struct domain_list;
struct netlist;

/* One converted value, whatever its kind. */
union config_value {
	char		*str;
	long		 num;
	bool		 flag;
	struct strlist	 list;
	struct map_list	*maps;
	struct domain_list *domains;
	struct netlist	*networks;
	struct config_per_transport *per_transport;
};

void	config_value_release(enum config_kind kind, union config_value *v);
void	config_row_problem(const struct config *cfg, const char *name,
    const struct strbuf *why, const char *program, struct strbuf *err);
int	config_row_convert(struct config *cfg, const struct config_table *row,
    union config_value *v, struct strbuf *why, struct strbuf *culprit);
void	config_store_field(const struct config_table *row, void *settings,
    union config_value *v);

#endif
