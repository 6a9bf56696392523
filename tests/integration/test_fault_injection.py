"""Fault injection: each write-path call site of the mail path fails once.

tests/fault/fault_inject.c (built by `make fault-bins` next to bin/, or
$SLUICE_FAULT_SO), a
shim the daemons preload through import_environment, makes a chosen call
of a chosen daemon fail: a write, fsync (also the AIO fsyncs of
lib/async_fsync), rename, link, open(O_CREAT), mkdir or fchmod.  A clean
run of the scenario below records every call site the daemons pass
(program, kind of call, return address; named with addr2line).  The walk
then makes each site's first call fail (ENOSPC, EIO for syncs and mode
changes, EDQUOT for local's writes) and, for a site that runs more than
once, its second, third, fourth and last call (EIO), each in a fresh run
of the scenario, and after each run and a flush checks Sluice's first
promise:

  - every message that was acknowledged (250, or sendmail's exit 0) is
    delivered: to the local Maildir, to the relay peer, and the bounce for
    the refused relay recipient to the sender's Maildir;
  - no recipient gets a message twice (counted by Message-ID; the relay
    peer may see a second copy only when the failure hit the smtp agent
    after the peer's 250, the RFC 1047 window);
  - nothing is left in maildrop/, incoming/, active/, deferred/, hold/
    or corrupt/ (a file exiled to corrupt/ is a lost message);
  - no 5xx reply, no daemon killed by a signal, no panic, no fatal exit.

The scenario: message A over SMTP from postmaster@example.test to
user@example.test (local Maildir), archive@localhost (an alias to a
file: an mbox append), ok@relay.test (a loopback peer that
answers 451 to a message's first copy and 250 to the next) and
bad@relay.test (550 at RCPT: a bounce to postmaster's Maildir); message
B with sendmail (sluice-drop, pickup) to user@example.test.  A client
that gets a 4xx retries the same message, as real clients do.

The number of points covered is printed and recorded in
docs/architecture.md ("Durability").  A site the clean runs passed that
a later run does not reach is listed as not reached (the scenario is the
same, but timing may change a path).
"""

import collections
import errno
import os
import re
import shutil
import smtplib
import time

import pytest

import sluice_instance as si
from fault_shim import Shim, site_kind, site_name
from smtp_peer import Peer
from submit_helpers import poke_pickup, sendmail

SENDER = "postmaster@example.test"
LOCAL_RCPT = "user@example.test"
MBOX_RCPT = "archive@localhost"     # an alias to a file: an mbox append
RELAY_OK = "ok@relay.test"
RELAY_BAD = "bad@relay.test"
# the daemons that write the queue or a mailbox while mail flows (bounce:
# the done mark of the refused recipient, after its notice is queued)
PROGRAMS = ("cleanup", "pickup", "qmgr", "bounce", "local", "smtp", "smtpd")
RUN_TIMEOUT = 20.0          # seconds for one run to deliver everything
WALK_DEADLINE = 600.0       # seconds for the whole walk

# --- the relay peer ------------------------------------------------------

class DeferFirstCopy(Peer):
    """451 to the first copy of each message (by Message-ID), 250 after;
    RELAY_BAD refused at RCPT.  accepted counts the 250s per ID."""

    def __init__(self):
        super().__init__(rcpt_replies={
            RELAY_BAD: "550 5.1.1 <%s>: no such user" % RELAY_BAD})
        self.seen = set()
        self.accepted = collections.Counter()

    def _finish(self, txn, send):
        m = re.search(rb"(?im)^Message-ID:\s*(<[^>\r\n]+>)", txn.data or b"")
        mid = m.group(1).decode() if m else None
        with self.lock:
            first = mid not in self.seen
            self.seen.add(mid)
            if not first:
                self.accepted[mid] += 1
        send("451 4.3.0 try again later" if first else "250 2.0.0 Ok")


# --- one run of the scenario ----------------------------------------------

def message(mid, to):
    return ("From: postmaster@example.test\r\nTo: %s\r\n"
            "Subject: fault injection\r\nMessage-ID: %s\r\n\r\n"
            "body of %s\r\n" % (to, mid, mid)).encode() + b"y" * 300 + b"\r\n"


def send_smtp(inst, mid, notes):
    """Message A, retried on 4xx; True once it got 250."""
    for _ in range(4):
        try:
            with inst.smtp(timeout=20) as s:
                s.ehlo("client.example")
                code, resp = s.mail(SENDER)
                replies = [(code, resp)]
                if code == 250:
                    for r in (LOCAL_RCPT, MBOX_RCPT, RELAY_OK, RELAY_BAD):
                        replies.append(s.rcpt(r))
                    if all(c == 250 for c, _ in replies):
                        replies.append(s.data(message(mid, "three")))
                code, resp = replies[-1]
                for c, t in replies:
                    if c >= 500:
                        notes.append("5xx reply: %d %r" % (c, t))
                if code == 250 and len(replies) == 6:
                    return True
                notes.append("smtp retry after %d %r" % (code, resp))
        except (smtplib.SMTPException, OSError) as e:
            notes.append("smtp retry after %r" % e)
        time.sleep(0.3)
    return False


def send_local(inst, mid, notes):
    """Message B with sendmail, retried on exit 75; True on exit 0."""
    for _ in range(4):
        r = sendmail(inst, ["-f", SENDER, LOCAL_RCPT],
                     message(mid, LOCAL_RCPT).replace(b"\r\n", b"\n"))
        if r.returncode == 0:
            return True
        notes.append("sendmail exit %d: %r" % (r.returncode, r.stderr[-200:]))
        if r.returncode != 75:
            return False
        time.sleep(0.3)
    return False


def mbox_copies(path, mid):
    try:
        data = si.read_bytes(path)
    except FileNotFoundError:
        return 0
    return len(re.findall(rb"(?im)^Message-ID: " + re.escape(mid.encode()),
                          data))


def copies(maildir, mid):
    n = 0
    for p in si.maildir_files(maildir, ("new", "cur")):
        if mid.encode() in si.read_bytes(p):
            n += 1
    return n


def queue_leftovers(inst):
    return inst.queue_files(si.LIVE_QUEUES + ("hold", "corrupt"))


class Scenario:
    def __init__(self, inst, peer, mbox):
        self.inst = inst
        self.peer = peer
        self.mbox = mbox
        self.runs = 0

    def run(self, tag, drain=False):
        """One pass of the scenario; (facts, notes, log).  The Maildirs
        are made anew (local's mkdir runs every time); drain: empty
        cleanup's pool of recycled queue files first, so cleanup
        creates its files (the other path to a queue file)."""
        inst, peer = self.inst, self.peer
        self.runs += 1
        for box in ("user", "postmaster"):
            shutil.rmtree(inst.vmaildir(box), ignore_errors=True)
        if drain:
            pool = os.path.join(inst.queue, "recycle")
            for name in os.listdir(pool):
                try:
                    os.unlink(os.path.join(pool, name))
                except FileNotFoundError:
                    pass
        a = "<fi-%s-%d-a@client.example>" % (tag, self.runs)
        b = "<fi-%s-%d-b@client.example>" % (tag, self.runs)
        log_from = len(inst.maillog())
        notes = []
        sent_a = send_smtp(inst, a, notes)
        sent_b = send_local(inst, b, notes)
        user, pm = inst.vmaildir("user"), inst.vmaildir("postmaster")

        def done():
            return ((not sent_a or (copies(user, a) >= 1 and
                                    mbox_copies(self.mbox, a) >= 1 and
                                    peer.accepted[a] >= 1 and
                                    copies(pm, a) >= 1)) and
                    (not sent_b or copies(user, b) >= 1) and
                    not queue_leftovers(inst))
        deadline = time.monotonic() + RUN_TIMEOUT
        next_flush = time.monotonic() + 0.5
        while not done() and time.monotonic() < deadline:
            if time.monotonic() >= next_flush:
                # the deferred copy need not wait for its back-off, nor
                # a maildrop file pickup kept for its next scan
                flush(inst)
                next_flush = time.monotonic() + 1.5
            time.sleep(0.1)
        time.sleep(0.3)             # a late second copy shows up here
        log = inst.maillog()[log_from:]
        facts = {
            "sent_a": sent_a, "sent_b": sent_b,
            "user_a": copies(user, a), "peer_a": peer.accepted[a],
            "mbox_a": mbox_copies(self.mbox, a),
            "bounce_a": copies(pm, a), "user_b": copies(user, b),
            "left": queue_leftovers(inst),
            "deaths": re.findall(r"^.*(?:killed by signal|exit status [1-9]"
                                 r"|panic:|fatal:).*$", log, re.M),
        }
        return facts, notes, log

    @staticmethod
    def problems(facts, notes, smtp_window=False):
        out = []
        if not facts["sent_a"]:
            out.append("A never acknowledged")
        if not facts["sent_b"]:
            out.append("B never accepted by sendmail")
        if facts["sent_a"]:
            for what, n in (("local copies of A", facts["user_a"]),
                            ("mbox copies of A", facts["mbox_a"]),
                            ("relay copies of A", facts["peer_a"]),
                            ("bounces of A", facts["bounce_a"])):
                if n == 0:
                    out.append("lost: %s = 0" % what)
                elif n > 1 and not (smtp_window and what.startswith("relay")):
                    out.append("duplicated: %s = %d" % (what, n))
        if facts["sent_b"]:
            if facts["user_b"] == 0:
                out.append("lost: B")
            elif facts["user_b"] > 1:
                out.append("duplicated: B = %d" % facts["user_b"])
        if facts["left"]:
            out.append("stuck: %s" % facts["left"])
        if facts["deaths"]:
            out.append("died: %s" % facts["deaths"][:3])
        out.extend(n for n in notes if n.startswith("5xx"))
        return out


def flush(inst):
    """sluice-queue -f, and pickup's wake-up"""
    inst.tool("sluice-queue", "-c", inst.etc, "-f")
    try:
        poke_pickup(inst)
    except OSError:
        pass


def recover(inst):
    """After a failed point: flush, then restart, so the walk goes on
    from an empty queue; False when nothing helps."""
    flush(inst)
    if si.wait_until(lambda: not queue_leftovers(inst), 5.0, 0.1):
        return True
    inst.restart()
    flush(inst)
    return bool(si.wait_until(lambda: not queue_leftovers(inst), 10.0, 0.1))


def nths(calls):
    """Which calls of a site fail, one per run: each of the first four
    (one per message of the scenario: A, B, the bounce, a retry), and
    the last."""
    return sorted(set(range(1, min(calls, 4) + 1)) | {calls})


def errno_for(prog, kind, later):
    if later or kind in ("fsync", "chmod"):
        return errno.EIO
    if prog == "local" and kind == "write":
        return errno.EDQUOT
    return errno.ENOSPC


def test_fault_injection_walk(make_instance, sluice_bin, capsys):
    for prog in ("sluice-queue", "sendmail", "sluice-drop", "sluice-map"):
        if not os.access(os.path.join(sluice_bin, prog), os.X_OK):
            pytest.fail("%s is not built" % prog)
    started = time.monotonic()
    with DeferFirstCopy() as peer:
        inst = make_instance(delivery=True, start=False, main={
            "transport_maps": "inline:{ {relay.test = smtp:[127.0.0.1]:%d} }"
                              % peer.port,
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "queue_run_delay": "1s",
            "service_throttle_time": "1s",
        })
        # the alias's file: written as default_privs, so in a 1777 dir
        outbox = os.path.join(inst.dir, "out")
        os.mkdir(outbox)
        os.chmod(outbox, 0o1777)
        mbox = os.path.join(outbox, "archive.mbox")
        inst.add_aliases("archive: %s\n" % mbox)
        shim = Shim(inst, sluice_bin, PROGRAMS)
        states = shim.states
        inst.set_main({"import_environment": shim.import_environment()})
        try:
            inst.start()
            scen = Scenario(inst, peer, mbox)

            # the clean runs: every site the scenario passes, with
            # recycled queue files and without (after a first run that
            # fills the pool: the very first files are always new)
            facts, notes, log = scen.run("warm-up")
            bad = scen.problems(facts, notes)
            assert not bad, "first run: %s\n%s" % (bad, log[-3000:])
            seen = {}
            for drain in (False, True):
                for fs in states.values():
                    fs.reset()
                facts, notes, log = scen.run("clean", drain)
                bad = scen.problems(facts, notes)
                assert not bad, "clean run: %s\n%s" % (bad, log[-3000:])
                for prog, fs in states.items():
                    s = fs.read()
                    assert s["overflow"] == 0, "%s: site table full" % prog
                    for key, (calls, _) in s["sites"].items():
                        seen.setdefault((prog, key), (calls, drain))
            # reads and unlinks are walked by test_fault_paths.py
            sites = [(prog, key, calls, drain) for (prog, key), (calls, drain)
                     in sorted(seen.items())
                     if site_kind(key) not in ("read", "unlink")]
            assert sites, "the shim saw no call at all: not preloaded?"
            assert any(p == "cleanup" and site_kind(k) == "fsync"
                       for p, k, _, _ in sites), \
                "no fsync of cleanup seen (the AIO fsyncs are not counted)"

            # the walk
            covered, unreached, failures = [], [], []
            for prog, key, calls, drain in sites:
                kind = site_kind(key)
                func, where = site_name(sluice_bin, prog, key)
                for nth in nths(calls):
                    if time.monotonic() - started > WALK_DEADLINE:
                        pytest.fail("walk over %.0fs after %d runs"
                                    % (WALK_DEADLINE, scen.runs))
                    err = errno_for(prog, kind, nth > 1)
                    for fs in states.values():
                        fs.reset()
                    states[prog].arm(kind, nth, err, key=key)
                    facts, notes, log = scen.run("%s-%s" % (prog, kind),
                                                 drain)
                    fired = states[prog].read()["fired"][kind]
                    states[prog].disarm()
                    point = "%s %s #%d %s at %s (%s)" % (
                        prog, kind, nth, errno.errorcode[err], func, where)
                    if fired == 0:
                        unreached.append(point)
                    else:
                        covered.append(point)
                    bad = scen.problems(facts, notes,
                                        smtp_window=prog == "smtp")
                    if bad:
                        failures.append("%s: %s\n    log: %s" % (
                            point, "; ".join(bad),
                            "\n    log: ".join(log.rstrip("\n")
                                               .split("\n")[-12:])))
                        if not recover(inst):
                            break
            summary = ("fault injection: %d points covered at %d call sites "
                       "(%d runs, %.0fs); %d not reached this time"
                       % (len(covered), len(sites), scen.runs,
                          time.monotonic() - started, len(unreached)))
            with capsys.disabled():     # shown also when the test passes
                print("\n" + summary)
            print(summary)
            for c in covered:
                print("  covered: " + c)
            for u in unreached:
                print("  not reached: " + u)
            for f in failures:
                print("  FAILED: " + f.split("\n")[0])
            assert not failures, "%d point(s) failed:\n%s" % (
                len(failures), "\n".join(failures))
        finally:
            shim.close()
