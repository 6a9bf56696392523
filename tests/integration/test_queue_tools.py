"""The queue tools: showq, sluice-queue (-p, -j, -f, -s, -i), mailq and
sluice-super (-d, -h, -H, -r, -s, IDs from stdin).

The queue is built without qmgr: mail goes in through smtpd and cleanup
(into incoming/), then the files are moved between the queue directories
by hand and defer/ID logs are written in the lib/queue/defer_log.h format.
master.cf keeps smtpd, cleanup and showq only, so nothing moves under
the test.  qmgr's trigger socket, when a test needs to see the pokes, is a
plain socket the test listens on itself.
"""

import grp
import json
import os
import pwd
import re
import shutil
import socket
import stat
import struct
import subprocess
import time

import pytest

import sluice_instance as si

SHOWQ_LINE = "showq     unix  n  -  n  -    -  showq"
QUIET_SERVICES = ("qmgr", "pickup", "local", "virtual")
HEADER = ("-Queue ID-  --Size-- ----Arrival Time---- "
          "-Sender/Recipient-------")
JSON_FIELDS = {"queue_name", "queue_id", "arrival_time", "message_size",
               "forced_expire", "sender", "recipients"}


def showq_only(inst):
    """master.cf with smtpd, cleanup and showq: no queue manager."""
    out = []
    for line in inst.master_cf().split("\n"):
        fields = line.split()
        if fields and not line.startswith("#") and \
                fields[0] in QUIET_SERVICES + ("showq",):
            continue
        out.append(line)
    out.append(SHOWQ_LINE)
    inst.write_master_cf("\n".join(out) + "\n")


def owner_ids(inst):
    if not si.is_root():
        return os.getuid(), os.getgid()
    pw = pwd.getpwnam("sluice")
    return pw.pw_uid, pw.pw_gid


def queue_dir(inst, name):
    path = os.path.join(inst.queue, name)
    if not os.path.isdir(path):
        os.mkdir(path, 0o700)
        os.chown(path, *owner_ids(inst))
    return path


def send(inst, rcpts, sender="sender@client.example", body="hello\n"):
    with inst.smtp() as s:
        s.ehlo("client.example")
        code, _ = s.mail(sender)
        assert code == 250
        for r in rcpts:
            code, _ = s.rcpt(r)
            assert code == 250, r
        code, resp = s.data("Subject: t\n\n" + body)
        assert code == 250, resp
    qid = si.queued_id(resp)
    assert qid and si.wait_until(lambda: inst.is_complete(qid), 5)
    return qid


def move(inst, qid, src, dst):
    queue_dir(inst, dst)
    os.rename(inst.queue_path(qid, src), inst.queue_path(qid, dst))


def rcpt_offsets(path):
    """Offsets of the R/D records, in file order."""
    with open(path, "rb") as f:
        data = f.read()
    pos, found = 0, []
    while pos + 5 <= len(data):
        (length,) = struct.unpack(">I", data[pos + 1:pos + 5])
        if data[pos:pos + 1] in (b"R", b"D"):
            found.append(pos)
        pos += 5 + length
    return found


def mark_done(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        assert f.read(1) == b"R"
        f.seek(offset)
        f.write(b"D")


def write_defer(inst, qid, entries, warned=0):
    """defer/ID: warned=N, then OFFSET<TAB>DSN<TAB>REASON lines."""
    d = queue_dir(inst, "defer")
    path = os.path.join(d, qid)
    data = b"warned=%d\n" % warned
    for offset, dsn, reason in entries:
        if isinstance(reason, str):
            reason = reason.encode()
        data += b"%d\t%s\t%s\n" % (offset, dsn.encode(), reason)
    with open(path, "wb") as f:
        f.write(data)
    os.chown(path, *owner_ids(inst))
    return path


def run(inst, prog, *args, stdin=None, timeout=30, env=None, user=None):
    e = inst.env()
    e.update(env or {})
    kwargs = {}
    if user is not None:
        pw = pwd.getpwnam(user)

        def demote():
            os.setgroups([])
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
        kwargs["preexec_fn"] = demote
    return subprocess.run([inst.prog(prog)] + list(args),
                          input=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=e, timeout=timeout,
                          text=True, errors="surrogateescape", **kwargs)


def queue_tool(inst, *args, **kw):
    return run(inst, "sluice-queue", "-c", inst.etc, *args, **kw)


def super_tool(inst, *args, **kw):
    return run(inst, "sluice-super", "-c", inst.etc, *args, **kw)


def json_listing(inst):
    r = queue_tool(inst, "-j")
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


@pytest.fixture
def qinst(make_instance, sluice_bin):
    for prog in ("showq", "sluice-queue", "sluice-super"):
        if not os.access(os.path.join(sluice_bin, prog), os.X_OK):
            pytest.fail("%s missing in %s" % (prog, sluice_bin))
    return make_instance(master=showq_only)


@pytest.fixture
def populated(qinst):
    """incoming, active (one recipient done), deferred (two reasons),
    hold (null sender) and a maildrop file; returns (inst, ids)."""
    inst = qinst
    ids = {}
    ids["incoming"] = send(inst, ["in@localhost"])
    ids["active"] = send(inst, ["a1@localhost", "a2@localhost"])
    ids["deferred"] = send(inst, ["d1@remote.example", "d2@remote.example",
                                  "d3@remote.example"], body="x" * 3000)
    ids["hold"] = send(inst, ["h@localhost"], sender="")
    ids["maildrop"] = send(inst, ["md@localhost"])
    move(inst, ids["active"], "incoming", "active")
    mark_done(inst.queue_path(ids["active"], "active"),
              rcpt_offsets(inst.queue_path(ids["active"], "active"))[0])
    move(inst, ids["deferred"], "incoming", "deferred")
    off = rcpt_offsets(inst.queue_path(ids["deferred"], "deferred"))
    write_defer(inst, ids["deferred"], [
        (off[0], "4.4.1", "connect to remote.example: Connection refused"),
        (off[1], "4.4.1", "connect to remote.example: Connection refused"),
        (off[2], "4.7.1", b'said: "no" \\ \x01 caf\xc3\xa9 bad\xff'),
    ])
    move(inst, ids["hold"], "incoming", "hold")
    # maildrop files are user-written and mode 0644 when complete
    md = inst.queue_path(ids["maildrop"], "maildrop")
    os.rename(inst.queue_path(ids["maildrop"]), md)
    os.chmod(md, 0o644)
    return inst, ids


def test_json_listing(populated):
    inst, ids = populated
    # an unfinished write is not listed
    partial = os.path.join(inst.incoming, "0000000100000FFFF")
    with open(partial, "wb") as f:
        f.write(b"V\0\0\0\x011")
    os.chmod(partial, 0o600)
    msgs = json_listing(inst)
    assert [m["queue_name"] for m in msgs] == \
        ["maildrop", "incoming", "active", "deferred", "hold"]
    by_queue = {m["queue_name"]: m for m in msgs}
    for name, m in by_queue.items():
        assert set(m) == JSON_FIELDS, m
        assert m["queue_id"] == ids[name]
        assert type(m["arrival_time"]) is int
        assert abs(m["arrival_time"] - time.time()) < 120
        assert type(m["message_size"]) is int and m["message_size"] > 0
        assert m["forced_expire"] is False
        assert isinstance(m["recipients"], list)
    assert by_queue["deferred"]["message_size"] > 3000
    assert by_queue["incoming"]["sender"] == "sender@client.example"
    assert by_queue["hold"]["sender"] == ""
    # the done recipient is not listed; no delay_reason when there is none
    assert by_queue["active"]["recipients"] == [{"address": "a2@localhost"}]
    assert by_queue["maildrop"]["recipients"] == [{"address": "md@localhost"}]
    d = by_queue["deferred"]["recipients"]
    assert [r["address"] for r in d] == \
        ["d1@remote.example", "d2@remote.example", "d3@remote.example"]
    assert d[0]["delay_reason"] == \
        "connect to remote.example: Connection refused"
    # defer_log_read turns control characters into spaces (the reasons come
    # from remote servers); JSON then escapes quotes, backslash, bad UTF-8
    assert d[2]["delay_reason"] == 'said: "no" \\   caf\u00e9 bad\ufffd'
    # the raw line is pure, valid JSON text with the escapes
    raw = queue_tool(inst, "-j").stdout
    raw.encode("utf-8")
    assert '\\"no\\" \\\\   caf' in raw and "\\ufffd" in raw


def test_classic_listing_and_mailq(populated):
    inst, ids = populated
    r = queue_tool(inst, "-p")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split("\n")
    assert lines[0] == HEADER
    first = {}
    for i, line in enumerate(lines):
        m = re.match(r"^([0-9A-F]+)([*! ])\s+(\d+) (\w{3} \w{3} [ \d]\d "
                     r"\d\d:\d\d:\d\d)  (\S+)$", line)
        if m:
            first[m.group(1)] = (i, m.group(2), m.group(5))
    assert set(first) == set(ids.values()), r.stdout
    assert first[ids["active"]][1] == "*"
    assert first[ids["hold"]][1] == "!"
    assert first[ids["deferred"]][1] == " "
    assert first[ids["hold"]][2] == "MAILER-DAEMON"
    assert first[ids["incoming"]][2] == "sender@client.example"
    order = [first[ids[q]][0] for q in
             ("maildrop", "incoming", "active", "deferred", "hold")]
    assert order == sorted(order)
    # deferred: the shared reason once, then the other one, control
    # characters neutralised
    i = first[ids["deferred"]][0]
    assert lines[i + 1] == "(connect to remote.example: Connection refused)"
    assert lines[i + 2] == " " * 41 + "d1@remote.example"
    assert lines[i + 3] == " " * 41 + "d2@remote.example"
    assert lines[i + 4] == '(said: "no" \\   caf\u00e9 bad?)'
    assert lines[i + 5] == " " * 41 + "d3@remote.example"
    assert lines[i + 6] == ""
    i = first[ids["active"]][0]
    assert lines[i + 1] == " " * 41 + "a2@localhost"
    assert lines[i + 2] == ""
    assert re.match(r"^-- \d+ Kbytes in 5 Requests\.$", lines[-2]), lines[-2]
    # mailq is the same listing (sluice-queue -p until mailq exists)
    mailq = inst.prog("mailq")
    if os.access(mailq, os.X_OK):
        m = subprocess.run([mailq], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=30,
                           env=dict(inst.env(), SLUICE_CONFIG=inst.etc))
        assert m.returncode == 0, m.stderr
        assert m.stdout == r.stdout


def test_empty_queue_and_master_down(qinst):
    r = queue_tool(qinst, "-p")
    assert (r.returncode, r.stdout) == (0, "Mail queue is empty\n"), r.stderr
    r = queue_tool(qinst, "-j")
    assert (r.returncode, r.stdout) == (0, ""), r.stderr
    qinst.stop()
    for opt in ("-p", "-j"):
        r = queue_tool(qinst, opt)
        assert r.returncode == 69
        assert r.stderr.strip() == ("sluice-queue: fatal: Queue report "
                                    "unavailable - mail system is down")
    r = queue_tool(qinst, "-f")
    assert r.returncode == 69 and "mail system is down" in r.stderr


def test_bad_arguments(qinst):
    assert queue_tool(qinst, "-i", "nothex").returncode == 64
    assert queue_tool(qinst, "-s", "bad site\n").returncode == 64
    assert queue_tool(qinst).returncode == 64
    assert queue_tool(qinst, "-p", "-j").returncode == 64
    r = super_tool(qinst, "-d", "ALL", "nosuchqueue")
    assert r.returncode != 0 and "invalid queue name" in r.stderr


class TriggerSink:
    """Listen on public/qmgr in qmgr's place and collect the pokes."""

    def __init__(self, inst):
        self.path = os.path.join(inst.queue, "public", "qmgr")
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o666)
        self.sock.listen(16)
        self.sock.settimeout(0.5)

    def collect(self):
        got = []
        while True:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                return got
            conn.settimeout(2)
            data = b""
            while True:
                chunk = conn.recv(1024)
                if not chunk:
                    break
                data += chunk
            conn.close()
            got.append(data)

    def close(self):
        self.sock.close()
        os.unlink(self.path)


def test_flush_requests(qinst):
    sink = TriggerSink(qinst)
    try:
        assert queue_tool(qinst, "-f").returncode == 0
        assert queue_tool(qinst, "-s", "remote.example").returncode == 0
        assert queue_tool(qinst, "-i", "0123456789ABCDEF0").returncode == 0
        assert sink.collect() == [b"F", b"Sremote.example\n",
                                  b"I0123456789ABCDEF0\n"]
    finally:
        sink.close()


def test_hold_release_requeue_delete(populated):
    inst, ids = populated
    sink = TriggerSink(inst)
    try:
        dq = ids["deferred"]
        r = super_tool(inst, "-h", dq)
        assert r.returncode == 0, r.stderr
        assert "sluice-super: Placed on hold: 1 message" in r.stderr
        assert os.path.exists(inst.queue_path(dq, "hold"))
        assert not os.path.exists(inst.queue_path(dq, "deferred"))
        assert b"W" in sink.collect()
        held = {m["queue_id"] for m in json_listing(inst)
                if m["queue_name"] == "hold"}
        assert held == {dq, ids["hold"]}

        old = time.time() - 5000
        os.utime(inst.queue_path(dq, "hold"), (old, old))
        r = super_tool(inst, "-H", dq)
        assert "Released from hold: 1 message" in r.stderr, r.stderr
        path = inst.queue_path(dq, "deferred")
        assert abs(os.stat(path).st_mtime - time.time()) < 60
        assert os.path.exists(os.path.join(inst.queue, "defer", dq))

        r = super_tool(inst, "-r", dq)
        assert "Requeued: 1 message" in r.stderr, r.stderr
        assert os.path.exists(inst.queue_path(dq, "incoming"))
        assert not os.path.exists(os.path.join(inst.queue, "defer", dq))
        pokes = sink.collect()
        assert b"A" in pokes and b"W" in pokes

        r = super_tool(inst, "-d", ids["active"])
        assert r.returncode == 0, r.stderr
        assert "sluice-super: %s: removed" % ids["active"] in r.stderr
        assert "Deleted: 1 message" in r.stderr
        assert not os.path.exists(inst.queue_path(ids["active"], "active"))
        assert inst.wait_log(r"sluice/sluice-super\[\d+\]: %s: removed"
                             % ids["active"])

        # IDs from stdin, with noise: blank lines, white space, a bad ID
        r = super_tool(inst, "-d", "-", stdin="\n  %s \nnot-an-id\n%s\n"
                       % (ids["incoming"], ids["hold"]))
        assert "Deleted: 2 messages" in r.stderr, r.stderr
        assert "invalid mail queue id" in r.stderr
        left = {(m["queue_name"], m["queue_id"]) for m in json_listing(inst)}
        assert left == {("maildrop", ids["maildrop"]), ("incoming", dq)}

        # hold ALL restricted to one queue, then delete ALL
        extra = send(inst, ["x@localhost"])
        move(inst, extra, "incoming", "deferred")
        r = super_tool(inst, "-h", "ALL", "deferred")
        assert "Placed on hold: 1 message" in r.stderr, r.stderr
        assert os.path.exists(inst.queue_path(extra, "hold"))
        assert os.path.exists(inst.queue_path(dq, "incoming"))
        r = super_tool(inst, "-d", "ALL")
        assert "Deleted: 2 messages" in r.stderr, r.stderr
        # maildrop is only touched when named
        assert [m["queue_name"] for m in json_listing(inst)] == ["maildrop"]
        r = super_tool(inst, "-h", "ALL", "maildrop")
        assert "Placed on hold: 0 messages" in r.stderr, r.stderr
        assert "can only be deleted" in r.stderr
        r = super_tool(inst, "-d", "ALL", "maildrop")
        assert "Deleted: 1 message" in r.stderr
        assert queue_tool(inst, "-p").stdout == "Mail queue is empty\n"
    finally:
        sink.close()


def test_requeue_keeps_delivered_alias_addresses(qinst):
    """-r drops a message's delay reasons, but not the defer log's list
    of addresses already delivered for a pending recipient (sent=): the
    next attempt would deliver those again."""
    inst = qinst
    qid = send(inst, ["list@localhost"])
    move(inst, qid, "incoming", "deferred")
    off = rcpt_offsets(inst.queue_path(qid, "deferred"))[0]
    path = write_defer(inst, qid, [(off, "4.2.0", "try later")])
    with open(path, "ab") as f:
        f.write(b"sent=%d\ta@dest1.test\n" % off)
    # the listing still reads the log (its reason) with the sent= line
    listed = [m for m in json_listing(inst) if m["queue_id"] == qid]
    assert listed[0]["recipients"][0]["delay_reason"] == "try later"
    r = super_tool(inst, "-r", qid)
    assert "Requeued: 1 message" in r.stderr, r.stderr
    assert os.path.exists(inst.queue_path(qid, "incoming"))
    with open(path, "rb") as f:
        assert b"sent=%d\ta@dest1.test\n" % off in f.read()


def test_structure_repair(qinst):
    inst = qinst
    uid, gid = owner_ids(inst)
    good = send(inst, ["g@localhost"])
    move(inst, good, "incoming", "deferred")
    gpath = inst.queue_path(good, "deferred")
    os.chmod(gpath, 0o755)
    if si.is_root():
        os.chown(gpath, 0, 0)
    junk = os.path.join(inst.queue, "deferred", "junk-name")
    with open(junk, "w") as f:
        f.write("junk")
    bad = os.path.join(queue_dir(inst, "hold"), "0000000200000AAAA")
    with open(bad, "wb") as f:
        f.write(b"Xgarbage")
    os.chmod(bad, 0o700)
    stale = os.path.join(inst.incoming, "0000000300000BBBB")
    fresh = os.path.join(inst.incoming, "0000000300000CCCC")
    for p in (stale, fresh):
        with open(p, "wb") as f:
            f.write(b"V\0\0\0\x011")
        os.chmod(p, 0o600)
    old = time.time() - 7200
    os.utime(stale, (old, old))
    orphan = write_defer(inst, "0000000400000DDDD", [(100, "4.0.0", "x")])
    kept = write_defer(inst, good, [(100, "4.0.0", "y")])
    # a finished message whose removal by qmgr was cut short after the
    # mode change (queue_recycle_put): whole, and already cut
    retired = [send(inst, ["r%d@localhost" % i]) for i in range(2)]
    for i, qid in enumerate(retired):
        move(inst, qid, "incoming", "active")
        os.chmod(inst.queue_path(qid, "active"), 0o600)
        if i:
            os.truncate(inst.queue_path(qid, "active"), 0)

    r = super_tool(inst, "-s")
    assert r.returncode == 0, r.stderr
    corrupt = os.listdir(os.path.join(inst.queue, "corrupt"))
    assert "junk-name" in corrupt and "0000000200000AAAA" in corrupt
    assert not os.path.exists(junk) and not os.path.exists(bad)
    assert not os.path.exists(stale) and os.path.exists(fresh)
    assert not os.path.exists(orphan) and os.path.exists(kept)
    for qid in retired:
        assert not os.path.exists(inst.queue_path(qid, "active"))
        assert qid not in corrupt
        assert "active/%s: finished message whose removal was cut short: " \
            "removed" % qid in r.stderr, r.stderr
    st = os.stat(gpath)
    assert stat.S_IMODE(st.st_mode) == 0o700
    assert (st.st_uid, st.st_gid) == (uid, gid)
    # a second run finds nothing more to do
    r = super_tool(inst, "-s")
    assert r.returncode == 0 and r.stderr == "", r.stderr


@pytest.mark.skipif(not si.is_root(), reason="needs root for other users")
def test_privileges(qinst):
    inst = qinst
    # tmp_path is under a 0700 directory: use the instance's own
    work = os.path.join(inst.dir, "setgid-copy")
    os.mkdir(work, 0o755)
    qid = send(inst, ["p@localhost"])
    # sluice-super is for root only
    r = super_tool(inst, "-d", qid, user="nobody")
    assert r.returncode != 0 and "reserved for the superuser" in r.stderr
    assert os.path.exists(inst.queue_path(qid))
    # a user outside setgid_group cannot reach showq ...
    r = queue_tool(inst, "-p", user="nobody")
    assert r.returncode == 69, r.stderr
    # ... through a setgid copy it can
    copy = os.path.join(work, "sluice-queue")
    shutil.copy(inst.prog("sluice-queue"), copy)
    os.chown(copy, 0, grp.getgrnam("sluicedrop").gr_gid)
    os.chmod(copy, 0o2755)

    def run_copy(*args):
        pw = pwd.getpwnam("nobody")

        def demote():
            os.setgroups([])
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
        return subprocess.run([copy] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=30, preexec_fn=demote,
                              env=inst.env())
    # A sanitizer build cannot read its options in a setgid process
    # (/proc/self/environ is closed to it), and LeakSanitizer then fails
    # at exit: judge those runs by their output only.
    with open(copy, "rb") as f:
        sanitized = b"__asan_init" in f.read()
    r = run_copy("-c", inst.etc, "-j")
    assert sanitized or r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["queue_id"] == qid
    # an alternate config dir owned by someone else is refused
    other = os.path.join(work, "etc")
    shutil.copytree(inst.etc, other)
    os.chown(other, pwd.getpwnam("sluice").pw_uid, 0)
    r = run_copy("-c", other, "-p")
    assert sanitized or r.returncode == 77, r.stderr
    assert "must be owned by root" in r.stderr and r.stdout == ""
