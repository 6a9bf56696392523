/*
 * fuzz_access_action - the access(5) action parser (lib/mail/access.c)
 * on an answer as a table or a policy server could give it, then the
 * lookup order (access_find.c) with the same bytes as the key.
 *
 * Checks what the restriction engine relies on: every answer gets a
 * verb; a reply code is 4NN or 5NN and its enhanced code is well formed
 * and of the same class; hang-up only with 421/521; an argument that
 * goes into the queue file (FILTER, REDIRECT, BCC, PREPEND) has no
 * control character and stays within its bound; nothing is longer than
 * the input; a refusal says why.  Lookups must never fail (inline tables
 * cannot) and find nothing for keys the table cannot have.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "address.h"
#include "maps.h"
#include "strbuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_dsn(const struct access_action *act)
{
	const char *d = act->dsn;
	int	 dots = 0;

	if (d[0] != '4' && d[0] != '5')
		abort();
	for (const char *p = d + 1; *p != '\0'; p++) {
		if (*p == '.')
			dots++;
		else if (*p < '0' || *p > '9')
			abort();
	}
	if (dots != 2 || (act->code != 0 && d[0] != '0' + act->code / 100))
		abort();
}

static void
check_action(const struct access_action *act, size_t size)
{
	if (act->text.len > size || act->arg.len > size)
		abort();
	switch (act->verb) {
	case ACCESS_REJECT:
		if (act->code != 0 && (act->code < 400 || act->code > 599))
			abort();
		if (act->hangup != (act->code == 421 || act->code == 521))
			abort();
		check_dsn(act);
		break;
	case ACCESS_DEFER:
	case ACCESS_DEFER_IF_REJECT:
	case ACCESS_DEFER_IF_PERMIT:
		if (act->code != 0 || act->dsn[0] != '4')
			abort();
		check_dsn(act);
		break;
	case ACCESS_FILTER:
	case ACCESS_REDIRECT:
	case ACCESS_BCC:
	case ACCESS_PREPEND:
		if (act->arg.len == 0 || act->arg.len > ACCESS_HEADER_MAX)
			abort();
		for (size_t i = 0; i < act->arg.len; i++)
			if ((unsigned char)act->arg.data[i] < 0x20 ||
			    act->arg.data[i] == 0x7f)
				abort();
		if (act->verb != ACCESS_PREPEND &&
		    strchr(act->arg.data, act->verb == ACCESS_FILTER ? ':' : '@')
		    == NULL)
			abort();
		break;
	case ACCESS_RESTRICTIONS:
		if (act->arg.len == 0 || strchr(act->arg.data, ':') != NULL)
			abort();
		break;
	case ACCESS_IGNORED:
	case ACCESS_ERROR:
		if (act->why == NULL || act->why[0] == '\0')
			abort();
		break;
	case ACCESS_OK:
	case ACCESS_DUNNO:
	case ACCESS_HOLD:
	case ACCESS_DISCARD:
	case ACCESS_WARN:
	case ACCESS_INFO:
		break;
	default:
		abort();
	}
	if (act->verb != ACCESS_REJECT && act->hangup)
		abort();
}

/*
 * check_lookups - the input as an address, a name and an address: the
 * table's keys are all below, each answer naming its key
 */
static void
check_lookups(const uint8_t *data, size_t size)
{
	static struct map_list *maps;
	struct access_lookup al = { NULL, NULL, true };
	struct strbuf key, value, err;

	strbuf_init(&err);
	if (maps == NULL &&
	    (maps = map_list_open("inline:{user@example.com=full, "
	    "example.com=domain, user@=local, 192.0.2=net, 2001:db8=v6net}",
	    &err)) == NULL)
		abort();
	if (size > SMTP_ADDRESS_MAX || memchr(data, '\0', size) != NULL) {
		strbuf_free(&err);
		return;			/* smtpd never asks such keys */
	}
	strbuf_init(&key);
	strbuf_init(&value);
	strbuf_append(&key, data, size);
	al.maps = maps;
	for (int pdms = 0; pdms < 2; pdms++) {
		al.parent_matches_subdomains = pdms;
		if (access_find_address(&al, key.data, &value) == MAP_TEMPFAIL ||
		    access_find_domain(&al, key.data, &value) == MAP_TEMPFAIL ||
		    access_find_host_address(&al, key.data, &value) ==
		    MAP_TEMPFAIL ||
		    access_find_client(&al, key.data, key.data, &value) ==
		    MAP_TEMPFAIL)
			abort();
	}
	strbuf_free(&key);
	strbuf_free(&value);
	strbuf_free(&err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct access_action act;

	access_action_init(&act);
	(void)access_action_parse((const char *)data, size, &act);
	check_action(&act, size);
	/* parsing again from the same state gives the same verb */
	if (access_action_parse((const char *)data, size, &act) != act.verb)
		abort();
	access_action_free(&act);
	check_lookups(data, size);
	return (0);
}
