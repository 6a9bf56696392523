/*
 * sendmail - the Sluice sendmail(1), also known as mailq and newaliases.
 *
 * A drop-in for the programs that call /usr/sbin/sendmail.  It runs as
 * the caller and has no privilege: a message is streamed to sluice-drop
 * (drop.c), which writes it to maildrop/ whether or not the mail system
 * is up.  Modes: -bm (default: the message on stdin, message.c), -bs
 * (SMTP on stdin/stdout: smtpd -S takes over), -bv (check addresses, no
 * mail), -bp (= mailq = sluice-queue -p), -bi (= newaliases = sluice-map
 * -N), -q
 * (= sluice-queue -f).  Classic options with no meaning here (-oXXX, -n,
 * -U, -L, -h, -B...) are accepted; -oXXX with a warning.
 *
 * Parameters read: daemon_directory, myorigin, myhostname,
 * message_size_limit, header_size_limit, queue_directory, queue_minfree;
 * with -bv, the address resolver's (verify.c).
 */
#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config_programs.h"
#include "mem.h"
#include "msg.h"
#include "queue_file.h"
#include "sendmail.h"

enum sm_mode { MODE_DELIVER, MODE_SMTP, MODE_LIST, MODE_ALIASES,
	MODE_VERIFY, MODE_FLUSH };

/* usage - the synopsis, then fail */
static void
usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "sendmail: %s\n", why);
	fprintf(stderr, "usage: sendmail [-t] [-i] [-f sender] [-F name] "
	    "[-N dsn] [-R full|hdrs] [-V envid]\n"
	    "                [-C|-c config_dir] [-v] [-bm|-bs|-bv|-bp|-bi] "
	    "[-q] [--] [recipient...]\n");
	exit(EX_USAGE);
}

/* parse_notify - -N never | success,failure,delay */
static int
parse_notify(const char *text)
{
	struct strlist words;
	int bits = 0;

	strlist_init(&words);
	strlist_split(&words, text, ", \t");
	for (size_t i = 0; i < words.count; i++) {
		const char *w = words.items[i];

		if (strcasecmp(w, "never") == 0 && words.count == 1)
			bits = DSN_NOTIFY_NEVER;
		else if (strcasecmp(w, "success") == 0)
			bits |= DSN_NOTIFY_SUCCESS;
		else if (strcasecmp(w, "failure") == 0)
			bits |= DSN_NOTIFY_FAILURE;
		else if (strcasecmp(w, "delay") == 0)
			bits |= DSN_NOTIFY_DELAY;
		else
			usage("-N: expected never, or one or more of "
			    "success,failure,delay");
	}
	if (words.count == 0)
		usage("-N: empty argument");
	strlist_free(&words);
	return (bits);
}

/* parse_sender - -f/-r: "<>" or "" is the null sender; <a@b> is a@b */
static char *
parse_sender(const char *text)
{
	size_t len = strlen(text);

	if (len >= 2 && text[0] == '<' && text[len - 1] == '>')
		return (xstrndup(text + 1, len - 2));
	return (xstrdup(text));
}

/* parse_envid - -V: printable ASCII, at most SM_ENVID_MAX */
static char *
parse_envid(const char *text)
{
	size_t len = strlen(text);

	if (len == 0 || len > SM_ENVID_MAX)
		usage("-V: the envelope ID must be 1 to 100 characters");
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)text[i] < 0x21 || (unsigned char)text[i] > 0x7e)
			usage("-V: the envelope ID must be printable ASCII");
	return (xstrdup(text));
}

/* config_from_c - -C may name main.cf instead of its directory */
static char *
config_from_c(const char *arg)
{
	struct stat st;
	const char *slash;

	if (stat(arg, &st) == 0 && S_ISREG(st.st_mode) &&
	    (slash = strrchr(arg, '/')) != NULL)
		return (xstrndup(arg, slash == arg ? 1 : (size_t)(slash - arg)));
	return (xstrdup(arg));
}

/* option_arg - the argument of option letter at argv[*i][*j] */
static const char *
option_arg(int argc, char **argv, int *i, size_t *j)
{
	const char *rest = argv[*i] + *j + 1;

	if (*rest == 0 && *i + 1 >= argc) {
		fprintf(stderr, "sendmail: option -%c needs an argument\n",
		    argv[*i][*j]);
		usage(NULL);
	}
	if (*rest == 0)
		rest = argv[++*i];
	*j = strlen(argv[*i]) - 1;	/* the word is used up */
	return (rest);
}

/* parse_b - -bX: the mode */
static enum sm_mode
parse_b(const char *mode)
{
	if (strcmp(mode, "m") == 0)
		return (MODE_DELIVER);
	if (strcmp(mode, "s") == 0)
		return (MODE_SMTP);
	if (strcmp(mode, "p") == 0)
		return (MODE_LIST);
	if (strcmp(mode, "i") == 0)
		return (MODE_ALIASES);
	if (strcmp(mode, "v") == 0)
		return (MODE_VERIFY);
	fprintf(stderr, "sendmail: -b%s: unsupported mode\n", mode);
	usage(NULL);
	return (MODE_DELIVER);
}

/*
 * parse_options - the classic sendmail command line; returns the index
 * of the first recipient
 */
static int
parse_options(int argc, char **argv, struct sm_options *o,
    enum sm_mode *mode, char **config_arg, const char **flush_arg)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != 0; i++) {
		if (strcmp(argv[i], "--") == 0)
			return (i + 1);
		for (size_t j = 1; argv[i][j] != 0; j++) {
			switch (argv[i][j]) {
			case 't':
				o->extract = true;
				break;
			case 'i':
				o->ignore_dots = true;
				break;
			case 'v':
				o->verbose++;
				break;
			case 'n': case 'U': case 'm': case 'e':
				break;		/* traditional, no meaning here */
			case 'f': case 'r':
				free(o->sender);
				o->sender = parse_sender(option_arg(argc, argv, &i, &j));
				break;
			case 'F':
				free(o->full_name);
				o->full_name = xstrdup(option_arg(argc, argv, &i, &j));
				break;
			case 'N':
				o->notify = parse_notify(option_arg(argc, argv, &i, &j));
				break;
			case 'R': {
				const char *r = option_arg(argc, argv, &i, &j);

				if (strcasecmp(r, "full") == 0)
					o->ret = "FULL";
				else if (strcasecmp(r, "hdrs") == 0)
					o->ret = "HDRS";
				else
					usage("-R: expected full or hdrs");
				break;
			}
			case 'V':
				free(o->envid);
				o->envid = parse_envid(option_arg(argc, argv, &i, &j));
				break;
			case 'C': case 'c':
				free(*config_arg);
				*config_arg = config_from_c(option_arg(argc, argv, &i, &j));
				break;
			case 'B': case 'L': case 'h': case 'X':
				(void)option_arg(argc, argv, &i, &j);
				break;
			case 'b':
				*mode = parse_b(option_arg(argc, argv, &i, &j));
				break;
			case 'o': {
				const char *opt = option_arg(argc, argv, &i, &j);

				if (strcmp(opt, "i") == 0)
					o->ignore_dots = true;
				else
					fprintf(stderr, "sendmail: warning: -o%s "
					    "option ignored\n", opt);
				break;
			}
			case 'q':
				*mode = MODE_FLUSH;
				*flush_arg = argv[i] + j + 1;
				j = strlen(argv[i]) - 1;
				break;
			default:
				fprintf(stderr, "sendmail: unknown option -%c\n",
				    argv[i][j]);
				usage(NULL);
			}
		}
	}
	return (i);
}

/* load_config - the instance's main.cf */
static void
load_config(struct sm_options *o, const char *config_arg, bool lenient)
{
	struct strbuf err;

	o->explicit_config = config_arg != NULL ||
	    (getenv("SLUICE_CONFIG") != NULL && getenv("SLUICE_CONFIG")[0]);
	o->config_dir = config_directory_default(config_arg);
	strbuf_init(&err);
	/* mailq only hands over to sluice-queue, which copes with errors */
	if (lenient)
		o->cfg = config_read_lenient(o->config_dir);
	else if ((o->cfg = config_load(o->config_dir, &err)) == NULL)
		sm_fatal(EX_CONFIG, "%s", err.data);
	if (config_table_read(o->cfg, sendmail_params, o, &err) > 0)
		sm_fatal(EX_CONFIG, "%s", err.data);
	strbuf_free(&err);
}

/* flush - -q, -qRsite, -qIid: sluice-queue does it; -q30m is ignored */
static void
flush(const struct sm_options *o, const char *arg)
{
	const char *args[3] = { "-f", NULL, NULL };

	if (arg[0] == 'R' && arg[1] != 0) {
		args[0] = "-s";
		args[1] = arg + 1;
	} else if (arg[0] == 'I' && arg[1] != 0) {
		args[0] = "-i";
		args[1] = arg + 1;
	} else if (arg[0] != 0) {
		fprintf(stderr, "sendmail: warning: -q%s: queue run interval "
		    "ignored (the mail system schedules itself)\n", arg);
		exit(EX_OK);
	}
	sm_exec_helper(o, "sluice-queue", args);
}

/*
 * exec_smtpd - -bs: the SMTP server itself, stand-alone on our standard
 * input and output (smtpd -S), as Postfix does: one SMTP parser
 */
static void __attribute__((noreturn))
exec_smtpd(const struct sm_options *o)
{
	char	*path = sm_program_path(o, "smtpd", true);
	const char *argv[6];
	int	 n = 0;

	argv[n++] = "smtpd";
	argv[n++] = "-S";
	if (o->explicit_config) {
		argv[n++] = "-c";
		argv[n++] = o->config_dir;
	}
	if (o->verbose > 0)
		argv[n++] = "-v";
	argv[n] = NULL;
	execv(path, (char *const *)argv);
	sm_fatal(EX_UNAVAILABLE, "cannot run %s: %s", path, strerror(errno));
}

int
main(int argc, char **argv)
{
	static const char *const list_args[] = { "-p", NULL };
	static const char *const alias_args[] = { "-N", NULL };
	struct sm_options o = { .ignore_dots = false };
	enum sm_mode mode = MODE_DELIVER;
	const char *base, *flush_arg = "";
	char *config_arg = NULL;
	struct strlist rcpts;
	int first, status = EX_OK;

	signal(SIGPIPE, SIG_IGN);
	(void)config_tables_declare(sendmail_tables);
	msg_open("sendmail", NULL);
	base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	if (strcmp(base, "mailq") == 0)
		mode = MODE_LIST;
	else if (strcmp(base, "newaliases") == 0)
		mode = MODE_ALIASES;
	first = parse_options(argc, argv, &o, &mode, &config_arg, &flush_arg);
	load_config(&o, config_arg, mode == MODE_LIST);
	switch (mode) {
	case MODE_LIST:
		sm_exec_helper(&o, "sluice-queue", list_args);
	case MODE_ALIASES:
		sm_exec_helper(&o, "sluice-map", alias_args);
	case MODE_FLUSH:
		flush(&o, flush_arg);
		break;
	case MODE_VERIFY:
		if ((status = sm_verify(&o, argc - first, argv + first)) < 0)
			usage("-bv: no addresses given");
		break;
	case MODE_SMTP:
		exec_smtpd(&o);
	case MODE_DELIVER:
		strlist_init(&rcpts);
		for (int i = first; i < argc; i++)
			sm_address_list(argv[i], strlen(argv[i]), &rcpts);
		status = sm_send_stdin(&o, &rcpts);
		strlist_free(&rcpts);
		break;
	}
	free(o.sender);
	free(o.full_name);
	free(o.envid);
	free(config_arg);
	config_table_release(sendmail_params, &o);
	config_free(o.cfg);
	return (status);
}
