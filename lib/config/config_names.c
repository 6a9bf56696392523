/*
 * config_names - unknown and not-yet-supported main.cf names
 * (config_names.h).
 *
 * The table below is the one list of Postfix parameters (postconf(5))
 * that change what is accepted, rejected, signed, rewritten into a copy
 * or handed to another program, and that Sluice does not implement yet.
 * Each row gives the values under which Postfix would behave as Sluice
 * does (its default, or an equivalent an admin commonly writes); values
 * are compared as word lists, case-insensitively, after expansion.  A
 * name ending in '*' covers every parameter starting with it (a value
 * other than the empty one is then refused).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_names.h"
#include "mem.h"
#include "strlist.h"

#define NAME_SEPS	", \t\r\n"

static const struct {
	const char	*name;
	const char	*harmless[4];	/* word lists; NULL-terminated */
} unsupported[] = {
	/* access control: the restriction lists and what they feed on */
	{ "smtpd_etrn_restrictions", { "", NULL } },
	{ "smtpd_sender_login_maps", { "", NULL } },
	{ "smtpd_client_message_rate_limit", { "0", NULL } },
	{ "smtpd_client_recipient_rate_limit", { "0", NULL } },
	{ "smtpd_client_new_tls_session_rate_limit", { "0", NULL } },
	{ "smtpd_client_auth_rate_limit", { "0", NULL } },
	{ "permit_mx_backup_networks", { "", NULL } },
	{ "smtpd_tls_req_ccert", { "no", NULL } },
	{ "smtpd_tls_ask_ccert", { "no", NULL } },
	{ "smtpd_enforce_tls", { "no", NULL } },
	{ "smtpd_use_tls", { "no", NULL } },
	{ "smtpd_tls_auth_only", { "no", NULL } },
	/* SASL authentication */
	{ "smtpd_sasl_auth_enable", { "no", NULL } },
	{ "smtpd_sasl_*", { "", NULL } },
	{ "broken_sasl_auth_clients", { "no", NULL } },
	/* content inspection */
	{ "milter_header_checks", { "", NULL } },
	{ "smtp_header_checks", { "", NULL } },
	{ "smtp_mime_header_checks", { "", NULL } },
	{ "smtp_nested_header_checks", { "", NULL } },
	{ "smtp_body_checks", { "", NULL } },
	{ "smtpd_milters", { "", NULL } },
	{ "non_smtpd_milters", { "", NULL } },
	{ "smtpd_proxy_filter", { "", NULL } },
	/* copies and redirections */
	{ "always_bcc", { "", NULL } },
	{ "sender_bcc_maps", { "", NULL } },
	{ "recipient_bcc_maps", { "", NULL } },
	{ "luser_relay", { "", NULL } },
	/* the client side: TLS it would be trusted to enforce */
	{ "smtp_enforce_tls", { "no", NULL } },
	{ "smtp_tls_enforce_peername", { "yes", NULL } },
};

/* normalize - the words of value, lower case, joined by single spaces */
static char *
normalize(const char *value)
{
	struct strlist words;
	struct strbuf out;

	strlist_init(&words);
	strbuf_init(&out);
	strlist_split(&words, value, NAME_SEPS);
	for (size_t i = 0; i < words.count; i++) {
		if (i > 0)
			strbuf_putc(&out, ' ');
		for (const char *p = words.items[i]; *p != '\0'; p++)
			strbuf_putc(&out, (*p >= 'A' && *p <= 'Z') ?
			    (char)(*p - 'A' + 'a') : *p);
	}
	strlist_free(&words);
	return (strbuf_detach(&out));
}

/* unsupported_row - the row of name, or -1 */
static int
unsupported_row(const char *name)
{
	size_t len;

	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]);
	    i++) {
		len = strlen(unsupported[i].name);
		if (unsupported[i].name[len - 1] == '*' ?
		    strncmp(name, unsupported[i].name, len - 1) == 0 :
		    strcmp(name, unsupported[i].name) == 0)
			return ((int)i);
	}
	return (-1);
}

/* config_name_unsupported - see config_names.h */
bool
config_name_unsupported(const char *name)
{
	return (config_param_find(name) == NULL && unsupported_row(name) >= 0);
}

/* is_harmless - does value leave Postfix doing what Sluice does? */
static bool
is_harmless(int row, const char *value)
{
	char *words = normalize(value);
	bool ok = false;

	for (size_t i = 0; !ok && unsupported[row].harmless[i] != NULL; i++)
		ok = strcmp(words, unsupported[row].harmless[i]) == 0;
	free(words);
	return (ok);
}

struct names_walk {
	struct config	*cfg;
	struct strbuf	*warnings;
	struct strbuf	*errors;
	int		 count;
	struct strlist	 classes;	/* smtpd_restriction_classes: used names */
};

/* names_line - start a new line of buf with the origin of name */
static void
names_line(struct strbuf *buf, const struct config *cfg, const char *name)
{
	const char *origin = config_origin(cfg, name);

	if (buf->len > 0)
		strbuf_putc(buf, '\n');
	if (origin != NULL)
		strbuf_printf(buf, "%s: ", origin);
}

/*
 * per_transport - TRANSPORT_destination_{concurrency,recipient}_limit:
 * qmgr reads one for every master.cf service (CONF_PER_TRANSPORT rows),
 * so the name is known whatever the transport is called
 */
static bool
per_transport(const char *name)
{
	static const char *const suffixes[] = {
		"_destination_concurrency_limit",
		"_destination_recipient_limit",
	};
	size_t	 len = strlen(name), slen;

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		slen = strlen(suffixes[i]);
		if (len > slen && strcmp(name + len - slen, suffixes[i]) == 0)
			return (true);
	}
	return (false);
}

/* names_one - judge one user-set name */
static void
names_one(const char *name, const char *raw, void *ctx)
{
	struct names_walk *w = ctx;
	struct strbuf why;
	const char *value;
	int row;

	(void)raw;
	if (config_param_find(name) != NULL || per_transport(name))
		return;
	for (size_t i = 0; i < w->classes.count; i++)
		if (strcmp(w->classes.items[i], name) == 0)
			return;		/* a restriction class: smtpd reads it */
	if ((row = unsupported_row(name)) < 0) {
		names_line(w->warnings, w->cfg, name);
		strbuf_printf(w->warnings, "unknown parameter %s (kept for $%s "
		    "expansion, otherwise ignored)", name, name);
		return;
	}
	strbuf_init(&why);
	value = config_value(w->cfg, name, &why);
	if (value == NULL || !is_harmless(row, value)) {
		names_line(w->errors, w->cfg, name);
		strbuf_printf(w->errors, "parameter %s: not supported yet: "
		    "Sluice would ignore it and do what it does without it; "
		    "remove it or set it to \"%s\"", name,
		    unsupported[row].harmless[0]);
		w->count++;
	}
	strbuf_free(&why);
}

/* config_names_check - see config_names.h */
int
config_names_check(struct config *cfg, struct strbuf *warnings,
    struct strbuf *errors)
{
	struct names_walk w = { cfg, warnings, errors, 0, { NULL, 0, 0 } };
	struct strbuf why;
	const char *classes;

	strbuf_init(&why);
	strlist_init(&w.classes);
	if ((classes = config_value(cfg, "smtpd_restriction_classes", &why))
	    != NULL)
		strlist_split(&w.classes, classes, NAME_SEPS);
	strbuf_free(&why);
	config_each_set(cfg, names_one, &w);
	strlist_free(&w.classes);
	return (w.count);
}
