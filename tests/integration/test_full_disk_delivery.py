"""Local delivery when the mailbox cannot take the message (issue 15).

A file (mbox) delivery whose write fails for lack of room is deferred,
never bounced, and the mbox is cut back to its size before the attempt;
once there is room again the next attempt delivers the message exactly
once.  "No room" is made with RLIMIT_FSIZE (EFBIG, the stand-in for a
quota; works unprivileged), set on the instance at start: the mbox is
filled up to just below the limit, while the queue files and the log
stay far below it.  As root, a Maildir on a full tmpfs (ENOSPC) is
deferred with 4.3.0 the same way.
"""

import fcntl
import os
import resource

import pytest

import sluice_instance as si

SENDER = "sender@client.example"
LIMIT = 4 * 1024 * 1024          # RLIMIT_FSIZE of every daemon
FIRST = (b"From someone@example  Mon Jan  1 00:00:00 2024\n"
         b"Subject: the mail that was there before\n\nold body\n\n")


BACKOFF = {"minimal_backoff_time": "1s", "maximal_backoff_time": "2s",
           "queue_run_delay": "1s"}


def outbox(inst):
    """DIR/out: a directory alias deliveries (as default_privs) may use."""
    path = os.path.join(inst.dir, "out")
    if not os.path.isdir(path):
        os.mkdir(path)
        os.chmod(path, 0o1777)
    return path


def start_with_fsize_limit(inst, limit):
    """Start the instance with RLIMIT_FSIZE limit; ours is put back."""
    old = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, old[1]))
    try:
        inst.start()
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old)


def test_mbox_write_past_the_limit_defers_and_truncates(make_instance):
    paths = []

    def aliases(inst):
        path = os.path.join(outbox(inst), "archive.mbox")
        paths.append(path)
        inst.add_aliases("archive: %s\n" % path)
        # one message, then filler up to 100 bytes below the limit
        with open(path, "wb") as f:
            f.write(FIRST)
            f.write(b"X" * (LIMIT - 100 - len(FIRST) - 1) + b"\n")
        os.chmod(path, 0o666)

    inst = make_instance(delivery=True, before_start=aliases, start=False,
                         main=BACKOFF)
    start_with_fsize_limit(inst, LIMIT)
    mbox = paths[0]
    size_before = os.path.getsize(mbox)
    body = b"".join(b"line %04d of the message that does not fit\r\n" % i
                    for i in range(40))
    with inst.smtp(timeout=10) as s:
        s.ehlo("client.example")
        assert s.mail(SENDER)[0] == 250
        assert s.rcpt("archive@localhost")[0] == 250
        code, resp = s.data(b"Subject: too big for the mbox\r\n\r\n" + body)
        assert code == 250, resp
    qid = si.queued_id(resp)
    line = inst.wait_log(r"^.*%s: to=<archive@localhost>.*status=\w+.*$"
                         % qid, timeout=15)
    assert line, inst.maillog()[-3000:]
    text = line.group(0)
    # a full mailbox is a deferral (4.2.2, as Postfix), never a bounce
    assert "status=deferred" in text and "dsn=4.2.2" in text, text
    assert "status=bounced" not in inst.maillog()
    # the half-written append was cut off again
    assert os.path.getsize(mbox) == size_before
    with open(mbox, "rb") as f:
        assert f.read(len(FIRST)) == FIRST

    # room again: the next attempt delivers it, once (under the mbox's
    # fcntl lock, as local takes it, so no attempt runs meanwhile)
    with open(mbox, "r+b") as f:
        fcntl.lockf(f, fcntl.LOCK_EX)
        f.truncate(0)
        f.write(FIRST)
    data = inst.wait_file(mbox, lambda d: b"too big for the mbox" in d
                          and d.endswith(b"\n\n"), timeout=20)
    assert data.startswith(FIRST)
    assert data.count(b"Subject: too big for the mbox") == 1
    assert data.count(b"\nFrom ") == 1
    inst.wait_queue_empty()
    assert "status=bounced" not in inst.maillog()


@pytest.mark.skipif(not si.is_root(), reason="needs root (mounts a tmpfs)")
def test_maildir_on_full_disk_defers_then_delivers_once(make_instance):
    inst = make_instance(delivery=True, main=BACKOFF)
    maildir = inst.vmaildir("user")
    uid, gid = inst.virtual_ids()
    with si.tmpfs(maildir, "256k"):
        for sub in ("tmp", "new", "cur"):
            os.mkdir(os.path.join(maildir, sub), 0o700)
        filler = os.path.join(maildir, "filler")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            for _ in range(1024):           # 4 MB at most: bounded
                os.write(fd, b"x" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)
        for p in [maildir] + [os.path.join(maildir, d)
                              for d in ("tmp", "new", "cur")]:
            os.chown(p, uid, gid)
        body = b"".join(b"line %04d of a message for a full disk\r\n" % i
                        for i in range(200))
        with inst.smtp(timeout=10) as s:
            s.ehlo("client.example")
            assert s.mail(SENDER)[0] == 250
            assert s.rcpt("user@example.test")[0] == 250
            code, resp = s.data(b"Subject: full maildir\r\n\r\n" + body)
            assert code == 250, resp
        qid = si.queued_id(resp)
        line = inst.wait_log(r"^.*%s: to=<user@example.test>.*status=\w+.*$"
                             % qid, timeout=15)
        assert line, inst.maillog()[-3000:]
        text = line.group(0)
        assert "status=deferred" in text and "dsn=4.3.0" in text, text
        assert os.listdir(os.path.join(maildir, "new")) == []
        assert os.listdir(os.path.join(maildir, "tmp")) == []
        # room again: delivered by the next attempt, once
        os.unlink(filler)
        [path] = inst.wait_maildir(maildir, 1)
        with open(path, "rb") as f:
            assert b"Subject: full maildir" in f.read()
        inst.wait_queue_empty()
        assert len(os.listdir(os.path.join(maildir, "new"))) == 1
        assert "status=bounced" not in inst.maillog()
        inst.stop()
