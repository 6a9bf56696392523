/*
 * template - "$name" expansion of reply templates with values of the
 * moment (a session's client, sender, a DNSBL's domain and reason).
 *
 * The syntax is Postfix's for default_rbl_reply, rbl_reply_maps results
 * and smtpd_reject_footer: $name, ${name}, $(name), ${name?text},
 * ${name:text}, the braced forms ${name?{text}}, ${name:{text}} and
 * ${name?{text1}:{text2}}, and $$ for a dollar.  "?" takes text when the
 * value is non-empty, ":" when it is empty; text is itself expanded.
 * Exactly one level: a value is inserted as it is, never expanded again.
 * Values come from outside (a TXT record, a HELO name), so every byte of a
 * value outside printable ASCII becomes "_" (a reply line must not carry
 * control characters), and the output is bounded.
 */
#ifndef SLUICE_TEMPLATE_H
#define SLUICE_TEMPLATE_H

#include "strbuf.h"

#define TEMPLATE_MAX		4096	/* template text, and expanded output */
#define TEMPLATE_DEPTH_MAX	8	/* nested ${name?...} */

/*
 * template_lookup_fn - the value of name, or NULL when the name is not
 * known (an error in the template, not an empty value)
 */
typedef const char *(*template_lookup_fn)(const char *name, void *ctx);

/*
 * template_expand - append the expansion of text to out.  0, or -1 with
 * err saying what is wrong (syntax, unknown name, too long, too deep); out
 * is then incomplete.
 */
int	template_expand(const char *text, template_lookup_fn lookup, void *ctx,
	    struct strbuf *out, struct strbuf *err);

#endif
