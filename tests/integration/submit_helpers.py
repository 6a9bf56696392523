"""submit_helpers - shared by test_sendmail.py and test_pickup.py.

Local submission: the sendmail front end, the setgid sluice-drop, the
maildrop queue and pickup.  Until the queue manager takes mail out of
incoming/, the tests look for the message there; so that they keep
meaning the same once qmgr runs, every instance made here has no qmgr
line in master.cf (cleanup's poke to public/qmgr then just fails) and
has a pickup line.
"""

import os
import pwd
import random
import socket
import stat
import struct
import subprocess
import time

import sluice_instance as si

PICKUP_LINE = "pickup    unix  n       -       n       60      1       pickup"
QUEUE_MODE_MAILDROP = 0o644


def pickup_only(inst):
    """master.cf: the services of the instance minus qmgr, plus pickup."""
    keep = []
    for line in inst.master_cf().split("\n"):
        fields = line.split()
        if fields and not line.startswith("#") and fields[0] in ("qmgr",
                                                                  "pickup"):
            continue
        keep.append(line)
    inst.write_master_cf("\n".join(keep).rstrip("\n") + "\n" + PICKUP_LINE
                         + "\n")


def make_submit_instance(make_instance, main=None, start=True):
    return make_instance(main=main, master=pickup_only, start=start)


def sendmail(inst, args, data=b"", user=None, bindir=None, timeout=30,
             config=True):
    """Run sendmail (as user, via runuser, when given)."""
    prog = os.path.join(bindir or inst.bindir, "sendmail")
    argv = [prog] + (["-c", inst.etc] if config else []) + list(args)
    if user is not None:
        argv = ["runuser", "-u", user, "--"] + argv
    return subprocess.run(argv, input=data, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=inst.env(),
                          timeout=timeout)


def poke_pickup(inst, command=b"W"):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(os.path.join(inst.queue, "public", "pickup"))
        s.sendall(command)
    finally:
        s.close()


def maildrop_ids(inst):
    return inst.queue_ids("maildrop")


def wait_incoming(inst, count=1, timeout=10.0):
    """The complete queue files in incoming/, once there are count."""
    ids = si.wait_until(lambda: len(inst.complete_ids()) >= count and
                        inst.complete_ids(), timeout)
    assert ids and len(ids) >= count, \
        "expected %d message(s) in incoming/, have %r; maillog:\n%s" % (
            count, inst.queue_ids(), inst.maillog()[-2000:])
    return {q: inst.read_queue(q) for q in ids}


def only_message(inst, timeout=10.0):
    msgs = wait_incoming(inst, 1, timeout)
    assert len(msgs) == 1, msgs
    return next(iter(msgs.values()))


def login_name():
    return pwd.getpwuid(os.getuid()).pw_name


def body_of(msg):
    return msg.content.split(b"\n\n", 1)[1] if b"\n\n" in msg.content \
        else b""


def new_queue_id():
    now = time.time()
    return "%08X%05X%04X" % (int(now), int((now % 1) * 1e6),
                             random.randrange(0x10000))


def record(rtype, data=b""):
    return rtype.encode() + struct.pack(">I", len(data)) + data


def write_maildrop(inst, rcpts, content, sender="", attrs=(), mode=0o644,
                   qid=None, end=True, name=None):
    """A maildrop file as sluice-drop would write it (or not quite)."""
    qid = qid or new_queue_id()
    now = time.time()
    out = record("V", b"1")
    out += record("T", ("%d.%06d" % (int(now), int((now % 1) * 1e6)))
                  .encode())
    out += record("Z", ("%020d" % len(content)).encode())
    out += record("S", sender.encode())
    for name_value in attrs:
        out += record("A", name_value.encode())
    for r in rcpts:
        out += record("R", r.encode() + b"\0\0" + b"0")
    out += record("M")
    for i in range(0, len(content), 65536):
        out += record("C", content[i:i + 65536])
    if end:
        out += record("E")
    path = os.path.join(inst.queue, "maildrop", name or qid)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(out)
    os.chmod(path, mode)
    return name or qid


def file_mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)
