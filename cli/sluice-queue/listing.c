/*
 * listing - turn showq's reply into mailq or postqueue -j output.
 *
 * showq writes one attribute list per message and an empty list at the
 * end (showq/main.c).  A reply that breaks off before that end, or a list
 * without its fields, is an error: a half listing shown as complete
 * would mislead the administrator.  Addresses and reasons come from the
 * network: in the classic listing control characters are shown as '?'
 * (no terminal escapes); the JSON form escapes them (lib/util/json_write.h).
 * While the queue file system is too full for new mail, one line before
 * the messages says so (listing_print_space): in JSON an object with
 * "queue_status" and without "queue_id", so that a reader that looks
 * for messages can tell it apart; when there is room it is not printed
 * and the output is exactly postqueue -j's.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "address.h"
#include "attr.h"
#include "json_write.h"
#include "queue_space.h"
#include "sluice_queue.h"
#include "strbuf.h"

/* One message as showq described it; pointers into the attr list. */
struct listed_message {
	const char	*queue_name;
	const char	*queue_id;
	long		 arrival_time;
	long		 message_size;
	bool		 forced_expire;
	const struct attr *sender;
};

/* required - the first value of name, or a fatal malformed reply */
static const struct attr *
required(const struct attr_list *list, const char *name)
{
	const struct attr *a = attr_list_find(list, name);

	if (a == NULL)
		queue_fatal(EX_QUEUE_SOFTWARE,
		    "malformed showq server reply: no %s", name);
	return (a);
}

/* message_from_list - the fixed fields of one listed message */
static void
message_from_list(const struct attr_list *list, struct listed_message *m)
{
	long	 forced = 0;

	m->queue_name = required(list, "queue_name")->value;
	m->queue_id = required(list, "queue_id")->value;
	m->sender = required(list, "sender");
	if (attr_list_get_long(list, "arrival_time", &m->arrival_time) < 0 ||
	    attr_list_get_long(list, "message_size", &m->message_size) < 0)
		queue_fatal(EX_QUEUE_SOFTWARE,
		    "malformed showq server reply: bad time or size");
	if (attr_list_find(list, "forced_expire") != NULL &&
	    attr_list_get_long(list, "forced_expire", &forced) < 0)
		queue_fatal(EX_QUEUE_SOFTWARE,
		    "malformed showq server reply: bad forced_expire");
	m->forced_expire = forced != 0;
}

/* put_safe - len bytes with control characters and bad UTF-8 shown as '?' */
static void
put_safe(FILE *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t	 n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;

		if (c >= 0x80 && n > 1 && i + n <= len && utf8_valid(s + i, n)) {
			fwrite(s + i, 1, n, out);
			i += n - 1;
		} else
			fputc(c < 0x20 || c >= 0x7f ? '?' : c, out);
	}
}

/* print_classic - one message in the Sendmail mailq layout */
static void
print_classic(FILE *out, const struct attr_list *list,
    const struct listed_message *m)
{
	const char *last_reason = "";
	char	 when[32], id[64];
	time_t	 t = (time_t)m->arrival_time;
	struct tm tm;
	size_t	 i;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%a %b %e %H:%M:%S", &tm) == 0)
		snprintf(when, sizeof(when), "%s", "?");
	snprintf(id, sizeof(id), "%.*s%c", 40, m->queue_id,
	    strcmp(m->queue_name, "active") == 0 ? '*' :
	    strcmp(m->queue_name, "hold") == 0 ? '!' : ' ');
	fprintf(out, "%-11s %8ld %-20s ", id, m->message_size, when);
	if (m->sender->value_len == 0)
		fputs("MAILER-DAEMON", out);
	else
		put_safe(out, m->sender->value, m->sender->value_len);
	fputc('\n', out);
	for (i = 0; i < list->count; i++) {
		const struct attr *a = &list->items[i];
		const char *reason = "";

		if (strcmp(a->name, "recipient") != 0)
			continue;
		if (i + 1 < list->count &&
		    strcmp(list->items[i + 1].name, "delay_reason") == 0)
			reason = list->items[i + 1].value;
		if (*reason != 0 && strcmp(reason, last_reason) != 0) {
			fputc('(', out);
			put_safe(out, reason, strlen(reason));
			fputs(")\n", out);
		}
		last_reason = reason;
		fprintf(out, "%41s", "");
		put_safe(out, a->value, a->value_len);
		fputc('\n', out);
	}
	fputc('\n', out);
}

/* print_json - one message as a postqueue -j object on one line */
static void
print_json(FILE *out, const struct attr_list *list,
    const struct listed_message *m, struct strbuf *buf)
{
	bool	 first = true;
	size_t	 i;

	strbuf_reset(buf);
	strbuf_putc(buf, '{');
	json_write_member(buf, "queue_name");
	json_write_string(buf, m->queue_name, strlen(m->queue_name));
	strbuf_puts(buf, ", ");
	json_write_member(buf, "queue_id");
	json_write_string(buf, m->queue_id, strlen(m->queue_id));
	strbuf_puts(buf, ", ");
	json_write_member(buf, "arrival_time");
	json_write_long(buf, m->arrival_time);
	strbuf_puts(buf, ", ");
	json_write_member(buf, "message_size");
	json_write_long(buf, m->message_size);
	strbuf_puts(buf, ", ");
	json_write_member(buf, "forced_expire");
	json_write_bool(buf, m->forced_expire);
	strbuf_puts(buf, ", ");
	json_write_member(buf, "sender");
	json_write_string(buf, m->sender->value, m->sender->value_len);
	strbuf_puts(buf, ", ");
	json_write_member(buf, "recipients");
	strbuf_putc(buf, '[');
	for (i = 0; i < list->count; i++) {
		const struct attr *a = &list->items[i];

		if (strcmp(a->name, "recipient") != 0)
			continue;
		if (!first)
			strbuf_puts(buf, ", ");
		first = false;
		strbuf_putc(buf, '{');
		json_write_member(buf, "address");
		json_write_string(buf, a->value, a->value_len);
		if (i + 1 < list->count &&
		    strcmp(list->items[i + 1].name, "delay_reason") == 0 &&
		    list->items[i + 1].value_len > 0) {
			strbuf_puts(buf, ", ");
			json_write_member(buf, "delay_reason");
			json_write_string(buf, list->items[i + 1].value,
			    list->items[i + 1].value_len);
		}
		strbuf_putc(buf, '}');
	}
	strbuf_puts(buf, "]}\n");
	fwrite(buf->data, 1, buf->len, out);
}

/* json_size - a byte count as a JSON number (LONG_MAX when larger) */
static void
json_size(struct strbuf *buf, const char *name, unsigned long long value,
    bool comma)
{
	if (comma)
		strbuf_puts(buf, ", ");
	json_write_member(buf, name);
	json_write_long(buf, value > LONG_MAX ? LONG_MAX : (long)value);
}

/* listing_print_space - see sluice_queue.h */
void
listing_print_space(FILE *out, enum listing_format format,
    const struct queue_space_usage *u, long minfree, long size_limit)
{
	struct strbuf buf;
	static const char reason[] = "Insufficient system storage";

	strbuf_init(&buf);
	if (format == LISTING_JSON) {
		strbuf_putc(&buf, '{');
		json_write_member(&buf, "queue_status");
		json_write_string(&buf, "refusing mail", 13);
		strbuf_puts(&buf, ", ");
		json_write_member(&buf, "reason");
		json_write_string(&buf, reason, sizeof(reason) - 1);
		json_size(&buf, "free_bytes", queue_space_bytes_free(u), true);
		json_size(&buf, "needed_bytes",
		    queue_space_bytes_needed(minfree, size_limit), true);
		json_size(&buf, "queue_minfree", (unsigned long long)minfree, true);
		json_size(&buf, "message_size_limit",
		    (unsigned long long)size_limit, true);
		strbuf_puts(&buf, "}\n");
	} else {
		strbuf_printf(&buf, "-- Mail is refused: %s in the queue file "
		    "system: ", reason);
		queue_space_describe(&buf, u, minfree, size_limit);
		strbuf_putc(&buf, '\n');
	}
	fwrite(buf.data, 1, buf.len, out);
	strbuf_free(&buf);
}

/* listing_print - the whole listing in one format */
void
listing_print(struct stream *s, FILE *out, enum listing_format format)
{
	struct listed_message m;
	struct attr_list list;
	struct strbuf buf;
	long	 messages = 0, bytes = 0;
	int	 status;

	attr_list_init(&list);
	strbuf_init(&buf);
	for (;;) {
		status = attr_read(s, &list, ATTR_TOTAL_DEFAULT);
		if (status != STREAM_OK)
			queue_fatal(EX_QUEUE_SOFTWARE,
			    "malformed showq server reply: %s",
			    status == STREAM_EOF ? "listing cut short" :
			    stream_status_text(status));
		if (list.count == 0)
			break;
		message_from_list(&list, &m);
		if (format == LISTING_JSON) {
			print_json(out, &list, &m, &buf);
		} else {
			if (messages == 0)
				fprintf(out, "%-11s %8s %-20s %s\n", "-Queue ID-",
				    "--Size--", "----Arrival Time----",
				    "-Sender/Recipient-------");
			print_classic(out, &list, &m);
		}
		messages++;
		if (m.message_size > 0)
			bytes += m.message_size;
	}
	if (format == LISTING_CLASSIC) {
		if (messages == 0)
			fprintf(out, "Mail queue is empty\n");
		else
			fprintf(out, "-- %ld Kbytes in %ld Request%s.\n",
			    (bytes + 1023) / 1024, messages,
			    messages == 1 ? "" : "s");
	}
	strbuf_free(&buf);
	attr_list_free(&list);
}
