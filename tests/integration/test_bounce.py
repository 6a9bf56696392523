"""Bounces and delay warnings, read by a real parser.

A permanent failure comes from transport_maps (the error transport for
fail.example), a temporary one from an alias to a command that exits 75
(EX_TEMPFAIL).  The sender is user@example.test, so every notification
lands in that virtual Maildir, where Python's email package reads it as
RFC 3464 multipart/report; report-type=delivery-status.
"""

import email
import email.policy
import re
import time

import sluice_instance as si

SENDER = "user@example.test"
FAIL_MAPS = "inline:{ {fail.example = error:5.1.1 no such user here} }"

ORIGINAL = (b"From: User <user@example.test>\r\n"
            b"To: someone\r\n"
            b"Subject: the original %s\r\n"
            b"Message-ID: <original-%s@example.test>\r\n"
            b"\r\n"
            b"the body of the original\r\n")


def original(tag):
    return ORIGINAL.replace(b"%s", tag.encode())


def send(inst, rcpt, data, mail_options=(), rcpt_options=(), sender=SENDER):
    with inst.smtp(timeout=10) as s:
        s.ehlo("client.example")
        code, resp = s.mail(sender, list(mail_options))
        assert code == 250, resp
        code, resp = s.rcpt(rcpt, list(rcpt_options))
        assert code == 250, resp
        code, resp = s.data(data)
        assert code == 250, resp
    qid = si.queued_id(resp)
    assert qid, resp
    return qid


def parse(path):
    return email.message_from_bytes(si.read_bytes(path),
                                    policy=email.policy.compat32)


def report_parts(msg):
    """(text part, delivery-status part, returned part or None)."""
    assert msg.get_content_type() == "multipart/report", msg.get_content_type()
    assert msg.get_param("report-type") == "delivery-status"
    parts = msg.get_payload()
    assert isinstance(parts, list) and len(parts) in (2, 3), parts
    assert parts[0].get_content_type() == "text/plain"
    assert parts[1].get_content_type() == "message/delivery-status"
    return parts[0], parts[1], parts[2] if len(parts) == 3 else None


def status_blocks(dsn_part):
    """(per-message fields, [per-recipient fields]) as dicts, lower-case
    names, values with white space collapsed."""
    blocks = dsn_part.get_payload()
    assert isinstance(blocks, list) and len(blocks) >= 2, blocks

    def fields(block):
        return {k.lower(): re.sub(r"\s+", " ", str(v)).strip()
                for k, v in block.items()}
    return fields(blocks[0]), [fields(b) for b in blocks[1:]]


def bounces(inst, count=1, timeout=30.0):
    """The notifications in user@example.test's Maildir, parsed."""
    paths = inst.wait_maildir(inst.vmaildir("user"), count, timeout=timeout)
    return [parse(p) for p in paths]


def check_null_sender(msg):
    assert msg["Return-Path"] == "<>", msg["Return-Path"]


def test_permanent_failure_bounces(make_instance):
    inst = make_instance(delivery=True, main={"transport_maps": FAIL_MAPS})
    qid = send(inst, "nobody@fail.example", original("perm"),
               mail_options=["ENVID=env-perm-1"],
               rcpt_options=["NOTIFY=FAILURE",
                             "ORCPT=rfc822;Original@fail.example"])
    [msg] = bounces(inst)
    check_null_sender(msg)
    text, dsn, returned = report_parts(msg)
    per_msg, [rcpt] = status_blocks(dsn)
    assert per_msg["reporting-mta"] == "dns; %s" % si.HOSTNAME
    assert per_msg["original-envelope-id"] == "env-perm-1"
    assert rcpt["final-recipient"].lower() == "rfc822; nobody@fail.example"
    assert rcpt["original-recipient"] == "rfc822; Original@fail.example"
    assert rcpt["action"] == "failed"
    assert rcpt["status"] == "5.1.1"
    assert "no such user here" in rcpt.get("diagnostic-code", "")
    # RET defaults to the whole message
    assert returned is not None
    assert returned.get_content_type() == "message/rfc822"
    [inner] = returned.get_payload()
    assert inner["Subject"] == "the original perm"
    assert inner.get_payload().strip() == "the body of the original"
    assert "nobody@fail.example" in text.get_payload(decode=True).decode()
    inst.wait_queue_empty()
    assert inst.wait_log(r"%s: to=<nobody@fail\.example>, .*dsn=5\.1\.1, "
                         r"status=bounced" % qid)
    assert inst.wait_log(r"%s: sender non-delivery notification: [0-9A-F]+"
                         % qid)


def test_notify_never_means_no_bounce(make_instance):
    inst = make_instance(delivery=True, main={"transport_maps": FAIL_MAPS})
    qid = send(inst, "nobody@fail.example", original("never"),
               rcpt_options=["NOTIFY=NEVER"])
    inst.wait_queue_empty()
    assert inst.wait_log(r"%s: to=<nobody@fail\.example>, .*status=bounced"
                         % qid)
    assert inst.wait_log(r"%s: removed" % qid)
    time.sleep(1.0)
    inst.wait_queue_empty()
    assert si.maildir_files(inst.vmaildir("user")) == []
    assert "sender non-delivery notification" not in inst.maillog()


def test_ret_hdrs_returns_headers_only(make_instance):
    inst = make_instance(delivery=True, main={"transport_maps": FAIL_MAPS})
    send(inst, "nobody@fail.example", original("hdrs"),
         mail_options=["RET=HDRS"], rcpt_options=["NOTIFY=FAILURE"])
    [msg] = bounces(inst)
    _, dsn, returned = report_parts(msg)
    _, [rcpt] = status_blocks(dsn)
    assert rcpt["status"] == "5.1.1"
    assert returned is not None
    assert returned.get_content_type() == "text/rfc822-headers"
    headers = returned.get_payload(decode=True)
    assert b"Subject: the original hdrs" in headers
    assert b"the body of the original" not in headers
    inst.wait_queue_empty()


def tempfail_instance(make_instance, **main):
    params = {"minimal_backoff_time": "1s", "maximal_backoff_time": "2s",
              "queue_run_delay": "1s"}
    params.update(main)
    return make_instance(delivery=True, main=params,
                         before_start=lambda inst: inst.add_aliases(
                             'later: "|exit 75"\n'))


def test_temporary_failure_is_retried_and_expires(make_instance):
    inst = tempfail_instance(make_instance, maximal_queue_lifetime="4s")
    # the queue file's arrival time is in whole seconds (as Postfix's), so
    # the lifetime counts from the second the message arrived in
    start = int(time.time())
    qid = send(inst, "later@localhost", original("temp"),
               rcpt_options=["NOTIFY=FAILURE"])
    inst.wait_queue("deferred", qid, timeout=10)
    # retried: at least two attempts end deferred
    assert si.wait_until(lambda: len(re.findall(
        r"%s: to=<later@localhost>, .*status=deferred" % qid,
        inst.maillog())) >= 2, 15), inst.maillog()[-3000:]
    [msg] = bounces(inst, timeout=30)
    assert time.time() - start >= 4.0
    check_null_sender(msg)
    _, dsn, _ = report_parts(msg)
    _, [rcpt] = status_blocks(dsn)
    assert rcpt["action"] == "failed"
    # EX_TEMPFAIL is 4.3.0; Postfix keeps the 4 on expiry, 5 says "final"
    assert rcpt["status"] in ("4.3.0", "5.3.0"), rcpt
    assert rcpt["final-recipient"].lower() == "rfc822; later@localhost"
    inst.wait_queue_empty()
    assert not inst.queue_files(("defer",))


def test_delay_warning_sent_once(make_instance):
    inst = tempfail_instance(make_instance, delay_warning_time="1s",
                             maximal_queue_lifetime="1h")
    qid = send(inst, "later@localhost", original("delay"),
               rcpt_options=["NOTIFY=DELAY,FAILURE"])
    [msg] = bounces(inst, timeout=30)
    check_null_sender(msg)
    _, dsn, _ = report_parts(msg)
    _, [rcpt] = status_blocks(dsn)
    assert rcpt["action"] == "delayed"
    assert rcpt["status"].startswith("4."), rcpt
    assert "will-retry-until" in rcpt
    # still queued, and warned only once over several more retries
    time.sleep(4.0)
    assert qid in [i for q, i in inst.queue_files(("deferred", "active",
                                                   "incoming"))]
    assert len(si.maildir_files(inst.vmaildir("user"))) == 1


def test_postmaster_copy_of_a_bounce(make_instance):
    """notify_classes = bounce: the postmaster (here bounce_notice_recipient
    = the sender's own mailbox, to read both) gets a copy of the
    non-delivery notice with the original's headers only."""
    inst = make_instance(delivery=True, main={
        "transport_maps": FAIL_MAPS, "notify_classes": "bounce",
        "bounce_notice_recipient": SENDER})
    qid = send(inst, "nobody@fail.example", original("copy"))
    msgs = bounces(inst, count=2)
    returned = {}
    for m in msgs:
        text, dsn, ret = report_parts(m)
        _, [rcpt] = status_blocks(dsn)
        assert rcpt["final-recipient"].lower() == "rfc822; nobody@fail.example"
        returned[ret.get_content_type()] = m
    assert sorted(returned) == ["message/rfc822", "text/rfc822-headers"]
    copy = returned["text/rfc822-headers"]
    assert "the original copy" in copy.as_string()
    assert "the body of the original" not in copy.as_string()
    assert inst.wait_log(r"%s: postmaster non-delivery notification: "
                         r"[0-9A-F]+" % qid)
