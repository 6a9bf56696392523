/*
 * fuzz_pickup_envelope - what pickup makes of an arbitrary maildrop file.
 *
 * A maildrop file is written by any local user, so it is hostile input:
 * whatever queue_file_read() accepts goes through pickup_envelope(), and
 * the envelope that would go to cleanup must hold nothing but what
 * pickup decides (no client attributes a user could forge), the local
 * flags, the file's sender (or the owner's login name, or null), and
 * each recipient not yet done as the file has it, in order (cleanup
 * qualifies them: the address resolver is the one place for that).
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup_client.h"
#include "pickup.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const allowed[] = {
	"request", "sender", "flags", "protocol", "log_ident", "envid", "ret",
	"rcpt", "rcpt_orcpt", "rcpt_notify", NULL,
};

/* is_allowed - a name pickup may send */
static int
is_allowed(const char *name)
{
	for (const char *const *a = allowed; *a != NULL; a++)
		if (strcmp(*a, name) == 0)
			return (1);
	return (0);
}

/* check_envelope - the invariants above; abort() on a breach */
static void
check_envelope(const struct queue_message *msg, const struct attr_list *env,
    const char *sender)
{
	size_t	 next = 0;
	const char *v;

	if (env->count == 0 || strcmp(env->items[0].name, "request") != 0)
		abort();
	for (size_t i = 0; i < env->count; i++) {
		if (!is_allowed(env->items[i].name))
			abort();
		if (strcmp(env->items[i].name, "rcpt") != 0)
			continue;
		while (next < msg->recipient_count && msg->recipients[next].done)
			next++;
		if (next == msg->recipient_count ||
		    strcmp(env->items[i].value, msg->recipients[next].address))
			abort();
		next++;
	}
	while (next < msg->recipient_count && msg->recipients[next].done)
		next++;
	if (next != msg->recipient_count)
		abort();
	if ((v = attr_list_get(env, "protocol")) == NULL ||
	    strcmp(v, "LOCAL") != 0)
		abort();
	if ((v = attr_list_get(env, "sender")) == NULL || strcmp(v, sender) != 0)
		abort();
	if (*msg->sender != '\0' && strcmp(sender, msg->sender) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct queue_message msg;
	struct attr_list env;
	struct strbuf err, sender;
	int	 fd;

	if ((fd = memfd_create("fuzz_pickup", MFD_CLOEXEC)) < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	(void)fchmod(fd, 0644);
	strbuf_init(&err);
	if (queue_file_read(fd, &msg, &err) == 0) {
		strbuf_init(&sender);
		attr_list_init(&env);
		/* uid 0 resolves everywhere: the owner's name is "root" */
		pickup_envelope(&msg, 0, "FUZZFILE", CLEANUP_FLAG_FILTER, &env,
		    &sender);
		check_envelope(&msg, &env, sender.data);
		attr_list_free(&env);
		strbuf_free(&sender);
		queue_message_free(&msg);
	}
	strbuf_free(&err);
	close(fd);
	return (0);
}
