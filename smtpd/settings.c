/*
 * settings - read the smtpd parameters into struct smtpd_config.
 *
 * Runs in pre_jail, before the chroot and the privilege drop, so that the
 * lookup tables (local_recipient_maps, virtual_*_maps, table-valued domain
 * lists) are open while their files are still reachable.  A parameter
 * that cannot be used is fatal: better no SMTP service than an open relay.
 *
 * Parameters: myhostname, smtpd_banner, cleanup_service_name,
 * smtpd_greet_pause, smtpd_timeout, smtpd_error_sleep_time,
 * smtpd_soft_error_limit, smtpd_hard_error_limit, smtpd_junk_command_limit,
 * smtpd_per_record_deadline, smtpd_min_data_rate, smtpd_recipient_limit,
 * message_size_limit, header_size_limit, line_length_limit, ipc_timeout,
 * unknown_local_recipient_reject_code, smtpd_helo_required,
 * strict_rfc821_envelopes, smtputf8_enable, disable_vrfy_command,
 * smtpd_peername_lookup, smtpd_reject_unlisted_recipient,
 * smtpd_forbid_bare_newline, smtpd_forbid_bare_newline_exclusions,
 * smtpd_discard_ehlo_keywords, mynetworks, local_recipient_maps,
 * virtual_mailbox_maps, those of the address resolver (lib/resolve.h:
 * mydestination, relay_domains, virtual_alias_*, ...), smtpd_sender_restrictions,
 * unknown_address_reject_code, queue_minfree; the TLS parameters through
 * smtpd_tls_setup (starttls.c).
 */
#include <string.h>
#include <strings.h>

#include "config_lists.h"
#include "domain_list.h"
#include "maps.h"
#include "mem.h"
#include "msg.h"
#include "netmatch.h"
#include "queue_space.h"
#include "resolve.h"
#include "smtpd.h"

/* bare_newline_mode - smtpd_forbid_bare_newline: yes|reject or normalize|no */
static enum smtpd_bare_newline
bare_newline_mode(struct config *cfg)
{
	const char *value = config_get(cfg, "smtpd_forbid_bare_newline");

	if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "reject") == 0)
		return (BARE_NEWLINE_REJECT);
	if (strcasecmp(value, "normalize") == 0 || strcasecmp(value, "no") == 0)
		return (BARE_NEWLINE_NORMALIZE);
	msg_warn("smtpd_forbid_bare_newline: unknown value \"%s\": using \"yes\"",
	    value);
	return (BARE_NEWLINE_REJECT);
}

/*
 * sender_restrictions - smtpd_sender_restrictions.  Only
 * reject_unknown_sender_domain exists so far; an unknown word is a
 * configuration error that answers every MAIL with 451 4.3.5 (as
 * Postfix does) rather than silently accepting what the administrator
 * meant to refuse.
 */
static void
sender_restrictions(struct smtpd_config *sc, struct config *cfg)
{
	struct strlist words;

	sc->unknown_address_code = config_get_int(cfg,
	    "unknown_address_reject_code");
	strlist_init(&words);
	config_get_list(cfg, "smtpd_sender_restrictions", &words);
	for (size_t i = 0; i < words.count; i++) {
		if (strcmp(words.items[i], "reject_unknown_sender_domain") == 0)
			sc->reject_unknown_sender_domain = true;
		else if (strcmp(words.items[i], "permit") != 0) {
			msg_warn("smtpd_sender_restrictions: unknown restriction "
			    "\"%s\": answering MAIL with 451 4.3.5",
			    words.items[i]);
			sc->sender_restrictions_broken = true;
		}
	}
	strlist_free(&words);
}

/* smtpd_config_load - read every parameter smtpd uses */
void
smtpd_config_load(struct smtpd_config *sc, struct config *cfg)
{
	struct strbuf path;

	memset(sc, 0, sizeof(*sc));
	sc->myhostname = xstrdup(config_get(cfg, "myhostname"));
	sc->banner = xstrdup(config_get(cfg, "smtpd_banner"));
	strbuf_init(&path);
	strbuf_printf(&path, "private/%s", config_get(cfg, "cleanup_service_name"));
	sc->cleanup_socket = strbuf_detach(&path);
	strbuf_free(&path);

	sc->greet_pause_ms = config_get_time_ms(cfg, "smtpd_greet_pause");
	sc->timeout = config_get_time(cfg, "smtpd_timeout");
	sc->error_sleep_ms = config_get_time_ms(cfg, "smtpd_error_sleep_time");
	sc->soft_error_limit = config_get_int(cfg, "smtpd_soft_error_limit");
	sc->hard_error_limit = config_get_int(cfg, "smtpd_hard_error_limit");
	sc->junk_command_limit = config_get_int(cfg, "smtpd_junk_command_limit");
	sc->per_record_deadline = config_get_bool(cfg, "smtpd_per_record_deadline");
	sc->min_data_rate = config_get_int(cfg, "smtpd_min_data_rate");
	sc->recipient_limit = config_get_int(cfg, "smtpd_recipient_limit");
	sc->message_size_limit = config_get_int(cfg, "message_size_limit");
	sc->header_size_limit = config_get_int(cfg, "header_size_limit");
	sc->line_length_limit = config_get_int(cfg, "line_length_limit");
	if (sc->line_length_limit < 512)	/* RFC 5321 4.5.3.1.4 minimum */
		sc->line_length_limit = 512;
	sc->ipc_timeout = config_get_time(cfg, "ipc_timeout");
	sc->unknown_local_code = config_get_int(cfg,
	    "unknown_local_recipient_reject_code");
	sc->helo_required = config_get_bool(cfg, "smtpd_helo_required");
	sc->strict_envelopes = config_get_bool(cfg, "strict_rfc821_envelopes");
	sc->smtputf8_enable = config_get_bool(cfg, "smtputf8_enable");
	sc->disable_vrfy = config_get_bool(cfg, "disable_vrfy_command");
	sc->peername_lookup = config_get_bool(cfg, "smtpd_peername_lookup");
	sc->reject_unlisted = config_get_bool(cfg, "smtpd_reject_unlisted_recipient");
	sc->bare_newline = bare_newline_mode(cfg);
	sender_restrictions(sc, cfg);

	strlist_init(&sc->discard_ehlo);
	config_get_list(cfg, "smtpd_discard_ehlo_keywords", &sc->discard_ehlo);

	sc->mynetworks = config_networks(cfg, "mynetworks");
	sc->bare_newline_exclusions = config_networks(cfg,
	    "smtpd_forbid_bare_newline_exclusions");
	strbuf_init(&path);
	if ((sc->resolver = resolve_open(cfg, &path)) == NULL)
		msg_fatal("%s", path.data);
	strbuf_free(&path);
	sc->local_recipient_maps = config_maps(cfg, "local_recipient_maps");
	sc->virtual_mailbox_maps = config_maps(cfg, "virtual_mailbox_maps");
	smtpd_tls_setup(sc, cfg);	/* the key may be readable by root only */
	/* cwd is the queue directory, chrooted ("/") or not */
	sc->queue_space = xmalloc(sizeof(*sc->queue_space));
	queue_space_init_config(sc->queue_space, cfg, ".");
}

/*
 * smtpd_config_tables_changed - a lookup table was rebuilt (sluice-map)
 * since this process opened it; chrooted, it cannot reopen it, so the
 * caller exits after the session and the master starts a fresh smtpd.
 */
bool
smtpd_config_tables_changed(struct smtpd_config *sc)
{
	return (map_list_changed(sc->local_recipient_maps) ||
	    map_list_changed(sc->virtual_mailbox_maps) ||
	    resolve_changed(sc->resolver) ||
	    netlist_changed(sc->mynetworks) ||
	    netlist_changed(sc->bare_newline_exclusions));
}
