/*
 * settings - read the smtpd parameters into struct smtpd_config.
 *
 * Runs in pre_jail, before the chroot and the privilege drop, so that the
 * lookup tables (local_recipient_maps, virtual_mailbox_maps, those of the
 * address resolver) are open while their files are still reachable.  The
 * parameters are the rows of params.c, read in one config_table_read();
 * the resolver's (lib/mail/resolve.h: mydestination, relay_domains,
 * virtual_alias_*, canonical maps ...) come with resolve_open(), the TLS
 * ones with smtpd_tls_setup (starttls.c), the restriction lists with
 * restrict_load (restrict_load.c), queue_minfree with
 * queue_space_init_config.  A parameter that cannot be used leaves the
 * server answering 421 4.3.5 (and logging why): never an open relay, and
 * never a listener that accepts and says nothing.
 */
#include <string.h>
#include <strings.h>

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
bare_newline_mode(const char *value)
{
	if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "reject") == 0)
		return (BARE_NEWLINE_REJECT);
	if (strcasecmp(value, "normalize") == 0 || strcasecmp(value, "no") == 0)
		return (BARE_NEWLINE_NORMALIZE);
	msg_warn("smtpd_forbid_bare_newline: unknown value \"%s\": using \"yes\"",
	    value);
	return (BARE_NEWLINE_REJECT);
}

/*
 * smtpd_config_load - read every parameter smtpd uses (params.c).  A
 * value that cannot be used (sluice check would have said so) is logged
 * and leaves the server answering 421 4.3.5 to every client, which
 * retries later, instead of a listener that accepts and says nothing.
 */
void
smtpd_config_load(struct smtpd_config *sc, struct config *cfg)
{
	struct strbuf path, err;
	char *line, *save;

	memset(sc, 0, sizeof(*sc));
	strbuf_init(&err);
	if (config_table_read(cfg, smtpd_params, sc, &err) > 0) {
		for (line = strtok_r(err.data, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			msg_error("%s; answering every client with 421 4.3.5",
			    line);
		sc->broken = true;
	}
	strbuf_free(&err);
	strbuf_init(&path);
	strbuf_printf(&path, "private/%s", sc->cleanup_service ?
	    sc->cleanup_service : "cleanup");
	sc->cleanup_socket = strbuf_detach(&path);
	strbuf_free(&path);
	if (sc->line_length_limit < 512)	/* RFC 5321 4.5.3.1.4 minimum */
		sc->line_length_limit = 512;
	if (sc->session_limit < 1)
		sc->session_limit = 1;
	if (sc->anvil_service == NULL)		/* broken: no limits counted */
		sc->anvil_service = xstrdup("anvil");
	sc->bare_newline = bare_newline_mode(sc->bare_newline_word ?
	    sc->bare_newline_word : "yes");
	strbuf_init(&path);
	if ((sc->resolver = resolve_open(cfg, &path)) == NULL) {
		msg_error("%s; answering every client with 421 4.3.5", path.data);
		sc->broken = true;
	}
	strbuf_reset(&path);
	if (restrict_load(&sc->rules, cfg, sc, &path) != 0) {
		for (line = strtok_r(path.data, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			msg_error("%s; answering every client with 421 4.3.5",
			    line);
		sc->broken = true;
	}
	strbuf_free(&path);
	if (!sc->broken)
		smtpd_tls_setup(sc, cfg);	/* the key may be readable by root only */
	/* cwd is the queue directory, chrooted ("/") or not */
	sc->queue_space = xmalloc(sizeof(*sc->queue_space));
	strbuf_init(&err);
	if (queue_space_init_config(sc->queue_space, cfg, ".", &err) != 0) {
		for (line = strtok_r(err.data, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			msg_error("%s; answering every client with 421 4.3.5",
			    line);
		sc->broken = true;
	}
	strbuf_free(&err);
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
	    netlist_changed(sc->bare_newline_exclusions) ||
	    restrict_changed(&sc->rules));
}
