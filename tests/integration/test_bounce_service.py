"""The bounce service: notices are written outside qmgr's event loop.

A permanent failure comes from transport_maps (the error transport for
fail.example); the sender is user@example.test, so every notice lands in
that virtual Maildir.  With the bounce service or cleanup stopped
(SIGSTOP), a notice cannot be written: other mail must still be
delivered meanwhile, and the failed message must wait in active/ for its
notice.  Then bounce and qmgr are SIGKILLed around the notice: whatever
dies when, each failed recipient gets exactly one notice, and nothing is
left in the queue.
"""

import os
import re
import signal
import time

import pytest

import sluice_instance as si
from test_bounce import FAIL_MAPS, SENDER, original, parse, report_parts, \
    status_blocks

FAILING = ("a@fail.example", "b@fail.example", "c@fail.example")


def send(inst, rcpts, data):
    with inst.smtp(timeout=10) as s:
        s.ehlo("client.example")
        code, resp = s.mail(SENDER)
        assert code == 250, resp
        for rcpt in rcpts:
            code, resp = s.rcpt(rcpt)
            assert code == 250, resp
        code, resp = s.data(data)
        assert code == 250, resp
    qid = si.queued_id(resp)
    assert qid, resp
    return qid


def notices(inst):
    """The notices in user@example.test's Maildir, parsed."""
    return [parse(p) for p in si.maildir_files(inst.vmaildir("user"))
            if parse(p)["Return-Path"] == "<>"]


def reported(msgs):
    """Every Final-Recipient of every failure notice, in order."""
    out = []
    for msg in msgs:
        _, dsn, _ = report_parts(msg)
        _, rcpts = status_blocks(dsn)
        for r in rcpts:
            assert r["action"] == "failed", r
            out.append(r["final-recipient"].split(";")[1].strip().lower())
    return sorted(out)


def one_notice_each(inst, qid, timeout=30):
    """Wait until the queue is empty; then exactly one notice about each
    failed recipient (and no late second one)."""
    inst.wait_queue_empty(timeout=timeout)
    assert si.wait_until(lambda: len(reported(notices(inst))) >=
                         len(FAILING), timeout), inst.maillog()[-3000:]
    time.sleep(1.5)
    assert reported(notices(inst)) == sorted(FAILING), \
        inst.maillog()[-3000:]
    assert not inst.queue_files(("defer",))


def warm_bounce(inst):
    """One notice end to end, so that a bounce process runs; its pid."""
    send(inst, ["warm@fail.example"], original("warm"))
    assert si.wait_until(lambda: len(notices(inst)) == 1, 30)
    for path in si.maildir_files(inst.vmaildir("user")):
        os.unlink(path)
    pid = inst.wait_service_pid("bounce")
    assert pid
    inst.wait_queue_empty()
    return pid


def bounce_instance(make_instance, **main):
    params = {"transport_maps": FAIL_MAPS, "service_throttle_time": "1s"}
    params.update(main)
    return make_instance(delivery=True, main=params)


def test_stopped_bounce_service_does_not_stop_delivery(make_instance):
    """The notice waits for the bounce service; 20 other messages are
    delivered meanwhile; the notice goes out once bounce runs again."""
    inst = bounce_instance(make_instance)
    bounce = warm_bounce(inst)
    os.kill(bounce, signal.SIGSTOP)
    try:
        qid = send(inst, FAILING, original("stopped"))
        assert inst.wait_log(r"%s: to=<c@fail\.example>.*status=bounced"
                             % qid, 10)
        for i in range(20):
            send(inst, ["user@example.test"], original("other%d" % i))
        # all 20 arrive while the notice cannot be written
        inst.wait_maildir(inst.vmaildir("user"), 20, timeout=30)
        assert notices(inst) == []
        assert qid in [i for q, i in inst.queue_files(("active",))]
    finally:
        os.kill(bounce, signal.SIGCONT)
    one_notice_each(inst, qid)
    assert inst.wait_log(r"%s: sender non-delivery notification: [0-9A-F]+"
                         % qid)


def bounce_waiting_on_cleanup(inst, bounce):
    """Queue the failing message while bounce is stopped; then stop
    cleanup and let bounce go: it takes the request, locks the queue
    file and waits for cleanup.  The message's queue ID and the stopped
    cleanup pids."""
    cleanups = inst.service_pids("cleanup")
    assert cleanups
    os.kill(bounce, signal.SIGSTOP)
    try:
        qid = send(inst, FAILING, original("waiting"))
        assert inst.wait_log(r"%s: to=<c@fail\.example>.*status=bounced"
                             % qid, 10)
        for p in cleanups:
            os.kill(p, signal.SIGSTOP)
    finally:
        os.kill(bounce, signal.SIGCONT)
    time.sleep(1.0)     # bounce reads the request, connects to cleanup
    return qid, cleanups


def test_qmgr_killed_before_bounce_took_the_request(make_instance):
    """The request waits unread in the stopped bounce service's socket
    when qmgr dies, and the next qmgr fails the recipients again and asks
    for its own notice before bounce runs: bounce drops the dead qmgr's
    request and sends one notice about each recipient."""
    inst = bounce_instance(make_instance)
    bounce = warm_bounce(inst)
    os.kill(bounce, signal.SIGSTOP)
    try:
        qid = send(inst, FAILING, original("early"))
        qmgr = inst.wait_service_pid("qmgr")
        assert inst.wait_log(r"%s: to=<c@fail\.example>.*status=bounced"
                             % qid, 10)
        time.sleep(0.5)     # the request is on its way
        os.kill(qmgr, signal.SIGKILL)
        inst.wait_service_pid("qmgr", timeout=10, exclude=(qmgr,))
        inst.tool("sluice-queue", "-c", inst.etc, "-f")
        # the next qmgr has bounced them again and waits for bounce too
        assert si.wait_until(lambda: len(re.findall(
            r"%s: to=<c@fail\.example>.*status=bounced" % qid,
            inst.maillog())) == 2, 15), inst.maillog()[-3000:]
        time.sleep(0.5)
    finally:
        os.kill(bounce, signal.SIGCONT)
    one_notice_each(inst, qid)
    assert inst.wait_log(r"%s: qmgr left before its non-delivery "
                         r"notification was written" % qid)


def test_qmgr_killed_while_bounce_writes_the_notice(make_instance):
    """bounce has the request and waits for a stopped cleanup when qmgr
    dies: bounce finishes, marks the records done, and the next qmgr,
    which finds the file locked meanwhile, sends nothing again."""
    inst = bounce_instance(make_instance)
    bounce = warm_bounce(inst)
    qid, cleanups = bounce_waiting_on_cleanup(inst, bounce)
    try:
        qmgr = inst.wait_service_pid("qmgr")
        os.kill(qmgr, signal.SIGKILL)
        # the next qmgr finds the file locked by bounce: it waits
        inst.wait_service_pid("qmgr", timeout=10, exclude=(qmgr,))
        inst.tool("sluice-queue", "-c", inst.etc, "-f")
        time.sleep(1.0)
        # it has not taken the message while bounce holds the lock
        assert len(re.findall(r"%s: from=<" % qid, inst.maillog())) == 1, \
            inst.maillog()[-3000:]
    finally:
        for p in cleanups:
            os.kill(p, signal.SIGCONT)
    one_notice_each(inst, qid)
    assert inst.wait_log(r"%s: sender non-delivery notification" % qid)
    # the next qmgr found every record marked: it bounced nothing again
    assert len(re.findall(r"%s: to=<a@fail\.example>.*status=bounced" % qid,
                          inst.maillog())) == 1, inst.maillog()[-3000:]


def test_bounce_killed_while_it_writes_the_notice(make_instance):
    """bounce waits for a stopped cleanup and is killed: the notice was
    not queued, qmgr keeps the recipients (deferred), and the next
    attempt sends the notice once."""
    inst = bounce_instance(make_instance, minimal_backoff_time="1s",
                           maximal_backoff_time="2s")
    bounce = warm_bounce(inst)
    qid, cleanups = bounce_waiting_on_cleanup(inst, bounce)
    try:
        os.kill(bounce, signal.SIGKILL)
        assert inst.wait_log(r"%s: cannot send the failed notice" % qid,
                             10), inst.maillog()[-2000:]
        inst.wait_queue("deferred", qid, timeout=10)
    finally:
        for p in cleanups:
            os.kill(p, signal.SIGCONT)
    one_notice_each(inst, qid)
    # failed again at the retry, and only then reported
    assert len(re.findall(r"%s: to=<a@fail\.example>.*status=bounced" % qid,
                          inst.maillog())) == 2, inst.maillog()[-3000:]


def test_two_aliases_of_one_failing_address_one_notice(make_instance):
    """x@ and y@ are aliases of one failing address: cleanup keeps two
    records (their originals differ), qmgr tries the address once.  The
    notice reports both originals, and bounce marks both records, so a
    qmgr killed while bounce writes it sends no second notice."""
    inst = bounce_instance(make_instance, virtual_alias_maps=(
        "inline:{ {x@alias.test = nobody@fail.example}, "
        "{y@alias.test = nobody@fail.example} }"),
        virtual_alias_domains="alias.test")
    bounce = warm_bounce(inst)
    cleanups = inst.service_pids("cleanup")
    os.kill(bounce, signal.SIGSTOP)
    try:
        qid = send(inst, ["x@alias.test", "y@alias.test"], original("dup"))
        assert inst.wait_log(r"%s: to=<nobody@fail\.example>.*"
                             r"status=bounced" % qid, 10)
        for p in cleanups:
            os.kill(p, signal.SIGSTOP)
    finally:
        os.kill(bounce, signal.SIGCONT)
    try:
        time.sleep(1.0)     # bounce has the request, waits for cleanup
        qmgr = inst.wait_service_pid("qmgr")
        os.kill(qmgr, signal.SIGKILL)
        inst.wait_service_pid("qmgr", timeout=10, exclude=(qmgr,))
        inst.tool("sluice-queue", "-c", inst.etc, "-f")
        time.sleep(0.5)
    finally:
        for p in cleanups:
            os.kill(p, signal.SIGCONT)
    inst.wait_queue_empty(timeout=30)
    assert si.wait_until(lambda: len(notices(inst)) >= 1, 30)
    time.sleep(1.5)
    [msg] = notices(inst)
    _, dsn, _ = report_parts(msg)
    _, rcpts = status_blocks(dsn)
    assert sorted(r["original-recipient"].split(";")[1].strip().lower()
                  for r in rcpts) == ["x@alias.test", "y@alias.test"], rcpts
    assert len(re.findall(r"%s: to=<nobody@fail\.example>.*status=bounced"
                          % qid, inst.maillog())) == 1, inst.maillog()[-3000:]


def test_success_notice_and_qmgr_killed_one_copy_one_notice(make_instance):
    """NOTIFY=SUCCESS: local leaves the record to qmgr (the notice must
    not be lost), qmgr asks bounce for the success notice, and is killed
    while bounce waits for cleanup: bounce marks the delivered record
    with its notice, so the next qmgr neither delivers again nor sends a
    second notice."""
    inst = bounce_instance(make_instance)
    bounce = warm_bounce(inst)
    cleanups = inst.service_pids("cleanup")
    os.kill(bounce, signal.SIGSTOP)
    try:
        with inst.smtp(timeout=10) as s:
            s.ehlo("client.example")
            assert s.mail(SENDER)[0] == 250
            assert s.rcpt("user@example.test", ["NOTIFY=SUCCESS"])[0] == 250
            code, resp = s.data(original("success"))
            assert code == 250, resp
        qid = si.queued_id(resp)
        inst.wait_maildir(inst.vmaildir("user"), 1, timeout=10)
        time.sleep(0.5)     # the notice request is on its way
        for p in cleanups:
            os.kill(p, signal.SIGSTOP)
    finally:
        os.kill(bounce, signal.SIGCONT)
    try:
        time.sleep(1.0)     # bounce has the request, waits for cleanup
        qmgr = inst.wait_service_pid("qmgr")
        os.kill(qmgr, signal.SIGKILL)
        inst.wait_service_pid("qmgr", timeout=10, exclude=(qmgr,))
        inst.tool("sluice-queue", "-c", inst.etc, "-f")
        time.sleep(0.5)
    finally:
        for p in cleanups:
            os.kill(p, signal.SIGCONT)
    inst.wait_queue_empty(timeout=30)
    assert si.wait_until(lambda: len(notices(inst)) >= 1, 30)
    time.sleep(1.5)
    [msg] = notices(inst)
    _, dsn, _ = report_parts(msg)
    _, [rcpt] = status_blocks(dsn)
    assert rcpt["action"] == "delivered", rcpt
    assert len(si.maildir_files(inst.vmaildir("user"))) == 2   # copy+notice
    assert len(re.findall(r"%s: to=<user@example\.test>.*status=sent"
                          % qid, inst.maillog())) == 1, inst.maillog()[-3000:]
