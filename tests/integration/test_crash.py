"""Durability: SIGKILL in the middle of DATA never yields a deliverable
queue file, and never harms a message that already got its 250."""

import os
import signal

import sluice_instance as si

N_BEFORE = 20


def message_body(i):
    return (b"Subject: durable %d\r\nMessage-ID: <durable-%d@client.example>"
            b"\r\n\r\n" % (i, i) + b"payload line %d of a durable message\r\n"
            % i * 30)


def send_messages(inst, first, count):
    """Queue count messages in one session; {qid: (sender, rcpt, body)}."""
    sent = {}
    with inst.smtp() as s:
        s.ehlo("client.example")
        for i in range(first, first + count):
            sender, rcpt = "s%d@client.example" % i, "r%d@localhost" % i
            assert s.mail(sender)[0] == 250
            assert s.rcpt(rcpt)[0] == 250
            body = message_body(i)
            code, text = s.data(body)
            assert code == 250, text
            qid = si.queued_id(text)
            assert qid and qid not in sent
            sent[qid] = (sender, rcpt, body)
    return sent


def verify_intact(inst, sent):
    complete = set(inst.complete_ids())
    for qid, (sender, rcpt, body) in sent.items():
        assert qid in complete, "message %s that got 250 is gone" % qid
        msg = inst.read_queue(qid)
        assert msg.complete, qid
        assert msg.sender == sender
        assert msg.recipient_addresses == [rcpt]
        assert not any(r["done"] for r in msg.recipients)
        assert msg.size == len(msg.content)
        want_head, want_body = body.replace(b"\r\n", b"\n").split(b"\n\n", 1)
        head, got_body = msg.content.split(b"\n\n", 1)
        assert got_body == want_body, qid
        for line in want_head.split(b"\n"):
            assert line in head.split(b"\n"), (qid, line)


def start_partial_data(inst, content_bytes):
    c = inst.raw()
    assert c.cmd("EHLO client.example").code == 250
    assert c.cmd("MAIL FROM:<partial@client.example>").code == 250
    assert c.cmd("RCPT TO:<partial@localhost>").code == 250
    assert c.cmd("DATA").code == 354
    line = b"partial content that will never be finished.........\r\n"
    c.send(b"Subject: partial\r\n\r\n" + line * (content_bytes // len(line)))
    return c


def wait_killed_logged(inst, program, pid):
    return inst.wait_log(r"sluice/master\[\d+\]: warning: process \S*%s "
                         r"pid %d killed by signal 9" % (program, pid), 10.0)


def test_sigkill_smtpd_mid_data(instance):
    inst = instance
    sent = send_messages(inst, 0, N_BEFORE)
    c = start_partial_data(inst, 20000)
    si.wait_until(lambda: inst.incomplete_ids(), 2.0)
    pid = inst.session_pid(c)
    assert pid, "no smtpd child serves the session"
    os.kill(pid, signal.SIGKILL)
    assert c.closed_by_server(5.0)
    c.close()
    assert si.wait_until(lambda: not si.pid_alive(pid), 5.0)
    # the unfinished message is not, and never becomes, complete
    si.wait_until(lambda: not inst.incomplete_ids(), 2.0)
    assert set(inst.complete_ids()) == set(sent)
    assert wait_killed_logged(inst, "smtpd", pid), inst.maillog()[-2000:]
    # the master serves new sessions afterwards
    sent.update(send_messages(inst, 100, 1))
    assert set(inst.complete_ids()) == set(sent)
    inst.restart()
    assert inst.incomplete_ids() == []
    verify_intact(inst, sent)
    sent.update(send_messages(inst, 200, 1))
    verify_intact(inst, sent)


def cleanup_writing(inst):
    """(pid, qid) of a cleanup child with an incoming/ file open."""
    for qid in inst.incomplete_ids():
        path = os.path.realpath(inst.queue_path(qid))
        for pid in inst.children("cleanup"):
            if si.pid_has_fd_target(pid, lambda t: t == path or
                                    t.endswith("/incoming/" + qid)):
                return pid, qid
    return None


def test_sigkill_cleanup_mid_data(instance):
    inst = instance
    sent = send_messages(inst, 0, N_BEFORE)
    # more than one cleanup chunk, so cleanup has started on the content
    c = start_partial_data(inst, 200000)
    found = si.wait_until(lambda: cleanup_writing(inst), 5.0)
    assert found, ("no cleanup child holds an incoming/ file",
                   inst.queue_ids(), inst.children())
    pid, qid = found
    os.kill(pid, signal.SIGKILL)
    assert si.wait_until(lambda: not si.pid_alive(pid), 5.0)
    # the client finishes its message: it must not be told 250
    try:
        c.send(b"the rest\r\n.\r\n")
        r = c.reply(timeout=10.0)
        assert 400 <= r.code < 500, r
        assert si.queued_id(str(r)) is None
    finally:
        c.close()
    assert set(inst.complete_ids()) == set(sent)
    if qid in inst.queue_ids():
        assert not inst.read_queue(qid).complete
    assert wait_killed_logged(inst, "cleanup", pid), inst.maillog()[-2000:]
    # new mail goes through a new cleanup
    sent.update(send_messages(inst, 100, 2))
    inst.restart()
    # start-up removed the unfinished file
    assert inst.incomplete_ids() == []
    assert qid not in inst.queue_ids()
    verify_intact(inst, sent)


def test_sigkill_smtpd_idle_session_then_restart_loop(instance):
    """A crashed smtpd before any mail: the service keeps working."""
    inst = instance
    for _ in range(3):
        c = inst.raw()
        assert c.cmd("EHLO client.example").code == 250
        pid = inst.session_pid(c)
        assert pid
        os.kill(pid, signal.SIGKILL)
        assert c.closed_by_server(5.0)
        c.close()
        assert wait_killed_logged(inst, "smtpd", pid)
    sent = send_messages(inst, 0, 2)
    verify_intact(inst, sent)
    assert inst.running()
