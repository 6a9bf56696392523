"""sendmail(1) and sluice-drop(1): local submission end to end.

Each test submits with the real sendmail binary and looks at what pickup
and cleanup made of it in incoming/ (see submit_helpers for why qmgr is
left out of these instances).
"""

import os
import re
import shutil
import socket
import subprocess
import tempfile

import pytest

import sluice_instance as si
from submit_helpers import (body_of, login_name, make_submit_instance,
                            maildrop_ids, only_message, poke_pickup,
                            sendmail, wait_incoming, file_mode)

SIMPLE = b"Subject: test\n\nhello\n"


def test_submission_lands_in_incoming_with_local_headers(make_instance):
    inst = make_submit_instance(make_instance)
    r = sendmail(inst, ["-f", "alice@example.org", "bob@example.test"],
                 SIMPLE)
    assert r.returncode == 0, r.stderr
    msg = only_message(inst)
    assert msg.sender == "alice@example.org"
    assert msg.recipient_addresses == ["bob@example.test"]
    assert msg.attrs.get("protocol") == "LOCAL"
    received = msg.header_values("Received")
    assert len(received) == 1
    assert re.match(rb" by %s \(Sluice, from userid %d\)\n\tid [0-9A-F]+; "
                    rb"\w{3}, \d+ \w{3} \d{4} " % (si.HOSTNAME.encode(),
                                                    os.getuid()),
                    received[0]), received
    assert msg.header_values("Message-ID")
    assert msg.header_values("Date")
    assert msg.header_values("From") == [b" <alice@example.org>"]
    assert body_of(msg) == b"hello\n"
    assert si.wait_until(lambda: maildrop_ids(inst) == [], 5)
    assert inst.wait_log(r"sluice/pickup\[\d+\]: [0-9A-F]+: uid=%d "
                         r"from=<alice@example\.org>$" % os.getuid())


def test_default_sender_is_login_at_myorigin(make_instance):
    inst = make_submit_instance(make_instance)
    r = sendmail(inst, ["bob@example.test"], SIMPLE)
    assert r.returncode == 0, r.stderr
    msg = only_message(inst)
    assert msg.sender == "%s@%s" % (login_name(), si.HOSTNAME)


def test_null_sender_and_unqualified_recipient(make_instance):
    inst = make_submit_instance(make_instance)
    r = sendmail(inst, ["-f", "<>", "ann"], SIMPLE)
    assert r.returncode == 0, r.stderr
    msg = only_message(inst)
    assert msg.sender == ""
    assert msg.recipient_addresses == ["ann@%s" % si.HOSTNAME]


def test_t_extracts_recipients_and_removes_bcc(make_instance):
    inst = make_submit_instance(make_instance)
    data = (b"To: Joe User <joe@example.test>, \"Ann B\" <ann@example.test>\n"
            b"Cc: team: carl@example.test, dora@example.test;\n"
            b"Bcc: secret@example.net (hidden)\n"
            b"Subject: t\n\nbody\n")
    r = sendmail(inst, ["-t", "-f", "s@example.org", "extra@example.org"],
                 data)
    assert r.returncode == 0, r.stderr
    msg = only_message(inst)
    assert sorted(msg.recipient_addresses) == sorted([
        "extra@example.org", "joe@example.test", "ann@example.test",
        "carl@example.test", "dora@example.test", "secret@example.net"])
    assert msg.header_values("Bcc") == []
    assert b"secret@example.net" not in msg.content
    assert msg.header_values("To")


def test_t_without_recipients_fails(make_instance):
    inst = make_submit_instance(make_instance)
    r = sendmail(inst, ["-t"], b"Subject: none\n\nx\n")
    assert r.returncode == 64
    assert b"no recipient" in r.stderr
    assert maildrop_ids(inst) == [] and inst.queue_ids() == []


def test_lone_dot_ends_input_without_i(make_instance):
    inst = make_submit_instance(make_instance)
    data = b"Subject: d\n\nline 1\n..two dots\n.\nnot sent\n"
    assert sendmail(inst, ["u@example.test"], data).returncode == 0
    msg = only_message(inst)
    assert body_of(msg) == b"line 1\n..two dots\n"


@pytest.mark.parametrize("flag", ["-i", "-oi"])
def test_i_keeps_dot_lines(make_instance, flag):
    inst = make_submit_instance(make_instance)
    data = b"Subject: d\n\nline 1\n.\nstill here\n"
    r = sendmail(inst, [flag, "u@example.test"], data)
    assert r.returncode == 0, r.stderr
    assert b"warning" not in r.stderr
    assert body_of(only_message(inst)) == b"line 1\n.\nstill here\n"


@pytest.mark.parametrize("replace", ["yes", "no"])
def test_crlf_input_and_missing_final_newline(make_instance, replace):
    # sendmail keeps a bare CR; cleanup makes it a space unless told not to
    inst = make_submit_instance(make_instance, main={
        "cleanup_replace_stray_cr_lf": replace})
    data = b"Subject: c\r\n\r\nline 1\r\nbare\rcr\r\nlast"
    assert sendmail(inst, ["u@example.test"], data).returncode == 0
    assert body_of(only_message(inst)) == (
        b"line 1\nbare cr\nlast\n" if replace == "yes" else
        b"line 1\nbare\rcr\nlast\n")


def test_o_options_ignored_with_warning(make_instance):
    inst = make_submit_instance(make_instance)
    r = sendmail(inst, ["-oem", "-odi", "u@example.test"], SIMPLE)
    assert r.returncode == 0, r.stderr
    err = r.stderr.decode()
    assert "sendmail: warning: -oem option ignored" in err
    assert "sendmail: warning: -odi option ignored" in err
    only_message(inst)


def test_dsn_options_are_stored(make_instance):
    inst = make_submit_instance(make_instance)
    r = sendmail(inst, ["-N", "success,failure", "-R", "hdrs", "-V",
                        "envid-42", "a@example.test", "b@example.test"],
                 SIMPLE)
    assert r.returncode == 0, r.stderr
    msg = only_message(inst)
    assert msg.attrs.get("ret") == "HDRS"
    assert msg.attrs.get("envid") == "envid-42"
    assert [r["notify"] for r in msg.recipients] == [2 | 4, 2 | 4]
    inst2 = make_submit_instance(make_instance)
    assert sendmail(inst2, ["-N", "never", "a@example.test"],
                    SIMPLE).returncode == 0
    assert only_message(inst2).recipients[0]["notify"] == 1


def test_bad_dsn_option_is_a_usage_error(make_instance):
    inst = make_submit_instance(make_instance, start=False)
    r = sendmail(inst, ["-N", "sometimes", "a@example.test"], SIMPLE)
    assert r.returncode == 64
    assert si.wait_until(lambda: maildrop_ids(inst) == [], 5)


def test_full_name_only_without_from(make_instance):
    inst = make_submit_instance(make_instance)
    assert sendmail(inst, ["-F", 'Ann "the" Admin', "-f", "ann@example.org",
                           "u@example.test"], SIMPLE).returncode == 0
    msg = only_message(inst)
    assert msg.header_values("From") == [
        b' "Ann \\"the\\" Admin" <ann@example.org>']
    inst2 = make_submit_instance(make_instance)
    assert sendmail(inst2, ["-F", "Ann", "u@example.test"],
                    b"From: me@example.org\n\nx\n").returncode == 0
    assert only_message(inst2).header_values("From") == [b" me@example.org"]


def test_bad_recipient_refused_and_nothing_queued(make_instance):
    inst = make_submit_instance(make_instance, start=False)
    for bad in ("a@@example.test", "x@", "evil\x01@example.test",
                "a@[300.1.1.1]"):
        r = sendmail(inst, [bad], SIMPLE)
        assert r.returncode == 65, (bad, r.stderr)
    r = sendmail(inst, [], SIMPLE)
    assert r.returncode == 64
    assert si.wait_until(lambda: maildrop_ids(inst) == [], 5)


def test_message_size_limit(make_instance):
    inst = make_submit_instance(make_instance, main={
        "message_size_limit": "2000"}, start=False)
    r = sendmail(inst, ["u@example.test"], b"Subject: big\n\n" +
                 (b"x" * 80 + b"\n") * 100)
    assert r.returncode == 65, r.stderr
    assert b"too large" in r.stderr
    assert si.wait_until(lambda: maildrop_ids(inst) == [], 5)


def test_master_down_message_waits_in_maildrop(make_instance):
    inst = make_submit_instance(make_instance, start=False)
    r = sendmail(inst, ["-f", "w@example.org", "u@example.test"], SIMPLE)
    assert r.returncode == 0, r.stderr
    ids = maildrop_ids(inst)
    assert len(ids) == 1
    path = os.path.join(inst.queue, "maildrop", ids[0])
    assert file_mode(path) == 0o644
    assert os.stat(path).st_uid == os.getuid()
    waiting = si.parse_queue_file(path)
    assert waiting.has_end and waiting.recipient_addresses == [
        "u@example.test"]
    inst.start()
    poke_pickup(inst)
    msg = only_message(inst)
    assert msg.sender == "w@example.org"
    assert si.wait_until(lambda: maildrop_ids(inst) == [], 5)


def test_bs_smtp_session(make_instance):
    inst = make_submit_instance(make_instance)
    dialogue = (b"EHLO client.example\r\n"
                b"MAIL FROM:<s@example.org> RET=HDRS ENVID=id+2B1\r\n"
                b"RCPT TO:<r1@example.test> NOTIFY=SUCCESS,DELAY "
                b"ORCPT=rfc822;r1+40example.test\r\n"
                b"RCPT TO:<r2@example.test>\r\n"
                b"RCPT TO:<bad address>\r\n"
                b"DATA\r\n"
                b"Subject: bs\r\n\r\n..leading dot\r\nline\r\n.\r\n"
                b"MAIL FROM:<>\r\nRSET\r\nNOOP\r\nFOO\r\nQUIT\r\n")
    r = sendmail(inst, ["-bs"], dialogue)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().split("\r\n")
    assert lines[0].startswith("220 ")
    assert "250-DSN" in lines and "250-PIPELINING" in lines
    codes = [l[:4] for l in lines if l and l[3] == " "]
    assert codes == ["220 ", "250 ", "250 ", "250 ", "250 ", "501 ",
                     "354 ", "250 ", "250 ", "250 ", "250 ", "502 ",
                     "221 "], lines
    assert any(re.match(r"250 2\.0\.0 Ok: queued as [0-9A-F]+$", l)
               for l in lines)
    msg = only_message(inst)
    assert msg.sender == "s@example.org"
    assert msg.recipient_addresses == ["r1@example.test", "r2@example.test"]
    assert msg.recipients[0]["notify"] == 2 | 8
    assert msg.recipients[0]["orcpt"] == "rfc822;r1@example.test"
    assert msg.attrs.get("ret") == "HDRS"
    assert msg.attrs.get("envid") == "id+1"
    assert body_of(msg) == b".leading dot\nline\n"


def test_bs_protocol_errors(make_instance):
    inst = make_submit_instance(make_instance, start=False)
    r = sendmail(inst, ["-bs"], b"RCPT TO:<a@b.example>\r\nDATA\r\n"
                 b"MAIL FROM:<a@b.example> FOO=1\r\nQUIT\r\n")
    codes = [l[:3] for l in r.stdout.decode().split("\r\n") if l]
    assert codes == ["220", "503", "503", "555", "221"]
    assert si.wait_until(lambda: maildrop_ids(inst) == [], 5)


def test_bv_checks_syntax_only(make_instance):
    inst = make_submit_instance(make_instance, start=False)
    r = sendmail(inst, ["-bv", "good@example.test", "bad@"])
    assert r.returncode == 65
    out = r.stdout.decode()
    assert "good@example.test: deliverable" in out
    assert "bad@: undeliverable" in out
    assert si.wait_until(lambda: maildrop_ids(inst) == [], 5)


def test_unknown_option_and_bad_mode(make_instance):
    inst = make_submit_instance(make_instance, start=False)
    assert sendmail(inst, ["-Z", "a@example.test"], SIMPLE).returncode == 64
    assert sendmail(inst, ["-bd"], SIMPLE).returncode == 64


def test_sluice_drop_refuses_garbage(make_instance):
    inst = make_submit_instance(make_instance, start=False)
    drop = os.path.join(inst.bindir, "sluice-drop")
    for data in (b"", b"\x00\x00\x00\x05hello", b"garbage" * 10):
        r = subprocess.run([drop, "-c", inst.etc], input=data,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=inst.env(), timeout=30)
        assert r.returncode == 65, (data, r.stderr)
    assert si.wait_until(lambda: maildrop_ids(inst) == [], 5)


def setgid_bindir(inst, instances_root):
    """A copy of the programs with sluice-drop setgid sluicedrop."""
    bindir = tempfile.mkdtemp(prefix="bin-", dir=instances_root)
    os.chmod(bindir, 0o755)
    for name in os.listdir(inst.bindir):
        src = os.path.join(inst.bindir, name)
        if os.path.isfile(src) and os.access(src, os.X_OK):
            shutil.copy2(src, os.path.join(bindir, name))
    drop = os.path.join(bindir, "sluice-drop")
    shutil.chown(drop, group="sluicedrop")
    os.chmod(drop, 0o2755)
    return bindir


@pytest.mark.skipif(not si.is_root(), reason="needs root (setgid, runuser)")
def test_unprivileged_user_submits_through_setgid_drop(make_instance,
                                                       instances_root):
    inst = make_submit_instance(make_instance, start=False)
    bindir = setgid_bindir(inst, instances_root)
    try:
        inst.set_main({"daemon_directory": bindir})
        inst.start()
        r = sendmail(inst, ["-v", "u@example.test"], SIMPLE, user="nobody",
                     bindir=bindir)
        assert r.returncode == 0, r.stderr
        msg = only_message(inst)
        assert msg.sender == "nobody@%s" % si.HOSTNAME
        assert b"from userid 65534" in msg.header_values("Received")[0]
        assert inst.wait_log(r"sluice/pickup\[\d+\]: [0-9A-F]+: uid=65534 "
                             r"from=<nobody>")
        # nobody cannot reach the maildrop directory itself
        r = subprocess.run(["runuser", "-u", "nobody", "--", "ls",
                            os.path.join(inst.queue, "maildrop")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert r.returncode != 0
        # a configuration nobody does not own and root does not own: refused
        other = os.path.join(inst.dir, "other-etc")
        shutil.copytree(inst.etc, other)
        for p in [other] + [os.path.join(other, f) for f in os.listdir(other)]:
            shutil.chown(p, user="sluice")
        os.chmod(other, 0o755)
        r = subprocess.run(["runuser", "-u", "nobody", "--",
                            os.path.join(bindir, "sluice-drop"), "-c", other],
                           input=b"", stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        assert r.returncode == 77, r.stderr
        assert b"must be owned by root or by you" in r.stderr
    finally:
        inst.stop()
        shutil.rmtree(bindir, ignore_errors=True)


def bs_dialogue(rcpt):
    return (b"EHLO client.example\r\nMAIL FROM:<>\r\n"
            b"RCPT TO:<%s>\r\nDATA\r\nSubject: bs\r\n\r\nbody\r\n.\r\n"
            b"QUIT\r\n" % rcpt.encode())


@pytest.mark.skipif(not si.is_root(), reason="needs root (setgid, runuser)")
def test_bs_is_smtpd_standalone(make_instance, instances_root):
    """sendmail -bs is smtpd -S (one SMTP server, as in Postfix): as a
    user, without access policy, into maildrop/ through sluice-drop;
    as mail_owner with the policy; never for a network client of a user"""
    inst = make_submit_instance(make_instance, start=False)
    bindir = setgid_bindir(inst, instances_root)
    try:
        inst.set_main({"daemon_directory": bindir})
        inst.start()
        # a user: relaying is the user's own submission, as on the
        # command line; pickup records the user
        r = sendmail(inst, ["-bs"], bs_dialogue("unlisted@example.test"),
                     user="nobody", bindir=bindir)
        assert r.returncode == 0, r.stderr
        out = r.stdout.decode()
        assert re.search(r"^250 2\.0\.0 Ok: queued as [0-9A-F]+\r$", out,
                         re.M), out
        msg = only_message(inst)
        assert msg.recipient_addresses == ["unlisted@example.test"]
        received = msg.header_values("Received")
        assert any(b"from client.example (localhost [127.0.0.1])" in h
                   for h in received), received
        assert any(b"from userid 65534" in h for h in received), received
        assert inst.wait_log(r"sluice/pickup\[\d+\]: [0-9A-F]+: uid=65534 ")
        # mail_owner: the server's own policy applies (recipient checks)
        r = sendmail(inst, ["-bs"], bs_dialogue("unlisted@example.test"),
                     user="sluice", bindir=bindir)
        assert re.search(r"^550 5\.1\.1 <unlisted@example\.test>: "
                         r"Recipient address rejected",
                         r.stdout.decode(), re.M), r.stdout
        # a user's smtpd -S with a TCP connection on stdin: refused
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        client = socket.create_connection(listener.getsockname())
        conn, _ = listener.accept()
        try:
            r = subprocess.run(["runuser", "-u", "nobody", "--",
                                os.path.join(bindir, "smtpd"), "-S", "-c",
                                inst.etc], stdin=conn,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=30)
        finally:
            conn.close()
            client.close()
            listener.close()
        assert r.returncode != 0
        assert b"refusing to receive mail from the network" in r.stderr
    finally:
        inst.stop()
        shutil.rmtree(bindir, ignore_errors=True)
