"""Local submission end to end: sendmail -> sluice-drop -> maildrop/ ->
pickup -> cleanup -> qmgr -> a Maildir.

Debian's bsd-mailx (`mail -s`) is pointed at the instance's sendmail
through its `sendmail` variable in a MAILRC file, and finds the instance
through SLUICE_CONFIG, as a program that cannot pass -C would.  A small
wrapper in between records exactly what mailx handed to sendmail, so the
delivered message can be compared byte for byte: it is that text with
the missing From:, Date: and Message-ID: headers added (cleanup), after
Return-Path:, Delivered-To: and pickup's Received: header.
"""

import os
import re
import shutil
import subprocess

import pytest

import sluice_instance as si

ADDED = ("from", "date", "message-id")


def local_sender(inst):
    import pwd
    return "%s@%s" % (pwd.getpwuid(os.getuid()).pw_name, si.HOSTNAME)


def check_submitted(inst, data, submitted, sender, rcpt, added=ADDED):
    """data = prefix + submitted with exactly the `added` headers put
    into its header section."""
    return_path, delivered_to, received, rest = si.delivery_prefix(data)
    assert return_path == "<%s>" % sender
    assert delivered_to == rcpt
    assert len(received) == 1, received
    assert re.match(rb"Received: by %s \(Sluice, from userid %d\)\n"
                    rb"\tid [0-9A-F]+; " % (re.escape(si.HOSTNAME.encode()),
                                            os.getuid()), received[0]), \
        received[0]
    head, sep, body = rest.partition(b"\n\n")
    fields = si.header_section(head + b"\n")
    kept = [f for n, f in fields if n.lower() not in added]
    new = {n.lower(): f for n, f in fields if n.lower() in added}
    sub_head, sub_sep, sub_body = submitted.partition(b"\n\n")
    sub_fields = si.header_section(sub_head + b"\n")
    present = {n.lower() for n, _ in sub_fields}
    # the submitted headers are all there, unchanged and in order
    assert b"".join(kept) == b"".join(f for n, f in sub_fields
                                      if n.lower() not in added)
    for name in added:
        if name in present:
            assert [f for n, f in fields if n.lower() == name] == \
                [f for n, f in sub_fields if n.lower() == name]
        else:
            assert name in new, (name, head)
    assert body == sub_body and sep == sub_sep
    return {n: f for n, f in new.items() if n not in present}


@pytest.fixture
def mailx():
    path = shutil.which("bsd-mailx") or shutil.which("mail")
    if path is None:
        pytest.fail("bsd-mailx is not installed (scripts/install-deps)")
    return path


def test_bsd_mailx(make_instance, mailx, tmp_path):
    inst = make_instance(delivery=True)
    if not inst.have("sendmail") or not inst.have("pickup"):
        pytest.fail("sendmail or pickup missing in %s" % inst.bindir)
    capture = tmp_path / "handed-to-sendmail"
    wrapper = tmp_path / "sendmail-wrapper"
    wrapper.write_text("#!/bin/sh\n"
                       "cat > '%s' || exit 75\n"
                       "exec '%s' \"$@\" < '%s'\n"
                       % (capture, inst.prog("sendmail"), capture))
    wrapper.chmod(0o755)
    rc = tmp_path / "mailrc"
    rc.write_text("set sendmail=%s\n" % wrapper)
    env = dict(inst.env(), MAILRC=str(rc), SLUICE_CONFIG=inst.etc,
               HOME=str(tmp_path))
    body = b"Hello from mailx.\nFrom here on, a second line.\n"
    r = subprocess.run([mailx, "-s", "mailx subject", "user@example.test"],
                       input=body, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, timeout=30)
    assert r.returncode == 0, r.stderr
    submitted = capture.read_bytes()
    assert b"Subject: mailx subject\n" in submitted
    [path] = inst.wait_maildir(inst.vmaildir("user"), 1)
    new = check_submitted(inst, si.read_bytes(path), submitted,
                          local_sender(inst), "user@example.test")
    assert local_sender(inst).encode() in new["from"]
    inst.wait_queue_empty()
    # pickup logs the sender as submitted (Postfix too); cleanup qualifies
    assert inst.wait_log(r"pickup\[\d+\]: [0-9A-F]+: uid=%d from=<%s>"
                         % (os.getuid(), re.escape(
                             local_sender(inst).split("@")[0])))


CRON_MAIL = (b"From: root (Cron Daemon)\n"
             b"To: user@example.test\n"
             b"Subject: Cron <root@host> /usr/local/bin/nightly\n"
             b"MIME-Version: 1.0\n"
             b"Content-Type: text/plain; charset=UTF-8\n"
             b"Content-Transfer-Encoding: 8bit\n"
             b"X-Cron-Env: <SHELL=/bin/sh>\n"
             b"X-Cron-Env: <HOME=/root>\n"
             b"\n"
             b"nightly: 3 files rotated\n"
             b".\n"
             b"..\n"
             b"last line without a newline")


def test_cron_style_sendmail_t(make_instance):
    inst = make_instance(delivery=True)
    # as cron runs it: recipients from the headers, dots are data
    r = inst.sendmail("-FCronDaemon", "-i", "-t", stdin=CRON_MAIL)
    assert r.returncode == 0, r.stderr
    [path] = inst.wait_maildir(inst.vmaildir("user"), 1)
    # a local submission's address headers get @$myorigin, as in Postfix
    submitted = CRON_MAIL.replace(b"From: root (", b"From: root@%s ("
                                  % si.HOSTNAME.encode())
    new = check_submitted(inst, si.read_bytes(path), submitted + b"\n",
                          local_sender(inst), "user@example.test")
    assert set(new) == {"date", "message-id"}
    inst.wait_queue_empty()


def test_sendmail_with_master_down_waits_in_maildrop(make_instance):
    inst = make_instance(delivery=True, start=False)
    msg = b"Subject: queued while down\n\nbody\n"
    r = inst.sendmail("-i", "postmaster@example.test", stdin=msg)
    assert r.returncode == 0, r.stderr
    assert len(inst.queue_files(("maildrop",))) == 1
    inst.start()
    [path] = inst.wait_maildir(inst.vmaildir("postmaster"), 1)
    new = check_submitted(inst, si.read_bytes(path), msg,
                          local_sender(inst), "postmaster@example.test")
    assert set(new) == {"from", "date", "message-id"}
    inst.wait_queue_empty()
