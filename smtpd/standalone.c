/*
 * standalone - smtpd -S: one SMTP session on standard input and output,
 * for programs that talk SMTP to a pipe (sendmail -bs runs this).
 *
 * As in Postfix, the same server that faces the network serves the pipe,
 * so there is one SMTP parser to get right.  It runs as the invoking
 * user, without the master: each message goes through sluice-drop into
 * maildrop/ like any other submission by that user (queue.c), so the
 * dialogue grants nothing the command line does not, and mail is taken
 * while the mail system is down.  For the same reason the access policy
 * (relay control, recipient and sender checks) is off, unless the user
 * is mail_owner (root included: as in Postfix, only mail_owner's
 * sessions are the server's own).  A network socket on
 * standard input is refused unless the user is mail_owner: a user must
 * not run an SMTP server for others with their own rights.  No TLS: the
 * peer is a local program, and the key is not the user's to read.
 *
 * Usage: smtpd -S [-c config_dir] [-v]
 */
#include <sys/socket.h>

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "config_programs.h"
#include "dns.h"
#include "mem.h"
#include "msg.h"
#include "smtpd.h"
#include "strbuf.h"

/* standalone_usage - the synopsis, then fail */
static void
standalone_usage(void)
{
	fprintf(stderr, "usage: smtpd -S [-c config_dir] [-v]\n");
	exit(EX_USAGE);
}

/* standalone_privileged - is the user mail_owner (root is not) */
static bool
standalone_privileged(const struct smtpd_standalone *set)
{
	const struct passwd *pw = getpwnam(set->mail_owner);

	return (pw != NULL && pw->pw_uid == getuid());
}

/* standalone_network_peer - is standard input a TCP connection */
static bool
standalone_network_peer(void)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	return (getpeername(0, (struct sockaddr *)&ss, &len) == 0 &&
	    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6));
}

/* smtpd_standalone_main - see the comment at the top */
void
smtpd_standalone_main(int argc, char **argv)
{
	const char *config_arg = NULL;
	struct smtpd_config *sc;
	struct smtpd_standalone set;
	struct config *cfg;
	struct strbuf err, path;
	bool	 privileged;
	int	 ch;

	(void)signal(SIGPIPE, SIG_IGN);
	(void)config_tables_declare(smtpd_tables);
	msg_open("smtpd", NULL);
	/* until the session starts, the user must see what goes wrong */
	msg_set_stderr(true);
	optind = 1;
	while ((ch = getopt(argc, argv, "Sc:v")) != -1) {
		switch (ch) {
		case 'S':
			break;
		case 'c':
			config_arg = optarg;
			break;
		case 'v':
			msg_set_verbose(msg_verbose + 1);
			break;
		default:
			standalone_usage();
		}
	}
	if (optind != argc)
		standalone_usage();
	strbuf_init(&err);
	if ((cfg = config_load(config_directory_default(config_arg),
	    &err)) == NULL)
		msg_fatal("%s", err.data);
	memset(&set, 0, sizeof(set));
	if (config_table_read(cfg, smtpd_standalone_params, &set, &err) > 0)
		config_table_fatal(&err);
	privileged = standalone_privileged(&set);
	if (!privileged && standalone_network_peer())
		msg_fatal("refusing to receive mail from the network as a user "
		    "other than mail_owner");
	config_set(cfg, "smtpd_tls_security_level", "none");
	config_set(cfg, "smtpd_tls_wrappermode", "no");
	sc = xcalloc(1, sizeof(*sc));
	smtpd_config_load(sc, cfg);
	sc->standalone = true;
	sc->policy_off = !privileged;
	if (!sc->policy_off && sc->rules.needs_dns &&
	    !dns_initialized() && dns_init(cfg, &err) != 0)
		msg_fatal("%s", err.data);
	strbuf_init(&path);
	strbuf_printf(&path, "%s/sluice-drop", set.daemon_directory);
	sc->drop_program = strbuf_detach(&path);
	sc->drop_config_dir = config_arg;
	strbuf_free(&err);
	/* queue_minfree and the maildrop are relative to the queue */
	if (chdir(set.queue_directory) < 0)
		msg_fatal("chdir %s: %s", set.queue_directory, strerror(errno));
	config_table_release(smtpd_standalone_params, &set);
	tzset();
	msg_set_stderr(false);
	smtpd_session_run_stdio(sc);
	exit(0);
}
