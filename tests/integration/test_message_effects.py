"""Message side effects through the cleanup protocol (issue 17).

smtpd's restrictions (access maps, policy answers) ask cleanup for HOLD,
DISCARD, FILTER, REDIRECT, BCC and PREPEND with the lists of
lib/mail/cleanup_client.h.  These tests speak that protocol themselves on
private/cleanup, so that they check cleanup and qmgr, not a restriction:
HOLD finishes the file in hold/ (sluice-queue -j says queue_name hold,
sluice-super -H lets it go), DISCARD answers status=0 and keeps nothing,
FILTER and REDIRECT are A records after the content that qmgr honours,
BCC is one more recipient, PREPEND a header on top.  Each request with a
reason is logged as "ID: ACTION: reason".
"""

import json
import os
import re
import socket
import struct
import time

import sluice_instance as si
from smtp_peer import Peer

CONTENT = b"Subject: effects\nMessage-ID: <effects@client.example>\n\nbody\n"


def attr_bytes(pairs):
    out = b""
    for name, value in pairs:
        value = value if isinstance(value, bytes) else str(value).encode()
        out += struct.pack(">I", len(name)) + name.encode() + \
            struct.pack(">I", len(value)) + value
    return out + struct.pack(">I", 0)


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("cleanup closed the connection")
        data += chunk
    return data


def read_list(sock):
    out = {}
    while True:
        (nlen,) = struct.unpack(">I", read_exact(sock, 4))
        if nlen == 0:
            return out
        name = read_exact(sock, nlen).decode()
        (vlen,) = struct.unpack(">I", read_exact(sock, 4))
        out[name] = read_exact(sock, vlen).decode()


def submit(inst, rcpts, before=(), after=(), content=CONTENT,
           sender="sender@client.example"):
    """One message through private/cleanup: side-effect lists before and
    after the content; (queue_id, final reply dict)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(10)
    try:
        sock.connect(os.path.join(inst.queue, "private", "cleanup"))
        env = [("request", "message"), ("sender", sender), ("flags", 0),
               ("client_name", "client.example"),
               ("client_address", "127.0.0.1"), ("protocol", "ESMTP")]
        env += [("rcpt", r) for r in rcpts]
        sock.sendall(attr_bytes(env))
        first = read_list(sock)
        assert first.get("status") == "0", first
        lists = [attr_bytes(p) for p in before]
        lists.append(attr_bytes([("data", content)]))
        lists += [attr_bytes(p) for p in after]
        lists.append(attr_bytes([("end", "1")]))
        sock.sendall(b"".join(lists))
        return first["queue_id"], read_list(sock)
    finally:
        sock.close()


def relay_instance(make_instance, peer, **main):
    params = {"relayhost": "[127.0.0.1]:%d" % peer.port,
              "smtp_connection_cache_time_limit": "0s"}
    params.update(main)
    return make_instance(delivery=True, main=params)


def rcpt_addresses(txn):
    return sorted(re.search(r"<([^>]*)>", r).group(1) for r in txn.rcpts)


def queue_entries(inst, qid):
    return [d for d in ("incoming", "active", "deferred", "hold", "corrupt")
            if os.path.exists(os.path.join(inst.queue, d, qid))]


def test_hold_parks_the_message_until_released(make_instance):
    with Peer() as peer:
        inst = relay_instance(make_instance, peer)
        why = ("RCPT from client.example[127.0.0.1]: <a@dest.test>: "
               "Recipient address triggers HOLD action")
        qid, verdict = submit(inst, ["a@dest.test"],
                              before=[[("hold", "1"), ("reason", why)]])
        assert verdict == {"status": "0"}
        assert inst.wait_log(r"%s: hold: %s" % (qid, re.escape(why)))
        assert queue_entries(inst, qid) == ["hold"]
        assert inst.is_complete(qid, "hold")
        time.sleep(1.5)
        assert peer.transactions == [] and queue_entries(inst, qid) == ["hold"]
        r = inst.tool("sluice-queue", "-c", inst.etc, "-j", text=True)
        assert r.returncode == 0, r.stderr
        listed = [json.loads(line) for line in r.stdout.splitlines()]
        assert [(m["queue_id"], m["queue_name"]) for m in listed] == \
            [(qid, "hold")]
        r = inst.tool("sluice-super", "-c", inst.etc, "-H", qid, text=True)
        assert r.returncode == 0, r.stderr
        # released to deferred/, due now: a flush sends it at once
        r = inst.tool("sluice-queue", "-c", inst.etc, "-f", text=True)
        assert r.returncode == 0, r.stderr
        assert si.wait_until(lambda: len(peer.transactions) == 1, 20), \
            inst.maillog()[-2000:]
        assert rcpt_addresses(peer.transactions[0]) == ["a@dest.test"]


def test_discard_answers_ok_and_keeps_nothing(make_instance):
    with Peer() as peer:
        inst = relay_instance(make_instance, peer)
        qid, verdict = submit(inst, ["a@dest.test", "b@dest.test"],
                              after=[[("discard", "1"),
                                      ("reason", "header Subject: effects")]])
        assert verdict == {"status": "0"}
        assert inst.wait_log(r"%s: discard: header Subject: effects" % qid)
        assert queue_entries(inst, qid) == []
        time.sleep(1.5)
        assert peer.transactions == []
        assert not re.search(r"%s: (from=|to=)" % qid, inst.maillog())


def test_filter_routes_every_recipient_to_the_filter(make_instance):
    with Peer() as peer, Peer() as filt:
        inst = relay_instance(make_instance, peer)
        qid, verdict = submit(inst, ["a@dest.test", "b@other.test"],
                              after=[[("filter", "smtp:[127.0.0.1]:%d"
                                       % filt.port)]])
        assert verdict == {"status": "0"}
        assert inst.wait_log(r"%s: removed" % qid, 20), inst.maillog()[-2000:]
        assert len(filt.transactions) == 1
        assert rcpt_addresses(filt.transactions[0]) == \
            ["a@dest.test", "b@other.test"]
        # the content as sent: nothing of the records after it
        assert filt.transactions[0].data.replace(b"\r\n", b"\n") \
            .endswith(b"\nbody\n.\n")
        assert peer.transactions == []


def test_last_filter_wins_and_redirect_replaces_every_recipient(
        make_instance):
    with Peer() as peer:
        inst = relay_instance(make_instance, peer)
        qid, verdict = submit(
            inst, ["a@dest.test", "b@dest.test"],
            before=[[("redirect", "first@elsewhere.test")]],
            after=[[("redirect", "trap@elsewhere.test"),
                    ("reason", "Sender address triggers REDIRECT")]])
        assert verdict == {"status": "0"}
        assert si.wait_until(lambda: len(peer.transactions) >= 1, 20), \
            inst.maillog()[-2000:]
        assert inst.wait_log(r"%s: removed" % qid, 10)
        assert inst.wait_log(r"%s: redirect: Sender address triggers "
                             r"REDIRECT" % qid)
        # one delivery to the one address (the records are duplicates
        # then), logged with the address the sender gave
        assert [rcpt_addresses(t) for t in peer.transactions] == \
            [["trap@elsewhere.test"]]
        assert inst.wait_log(r"%s: to=<trap@elsewhere.test>, "
                             r"orig_to=<a@dest.test>.*status=sent" % qid)


def test_bcc_adds_a_recipient_the_sender_is_not_told_about(make_instance):
    # without qmgr the file stays in incoming/ as cleanup wrote it
    inst = make_instance()
    qid, verdict = submit(inst, ["a@dest.test"],
                          after=[[("bcc", "archive@dest.test")],
                                 [("bcc", "archive@dest.test")],
                                 [("filter", "smtp:")],
                                 [("filter", "relay:[10.0.0.1]:25")]])
    assert verdict == {"status": "0"}
    msg = si.parse_queue_file(inst.queue_path(qid))
    assert msg.complete and msg.extracted
    assert [(r["address"], r["notify"]) for r in msg.recipients] == \
        [("a@dest.test", 0), ("archive@dest.test", 1)]   # 1: NEVER
    assert msg.attrs["filter"] == "relay:[10.0.0.1]:25"
    types = "".join(t for t, _ in msg.records)
    assert re.fullmatch(r"VTZSA+RMC+XAR E".replace(" ", ""), types), types
    assert msg.content.endswith(b"\n\nbody\n")


def test_bcc_is_delivered(make_instance):
    with Peer() as peer:
        inst = relay_instance(make_instance, peer)
        # a BCC of a recipient is its own record (NOTIFY differs) but
        # one delivery
        qid, verdict = submit(inst, ["a@dest.test"],
                              after=[[("bcc", "archive@dest.test")],
                                     [("bcc", "a@dest.test")]])
        assert verdict == {"status": "0"}
        assert inst.wait_log(r"%s: removed" % qid, 20), inst.maillog()[-2000:]
        assert sorted(a for t in peer.transactions
                      for a in rcpt_addresses(t)) == \
            ["a@dest.test", "archive@dest.test"]


def test_prepend_goes_on_top(make_instance):
    inst = make_instance()
    qid, verdict = submit(inst, ["a@dest.test"],
                          before=[[("prepend", "X-Access: first")],
                                  [("prepend", "X-Policy: second")]])
    assert verdict == {"status": "0"}
    msg = si.parse_queue_file(inst.queue_path(qid))
    assert msg.content.startswith(
        b"X-Access: first\nX-Policy: second\nSubject: effects\n")


def test_malformed_or_misplaced_requests_are_protocol_errors(make_instance):
    inst = make_instance()
    bad = [
        dict(after=[[("prepend", "X-Late: too late")]]),
        dict(before=[[("prepend", "no colon here")]]),
        dict(before=[[("prepend", "X-Two: lines\nX-Injected: yes")]]),
        dict(before=[[("filter", "no-colon")]]),
        dict(before=[[("filter", ":nexthop-only")]]),
        dict(before=[[("redirect", "")]]),
        dict(before=[[("bcc", "x" * 600 + "@dest.test")]]),
        dict(before=[[("hold", "1"), ("why", "wrong name")]]),
        dict(before=[[("discard", "1"), ("reason", "a\rb")]]),
    ]
    for case in bad:
        qid, verdict = submit(inst, ["a@dest.test"], **case)
        assert verdict.get("status") == "4", (case, verdict)
        assert "protocol error" in verdict.get("reason", ""), verdict
        assert queue_entries(inst, qid) == [], case
    assert inst.wait_log(r"protocol error: malformed or misplaced prepend")


def test_content_filter_sends_smtp_and_local_mail_to_the_filter(
        make_instance):
    """Postfix's content_filter: smtpd and pickup ask cleanup for the
    FILTER of every message they receive"""
    import submit_helpers as sh
    with Peer() as peer, Peer() as filt:
        inst = relay_instance(make_instance, peer, content_filter=(
            "smtp:[127.0.0.1]:%d" % filt.port))
        with inst.smtp(timeout=10) as s:
            s.ehlo("client.example")
            s.sendmail("sender@client.example", ["a@dest.test"],
                       b"Subject: via smtpd\r\n\r\nbody\r\n")
        r = sh.sendmail(inst, ["-f", "me@client.example", "b@dest.test"],
                        b"Subject: via pickup\n\nbody\n")
        assert r.returncode == 0, r.stderr
        assert si.wait_until(lambda: len(filt.transactions) == 2 and
                             all(t.data for t in filt.transactions), 20), \
            inst.maillog()[-3000:]
        assert sorted(a for t in filt.transactions
                      for a in rcpt_addresses(t)) == \
            ["a@dest.test", "b@dest.test"]
        time.sleep(1)
        assert peer.transactions == []


def test_redirect_overrides_filter(make_instance):
    with Peer() as peer, Peer() as filt:
        inst = relay_instance(make_instance, peer)
        qid, verdict = submit(inst, ["a@dest.test"],
                              after=[[("filter", "smtp:[127.0.0.1]:%d"
                                       % filt.port)],
                                     [("redirect", "trap@elsewhere.test")]])
        assert verdict == {"status": "0"}
        assert inst.wait_log(r"%s: removed" % qid, 20), inst.maillog()[-2000:]
        assert [rcpt_addresses(t) for t in peer.transactions] == \
            [["trap@elsewhere.test"]]
        assert filt.transactions == []
