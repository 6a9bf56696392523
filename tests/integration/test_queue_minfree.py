"""queue_minfree: no new mail while the queue file system is short of space
(issue 15, items 1 and 4).

The issue's instance had its queue on a 12 MB file system: clients got 250
for mail whose queue file could not all be written.  With Postfix's
rule, smtpd answers MAIL FROM "452 4.3.1 Insufficient system storage"
while the free space is no more than queue_minfree or less than 1.5 x
message_size_limit (or a declared SIZE= does not fit), sendmail and
sluice-drop exit 75 before they read the message, sluice check warns and
sluice-queue -p/-j say so in a first line.

Unprivileged, a queue_minfree larger than the real free space (os.statvfs
+ 1 GB) makes the file system "full", and lowering it with a reload makes
room again.  As root, the queue lives on a 12 MB tmpfs that the test
fills with a file and empties again: smtpd accepts again within the
one-second cache, without a restart.  Both count the log lines: a reject
line per refused MAIL, one warning per smtpd process per episode.
"""

import json
import os
import re
import time

import pytest

import sluice_instance as si

GB = 1 << 30
REFUSED = "452 4.3.1 Insufficient system storage"
SHOWQ_LINE = "showq     unix  n  -  n  -    -  showq"
REJECT_RE = (r"sluice/smtpd\[(\d+)\]: NOQUEUE: reject: MAIL from "
             r"\S+\[127\.0\.0\.1\]: 452 4\.3\.1 Insufficient system storage;")
WARN_RE = (r"sluice/smtpd\[(\d+)\]: warning: not enough free space in the "
           r"queue file system: \d+ bytes free, need more than \d+ ")
BACK_RE = (r"sluice/smtpd\[(\d+)\]: free space in the queue file system is "
           r"back: \d+ bytes free")
MESSAGE = b"Subject: space\n\nbody\n"

needs_root = pytest.mark.skipif(not si.is_root(),
                                reason="needs root (mounts a tmpfs)")


def bytes_free(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def with_showq(inst):
    """The inbound instance plus showq, for sluice-queue listings."""
    inst.write_master_cf(inst.master_cf().rstrip("\n") + "\n" +
                         SHOWQ_LINE + "\n")


def mail_from(inst, params=""):
    """One new session: EHLO, then MAIL FROM; the MAIL reply."""
    c = inst.raw()
    try:
        assert c.cmd("EHLO client.example").code == 250
        return c.cmd("MAIL FROM:<sender@client.example>%s" % params)
    finally:
        c.close()


def wait_mail_code(inst, code, timeout=4.0):
    """Poll with new sessions until MAIL FROM gets code; the last reply."""
    last = [None]

    def probe():
        last[0] = mail_from(inst)
        return last[0].code == code
    si.wait_until(probe, timeout, interval=0.1)
    return last[0]


def log_pids(inst, pattern):
    """The smtpd pids of the maillog lines that match, one per line."""
    return [int(p) for p in re.findall(pattern, inst.maillog())]


def assert_logged_once_per_episode(inst, refused):
    """Every refusal has its reject line; the warning once per process."""
    rejects = log_pids(inst, REJECT_RE)
    warnings = log_pids(inst, WARN_RE)
    assert len(rejects) == refused, inst.maillog()[-3000:]
    assert warnings and sorted(warnings) == sorted(set(warnings)), \
        inst.maillog()[-3000:]
    assert set(warnings) == set(rejects), (warnings, set(rejects))
    assert len(warnings) < refused


def queue_listing(inst, *args):
    return inst.tool("sluice-queue", "-c", inst.etc, *args, text=True)


def test_mail_refused_while_queue_short_then_reload_makes_room(make_instance):
    inst = make_instance(main={"message_size_limit": "1000000"},
                         master=with_showq, start=False)
    free = bytes_free(inst.queue)
    inst.set_main({"queue_minfree": str(free + GB)})
    inst.start()

    # smtpd: 452 4.3.1 at MAIL FROM for every client, the transaction
    # is not open afterwards
    refused = 12
    for _ in range(refused - 1):
        r = mail_from(inst)
        assert r.code == 452 and str(r) == REFUSED, r
    c = inst.raw()
    assert c.cmd("EHLO client.example").code == 250
    assert str(c.cmd("MAIL FROM:<sender@client.example>")) == REFUSED
    assert c.cmd("RCPT TO:<user@example.test>").code == 503
    c.close()
    assert inst.wait_log(REJECT_RE)
    assert_logged_once_per_episode(inst, refused)

    # sendmail and sluice-drop: exit 75, a clear message, nothing written
    maildrop = os.path.join(inst.queue, "maildrop")
    r = inst.sendmail("user@example.test", stdin=MESSAGE)
    assert r.returncode == 75, (r.returncode, r.stderr)
    assert re.match(rb"sendmail: fatal: Insufficient system storage in the "
                    rb"queue file system: \d+ bytes free, need more than "
                    rb"\d+ .*try again later\n$", r.stderr), r.stderr
    r = inst.sendmail("-bs", stdin=b"EHLO client.example\r\n"
                      b"MAIL FROM:<sender@client.example>\r\nQUIT\r\n")
    assert b"\r\n452 4.3.1 Insufficient system storage\r\n" in r.stdout, \
        r.stdout
    r = inst.tool("sluice-drop", "-c", inst.etc, stdin=b"")
    assert r.returncode == 75, (r.returncode, r.stderr)
    assert b"sluice-drop: fatal: Insufficient system storage" in r.stderr
    assert os.listdir(maildrop) == []

    # sluice check warns; sluice-queue says so before the (empty) listing
    low_check = inst.sluice("check")
    assert re.search(r"^sluice check: warning: the queue file system of "
                     r"\S+ is short of space: \d+ bytes free, need more "
                     r"than %d " % (free + GB), low_check.stdout, re.M), \
        low_check.stdout
    r = queue_listing(inst, "-j")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(l) for l in r.stdout.splitlines()]
    assert len(lines) == 1, r.stdout
    status = lines[0]
    assert "queue_id" not in status
    assert status["queue_status"] == "refusing mail"
    assert status["reason"] == "Insufficient system storage"
    assert status["needed_bytes"] == free + GB
    assert status["queue_minfree"] == free + GB
    assert status["message_size_limit"] == 1000000
    assert 0 < status["free_bytes"] < free + GB
    r = queue_listing(inst, "-p")
    assert r.stdout.startswith("-- Mail is refused: Insufficient system "
                               "storage in the queue file system: "), r.stdout

    # room again: a reload is enough, no restart, and within the cache
    inst.set_main({"queue_minfree": "0"})
    assert inst.sluice("reload").returncode == 0
    r = wait_mail_code(inst, 250)
    assert r.code == 250, r
    with inst.smtp() as s:
        s.ehlo("client.example")
        assert s.mail("sender@client.example")[0] == 250
        assert s.rcpt("user@example.test")[0] == 250
        code, text = s.data(b"Subject: room\r\n\r\nbody\r\n")
        assert code == 250 and si.queued_id(text), text
    r = inst.sendmail("user@example.test", stdin=MESSAGE)
    assert r.returncode == 0, r.stderr
    assert len(os.listdir(maildrop)) == 1

    ok_check = inst.sluice("check")
    assert "short of space" not in ok_check.stdout
    assert low_check.returncode == ok_check.returncode, \
        (low_check.stdout, ok_check.stdout)
    r = queue_listing(inst, "-j")
    lines = [json.loads(l) for l in r.stdout.splitlines()]
    assert lines and all("queue_id" in m for m in lines), r.stdout
    assert not queue_listing(inst, "-p").stdout.startswith("-- Mail")


def test_declared_size_that_does_not_fit(make_instance):
    inst = make_instance(main={"message_size_limit": "0",
                               "queue_minfree": "0"})
    too_big = bytes_free(inst.queue) + GB
    r = mail_from(inst, " SIZE=%d" % too_big)
    assert str(r) == REFUSED, r
    assert mail_from(inst, " SIZE=1000").code == 250
    assert mail_from(inst).code == 250
    assert len(log_pids(inst, REJECT_RE)) == 1
    # one client's size is not an episode of low space
    assert not log_pids(inst, WARN_RE)
    # over message_size_limit stays a permanent 552, as before
    inst.set_main({"message_size_limit": "1000000"})
    assert inst.sluice("reload").returncode == 0
    # MAIL without SIZE= got 250 before the reload too, so wait for the
    # new limit itself: an smtpd of the old generation may still answer
    # a session or two while it winds down
    last = [None]

    def limit_in_force():
        last[0] = mail_from(inst, " SIZE=2000000")
        return last[0].code != 250
    si.wait_until(limit_in_force, 4.0, interval=0.1)
    assert str(last[0]) == "552 5.3.4 Message size exceeds fixed limit"
    assert mail_from(inst).code == 250


def fill(path, size):
    with open(path, "wb") as f:
        chunk = b"\0" * (1 << 20)
        while size > 0:
            f.write(chunk[:min(size, len(chunk))])
            size -= len(chunk)


@needs_root
def test_tmpfs_queue_fills_and_empties_without_restart(make_instance):
    # 2 MB must stay free; a 1 MB message needs 1.5 MB of it
    inst = make_instance(main={"queue_minfree": "2000000",
                               "message_size_limit": "1000000"},
                         start=False)
    with si.queue_on_tmpfs(inst):
        inst.start()
        c = inst.raw()
        assert c.cmd("EHLO client.example").code == 250
        assert c.cmd("MAIL FROM:<sender@client.example>").code == 250
        assert c.cmd("RCPT TO:<user@example.test>").code == 250
        pid = inst.session_pid(c)
        assert c.cmd("DATA").code == 354
        assert c.cmd(b"Subject: before\r\n\r\nbody\r\n.").code == 250
        c.close()

        # the file system fills up (with something that is not mail)
        filler = os.path.join(inst.queue, "filler")
        fill(filler, bytes_free(inst.queue) - 1500000)
        assert bytes_free(inst.queue) <= 2000000
        r = wait_mail_code(inst, 452)
        assert str(r) == REFUSED, r
        for _ in range(10):
            assert str(mail_from(inst)) == REFUSED
        refused = len(log_pids(inst, REJECT_RE))
        assert refused >= 11
        assert_logged_once_per_episode(inst, refused)
        assert log_pids(inst, WARN_RE) == [pid]
        r = inst.sendmail("user@example.test", stdin=MESSAGE)
        assert r.returncode == 75, (r.returncode, r.stderr)
        assert os.listdir(os.path.join(inst.queue, "maildrop")) == []

        # space comes back: the same smtpd process accepts again within
        # its one-second cache, and says so once
        os.unlink(filler)
        started = time.monotonic()
        r = wait_mail_code(inst, 250)
        assert r.code == 250, r
        assert time.monotonic() - started < 2.5
        for _ in range(5):
            assert mail_from(inst).code == 250
        assert log_pids(inst, BACK_RE) == [pid]
        assert log_pids(inst, WARN_RE) == [pid]
        assert si.pid_alive(pid)
        with inst.smtp() as s:
            s.ehlo("client.example")
            assert s.mail("sender@client.example")[0] == 250
            assert s.rcpt("user@example.test")[0] == 250
            code, text = s.data(b"Subject: after\r\n\r\nbody\r\n")
            assert code == 250 and si.queued_id(text), text
        assert len(inst.complete_ids()) == 2
