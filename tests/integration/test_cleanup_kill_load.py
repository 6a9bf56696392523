"""cleanup SIGKILLed under load, while its processes share directory fsyncs.

Several SMTP sessions send at once, so the cleanup processes share their
fsyncs of incoming/ (lib/io/dir_sync.h: one process syncs, the others wait
for it); meanwhile cleanup processes are SIGKILLed, some of them while
they lead such a shared fsync.  Every message answered 250 must be
delivered exactly once; a message whose session got an error may be
delivered (its cleanup died after the file was durable) but never twice;
the survivors must not hang on a dead leader (they take over after a
short while), so the sessions finish well within the deadline.  Run with
one connection per cleanup process and with many (the default: one
process then holds several sessions' messages, and a kill breaks them
all at once).
"""

import collections
import os
import signal
import smtplib
import threading
import time

import pytest

import sluice_instance as si

SESSIONS = 6
MESSAGES_EACH = 150
KILLS = 8
KILL_INTERVAL = 0.05            # seconds between kills
DEADLINE = 120.0                # seconds for the whole run
SENDER = "load@client.example"


def body(n):
    return (b"From: load@client.example\r\n"
            b"To: user@example.test\r\n"
            b"Subject: kill under load %d\r\n"
            b"Message-ID: <kload-%d@client.example>\r\n"
            b"\r\n" % (n, n)) + b"y" * 2000 + b"\r\n"


def sender(inst, numbers, accepted, failed, errors):
    """Send numbers one by one; a session broken by a kill is replaced."""
    pending = list(numbers)
    while pending:
        try:
            with inst.smtp(timeout=30) as s:
                s.ehlo("client.example")
                while pending:
                    n = pending[0]
                    try:
                        s.sendmail(SENDER, ["user@example.test"], body(n))
                        accepted.append(n)
                    except smtplib.SMTPResponseException as e:
                        if not 400 <= e.smtp_code < 500:
                            errors.append("message %d: %r" % (n, e))
                        failed.append(n)
                    pending.pop(0)
        except (smtplib.SMTPServerDisconnected, ConnectionError) as e:
            # the message in flight got no 250: it counts as failed
            if pending:
                failed.append(pending.pop(0))
            if len(failed) > MESSAGES_EACH * SESSIONS // 2:
                errors.append("too many broken sessions: %r" % e)
                return
        except Exception as e:  # reported by the main thread
            errors.append("session at %d: %r" % (pending[0], e))
            return


@pytest.mark.parametrize("session_limit", [1, 100])
def test_sigkill_cleanup_under_load(make_instance, session_limit):
    inst = make_instance(delivery=True,
                         main={"service_throttle_time": "1s",
                               "cleanup_process_session_limit":
                                   str(session_limit)})
    accepted, failed, errors = [], [], []
    numbers = list(range(SESSIONS * MESSAGES_EACH))
    threads = [threading.Thread(target=sender,
                                args=(inst, numbers[k::SESSIONS], accepted,
                                      failed, errors))
               for k in range(SESSIONS)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    killed = []
    while len(killed) < KILLS and any(t.is_alive() for t in threads):
        time.sleep(KILL_INTERVAL)
        for pid in inst.service_pids("cleanup"):
            try:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                break
            except ProcessLookupError:
                continue
    for t in threads:
        t.join(max(1.0, DEADLINE - (time.monotonic() - t0)))
    assert not any(t.is_alive() for t in threads), \
        "SMTP sessions still running after %.0fs" % DEADLINE
    assert errors == [], errors[:5]
    assert killed, "no cleanup process to kill"
    assert len(accepted) + len(failed) == len(numbers)
    assert len(accepted) >= len(numbers) // 2, (len(accepted), len(failed))

    # what a killed cleanup left unfinished stays in incoming/ (mode 0600,
    # never delivered) until the next start removes it: at most one
    # message per SMTP session it was serving (each session has one in
    # flight at a time)
    def settled():
        return (not inst.complete_ids("incoming") and
                not inst.queue_files(("active", "deferred")))

    assert si.wait_until(settled, 60.0), inst.queue_listing()
    assert (len(inst.incomplete_ids("incoming")) <=
            len(killed) * min(SESSIONS, session_limit))
    inst.restart()
    assert inst.incomplete_ids("incoming") == []
    assert si.wait_until(settled, 30.0), inst.queue_listing()

    maildir = inst.vmaildir("user")
    counts = collections.Counter(
        si.message_id_of(si.read_bytes(p))
        for p in si.maildir_files(maildir, ("new", "cur")))
    twice = {k: v for k, v in counts.items() if v != 1}
    assert not twice, "delivered more than once: %r" % list(twice.items())[:5]
    missing = {"<kload-%d@client.example>" % n for n in accepted} - set(counts)
    assert not missing, "answered 250, never delivered: %r" % sorted(missing)[:5]
    log = inst.maillog()
    for pid in killed:
        assert "pid %d killed by signal 9" % pid in log
