/*
 * reload.c - SIGHUP: new configuration without dropping sessions.
 *
 * main.cf and master.cf are read again into a new generation of services.
 * A new service bound to exactly the same addresses as an old one takes
 * over its listening sockets, so clients keep connecting through the
 * reload.  Every old service is retired: its status pipe closes, which
 * tells idle children to exit and busy ones to exit after their session;
 * its remaining listeners (services that were removed or moved) close.
 * A configuration the one check (lib/config/config_programs.h) finds a problem
 * in, in main.cf or master.cf, is refused as a whole: the old one stays
 * in force, and each problem is logged.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "config_log.h"
#include "master.h"
#include "msg.h"

/* master_take_listeners - move old's sockets to new if they match */
static bool
master_take_listeners(struct master_service *old_list,
    struct master_service *svc)
{
	struct master_service *old;

	for (old = old_list; old != NULL; old = old->next) {
		if (old->listen_count == 0 ||
		    !master_service_same_listeners(old, svc))
			continue;
		svc->listen_fds = old->listen_fds;
		svc->listen_count = old->listen_count;
		old->listen_fds = NULL;
		old->listen_count = 0;
		return (true);
	}
	return (false);
}

/* master_retire - close an old service down, keep it while children live */
static void
master_retire(struct master_state *ms, struct master_service *svc)
{
	master_status_close(svc);
	master_listen_close(ms, svc, true);
	svc->retired = true;
	svc->next = ms->retired;
	ms->retired = svc;
}

/* master_reload - the SIGHUP handler, run from the event loop */
void
master_reload(struct master_state *ms)
{
	struct master_service *fresh, *old, *svc, *next, **pp;
	struct strbuf err, notes;
	char	*line, *save;

	strbuf_init(&err);
	strbuf_init(&notes);
	if (master_main_load(ms, true, &err, &notes) < 0) {
		for (line = strtok_r(err.data, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			msg_error("reload refused: %s", line);
		msg_error("reload refused; keeping the old configuration");
		strbuf_free(&notes);
		strbuf_free(&err);
		return;
	}
	config_log_open("master", ms->cfg);
	/* the daemons started from now on read the accepted text */
	if (master_snapshot_write(ms, &err) < 0)
		msg_error("reload: %s: new daemons read the old main.cf",
		    err.data);
	master_log_notes(&notes);	/* once per reload, in the maillog */
	strbuf_free(&notes);
	if ((fresh = master_services_build(ms, &err)) == NULL) {
		msg_error("reload: %s; keeping the old services", err.data);
		strbuf_free(&err);
		return;
	}
	old = ms->services;
	for (svc = fresh; svc != NULL; svc = svc->next)
		(void)master_take_listeners(old, svc);
	/* Free addresses before binding anything new. */
	for (svc = old; svc != NULL; svc = next) {
		next = svc->next;
		master_retire(ms, svc);
	}
	ms->services = NULL;
	for (pp = &fresh; (svc = *pp) != NULL;) {
		strbuf_reset(&err);
		if ((svc->listen_count == 0 &&
		    master_listen_open(ms, svc, &err) < 0) ||
		    master_status_open(svc) < 0) {
			msg_error("reload: service %s/%s disabled: %s", svc->name,
			    svc->type, err.len ? err.data : strerror(errno));
			*pp = svc->next;
			master_listen_close(ms, svc, false);
			master_status_close(svc);
			master_service_free(svc);
			continue;
		}
		pp = &svc->next;
	}
	ms->services = fresh;
	master_retired_sweep(ms);
	strbuf_free(&err);
	msg_info("reload -- version %s, configuration %s", MASTER_VERSION,
	    ms->config_dir);
}
