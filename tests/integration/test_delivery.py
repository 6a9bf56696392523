"""Delivery end to end: SMTP in, a file in the right mailbox, byte for byte.

Virtual mailboxes of the demo layout (example.test, Maildirs under
DIR/mail owned by the virtual uid), the postmaster alias, system users
with home_mailbox = Maildir/ and with mbox in mail_spool_directory, and
the alias and .forward destinations: a file, a |command, an :include:
list.  A delivered message is the message as sent (LF line ends) after
the lines delivery puts in front: Return-Path:, Delivered-To: and the
Received: header of the trip.
"""

import os
import pwd
import re
import shutil
import subprocess
import tempfile

import pytest

import sluice_instance as si

SENDER = "sender@client.example"

# Sent with CRLF on the wire; stored and delivered with LF.
MESSAGE = (b"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
           b"Message-ID: <delivery-%d@client.example>\r\n"
           b"From: Sender <sender@client.example>\r\n"
           b"To: somebody@client.example\r\n"
           b"Subject: delivery test\r\n"
           b"\r\n"
           b"first body line\r\n"
           b".. a line that started with a dot\r\n"
           b"From the middle of a line at the start\r\n"
           b">From an already quoted line\r\n"
           b"last line\r\n")


def message(n=1):
    return MESSAGE.replace(b"%d", str(n).encode())


def lf(data):
    return data.replace(b"\r\n", b"\n")


def send(inst, rcpts, data, sender=SENDER, mail_options=(),
         rcpt_options=()):
    """One SMTP transaction; the queue ID of the 250 reply."""
    with inst.smtp(timeout=10) as s:
        s.ehlo("client.example")
        code, resp = s.mail(sender, list(mail_options))
        assert code == 250, resp
        for r in rcpts:
            code, resp = s.rcpt(r, list(rcpt_options))
            assert code == 250, (r, resp)
        code, resp = s.data(data)
        assert code == 250, resp
    qid = si.queued_id(resp)
    assert qid, resp
    return qid


def check_delivered(data, sent, sender, rcpt, qid=None, nreceived=1):
    """data is sent (LF) after Return-Path, Delivered-To, Received."""
    return_path, delivered_to, received, rest = si.delivery_prefix(data)
    assert return_path == "<%s>" % sender
    if isinstance(rcpt, tuple):
        assert delivered_to in rcpt
    else:
        assert delivered_to == rcpt
    assert len(received) == nreceived, received
    assert rest == lf(sent)
    if qid:
        assert b"by %s (Sluice) with ESMTP id %s" % (
            si.HOSTNAME.encode(), qid.encode()) in received[0], received[0]


def owner(path):
    st = os.stat(path)
    return st.st_uid, st.st_gid


def test_smtplib_to_both_virtual_mailboxes(make_instance):
    inst = make_instance(delivery=True)
    sent = message(1)
    qid = send(inst, ["user@example.test", "postmaster@example.test"], sent)
    for local in ("user", "postmaster"):
        maildir = inst.vmaildir(local)
        [path] = inst.wait_maildir(maildir, 1)
        check_delivered(si.read_bytes(path), sent, SENDER,
                        "%s@example.test" % local, qid)
        # two recipients: the Received: header names neither
        assert b"for <" not in si.read_bytes(path).split(b"\n\n")[0]
        assert owner(path) == inst.virtual_ids()
        for sub in ("new", "cur", "tmp"):
            assert owner(os.path.join(maildir, sub)) == inst.virtual_ids()
            assert os.stat(os.path.join(maildir, sub)).st_mode & 0o077 == 0
        assert os.listdir(os.path.join(maildir, "tmp")) == []
    inst.wait_queue_empty()
    for local in ("user", "postmaster"):
        assert inst.wait_log(r"local\[\d+\]: %s: to=<%s@example\.test>, "
                             r".*dsn=2\.0\.0, status=sent" % (qid, local))
    assert inst.wait_log(r"qmgr\[\d+\]: %s: removed" % qid)


def test_swaks_to_virtual_mailbox(make_instance, tmp_path):
    inst = make_instance(delivery=True)
    sent = lf(message(2))
    data = tmp_path / "data.txt"
    # swaks ends the data with its own CRLF before the dot
    data.write_bytes(sent[:-1])
    r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % inst.port,
                        "--to", "user@example.test", "--from", SENDER,
                        "--data", "@" + str(data), "--timeout", "10"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60, text=True)
    assert r.returncode == 0, r.stdout
    qid = si.queued_id(r.stdout)
    [path] = inst.wait_maildir(inst.vmaildir("user"), 1)
    content = si.read_bytes(path)
    check_delivered(content, sent, SENDER, "user@example.test", qid)
    assert b"\tfor <user@example.test>; " in content
    assert owner(path) == inst.virtual_ids()
    inst.wait_queue_empty()


def test_postmaster_at_localhost_reaches_the_virtual_postmaster(
        make_instance):
    inst = make_instance(delivery=True)
    sent = message(3)
    send(inst, ["postmaster@localhost"], sent)
    [path] = inst.wait_maildir(inst.vmaildir("postmaster"), 1)
    content = si.read_bytes(path)
    assert content.endswith(lf(sent))
    head = content[:-len(lf(sent))]
    fields = si.header_section(head + b"\n")
    names = [n.lower() for n, _ in fields]
    # only what delivery and the trip put in front of the message
    assert set(names) <= {"return-path", "delivered-to", "received"}, names
    assert fields[0][1] == b"Return-Path: <%s>\n" % SENDER.encode()
    delivered = [f for n, f in fields if n.lower() == "delivered-to"]
    assert b"Delivered-To: postmaster@example.test\n" in delivered
    assert owner(path) == inst.virtual_ids()
    assert si.maildir_files(inst.vmaildir("user")) == []
    inst.wait_queue_empty()


def test_unknown_virtual_mailbox_rejected_at_rcpt(make_instance):
    inst = make_instance(delivery=True)
    with inst.smtp() as s:
        s.ehlo("client.example")
        s.mail(SENDER)
        code, resp = s.rcpt("nobody@example.test")
        assert code == 550, resp


# --- system users ---------------------------------------------------------

@pytest.fixture
def system_user(instances_root):
    """A throwaway system user with a home directory under /tmp (root
    only); removed at teardown.  Yields its passwd entry."""
    if not si.is_root():
        pytest.skip("creating a system user needs root")
    home_root = tempfile.mkdtemp(prefix="home-", dir=instances_root)
    os.chmod(home_root, 0o755)
    name = "sltst%s" % os.path.basename(home_root)[-6:].lower()
    name = re.sub(r"[^a-z0-9]", "x", name)
    home = os.path.join(home_root, name)
    subprocess.run(["useradd", "--no-create-home", "--home-dir", home,
                    "--shell", "/bin/sh", "--user-group", name], check=True)
    try:
        pw = pwd.getpwnam(name)
        os.mkdir(home, 0o755)
        os.chown(home, pw.pw_uid, pw.pw_gid)
        yield pw
    finally:
        subprocess.run(["userdel", name], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        subprocess.run(["groupdel", name], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        shutil.rmtree(home_root, ignore_errors=True)


def test_system_user_home_maildir(make_instance, system_user):
    pw = system_user
    inst = make_instance(delivery=True, main={"home_mailbox": "Maildir/"})
    sent = message(4)
    rcpt = "%s@localhost" % pw.pw_name
    qid = send(inst, [rcpt], sent)
    maildir = os.path.join(pw.pw_dir, "Maildir")
    [path] = inst.wait_maildir(maildir, 1)
    check_delivered(si.read_bytes(path), sent, SENDER, rcpt, qid)
    assert owner(path) == (pw.pw_uid, pw.pw_gid)
    assert owner(maildir) == (pw.pw_uid, pw.pw_gid)
    inst.wait_queue_empty()
    assert inst.wait_log(r"local\[\d+\]: %s: to=<%s>, .*status=sent"
                         % (qid, re.escape(rcpt)))


# "From sender  Wed Nov 25 05:44:44 2026": asctime(3) after one or two
# spaces (Postfix writes two)
MBOX_FROM_RE = re.compile(rb"^From (\S+)  ?(Mon|Tue|Wed|Thu|Fri|Sat|Sun) "
                          rb"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                          rb"[ 0-9]\d \d\d:\d\d:\d\d \d{4}\n")


def mbox_quoted(data):
    """mbox quoting of a message body: a line starting "From " gets '>'."""
    return re.sub(rb"(?m)^From ", b">From ", data)


def split_mbox(data):
    """The messages of an mbox: [(envelope sender, message)]."""
    assert MBOX_FROM_RE.match(data), data[:200]
    starts = [m.start() for m in re.finditer(rb"(?m)^From ", data)]
    out = []
    for i, s in enumerate(starts):
        chunk = data[s:starts[i + 1] if i + 1 < len(starts) else len(data)]
        m = MBOX_FROM_RE.match(chunk)
        assert m, chunk[:200]
        # every message ends with an empty line before the next From_
        assert chunk.endswith(b"\n\n"), chunk[-200:]
        out.append((m.group(1).decode(), chunk[m.end():-1]))
    return out


def check_mbox_message(entry, sent, sender, rcpt):
    envelope, msg = entry
    assert envelope == sender
    return_path, delivered_to, received, rest = si.delivery_prefix(msg)
    assert return_path == "<%s>" % sender
    assert delivered_to == rcpt
    assert len(received) == 1
    assert rest == mbox_quoted(lf(sent))


def test_system_user_mbox_in_spool(make_instance, system_user):
    pw = system_user
    spool = []

    def make_spool(inst):
        path = os.path.join(inst.dir, "spool")
        os.mkdir(path)
        # users dot-lock their own mailbox here, as in a 1777 /var/mail
        os.chmod(path, 0o1777)
        spool.append(path)
        inst.set_main({"mail_spool_directory": path})

    inst = make_instance(delivery=True, before_start=make_spool,
                         main={"home_mailbox": ""})
    rcpt = "%s@localhost" % pw.pw_name
    mbox = os.path.join(spool[0], pw.pw_name)
    send(inst, [rcpt], message(5))
    inst.wait_file(mbox, lambda d: d.endswith(b"\n\n"))
    send(inst, [rcpt], message(6))
    data = inst.wait_file(mbox, lambda d: d.count(b"\n\nFrom ") == 1 and
                          d.endswith(b"\n\n"))
    first, second = split_mbox(data)
    check_mbox_message(first, message(5), SENDER, rcpt)
    check_mbox_message(second, message(6), SENDER, rcpt)
    assert owner(mbox) == (pw.pw_uid, pw.pw_gid)
    assert os.stat(mbox).st_mode & 0o077 == 0
    # the content is visible before local drops the lock; once the queue
    # is empty local has answered qmgr, which it does after unlocking
    inst.wait_queue_empty()
    assert not os.path.exists(mbox + ".lock")
    assert not os.path.exists(os.path.join(pw.pw_dir, "Maildir"))


def test_dot_forward(make_instance, system_user):
    """A .forward keeping a copy (\\user) and sending one to a virtual
    mailbox."""
    pw = system_user
    fwd = os.path.join(pw.pw_dir, ".forward")
    with open(fwd, "w") as f:
        f.write("# keep one, send one on\n\\%s, user@example.test\n"
                % pw.pw_name)
    os.chown(fwd, pw.pw_uid, pw.pw_gid)
    os.chmod(fwd, 0o644)
    inst = make_instance(delivery=True, main={"home_mailbox": "Maildir/"})
    sent = message(7)
    rcpt = "%s@localhost" % pw.pw_name
    send(inst, [rcpt], sent)
    [own] = inst.wait_maildir(os.path.join(pw.pw_dir, "Maildir"), 1)
    # \user names the user, whose address is canonical at myhostname
    check_delivered(si.read_bytes(own), sent, SENDER,
                    (rcpt, "%s@%s" % (pw.pw_name, si.HOSTNAME)))
    assert owner(own) == (pw.pw_uid, pw.pw_gid)
    [there] = inst.wait_maildir(inst.vmaildir("user"), 1)
    content = si.read_bytes(there)
    assert content.endswith(lf(sent))
    assert content.startswith(b"Return-Path: <%s>\n" % SENDER.encode())
    assert b"\nDelivered-To: user@example.test\n" in content.split(
        lf(sent))[0]
    assert owner(there) == inst.virtual_ids()
    inst.wait_queue_empty()


# --- alias destinations ---------------------------------------------------

def default_privs_ids():
    """Who runs alias deliveries of a root-owned alias table."""
    if not si.is_root():
        return os.getuid(), os.getgid()
    pw = pwd.getpwnam("nobody")
    return pw.pw_uid, pw.pw_gid


def outbox(inst):
    """DIR/out: a directory alias deliveries (as default_privs) may use."""
    path = os.path.join(inst.dir, "out")
    if not os.path.isdir(path):
        os.mkdir(path)
        os.chmod(path, 0o1777)
    return path


def test_alias_to_file(make_instance):
    target = []

    def aliases(inst):
        path = os.path.join(outbox(inst), "archive.mbox")
        target.append(path)
        inst.add_aliases("archive: %s\n" % path)

    inst = make_instance(delivery=True, before_start=aliases)
    sent = message(8)
    send(inst, ["archive@localhost"], sent)
    data = inst.wait_file(target[0], lambda d: d.endswith(b"\n\n"))
    [entry] = split_mbox(data)
    envelope, msg = entry
    assert envelope == SENDER
    assert msg.endswith(mbox_quoted(lf(sent)))
    head = msg[:-len(mbox_quoted(lf(sent)))]
    assert head.startswith(b"Return-Path: <%s>\n" % SENDER.encode())
    assert b"Delivered-To: archive@localhost\n" in head
    assert owner(target[0]) == default_privs_ids()
    inst.wait_queue_empty()


def test_alias_to_command(make_instance):
    paths = {}

    def aliases(inst):
        d = outbox(inst)
        paths["out"] = os.path.join(d, "cmd.out")
        paths["env"] = os.path.join(d, "cmd.env")
        inst.add_aliases('runit: "|cat > %s; env > %s"\n'
                         % (paths["out"], paths["env"]))

    inst = make_instance(delivery=True, before_start=aliases)
    sent = message(9)
    send(inst, ["runit@localhost"], sent)
    inst.wait_queue_empty()
    data = inst.wait_file(paths["out"])
    assert lf(sent) in data
    head = data[:data.index(lf(sent))]
    assert b"Return-Path: <%s>\n" % SENDER.encode() in head
    assert b"Delivered-To: runit@localhost\n" in head
    env = dict(line.split("=", 1) for line in
               inst.wait_file(paths["env"]).decode().splitlines()
               if "=" in line)
    assert env.get("SENDER") == SENDER
    # the command ran as default_privs, never as root
    assert owner(paths["out"]) == default_privs_ids()
    assert inst.wait_log(r"local\[\d+\]: [0-9A-F]+: to=<runit@localhost>, "
                         r".*status=sent")


def test_alias_to_include_list(make_instance):
    def aliases(inst):
        lst = os.path.join(outbox(inst), "team.list")
        with open(lst, "w") as f:
            f.write("# the team\nuser@example.test\npostmaster@example.test\n")
        os.chmod(lst, 0o644)
        inst.add_aliases("team: :include:%s\n" % lst)

    inst = make_instance(delivery=True, before_start=aliases)
    sent = message(10)
    send(inst, ["team@localhost"], sent)
    for local in ("user", "postmaster"):
        [path] = inst.wait_maildir(inst.vmaildir(local), 1)
        content = si.read_bytes(path)
        assert content.endswith(lf(sent))
        assert content.startswith(b"Return-Path: <%s>\n" % SENDER.encode())
        assert b"Delivered-To: %s@example.test\n" % local.encode() in \
            content[:-len(lf(sent))]
    inst.wait_queue_empty()


def test_rebuilt_vmailbox_table_reaches_running_smtpd(make_instance):
    """sluice-map rebuilds the table under a running (chrooted) smtpd: the
    very next session already sees the new table (the table file is
    updated in place, under the lock the lookups share), and nothing has
    to restart.  Before, the first session after the rebuild still got
    550 from the old table and the process restarted after it."""
    inst = make_instance(delivery=True)
    if not inst.have("sluice-map"):
        pytest.skip("sluice-map not built")
    rcpt = "newbox@example.test"
    with inst.smtp() as s:
        s.ehlo("client.example")
        s.mail("sender@client.example")
        code, _ = s.rcpt(rcpt)
        assert code == 550
    inst.add_vmailbox(rcpt, "example.test/newbox/")
    codes = []
    for _ in range(3):
        with inst.smtp() as s:
            s.ehlo("client.example")
            s.mail("sender@client.example")
            codes.append(s.rcpt(rcpt)[0])
            s.rset()
    assert codes == [250, 250, 250], codes
    assert "lookup table has changed" not in inst.maillog()


def test_copy_already_read_into_cur_is_not_delivered_again(make_instance):
    """A recipient offered again after a crash (qmgr died between the
    agent's success and marking the recipient done) whose first copy a
    reader has since moved to cur/NAME:2,S: local finds it there and
    answers success without a second copy.  The crash is replayed
    exactly: the queue file as it was before delivery is put back."""
    inst = make_instance(delivery=True, start=False)
    full_master = inst.master_cf()
    inst.write_master_cf("\n".join(
        line for line in full_master.split("\n")
        if not (line.split() and line.split()[0] == "qmgr")))
    inst.start()
    sent = message(7)
    qid = send(inst, ["user@example.test"], sent)
    path = inst.queue_path(qid)
    assert si.wait_until(lambda: si.parse_queue_file(path).complete, 10)
    st = os.stat(path)
    saved = si.read_bytes(path)

    inst.stop()
    inst.write_master_cf(full_master)
    inst.start()
    maildir = inst.vmaildir("user")
    [first] = inst.wait_maildir(maildir, 1)
    inst.wait_queue_empty()
    name = os.path.basename(first)
    assert name.startswith(saved_arrival(saved) + ".Q" + qid), name
    os.rename(first, os.path.join(maildir, "cur", name + ":2,S"))

    # qmgr "crashed" before marking: the unmarked file is back
    inst.stop()
    back = inst.queue_path(qid)
    with open(back, "xb") as f:
        f.write(saved)
    os.chmod(back, 0o700)
    if si.is_root():
        os.chown(back, st.st_uid, st.st_gid)
    inst.start()
    assert inst.wait_log(r"local\[\d+\]: %s: to=<user@example\.test>, .*"
                         r"status=sent \(delivered to maildir \(already "
                         r"delivered\)\)" % qid, timeout=20), \
        inst.maillog()[-2000:]
    inst.wait_queue_empty()
    assert os.listdir(os.path.join(maildir, "new")) == []
    assert os.listdir(os.path.join(maildir, "cur")) == [name + ":2,S"]


def saved_arrival(queue_bytes):
    """The arrival second of a queue file, as local names Maildir files."""
    return si.parse_queue_bytes(queue_bytes).arrival.split(".")[0]


def test_virtual_mailbox_with_extension(make_instance):
    """user+tag@ a virtual mailbox domain: smtpd and the virtual agent
    both look the address up as Postfix does (user+tag@domain, then
    user@domain), so it reaches user's mailbox (issue 16)."""
    inst = make_instance(delivery=True, main={"recipient_delimiter": "+"})
    sent = message(1)
    send(inst, ["user+lists@example.test"], sent)
    [path] = inst.wait_maildir(inst.vmaildir("user"), 1)
    assert b"Delivered-To: user+lists@example.test" in si.read_bytes(path)
    inst.wait_queue_empty()
