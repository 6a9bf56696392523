"""qmgr never takes a queue file whose writer still holds it (issue 15).

cleanup flips a queue file to mode 0700 right before the fsync that makes
it durable, and holds an exclusive flock(2) on it until that fsync (and
the directory's) succeeded; when one fails it removes the name and the
client is told 451.  A qmgr that took the file on the chmod (inotify
IN_ATTRIB, or its own scan) could deliver a message whose sender was
told it was not queued, and the retry delivered it twice.  Here the test
plays cleanup in the middle of that fsync: a finished-looking 0700 file
in incoming/, its lock held.  qmgr must leave it alone, through inotify
and through a flush trigger's scan, and deliver it once the lock goes
with the close.
"""

import fcntl
import os
import struct
import subprocess
import time

import sluice_instance as si


def record(rtype, data=b""):
    return rtype.encode() + struct.pack(">I", len(data)) + data


def queue_file_bytes(rcpt, content):
    return (record("V", b"1") + record("T", b"%d.000000" % int(time.time()))
            + record("Z", b"%020d" % len(content))
            + record("S", b"sender@client.example")
            + record("R", rcpt.encode() + b"\0\0" + b"0") + record("M")
            + record("C", content) + record("E"))


def test_qmgr_leaves_a_file_its_writer_still_holds(make_instance):
    inst = make_instance(delivery=True)
    maildir = inst.vmaildir("user")
    qid = "%08X%09X" % (int(time.time()), 1)
    path = inst.queue_path(qid)
    content = b"Subject: written under lock\n\nbody\n"
    st = os.stat(inst.incoming)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, queue_file_bytes("user@example.test", content))
        os.fchown(fd, st.st_uid, st.st_gid)
        os.fchmod(fd, 0o700)        # what cleanup does before its fsync
        assert si.parse_queue_file(path).complete
        # inotify saw the chmod; a flush trigger makes qmgr scan too
        r = subprocess.run([inst.prog("sluice-queue"), "-c", inst.etc, "-f"],
                           env=inst.env(), timeout=30,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert r.returncode == 0, r.stdout
        time.sleep(1.5)
        assert inst.queue_ids() == [qid], inst.queue_ids()
        assert not os.path.isdir(os.path.join(maildir, "new")) or \
            os.listdir(os.path.join(maildir, "new")) == []
        assert "%s: from=<" % qid not in inst.maillog()
    finally:
        os.close(fd)                # the lock goes: qmgr may take it now
    [got] = inst.wait_maildir(maildir, 1, timeout=15)
    with open(got, "rb") as f:
        assert f.read().endswith(content)
    inst.wait_queue_empty()
