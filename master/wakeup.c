/*
 * wakeup.c - the master.cf wakeup column.
 *
 * A unix service with wakeup > 0 is poked every wakeup seconds: the master
 * connects to its socket and writes one "W" (a trigger), which also makes
 * the listener readable so a child is started if none runs.  connect()
 * follows symbolic links and the socket lives in mail_owner's directory,
 * so the master connects as mail_owner (lib/util/eugid.h): a link planted
 * there cannot make root poke a socket somewhere else.
 */
#include <errno.h>
#include <string.h>

#include "eugid.h"
#include "master.h"
#include "msg.h"
#include "trigger.h"

/* master_wakeup_one - one trigger; failures are only logged */
static void
master_wakeup_one(struct master_state *ms, struct master_service *svc)
{
	static const char wakeup = TRIGGER_WAKEUP;
	struct eugid_saved saved;

	if (eugid_enter(ms->owner_uid, ms->owner_gid, &saved) < 0) {
		msg_warn("wakeup %s: cannot become mail_owner: %s",
		    svc->addresses.items[0], strerror(errno));
		return;
	}
	if (trigger_send(svc->addresses.items[0], &wakeup, 1) < 0)
		msg_warn("wakeup %s: %s", svc->addresses.items[0],
		    strerror(errno));
	eugid_leave(&saved);
}

/* master_wakeup_run - poke every service that is due; schedule the next */
void
master_wakeup_run(struct master_state *ms, long long now)
{
	struct master_service *svc;

	for (svc = ms->services; svc != NULL; svc = svc->next) {
		if (svc->wakeup <= 0 || strcmp(svc->type, "unix") != 0 ||
		    svc->listen_count == 0)
			continue;
		/*
		 * The first wakeup is at once (as Postfix's master does), so
		 * that qmgr and pickup look at the queue right after a start or
		 * a reload instead of one wakeup interval later.
		 */
		if (svc->next_wakeup != 0 && now < svc->next_wakeup)
			continue;
		if (!svc->throttled)
			master_wakeup_one(ms, svc);
		svc->next_wakeup = now + svc->wakeup * 1000LL;
	}
}
