/*
 * domain_list - domain-valued parameters such as mydestination,
 * relay_domains and virtual_mailbox_domains.
 *
 * The text is a list (", \t\n" separated) of domain names and "type:name"
 * tables; a table matches when the domain is a key in it.  Names compare
 * case-insensitively; a trailing dot on the domain is ignored.  A name
 * written ".example.com" matches every subdomain of example.com (as
 * Postfix does with parent_domain_matches_subdomains off).
 */
#ifndef SLUICE_DOMAIN_LIST_H
#define SLUICE_DOMAIN_LIST_H

#include <stdbool.h>

#include "strbuf.h"

struct domain_list;

struct domain_list *domain_list_open(const char *text, struct strbuf *err);
/* domain_list_match - 1 match, 0 no match, -1 a table failed (tempfail) */
int	domain_list_match(struct domain_list *list, const char *domain);
void	domain_list_free(struct domain_list *list);
/* domain_list_changed - one of its tables was rebuilt (see map_changed) */
bool	domain_list_changed(struct domain_list *list);

#endif
