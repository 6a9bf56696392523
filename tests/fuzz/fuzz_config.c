/*
 * fuzz_config - main.cf and master.cf parsers on hostile text.
 *
 * The input is parsed as main.cf; when every value checks out, every
 * parameter is expanded and read through its typed getter (which must then
 * never die).  The same bytes are also parsed as master.cf through a memfd.
 * Nothing may crash, leak or call msg_fatal().
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "mem.h"
#include "msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* touch_user_param - expand one user-set parameter */
static void
touch_user_param(const char *name, const char *raw, void *ctx)
{
	struct config *cfg = ctx;

	(void)raw;
	(void)config_get(cfg, name);
}

/* read_every_param - all getters, on a config that passed the checks */
static void
read_every_param(struct config *cfg)
{
	const struct param_def *def;
	struct strlist list;

	for (def = config_param_table; def->name != NULL; def++) {
		switch (def->type) {
		case PARAM_STR:
			(void)config_get(cfg, def->name);
			break;
		case PARAM_INT:
			(void)config_get_int(cfg, def->name);
			break;
		case PARAM_TIME:
			(void)config_get_time(cfg, def->name);
			(void)config_get_time_ms(cfg, def->name);
			break;
		case PARAM_BOOL:
			(void)config_get_bool(cfg, def->name);
			break;
		}
	}
	config_each_set(cfg, touch_user_param, cfg);
	strlist_init(&list);
	config_get_list(cfg, "mydestination", &list);
	strlist_free(&list);
}

/* fuzz_master_cf - the same bytes as a master.cf file */
static void
fuzz_master_cf(const uint8_t *data, size_t size)
{
	struct master_entry *entries;
	struct strbuf err;
	char path[64];
	size_t count;
	int fd;

	if ((fd = memfd_create("fuzz_master_cf", MFD_CLOEXEC)) < 0)
		return;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		strbuf_init(&err);
		if (master_cf_load(path, 100, &entries, &count, &err) == 0)
			master_cf_free(entries, count);
		strbuf_free(&err);
	}
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int opened;
	struct config *cfg;
	struct strbuf err;
	char *text;

	if (!opened) {
		msg_open("fuzz_config", "/dev/null");
		opened = 1;
	}
	text = xmemdup(data, size);
	cfg = config_new("/etc/fuzz");
	strbuf_init(&err);
	if (config_parse_text(cfg, text, "fuzz.cf", &err) == 0 &&
	    config_check_values(cfg, &err) == 0) {
		read_every_param(cfg);
		config_set(cfg, "myhostname", "fuzz.example");
		if (config_check_values(cfg, &err) == 0)
			read_every_param(cfg);
	}
	strbuf_free(&err);
	config_free(cfg);
	free(text);
	fuzz_master_cf(data, size);
	return (0);
}
