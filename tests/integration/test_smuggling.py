"""SMTP smuggling: only <CRLF>.<CRLF> ends DATA; bare CR/LF are refused.

Each payload is a sloppy end-of-data that some server might accept,
followed by a second transaction.  Whatever the server decides (reject
the message or keep everything as one message), a second, smuggled
message must never come out of one session.

BDAT content goes through the same scanner as DATA's, so a bare CR or
LF in a chunk is refused the same way.  Where one is let in (a client in
smtpd_forbid_bare_newline_exclusions, or local submission, which smtpd
never sees), cleanup replaces every stray CR with a space
(cleanup_replace_stray_cr_lf), and the smtp client never sends a bare CR
or LF to the next hop, with DATA or BDAT, even when the queue file holds
one: a next hop that ends DATA at <CR>.<CR><LF> would otherwise see a
second, forged message (the outbound half of CVE-2023-51764).
"""

import time

import pytest

import sluice_instance as si
from smtp_peer import Peer

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
        assert b"\r" not in msg.content              # cleanup replaced it
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


# --- BDAT: the same scanner as DATA -----------------------------------

CEO = (b"MAIL FROM:<ceo@bank.example>\r\nRCPT TO:<victim@localhost>\r\n"
       b"DATA\r\nFrom: ceo@bank.example\r\n\r\npay now\r\n.\r\n")


def open_bdat(inst):
    c = inst.raw()
    assert c.cmd("EHLO client.example").code == 250
    assert c.cmd("MAIL FROM:<good@client.example>").code == 250
    assert c.cmd("RCPT TO:<rcpt@localhost>").code == 250
    return c


def send_chunks(c, chunks):
    """BDAT each chunk (the last one LAST); the replies until a refusal."""
    replies = []
    for i, chunk in enumerate(chunks):
        last = b" LAST" if i == len(chunks) - 1 else b""
        try:
            c.send(b"BDAT %d%s\r\n" % (len(chunk), last) + chunk)
            replies.append(c.reply())
        except (BrokenPipeError, ConnectionResetError, EOFError):
            break
        if replies[-1].code != 250:
            break
    return replies


BARE_IN_BDAT = {
    "cr-dot-crlf": ([b"Subject: x\r\n\r\nhello\r.\r\n" + CEO], "<CR>"),
    "bare-lf": ([b"Subject: x\r\n\r\nline one\nline two\r\n"], "<LF>"),
    "cr-at-chunk-end": ([b"Subject: x\r\n\r\nhello\r", b".\r\n" + CEO],
                        "<CR>"),
    "lf-at-chunk-start": ([b"Subject: x\r\n\r\nhello", b"\n.\n" + CEO],
                          "<LF>"),
    "cr-ends-last": ([b"Subject: x\r\n\r\nhello\r\n", b"bye\r"], "<CR>"),
}


@pytest.mark.parametrize("chunks,what", list(BARE_IN_BDAT.values()),
                         ids=list(BARE_IN_BDAT.keys()))
def test_bare_cr_lf_in_bdat_rejected_by_default(instance, chunks, what):
    c = open_bdat(instance)
    replies = send_chunks(c, chunks)
    closed = c.closed_by_server(3.0)
    c.close()
    assert replies and replies[-1].code == 521, replies
    assert "bare %s received" % what in replies[-1].text, replies
    assert closed
    assert not any(si.queued_id(str(r)) for r in replies)
    assert si.wait_until(lambda: instance.queue_ids() == [], 3.0)
    assert instance.wait_log(r"(?:NOQUEUE|[0-9A-F]+): reject: BDAT from "
                             r"\S+: bare %s received; from=<[^>]*> "
                             r"proto=ESMTP helo=<" % what)


def test_crlf_split_between_bdat_chunks_is_a_line_end(instance):
    c = open_bdat(instance)
    replies = send_chunks(c, [b"Subject: split\r\n\r\none\r",
                              b"\ntwo\r\n"])
    c.close()
    assert [r.code for r in replies] == [250, 250], replies
    msg = instance.read_queue(si.queued_id(str(replies[-1])))
    assert msg.content.endswith(b"\n\none\ntwo\n"), msg.content


def test_bdat_from_excluded_network_keeps_one_message(make_instance):
    inst = make_instance(main={
        "smtpd_forbid_bare_newline_exclusions": "127.0.0.1/32"})
    c = open_bdat(inst)
    replies = send_chunks(c, [b"Subject: x\r\n\r\nhello\r", b".\r\n" + CEO])
    c.close()
    assert [r.code for r in replies] == [250, 250], replies
    [qid] = inst.queue_ids()
    msg = inst.read_queue(qid)
    assert msg.sender == "good@client.example"
    assert msg.recipient_addresses == ["rcpt@localhost"]
    assert b"\r" not in msg.content
    assert b"\nhello .\nMAIL FROM:<ceo@bank.example>\n" in msg.content


@pytest.mark.parametrize("replace", ["yes", "no"])
def test_cleanup_replace_stray_cr_lf(make_instance, replace):
    inst = make_instance(main={
        "smtpd_forbid_bare_newline_exclusions": "127.0.0.1/32",
        "cleanup_replace_stray_cr_lf": replace})
    c = open_data(inst)
    r = c.cmd(b"Subject: a\rb\r\n\r\nhello\r.\r\nx\r\r\n.")
    c.close()
    assert r.code == 250, r
    msg = inst.read_queue(si.queued_id(str(r)))
    if replace == "yes":
        assert b"\nSubject: a b\n" in msg.content, msg.content
        assert msg.content.endswith(b"\n\nhello .\nx \n"), msg.content
    else:
        assert b"\nSubject: a\rb\n" in msg.content, msg.content
        assert msg.content.endswith(b"\n\nhello\r.\nx\r\n"), msg.content


# --- outbound: the smtp client sends no bare CR or LF ------------------

def no_bare_cr_lf(raw):
    rest = raw.replace(b"\r\n", b"")
    return b"\r" not in rest and b"\n" not in rest


@pytest.mark.parametrize("chunking,replace", [
    (False, "yes"), (False, "no"), (True, "no")],
    ids=["data", "data-queue-file-with-cr", "bdat-queue-file-with-cr"])
def test_relay_never_sends_bare_cr(make_instance, chunking, replace):
    features = ["PIPELINING", "8BITMIME"] + (["CHUNKING"] if chunking
                                             else [])
    with Peer(features=features) as peer:
        inst = make_instance(delivery=True, main={
            "relayhost": "[127.0.0.1]:%d" % peer.port,
            "smtp_connection_cache_time_limit": "0s",
            "cleanup_replace_stray_cr_lf": replace})
        # local submission: smtpd never sees it, sendmail keeps the CRs
        body = (b"Subject: outbound\n\nhello\r.\r\n" + CEO +
                b"mid\rline\nend\r\r\n")
        r = inst.sendmail("-i", "-f", "good@example.test",
                          "someone@dest.test", stdin=body)
        assert r.returncode == 0, r.stderr
        assert si.wait_until(lambda: peer.transactions and (
            peer.transactions[-1].data or peer.transactions[-1].bdat),
            30.0), inst.maillog()[-2000:]
        inst.wait_queue_empty(timeout=20)
        assert len(peer.transactions) == 1, peer.commands
        txn = peer.transactions[0]
        raw = txn.bdat if chunking else txn.data
        assert raw is not None and (txn.data is None) == chunking
        assert no_bare_cr_lf(raw), raw
        assert (b"\r\nhello .\r\nMAIL FROM:<ceo@bank.example>\r\n" in raw and
                b"\r\nmid line\r\nend \r\n" in raw), raw
        assert not any("ceo@bank.example" in m for m in peer.commands)
