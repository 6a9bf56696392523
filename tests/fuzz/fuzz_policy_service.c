/*
 * fuzz_policy_service - check_policy_service's argument from main.cf
 * (lib/service/policy_service.c) on hostile text: parse and check must
 * agree, a refusal must say why, and an accepted argument must name a
 * server the client takes and carry settings within the parameters'
 * bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy_service.h"
#include "strbuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_service_spec spec;
	struct strbuf err, err2;
	char	*arg;
	int	 rc;

	if (memchr(data, 0, size) != NULL)
		return (0);		/* main.cf text has no NUL */
	arg = strndup((const char *)data, size);
	if (arg == NULL)
		abort();
	strbuf_init(&err);
	strbuf_init(&err2);
	rc = policy_service_parse(arg, NULL, &spec, &err);
	if ((policy_service_check(arg, &err2) == 0) != (rc == 0))
		abort();
	if (rc != 0 && err.len == 0)
		abort();
	if (rc == 0) {
		if (spec.endpoint == NULL ||
		    policy_endpoint_check(spec.endpoint, &err2) != 0)
			abort();
		if (spec.set.timeout_ms < 1000 || spec.set.try_limit < 1 ||
		    spec.set.try_limit > 100 || spec.set.request_limit < 0 ||
		    spec.set.retry_delay_ms < 0 ||
		    spec.set.retry_delay_ms > 600000)
			abort();
	}
	policy_service_spec_free(&spec);
	strbuf_free(&err);
	strbuf_free(&err2);
	free(arg);
	return (0);
}
