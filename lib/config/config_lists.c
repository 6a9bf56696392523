/*
 * config_lists - list-valued parameters opened or fatal (config_lists.h).
 */
#include <string.h>

#include "config_lists.h"
#include "msg.h"
#include "strbuf.h"

/* config_maps - see config_lists.h */
struct map_list *
config_maps(struct config *cfg, const char *name)
{
	const char *value = config_get(cfg, name);
	struct map_list *list;
	struct strbuf err;

	if (value[strspn(value, ", \t\r\n")] == '\0')
		return (NULL);
	strbuf_init(&err);
	if ((list = map_list_open(value, &err)) == NULL)
		msg_fatal("parameter %s: %s", name, err.data);
	strbuf_free(&err);
	if (map_list_count(list) == 0) {
		map_list_close(list);
		return (NULL);
	}
	return (list);
}

/* config_domains - see config_lists.h */
struct domain_list *
config_domains(struct config *cfg, const char *name)
{
	struct domain_list *list;
	struct strbuf err;

	strbuf_init(&err);
	if ((list = domain_list_open(config_get(cfg, name), &err)) == NULL)
		msg_fatal("parameter %s: %s", name, err.data);
	strbuf_free(&err);
	return (list);
}

/* config_networks - see config_lists.h */
struct netlist *
config_networks(struct config *cfg, const char *name)
{
	struct netlist *list;
	struct strbuf err;

	strbuf_init(&err);
	if ((list = netlist_parse(config_get(cfg, name), &err)) == NULL)
		msg_fatal("parameter %s: %s", name, err.data);
	strbuf_free(&err);
	return (list);
}
