/*
 * config_trust - the ownership rule for alternate configuration
 * directories of setgid programs; see config_trust.h.
 */
#include <sys/stat.h>

#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_trust.h"
#include "strbuf.h"

/* owned_by_root_or_caller - stat path and check its owner */
static bool
owned_by_root_or_caller(const char *path)
{
	struct stat st;

	return (stat(path, &st) == 0 && (st.st_uid == 0 || st.st_uid == getuid()));
}

/* config_dir_trusted - see config_trust.h */
bool
config_dir_trusted(const char *dir, bool privileged)
{
	struct strbuf main_cf;
	bool	 ok;

	if (!privileged || strcmp(dir, SLUICE_CONFIG_DIR) == 0)
		return (true);
	strbuf_init(&main_cf);
	strbuf_printf(&main_cf, "%s/main.cf", dir);
	ok = owned_by_root_or_caller(dir) && owned_by_root_or_caller(main_cf.data);
	strbuf_free(&main_cf);
	return (ok);
}
