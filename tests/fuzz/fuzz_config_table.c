/*
 * fuzz_config_table - the configuration check on hostile main.cf text.
 *
 * The input is parsed as main.cf (syntax errors end the run), then
 * judged the way sluice check, sluice reload and the master judge it:
 * unknown and not-yet-supported names (config_names_check), and every
 * kind of parameter-table row that reads no file (numbers, times,
 * booleans, enumerated words, lists, networks, host:port destinations)
 * through config_table_check and config_table_read.  Invariants: the
 * check and the read agree on how many rows are unusable, every problem
 * is one line naming its parameter, and a row read is released without
 * a leak.  Rows that open tables or files are left out: the input could
 * name any file on the machine.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config_names.h"
#include "config_table.h"
#include "mem.h"
#include "msg.h"
#include "netmatch.h"
#include "strlist.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_settings {
	char		*banner;
	char		*level;
	char		*relayhost;
	char		*dns;
	long		 size_limit;
	long		 timeout;
	long		 pause_ms;
	bool		 helo_required;
	struct strlist	 classes;
	struct strlist	 protocols;
	struct netlist	*mynetworks;
};

#define ROW(name, kind, field) \
	CONFIG_ROW(name, kind, struct fuzz_settings, field)

static const struct config_table table[] = {
	ROW("smtpd_banner", CONF_STR, banner),
	ROW("smtpd_tls_security_level", CONF_STR, level),
	ROW("relayhost", CONF_HOSTPORT, relayhost),
	ROW("dns_resolver_address", CONF_HOSTPORT, dns),
	ROW("message_size_limit", CONF_INT, size_limit),
	ROW("smtpd_timeout", CONF_TIME, timeout),
	ROW("smtpd_greet_pause", CONF_TIME_MS, pause_ms),
	ROW("smtpd_helo_required", CONF_BOOL, helo_required),
	ROW("notify_classes", CONF_LIST, classes),
	ROW("inet_protocols", CONF_LIST, protocols),
	ROW("mynetworks", CONF_NETWORKS, mynetworks),
	CONFIG_TABLE_END,
};

/* lines - the number of lines of a problem list */
static int
lines(const struct strbuf *sb)
{
	int n = sb->len > 0;

	for (size_t i = 0; i < sb->len; i++)
		n += sb->data[i] == '\n';
	return (n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int opened;
	struct fuzz_settings st;
	struct strbuf err, warnings, read_err;
	struct config *cfg;
	char *text;
	int checked, read;

	if (!opened) {
		msg_open("fuzz_config_table", "/dev/null");
		opened = 1;
	}
	text = xmemdup(data, size);
	cfg = config_new("/etc/fuzz");
	strbuf_init(&err);
	strbuf_init(&warnings);
	strbuf_init(&read_err);
	if (memchr(data, '\0', size) == NULL &&
	    config_parse_text(cfg, text, "fuzz.cf", &err) == 0) {
		strbuf_reset(&err);
		(void)config_names_check(cfg, &warnings, &err);
		strbuf_reset(&err);
		checked = config_table_check(cfg, table, "fuzz", NULL, NULL, NULL,
		    &err, &warnings);
		if (lines(&err) != checked)
			abort();
		memset(&st, 0, sizeof(st));
		read = config_table_read(cfg, table, &st, &read_err);
		if (read != checked || lines(&read_err) != read)
			abort();
		if (read == 0 && (st.banner == NULL || st.mynetworks == NULL))
			abort();
		config_table_release(table, &st);
	}
	strbuf_free(&read_err);
	strbuf_free(&warnings);
	strbuf_free(&err);
	config_free(cfg);
	free(text);
	return (0);
}
