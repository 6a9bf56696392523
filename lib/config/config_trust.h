/*
 * config_trust - which configuration a setgid program may believe.
 *
 * sluice-drop and sluice-queue run setgid setgid_group for anybody.  A
 * caller could point them at a main.cf of its own (-c DIR, SLUICE_CONFIG)
 * naming another queue_directory; so, when running with privilege, an
 * alternate directory is accepted only if it and its main.cf belong to
 * root or to the caller (the real uid), as Postfix restricts postdrop to
 * alternate_config_directories.
 */
#ifndef SLUICE_CONFIG_TRUST_H
#define SLUICE_CONFIG_TRUST_H

#include <stdbool.h>

/*
 * config_dir_trusted - privileged: the process runs setgid (real gid !=
 * effective gid).  Unprivileged callers and the compiled-in directory are
 * always trusted.
 */
bool	config_dir_trusted(const char *dir, bool privileged);

#endif
