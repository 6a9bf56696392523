"""Fault injection beyond the mail path's writes (issue 15, item 2).

test_fault_injection.py walks every write of the daemons while mail is
received, queued, deferred, bounced and delivered.  This file walks,
with the same shim (fault_shim.py), what that walk cannot reach, under
the same rule: a failure leaves the message (or the table) where it was,
in a state the next attempt handles, and never removes it, marks it
done or bounces it.

  - sluice-drop: each write, fsync, rename, link and open(O_CREAT) it
    makes failing once.  sendmail exits 75 and maildrop/ holds nothing
    pickup would take, or exits 0 and the message is delivered; a retry
    after a 75 is delivered once.  (The build's sluice-drop is not
    setgid, so the loader honours LD_PRELOAD; an installed setgid copy
    is replaced by a plain one in a directory of the test's.)
  - sluice-super -h, -H, -r and -d: a failing rename, read or unlink
    leaves the message in exactly one queue; a later try does the job,
    and a released message is delivered once.  -s: a queue file or
    defer log that cannot be read stays where it is.
  - sluice-map: each write, fsync, rename and open of a first build, a
    rebuild (in place) and a delete failing once: the old table (or
    none) stays, intact and in use, and sluice-map exits non-zero with an
    error; or it exits 0 and the new table is in use.
  - reads: each read site of cleanup, qmgr, bounce, local and smtp in
    test_fault_injection's scenario failing once with EIO: the message
    stays queued and is delivered later, never bounced, never moved to
    corrupt/.
  - local's link(2) path (Maildir tmp -> new on a file system without
    RENAME_NOREPLACE, which the shim pretends): walked like the rest.
  - delay notices: with delay_warning_time = 1s and a relay that keeps
    the first copy 1.2 s before its 451, qmgr has the bounce service
    write a delay notice; the calls of qmgr, bounce and cleanup between
    that attempt and the next fail, one per run.
  - failures that last: every fsync of cleanup, every write, read, or
    rename and unlink of qmgr, every write of local, every unlink and
    rename of pickup, failing for 2.5 s from the Nth call on while mail
    keeps coming; then a flush: everything acknowledged arrives once,
    nothing refused arrives, nothing is stuck.

Each test prints how many points it covered (also under -q); the total
is recorded in docs/architecture.md ("Durability").
"""

import collections
import errno
import os
import re
import shutil
import smtplib
import stat
import threading
import time

import sluice_instance as si
import test_fault_injection as walk
from fault_shim import FF_NO_NOREPLACE, FOREVER, Shim, site_kind, site_name
from smtp_peer import Peer
from submit_helpers import sendmail

SENDER = walk.SENDER
LOCAL_RCPT = walk.LOCAL_RCPT
SETTLE = 10.0               # seconds for a message to arrive
WRITE_KINDS = ("write", "fsync", "rename", "link", "open", "mkdir", "chmod")


class Tally:
    """The points a test covered, those it did not reach, the failures."""

    def __init__(self, what):
        self.what = what
        self.started = time.monotonic()
        self.covered, self.unreached, self.failures = [], [], []

    def note(self, point, fired, bad, detail=""):
        (self.covered if fired else self.unreached).append(point)
        if bad:
            self.failures.append("%s: %s%s" % (point, "; ".join(bad),
                                               detail))

    def finish(self, capsys):
        summary = ("fault injection (%s): %d points covered (%.0fs); "
                   "%d not reached" % (self.what, len(self.covered),
                                       time.monotonic() - self.started,
                                       len(self.unreached)))
        with capsys.disabled():
            print("\n" + summary)
        print(summary)
        for c in self.covered:
            print("  covered: " + c)
        for u in self.unreached:
            print("  not reached: " + u)
        assert not self.failures, "%d point(s) failed:\n%s" % (
            len(self.failures), "\n".join(self.failures))


def errno_for(kind, later=False):
    """ENOSPC where a full disk says so, EIO for syncs, mode changes,
    reads, unlinks and the later calls of a site."""
    if later or kind in ("fsync", "chmod", "read", "unlink"):
        return errno.EIO
    return errno.ENOSPC


def sites_of(state, kinds=None, bindir=None, prog=None):
    """[(key, calls)] that a clean run passed, sorted.  With bindir and
    prog, without the reads of main.cf and master.cf: a program that
    cannot read its configuration stops before it touches any mail."""
    out = []
    for key, (calls, _) in sorted(state.read()["sites"].items()):
        if kinds is not None and site_kind(key) not in kinds:
            continue
        if bindir is not None and site_kind(key) == "read" and \
                site_name(bindir, prog, key)[0].startswith("config_"):
            continue
        out.append((key, calls))
    return out


def point_name(bindir, prog, key, nth, err):
    func, where = site_name(bindir, prog, key)
    return "%s %s #%d %s at %s (%s)" % (prog, site_kind(key), nth,
                                        errno.errorcode[err], func, where)


def log_tail(inst, start, lines=10):
    return "\n    log: " + "\n    log: ".join(
        inst.maillog()[start:].rstrip("\n").split("\n")[-lines:])


# --- sluice-drop ----------------------------------------------------------

def plain_drop_bindir(inst, sluice_bin):
    """The directory sendmail will take sluice-drop from: daemon_directory
    first (cli/sendmail/exec.c).  A setgid sluice-drop ignores
    LD_PRELOAD, so then the instance gets a directory of links to the
    build with a plain copy of it."""
    drop = os.path.join(sluice_bin, "sluice-drop")
    if not os.stat(drop).st_mode & (stat.S_ISGID | stat.S_ISUID):
        return sluice_bin
    bindir = os.path.join(inst.dir, "plain-bin")
    os.mkdir(bindir)
    os.chmod(bindir, 0o755)
    for name in os.listdir(sluice_bin):
        if name != "sluice-drop":
            os.symlink(os.path.join(sluice_bin, name),
                       os.path.join(bindir, name))
    shutil.copy(drop, os.path.join(bindir, "sluice-drop"))
    os.chmod(os.path.join(bindir, "sluice-drop"), 0o755)
    inst.set_main({"daemon_directory": bindir})
    return bindir


def drop_message(tag):
    mid = "<fp-%s@client.example>" % tag
    return mid, ("From: %s\nTo: %s\nSubject: drop\nMessage-ID: %s\n\nbody\n"
                 % (SENDER, LOCAL_RCPT, mid)).encode()


def submit(inst, shim, data):
    return inst.tool("sendmail", "-c", inst.etc, "-f", SENDER, LOCAL_RCPT,
                     stdin=data, env=shim.env())


def maildrop_names(inst):
    return [n for n in os.listdir(os.path.join(inst.queue, "maildrop"))
            if not n.startswith(".")]


def test_sluice_drop_faults(make_instance, sluice_bin, capsys):
    tally = Tally("sluice-drop")
    inst = make_instance(delivery=True, start=False)
    plain_drop_bindir(inst, sluice_bin)
    shim = Shim(inst, sluice_bin, ("sluice-drop",))
    fs = shim["sluice-drop"]
    user = inst.vmaildir("user")
    try:
        inst.start()
        mid, data = drop_message("clean")
        r = submit(inst, shim, data)
        assert r.returncode == 0, r.stderr
        assert si.wait_until(lambda: walk.copies(user, mid) == 1, SETTLE)
        # its reads are of main.cf: a failure there is EX_CONFIG, and
        # nothing was accepted
        sites = sites_of(fs, WRITE_KINDS)
        assert sites, "the shim saw no call of sluice-drop: not preloaded?"
        assert any(site_kind(k) == "fsync" for k, _ in sites), sites
        for key, calls in sites:
            kind = site_kind(key)
            for nth in walk.nths(calls):
                err = errno_for(kind, nth > 1)
                point = point_name(sluice_bin, "sluice-drop", key, nth, err)
                mid, data = drop_message("%x-%d" % (key, nth))
                log_from = len(inst.maillog())
                fs.reset()
                fs.arm(kind, nth, err, key=key)
                r = submit(inst, shim, data)
                fired = fs.read()["fired"][kind]
                fs.disarm()
                bad = []
                if r.returncode == 75:
                    left = maildrop_names(inst)
                    if left:
                        bad.append("exit 75 but maildrop/ holds %s" % left)
                    r = submit(inst, shim, data)
                    if r.returncode != 0:
                        bad.append("retry exit %d: %r"
                                   % (r.returncode, r.stderr))
                elif r.returncode != 0:
                    bad.append("exit %d (not 0 or 75): %r"
                               % (r.returncode, r.stderr[-200:]))
                if r.returncode == 0:
                    si.wait_until(lambda: walk.copies(user, mid) >= 1 and
                                  not inst.queue_files(), SETTLE)
                    time.sleep(0.1)
                    n = walk.copies(user, mid)
                    if n != 1:
                        bad.append("%d copies delivered" % n)
                if inst.queue_files(si.LIVE_QUEUES + ("corrupt",)):
                    bad.append("stuck: %s" % inst.queue_files(
                        si.LIVE_QUEUES + ("corrupt",)))
                tally.note(point, fired, bad, log_tail(inst, log_from))
    finally:
        shim.close()
    tally.finish(capsys)


# --- sluice-super -----------------------------------------------------------

ALL_QUEUES = si.LIVE_QUEUES + ("hold", "corrupt")


class Switch(Peer):
    """A relay that answers 451 until accept is set, then 250; counts
    the copies it accepted per Message-ID."""

    def __init__(self):
        super().__init__()
        self.accept = False
        self.accepted = collections.Counter()

    def _finish(self, txn, send):
        mid = re.search(rb"(?im)^Message-ID:\s*(<[^>\r\n]+>)",
                             txn.data or b"")
        with self.lock:
            ok = self.accept
            if ok and mid:
                self.accepted[mid.group(1).decode()] += 1
        send("250 2.0.0 Ok" if ok else "451 4.3.0 try again later")


def smtp_send(inst, rcpt, mid):
    with inst.smtp(timeout=20) as s:
        s.sendmail(SENDER, [rcpt], walk.message(mid, rcpt))


def where(inst, qid):
    """The queues that hold qid (listed twice over, so that a move by
    qmgr between two listings is not taken for two copies)."""
    found = [q for q, n in inst.queue_files(ALL_QUEUES) if n == qid]
    again = [q for q, n in inst.queue_files(ALL_QUEUES) if n == qid]
    return found if len(found) <= len(again) else again


def settle_in(inst, qid, queue, log_from=None, timeout=SETTLE):
    """Wait until qid rests in queue alone; the queues it is in.  With
    log_from: also until an attempt after that point of the maillog
    deferred it (a released or requeued message is due at once)."""
    pattern = re.compile(r"%s: to=<[^>]*>.*status=deferred" % qid)

    def rests():
        if log_from is not None and \
                not pattern.search(inst.maillog()[log_from:]):
            return False
        return where(inst, qid) == [queue]
    si.wait_until(rests, timeout, 0.05)
    return where(inst, qid)


# op flag, the queue it takes the message from, the queue it ends in
SUPER_OPS = (("-h", "deferred", "hold"), ("-H", "hold", "deferred"),
             ("-r", "deferred", "deferred"), ("-d", "deferred", None))


def test_sluice_super_faults(make_instance, sluice_bin, capsys):
    tally = Tally("sluice-super")
    with Switch() as peer:
        inst = make_instance(delivery=True, start=False, main={
            "transport_maps": "inline:{ {relay.test = smtp:[127.0.0.1]:%d} }"
                              % peer.port,
            # a deferred message rests until released or flushed
            "minimal_backoff_time": "1h",
            "maximal_backoff_time": "2h",
            "queue_run_delay": "1h",
        })
        shim = Shim(inst, sluice_bin, ("sluice-super",))
        fs = shim["sluice-super"]

        def super_op(flag, qid):
            return inst.tool("sluice-super", "-c", inst.etc, flag, qid,
                             env=shim.env(), text=True)

        try:
            inst.start()
            mids = {}
            for tag in ("kept", "deleted"):
                mids[tag] = "<fp-super-%s@client.example>" % tag
                smtp_send(inst, "to@relay.test", mids[tag])
            assert si.wait_until(lambda: len(inst.queue_files(
                ("deferred",))) == 2 and not inst.queue_files(
                ("incoming", "active")), SETTLE), inst.queue_listing()
            kept, deleted = [n for _, n in inst.queue_files(("deferred",))]
            # the clean runs: the sites of each operation (requeue twice,
            # so that it meets a defer log; delete on the other message)
            op_sites = {}
            for flag, src, dst in SUPER_OPS:
                qid = deleted if flag == "-d" else kept
                fs.reset()
                r = super_op(flag, qid)
                assert r.returncode == 0, r.stderr
                op_sites[flag] = sites_of(fs, None, sluice_bin,
                                          "sluice-super")
                if dst is None:
                    assert where(inst, qid) == [], where(inst, qid)
                else:
                    assert settle_in(inst, qid, dst) == [dst], \
                        (flag, where(inst, qid))
            assert any(site_kind(k) == "rename" for flag in op_sites
                       for k, _ in op_sites[flag]), op_sites
            smtp_send(inst, "to@relay.test", mids["deleted"])
            assert si.wait_until(lambda: len(inst.queue_files(
                ("deferred",))) == 2, SETTLE), inst.queue_listing()
            deleted = [n for _, n in inst.queue_files(("deferred",))
                       if n != kept][0]

            # the walk: each site of each operation fails once
            def move(flag, qid, to):
                """flag on qid, and wait until it rests in to/"""
                log_from = len(inst.maillog())
                r = super_op(flag, qid)
                text = inst.maillog()[log_from:]
                # requeued: qmgr takes it from incoming/ at once
                due = r.returncode == 0 and "requeued" in text
                return settle_in(inst, qid, to, log_from if due else None)

            for flag, src, dst in SUPER_OPS:
                for key, calls in op_sites[flag]:
                    kind = site_kind(key)
                    for nth in walk.nths(calls):
                        qid = deleted if flag == "-d" else kept
                        err = errno_for(kind, nth > 1)
                        point = "%s: %s" % (flag, point_name(
                            sluice_bin, "sluice-super", key, nth, err))
                        if where(inst, qid) != [src] and dst is not None:
                            move("-h" if src == "hold" else "-H", qid, src)
                        log_from = len(inst.maillog())
                        bad = []
                        if where(inst, qid) != [src]:
                            bad.append("not in %s/ before: %s"
                                       % (src, where(inst, qid)))
                        fs.reset()
                        fs.arm(kind, nth, err, key=key)
                        r = super_op(flag, qid)
                        fired = fs.read()["fired"][kind]
                        fs.disarm()
                        now = where(inst, qid)
                        if len(now) > 1 or (now == [] and dst is not None):
                            bad.append("in %s after the failure" % (now,))
                        done = "requeued" in inst.maillog()[log_from:] \
                            if flag == "-r" else now != [src]
                        if not done:
                            # the next try does the job
                            now = move(flag, qid, dst) if dst else \
                                (super_op(flag, qid), where(inst, qid))[1]
                        elif dst is not None:
                            now = settle_in(inst, qid, dst,
                                            log_from if flag == "-r"
                                            else None)
                        if now != ([dst] if dst else []):
                            bad.append("after the retry in %s, not %s"
                                       % (now, dst))
                        tally.note(point, fired, bad,
                                   log_tail(inst, log_from))
                        if flag == "-d":
                            smtp_send(inst, "to@relay.test",
                                      mids["deleted"] + str(nth))
                            si.wait_until(lambda: len(inst.queue_files(
                                ("deferred",))) == 2 and not
                                inst.queue_files(("incoming", "active")),
                                SETTLE)
                            deleted = [n for _, n in
                                       inst.queue_files(("deferred",))
                                       if n != kept][0]
            # -s: the repair reads every queue file and defer log; one
            # that cannot be read is left alone, never moved to corrupt/
            # or removed, nor is its defer log
            settle_in(inst, kept, "deferred")
            dlog = os.path.join(inst.queue, "defer", kept)
            had_log = os.path.exists(dlog)
            fs.reset()
            r = inst.tool("sluice-super", "-c", inst.etc, "-s",
                          env=shim.env(), text=True)
            assert r.returncode == 0, r.stderr
            for key, calls in sites_of(fs, None, sluice_bin, "sluice-super"):
                kind = site_kind(key)
                for nth in walk.nths(calls):
                    err = errno_for(kind, nth > 1)
                    point = "-s: %s" % point_name(sluice_bin, "sluice-super",
                                                  key, nth, err)
                    log_from = len(inst.maillog())
                    fs.reset()
                    fs.arm(kind, nth, err, key=key)
                    inst.tool("sluice-super", "-c", inst.etc, "-s",
                              env=shim.env(), text=True)
                    fired = fs.read()["fired"][kind]
                    fs.disarm()
                    bad = []
                    if where(inst, kept) != ["deferred"]:
                        bad.append("in %s, not deferred/" % where(inst, kept))
                    if had_log and not os.path.exists(dlog):
                        bad.append("its defer log removed")
                    tally.note(point, fired, bad, log_tail(inst, log_from))
            # the kept message is still whole: released, it arrives once
            peer.accept = True
            inst.tool("sluice-queue", "-c", inst.etc, "-f")
            assert si.wait_until(lambda: peer.accepted[mids["kept"]] >= 1,
                                 SETTLE), inst.queue_listing()
            for _, n in inst.queue_files(("deferred",)):
                super_op("-d", n)
            time.sleep(0.3)
            assert peer.accepted[mids["kept"]] == 1, peer.accepted
        finally:
            shim.close()
    tally.finish(capsys)


# --- sluice-map ---------------------------------------------------------------

def test_sluice_map_faults(make_instance, sluice_bin, capsys):
    tally = Tally("sluice-map")
    inst = make_instance(delivery=False, start=False)
    shim = Shim(inst, sluice_bin, ("sluice-map",))
    fs = shim["sluice-map"]
    source = os.path.join(inst.etc, "fp-table")
    table = source + ".lmdb"

    def sluice_map(*args):
        return inst.tool("sluice-map", "-c", inst.etc, *args,
                         env=shim.env(), text=True)

    def lookup(key):
        r = inst.tool("sluice-map", "-c", inst.etc, "-q", key,
                      "lmdb:" + source, text=True)
        return r.stdout.strip() if r.returncode == 0 else None

    def snapshot():
        """What the table answers (it is changed in place: the bytes of
        a failed transaction may be in the file, never in the table)."""
        if not os.path.exists(table):
            return None
        keys = "".join("key%d\n" % i for i in range(200))
        r = inst.tool("sluice-map", "-c", inst.etc, "-q", "-",
                      "lmdb:" + source, stdin=keys, text=True)
        assert r.returncode in (0, 1), r.stderr
        return r.stdout

    def leftovers():
        return [n for n in os.listdir(inst.etc) if ".lmdb.tmp" in n]

    def write_source(version):
        with open(source, "w") as f:
            f.write("".join("key%d value%d.%d\n" % (i, i, version)
                            for i in range(200)))

    try:
        # the clean runs: a first compile (a new file renamed into
        # place), a compile over it and a delete (both in place)
        write_source(0)
        fs.reset()
        r = sluice_map("lmdb:" + source)
        assert r.returncode == 0, r.stderr
        create_sites = sites_of(fs, WRITE_KINDS)
        fs.reset()
        r = sluice_map("lmdb:" + source)
        assert r.returncode == 0, r.stderr
        compile_sites = sites_of(fs, WRITE_KINDS)
        fs.reset()
        r = sluice_map("-d", "key0", "lmdb:" + source)
        assert r.returncode == 0, r.stderr
        delete_sites = sites_of(fs, WRITE_KINDS)
        assert lookup("key0") is None and lookup("key1") == "value1.0"
        assert create_sites and compile_sites and delete_sites
        version = 0
        for what, sites in (("create", create_sites),
                            ("compile", compile_sites),
                            ("delete", delete_sites)):
            for key, calls in sites:
                kind = site_kind(key)
                for nth in walk.nths(calls):
                    err = errno_for(kind, nth > 1)
                    point = "%s: %s" % (what, point_name(
                        sluice_bin, "sluice-map", key, nth, err))
                    # a table with every key, then the change that fails
                    version += 1
                    write_source(version)
                    r = sluice_map("lmdb:" + source)
                    assert r.returncode == 0, r.stderr
                    if what == "create":
                        os.unlink(table)
                    before = snapshot()
                    gone = "key%d" % (version % 200)
                    if what != "delete":
                        write_source(version + 1000)
                        args = ("lmdb:" + source,)
                    else:
                        args = ("-d", gone, "lmdb:" + source)
                    fs.reset()
                    fs.arm(kind, nth, err, key=key)
                    r = sluice_map(*args)
                    fired = fs.read()["fired"][kind]
                    fs.disarm()
                    bad = []
                    if r.returncode != 0:
                        if "sluice-map" not in r.stderr:
                            bad.append("exit %d without an error message"
                                       % r.returncode)
                        if snapshot() != before:
                            bad.append("exit %d, but the table changed"
                                       % r.returncode)
                        if what != "create" and lookup(gone) != \
                                "value%d.%d" % (version % 200, version):
                            bad.append("the old table does not answer")
                    else:
                        # done despite the failure: the new table, whole
                        new = version if what == "delete" \
                            else version + 1000
                        want = {"key%d" % i: "value%d.%d" % (i, new)
                                for i in (1, 199)}
                        if what == "delete":
                            want[gone] = None
                        got = {k: lookup(k) for k in want}
                        if got != want:
                            bad.append("exit 0, but the table says %s"
                                       % got)
                    if leftovers():
                        bad.append("left behind: %s" % leftovers())
                    tally.note(point, fired, bad,
                               "\n    stderr: " + r.stderr.strip()[-300:])
    finally:
        shim.close()
    tally.finish(capsys)


# --- reads, unlinks and local's link(2) path on the mail path ---------------

def mail_path_instance(make_instance, sluice_bin, peer, main=None):
    """test_fault_injection's instance: a relay peer, an alias to an mbox
    file, the shim in every daemon of the mail path"""
    params = {
        "transport_maps": "inline:{ {relay.test = smtp:[127.0.0.1]:%d} }"
                          % peer.port,
        "minimal_backoff_time": "1s",
        "maximal_backoff_time": "2s",
        "queue_run_delay": "1s",
        "service_throttle_time": "1s",
    }
    params.update(main or {})
    inst = make_instance(delivery=True, start=False, main=params)
    outbox = os.path.join(inst.dir, "out")
    os.mkdir(outbox)
    os.chmod(outbox, 0o1777)
    mbox = os.path.join(outbox, "archive.mbox")
    inst.add_aliases("archive: %s\n" % mbox)
    shim = Shim(inst, sluice_bin, walk.PROGRAMS)
    inst.set_main({"import_environment": shim.import_environment()})
    return inst, shim, mbox


def walk_points(tally, scen, shim, sluice_bin, points, tag):
    """One run of the scenario per (prog, key, nth, err): the rule of
    test_fault_injection after each."""
    inst = scen.inst
    for prog, key, nth, err, flags in points:
        kind = site_kind(key)
        shim.reset()
        shim[prog].set_flags(flags)
        shim[prog].arm(kind, nth, err, key=key)
        facts, notes, log = scen.run("%s-%s" % (tag, kind))
        fired = shim[prog].read()["fired"][kind]
        shim[prog].disarm()
        bad = scen.problems(facts, notes, smtp_window=prog == "smtp")
        tally.note(point_name(sluice_bin, prog, key, nth, err), fired, bad,
                   "\n    log: " + "\n    log: ".join(
                       log.rstrip("\n").split("\n")[-12:]))
        # A dot-lock whose unlink failed stays until it is stale
        # (local/mbox.c): make it look old, so that the next run also
        # checks that local takes a stale lock away.
        lock = scen.mbox + ".lock"
        if os.path.exists(lock):
            os.utime(lock, (time.time() - 3600, time.time() - 3600))
        if bad and not walk.recover(inst):
            break
    shim.reset()


def clean_sites(scen, shim, sluice_bin, kinds, flags=0, progs=None):
    """{(prog, key): calls} of a clean run (config reads left out)"""
    shim.reset()
    for prog in progs or ():
        shim[prog].set_flags(flags)
    facts, notes, log = scen.run("clean")
    bad = scen.problems(facts, notes)
    assert not bad, "clean run: %s\n%s" % (bad, log[-3000:])
    seen = {}
    for prog, fs in shim.states.items():
        for key, calls in sites_of(fs, kinds, sluice_bin, prog):
            seen[(prog, key)] = calls
    shim.reset()
    return seen


def test_read_unlink_link_faults(make_instance, sluice_bin, capsys):
    tally = Tally("reads, unlinks, local's link")
    with walk.DeferFirstCopy() as peer:
        inst, shim, mbox = mail_path_instance(make_instance, sluice_bin,
                                              peer)
        try:
            inst.start()
            scen = walk.Scenario(inst, peer, mbox)
            facts, notes, log = scen.run("warm-up")
            assert not scen.problems(facts, notes), log[-3000:]
            points = []
            # the reads of the queue file, defer logs, mailboxes: the
            # first call of each site fails with EIO
            seen = clean_sites(scen, shim, sluice_bin, ("read",))
            assert any(p == "qmgr" for p, _ in seen), seen
            points += [(p, k, 1, errno.EIO, 0) for (p, k) in sorted(seen)
                       if p in ("cleanup", "qmgr", "bounce", "local",
                                "smtp")]
            # the unlinks (a removed queue file, a defer log, a recycled
            # file, a Maildir's tmp/ name): the first call fails
            seen = clean_sites(scen, shim, sluice_bin, ("unlink",))
            points += [(p, k, 1, errno.EIO, 0) for (p, k) in sorted(seen)]
            # local on a file system without RENAME_NOREPLACE: link(2)
            seen = clean_sites(scen, shim, sluice_bin, ("link",),
                               FF_NO_NOREPLACE, ("local",))
            links = [(p, k, c) for (p, k), c in sorted(seen.items())
                     if p == "local"]
            assert links, "local made no link(2) without RENAME_NOREPLACE"
            for p, k, calls in links:
                points += [(p, k, n, errno_for("link", n > 1) if n > 1
                            else errno.EDQUOT, FF_NO_NOREPLACE)
                           for n in walk.nths(calls)]
            walk_points(tally, scen, shim, sluice_bin, points, "rul")
        finally:
            shim.close()
    tally.finish(capsys)


# --- delay notices -------------------------------------------------------------

class SlowFirstCopy(Peer):
    """Keeps the first copy of each message (by Message-ID) DELAY seconds
    before its 451, so that the attempt ends after delay_warning_time;
    250 to the next.  on_copy(n) is called as copy n arrives."""

    DELAY = 1.2

    def __init__(self, on_copy):
        super().__init__()
        self.on_copy = on_copy
        self.copies = collections.Counter()
        self.accepted = collections.Counter()

    def _finish(self, txn, send):
        m = re.search(rb"(?im)^Message-ID:\s*(<[^>\r\n]+>)",
                           txn.data or b"")
        mid = m.group(1).decode() if m else None
        with self.lock:
            self.copies[mid] += 1
            n = self.copies[mid]
        self.on_copy(n)
        if n == 1:
            time.sleep(self.DELAY)
            send("451 4.3.0 try again later")
            return
        with self.lock:
            self.accepted[mid] += 1
        send("250 2.0.0 Ok")


def notices(maildir, mid):
    """(delay notices, failure notices) about mid in maildir"""
    delayed = failed = 0
    for p in si.maildir_files(maildir, ("new", "cur")):
        data = si.read_bytes(p)
        if mid.encode() not in data:
            continue
        if b"Action: delayed" in data:
            delayed += 1
        if b"Action: failed" in data:
            failed += 1
    return delayed, failed


def test_delay_notice_faults(make_instance, sluice_bin, capsys):
    tally = Tally("delay notices")
    progs = ("qmgr", "bounce", "cleanup")
    snaps = {}

    def snapshot(n):
        snaps[n] = {p: {k: c for k, c in sites_of(shim[p], None, sluice_bin,
                                                    p)} for p in progs}

    with SlowFirstCopy(snapshot) as peer:
        inst, shim, _ = mail_path_instance(make_instance, sluice_bin, peer,
                                           {"delay_warning_time": "1s"})
        pm = inst.vmaildir("postmaster")

        def run(tag):
            mid = "<fp-delay-%s@client.example>" % tag
            log_from = len(inst.maillog())
            snaps.clear()
            acked = False
            for _ in range(4):
                try:
                    smtp_send(inst, "slow@relay.test", mid)
                    acked = True
                    break
                except (smtplib.SMTPException, OSError):
                    time.sleep(0.3)
            deadline = time.monotonic() + walk.RUN_TIMEOUT
            while time.monotonic() < deadline and not (
                    peer.accepted[mid] >= 1 and not inst.queue_files(
                        ALL_QUEUES)):
                time.sleep(0.2)
                if peer.copies[mid] >= 1 and not peer.accepted[mid]:
                    walk.flush(inst)
            time.sleep(0.3)
            log = inst.maillog()[log_from:]
            bad = []
            if not acked:
                bad.append("never acknowledged")
            elif peer.accepted[mid] != 1:
                bad.append("relay copies: %d" % peer.accepted[mid])
            delayed, failed = notices(pm, mid)
            if delayed > 1 or failed:
                bad.append("notices: %d delayed, %d failed"
                           % (delayed, failed))
            if inst.queue_files(ALL_QUEUES):
                bad.append("stuck: %s" % inst.queue_files(ALL_QUEUES))
            deaths = re.findall(r"^.*(?:killed by signal|exit status "
                                     r"[1-9]|panic:|fatal:).*$", log,
                                     re.M)
            if deaths:
                bad.append("died: %s" % deaths[:3])
            return bad, delayed, log

        try:
            inst.start()
            shim.reset()
            bad, delayed, log = run("clean")
            assert not bad and delayed == 1, (bad, delayed, log[-3000:])
            assert 1 in snaps and 2 in snaps, snaps.keys()
            window = dict(snaps)
            points = []
            for p in progs:
                for key, calls in sorted(window[2][p].items()):
                    before = window[1][p].get(key, 0)
                    if calls > before:
                        points.append((p, key, before + 1))
            assert any(p == "cleanup" for p, _, _ in points), points
            for p, key, nth in points:
                kind = site_kind(key)
                err = errno_for(kind, nth > 1)
                shim.reset()
                shim[p].arm(kind, nth, err, key=key)
                bad, delayed, log = run("%s-%x-%d" % (p, key, nth))
                fired = shim[p].read()["fired"][kind]
                shim[p].disarm()
                tally.note(point_name(sluice_bin, p, key, nth, err), fired,
                           bad, "\n    log: " + "\n    log: ".join(
                               log.rstrip("\n").split("\n")[-12:]))
                if bad and not walk.recover(inst):
                    break
        finally:
            shim.close()
    tally.finish(capsys)


# --- failures that last ---------------------------------------------------------

EPISODE = 2.5               # seconds a kind of call keeps failing
# (program, kind, from the Nth call on, errno)
EPISODES = (("cleanup", "fsync", 3, errno.EIO),
            ("qmgr", "write", 2, errno.ENOSPC),
            # also a finished message's file can neither go to the
            # recycle pool nor be removed: it waits at mode 0600 in active/
            ("qmgr", "rename+unlink", 3, errno.ENOSPC),
            ("qmgr", "read", 2, errno.EIO),
            ("local", "write", 2, errno.EDQUOT),
            # pickup can neither remove nor rename what it has queued
            ("pickup", "unlink+rename", 1, errno.EIO))


class Sender(threading.Thread):
    """Sends one message after another until stopped: over SMTP to the
    three kinds of recipient, or (local) with sendmail to the Maildir.
    acked: the Message-IDs that got 250 (or exit 0), refused: the
    others, with the reply."""

    RCPTS = (LOCAL_RCPT, walk.MBOX_RCPT, walk.RELAY_OK)

    def __init__(self, inst, tag, local=False):
        super().__init__(daemon=True)
        self.inst, self.tag, self.local = inst, tag, local
        self.stop = threading.Event()
        self.acked, self.refused = [], []

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            mid = "<fp-last-%s-%d@client.example>" % (self.tag, n)
            if self.local:
                r = sendmail(self.inst, ["-f", SENDER, LOCAL_RCPT],
                                  walk.message(mid, LOCAL_RCPT).replace(
                                      b"\r\n", b"\n"))
                if r.returncode == 0:
                    self.acked.append(mid)
                else:
                    self.refused.append((mid, "exit %d" % r.returncode))
                time.sleep(0.1)
                continue
            try:
                with self.inst.smtp(timeout=20) as s:
                    refused = s.sendmail(SENDER, list(self.RCPTS),
                                         walk.message(mid, "three"))
                if refused:
                    self.refused.append((mid, repr(refused)))
                else:
                    self.acked.append(mid)
            except smtplib.SMTPResponseException as e:
                self.refused.append((mid, "%d %r" % (e.smtp_code,
                                                     e.smtp_error)))
            except (smtplib.SMTPException, OSError) as e:
                self.refused.append((mid, repr(e)))
            time.sleep(0.1)


def test_lasting_faults(make_instance, sluice_bin, capsys):
    tally = Tally("lasting failures")
    with walk.DeferFirstCopy() as peer:
        inst, shim, mbox = mail_path_instance(make_instance, sluice_bin,
                                              peer)
        user = inst.vmaildir("user")
        try:
            inst.start()
            for prog, kinds, nth, err in EPISODES:
                point = "%s: every %s from #%d on, %s, for %.1fs" % (
                    prog, kinds, nth, errno.errorcode[err], EPISODE)
                kind, *also = kinds.split("+")
                local = prog == "pickup"    # its mail comes by sendmail
                log_from = len(inst.maillog())
                shim.reset()
                shim[prog].arm(kind, nth, err, length=FOREVER, also=also)
                sender = Sender(inst, "%s-%s" % (prog, kinds), local)
                sender.start()
                time.sleep(EPISODE)
                shim[prog].disarm()
                fired = sum(shim[prog].read()["fired"][k]
                            for k in [kind] + also)
                time.sleep(0.5)
                sender.stop.set()
                sender.join(30)

                def got(m):
                    """(maildir, mbox, relay) copies; the mbox and the
                    relay get none of the local submissions"""
                    return (walk.copies(user, m),
                            walk.mbox_copies(mbox, m) if not local else 1,
                            peer.accepted[m] if not local else 1)

                def arrived():
                    return all(min(got(m)) >= 1 for m in sender.acked) \
                        and not inst.queue_files(ALL_QUEUES)
                deadline = time.monotonic() + 30
                while not arrived() and time.monotonic() < deadline:
                    walk.flush(inst)
                    time.sleep(0.5)
                time.sleep(0.3)
                bad = []
                if len(sender.acked) < 2:
                    bad.append("only %d message(s) acknowledged"
                               % len(sender.acked))
                for m in sender.acked:
                    if got(m) != (1, 1, 1):
                        bad.append("%s: (maildir, mbox, relay) copies %s"
                                   % (m, got(m)))
                for m, why in sender.refused:
                    if re.match(r"5\d\d", why):
                        bad.append("5xx: %s" % why)
                    if walk.copies(user, m) or peer.accepted[m]:
                        bad.append("%s refused (%s) but delivered"
                                   % (m, why))
                if inst.queue_files(ALL_QUEUES):
                    bad.append("stuck: %s" % inst.queue_files(ALL_QUEUES))
                log = inst.maillog()[log_from:]
                deaths = re.findall(r"^.*(?:killed by signal|exit "
                                         r"status [1-9]|panic:|fatal:).*$",
                                         log, re.M)
                if deaths:
                    bad.append("died: %s" % deaths[:3])
                tally.note("%s (%d calls failed, %d acked, %d refused)"
                           % (point, fired, len(sender.acked),
                              len(sender.refused)), fired, bad,
                           "\n    log: " + "\n    log: ".join(
                               log.rstrip("\n").split("\n")[-15:]))
                if bad and not walk.recover(inst):
                    break
        finally:
            shim.close()
    tally.finish(capsys)
