"""SMTP smuggling: only <CRLF>.<CRLF> ends DATA; bare CR/LF are refused.

Each payload is a sloppy end-of-data that some server might accept,
followed by a second transaction.  Whatever the server decides (reject
the message or keep everything as one message), a second, smuggled
message must never come out of one session.
"""

import time

import pytest

import sluice_instance as si

PAYLOADS = {
    "lf-dot-lf": b"\n.\n",
    "lf-dot-crlf": b"\n.\r\n",
    "cr-dot-crlf": b"\r.\r\n",
    "crlf-dot-lf": b"\r\n.\n",
    "crlf-dot-cr": b"\r\n.\r",
}

SMUGGLED = (b"MAIL FROM:<evil@x>\r\nRCPT TO:<victim@localhost>\r\nDATA\r\n"
            b"smuggled\r\n.\r\n")


def check_not_split(inst, replies):
    queued = [r for r in replies if si.queued_id(str(r))]
    assert len(queued) <= 1, replies
    # let an aborted cleanup finish removing its file
    si.wait_until(lambda: not inst.incomplete_ids(), 3.0)
    ids = inst.queue_ids()
    assert len(ids) <= 1, ids
    assert inst.incomplete_ids() == []
    for qid in ids:
        msg = inst.read_queue(qid)
        assert msg.sender == "good@client.example", msg.sender
        assert msg.recipient_addresses == ["rcpt@localhost"]
        assert b"victim@localhost" in msg.content    # kept as text
        assert [si.queued_id(str(r)) for r in queued] == [qid]
    for qid in ids:
        assert inst.read_queue(qid).sender != "evil@x"
    return ids


def open_data(inst, source="127.0.0.1"):
    c = inst.raw(source=source)
    assert c.cmd("EHLO client.example").code == 250
    assert c.cmd("MAIL FROM:<good@client.example>").code == 250
    assert c.cmd("RCPT TO:<rcpt@localhost>").code == 250
    assert c.cmd("DATA").code == 354
    return c


@pytest.mark.parametrize("payload", list(PAYLOADS.values()),
                         ids=list(PAYLOADS.keys()))
def test_payload_never_splits_message(instance, payload):
    c = open_data(instance)
    try:
        c.send(b"Subject: smuggling\r\n\r\nfirst part" + payload + SMUGGLED +
               b"\r\n.\r\nQUIT\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    replies, _ = c.drain(quiet=1.5)
    c.close()
    check_not_split(instance, replies)
    # the smuggled commands were never executed as commands
    assert not any(r.code == 354 for r in replies), replies
    assert "from=<evil@x>" not in instance.maillog()


@pytest.mark.parametrize("payload", list(PAYLOADS.values()),
                         ids=list(PAYLOADS.keys()))
def test_payload_from_excluded_network_never_splits(make_instance, payload):
    # with the bare-newline check relaxed, still only CRLF.CRLF ends DATA
    inst = make_instance(main={
        "smtpd_forbid_bare_newline_exclusions": "127.0.0.1/32"})
    c = open_data(inst)
    c.send(b"Subject: smuggling\r\n\r\nfirst part" + payload + SMUGGLED +
           b"\r\n.\r\nQUIT\r\n")
    replies, _ = c.drain(quiet=1.5)
    c.close()
    ids = check_not_split(inst, replies)
    assert len(ids) == 1, replies
    assert not any(r.code == 354 for r in replies), replies


def test_bare_lf_in_data_rejected_by_default(instance):
    c = open_data(instance)
    try:
        c.send(b"Subject: bare lf\r\n\r\nline one\nline two\r\n.\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    replies, _ = c.drain(quiet=1.5)
    c.close()
    assert replies and 500 <= replies[0].code < 600, replies
    assert not any(si.queued_id(str(r)) for r in replies)
    assert si.wait_until(lambda: instance.queue_ids() == [], 3.0)


def test_bare_cr_in_data_rejected_by_default(instance):
    c = open_data(instance)
    try:
        c.send(b"Subject: bare cr\r\n\r\nline one\rline two\r\n.\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    replies, _ = c.drain(quiet=1.5)
    c.close()
    assert replies and 500 <= replies[0].code < 600, replies
    assert si.wait_until(lambda: instance.queue_ids() == [], 3.0)


def test_end_of_data_split_across_writes(instance):
    c = open_data(instance)
    data = b"Subject: slow\r\n\r\nbody\r\n.\r\n"
    c.send(data[:-5])
    for b in data[-5:]:
        time.sleep(0.02)
        c.send(bytes([b]))
    r = c.reply()
    assert r.code == 250 and si.queued_id(str(r)), r
    c.close()
    msg = instance.read_queue(si.queued_id(str(r)))
    assert b"Subject: slow\n" in msg.content
    assert msg.content.endswith(b"\n\nbody\n"), msg.content


def test_dot_stuffing_round_trip(instance):
    c = open_data(instance)
    r = c.cmd(b"Subject: dots\r\n\r\n..\r\n...\r\n..x\r\n. \r\n.")
    assert r.code == 250, r
    c.close()
    msg = instance.read_queue(si.queued_id(str(r)))
    assert msg.content.endswith(b"\n\n.\n..\n.x\n \n"), msg.content


@pytest.mark.parametrize("line", [b"NOOP\n", b"NOOP\rRSET\r\n",
                                  b"MAIL FROM:<a@x>\nRCPT TO:<b@localhost>\r\n",
                                  b"EHLO a\rb\r\n"],
                         ids=["lf", "cr", "lf-mid", "cr-mid"])
def test_bare_cr_lf_in_commands(instance, line):
    c = instance.raw()
    assert c.cmd("EHLO client.example").code == 250
    c.send(line)
    replies, closed = c.drain(quiet=2.0)
    closed = closed or c.closed_by_server(2.0)
    c.close()
    assert replies, "no reply to %r" % line
    assert replies[0].code == 521, replies
    assert all(r.code >= 500 for r in replies), replies
    assert closed
