/*
 * params - the main.cf parameters local reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way local will read it; main.c reads the rows with a
 * field into struct local_daemon.  alias_maps is read as its list of
 * table names (main.c opens each table itself, to learn its owner) and
 * checked as tables; forward_path is read unexpanded: its $user, $home...
 * (local_forward_names) are filled in per recipient by forward.c.
 */
#include "config_programs.h"
#include <stddef.h>

#include "local.h"

#define ROW(name, kind, field) \
	CONFIG_ROW(name, kind, struct local_daemon, field)

/* In the order of the values local_forward() fills in. */
const char *const local_forward_names[] = { "home", "user", "local",
	"extension", "domain", "recipient", NULL };

const struct config_table local_params[] = {
	CONFIG_CHECK_ONLY("alias_maps", CONF_MAPS),
	ROW("alias_maps", CONF_LIST, p.alias_maps),
	ROW("cleanup_service_name", CONF_STR, p.cleanup_service_name),
	ROW("command_time_limit", CONF_TIME, p.command_time_limit),
	ROW("default_privs", CONF_STR, p.default_privs),
	ROW("duplicate_filter_limit", CONF_INT, p.dup_filter_limit),
	CONFIG_RAW_ROW("forward_path", struct local_daemon, p.forward_path,
	    local_forward_names),
	ROW("home_mailbox", CONF_STR, p.home_mailbox),
	ROW("ipc_timeout", CONF_TIME, p.ipc_timeout),
	ROW("mail_owner", CONF_STR, p.mail_owner),
	ROW("mail_spool_directory", CONF_STR, p.mail_spool_directory),
	ROW("mailbox_delivery_lock", CONF_LIST, p.delivery_lock),
	ROW("mailbox_size_limit", CONF_INT, p.mailbox_size_limit),
	ROW("myhostname", CONF_STR, p.myhostname),
	ROW("owner_request_special", CONF_BOOL, p.owner_request_special),
	ROW("virtual_gid_maps", CONF_MAPS, vgid_maps),
	ROW("virtual_mailbox_base", CONF_STR, p.virtual_mailbox_base),
	ROW("virtual_mailbox_limit", CONF_INT, p.virtual_mailbox_limit),
	ROW("virtual_mailbox_maps", CONF_MAPS, vmailbox_maps),
	ROW("virtual_minimum_uid", CONF_INT, p.virtual_minimum_uid),
	ROW("virtual_uid_maps", CONF_MAPS, vuid_maps),
	ROW("allow_mail_to_commands", CONF_LIST, p.allow_mail_to_commands),
	ROW("allow_mail_to_files", CONF_LIST, p.allow_mail_to_files),
	ROW("prepend_delivered_header", CONF_LIST, p.prepend_delivered_header),
	CONFIG_TABLE_END,
};

/* Everything local reads: its entry in lib/config/config_programs.c */
const struct config_table *const local_tables[] = {
	local_params,
	service_params,
	log_params,
	resolve_params,
	NULL,
};
