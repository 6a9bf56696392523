/*
 * drop_client - hand one message to sluice-drop, the setgid program that
 * may write maildrop/, for a submitter that runs as the user: sendmail,
 * and smtpd run stand-alone by sendmail -bs.
 *
 * sluice-drop is started with execv (never a shell) on two pipes.  Its
 * standard input gets the envelope and the content as attr(3) lists, the
 * shape of the cleanup conversation (cleanup_client.h step 1 and 3, with
 * only the attributes a user may set); its standard output gives back
 * the maildrop queue ID; its complaints go to our standard error, and its
 * exit status (sysexits) says how it went.  Callers ignore SIGPIPE: a
 * sluice-drop that gave up early is a status to report, not our death.
 */
#ifndef SLUICE_DROP_CLIENT_H
#define SLUICE_DROP_CLIENT_H

#include <stddef.h>

#include "attr.h"
#include "queue_id.h"

struct drop_client;

/*
 * drop_client_open - start program (the path of sluice-drop; with -c
 * config_dir unless that is NULL, and -v when verbose) and send it
 * envelope.  NULL with errno when it cannot even be started; a program
 * that fails later says so through drop_client_close's status.
 */
struct drop_client *drop_client_open(const char *program,
	    const char *config_dir, int verbose,
	    const struct attr_list *envelope);

/* drop_client_write - content (LF line ends), in CLEANUP_CHUNK_MAX lists */
int	drop_client_write(struct drop_client *d, const void *data, size_t len);

/*
 * drop_client_close - end the content, read the ID, reap the child.
 * Returns its exit status (EX_OK when queued, id set).  Frees d.
 */
int	drop_client_close(struct drop_client *d, char id[QUEUE_ID_SIZE]);

/* drop_client_abort - stop sluice-drop (it removes its file).  Frees d. */
void	drop_client_abort(struct drop_client *d);

#endif
