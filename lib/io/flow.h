/*
 * flow - in-flow control: pace new mail to the delivery rate.
 *
 * Postfix's in_flow_delay: "time to pause before accepting a new message,
 * when the message arrival rate exceeds the message delivery rate".  The
 * master creates one shared page of credits (anonymous shared memory,
 * passed to every daemon on SERVICE_FLOW_FD); cleanup takes a credit
 * before it queues a message from smtpd or pickup, and qmgr gives one
 * back whenever a message leaves the active queue, never past
 * in_flow_window.  So up to in_flow_window messages may run ahead of
 * delivery; past that each new message waits for a delivery to finish,
 * at most in_flow_delay, and then goes ahead anyway: mail is slowed when
 * the queue backs up, never refused.
 *
 * Why: without it, 500 sending clients take the CPU from qmgr and the
 * delivery agents, the active queue grows by thousands of files (each a
 * new inode, since the recycle pool runs dry) and the whole machine does
 * more work per message.  Waiting is a futex sleep, not a poll, except
 * in a coroutine (a multi-session cleanup), which naps FLOW_NAP_MS at a
 * time so that the process's other sessions go on.
 *
 * A credit lost (a cleanup killed between take and give-back) only makes
 * the window smaller until qmgr finds its queue empty and resets it.
 * Without the page (a daemon not started by the master) every call is a
 * no-op and flow_take() never waits.
 */
#ifndef SLUICE_FLOW_H
#define SLUICE_FLOW_H

#include <stdbool.h>

#define FLOW_NAP_MS	5	/* a coroutine's look again for a credit */

/* flow_create - master: a new page holding window credits; fd or -1 */
int	flow_create(int window);

/*
 * flow_attach - map the page passed on fd and close fd.  false (fd left
 * alone) when fd is not such a page.
 */
bool	flow_attach(int fd);

/* flow_reset - qmgr: window credits again (start, empty queue) */
void	flow_reset(int window);

/* flow_give - one credit back, unless the page already holds the window */
void	flow_give(void);

/*
 * flow_take - one credit, waiting up to max_wait_ms for one to come back.
 * true: a credit was taken (give it back if the message is not queued
 * after all); false: none came in time, or no page: go ahead without.
 */
bool	flow_take(long max_wait_ms);

/* flow_credits - what the page holds now (tests, logging); -1 without */
int	flow_credits(void);

#endif
