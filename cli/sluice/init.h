/*
 * init.h - what `sluice init` decided about a new instance.
 */
#ifndef SLUICE_CLI_INIT_H
#define SLUICE_CLI_INIT_H

#include <stdbool.h>
#include <sys/types.h>

#include "strbuf.h"

/* The demo's virtual mailbox domain and its mailboxes (init_vmailbox). */
#define INIT_VIRTUAL_DOMAIN	"example.test"

struct init_layout {
	const char	*dir;		/* absolute instance directory */
	const char	*daemon_dir;	/* where master, smtpd... live */
	const char	*owner;		/* mail_owner */
	const char	*group;		/* setgid_group */
	const char	*hostname;
	const char	*port;
	bool		 privileged;
	uid_t		 owner_uid;
	gid_t		 owner_gid;
	gid_t		 drop_gid;
};

void	init_main_cf(struct strbuf *out, const struct init_layout *lay);
void	init_master_cf(struct strbuf *out, const struct init_layout *lay);
void	init_aliases(struct strbuf *out);
void	init_vmailbox(struct strbuf *out);

#endif
