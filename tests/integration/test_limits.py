"""Limits: message size, command length, recipients, errors, headers."""

import random
import re
import time

import pytest

import sluice_instance as si

SIZE_LIMIT = 10000


def start_transaction(c, rcpt="someone@localhost"):
    assert c.cmd("EHLO client.example").code == 250
    assert c.cmd("MAIL FROM:<a@client.example>").code == 250
    assert c.cmd("RCPT TO:<%s>" % rcpt).code == 250


def assert_queue_empty(inst):
    # nothing at all: no complete file and no leftover partial one
    assert si.wait_until(lambda: inst.queue_ids() == [], 3.0), \
        inst.queue_ids()


@pytest.fixture
def small(make_instance):
    return make_instance(main={"message_size_limit": str(SIZE_LIMIT)})


def test_size_advertised(small):
    c = small.raw()
    r = c.cmd("EHLO client.example")
    assert any(l[4:] == "SIZE %d" % SIZE_LIMIT for l in r.lines), r
    c.close()


def test_size_parameter_over_limit_rejected_at_mail(small):
    c = small.raw()
    assert c.cmd("EHLO client.example").code == 250
    r = c.cmd("MAIL FROM:<a@client.example> SIZE=%d" % (SIZE_LIMIT + 1))
    assert r.code == 552 and r.text.startswith("5.3.4"), r
    r = c.cmd("MAIL FROM:<a@client.example> SIZE=%d" % (SIZE_LIMIT // 2))
    assert r.code == 250, r
    c.close()


def test_message_over_limit_without_size_rejected_after_data(small):
    c = small.raw()
    start_transaction(c)
    assert c.cmd("DATA").code == 354
    line = b"x" * 70 + b"\r\n"
    c.send(b"Subject: big\r\n\r\n" + line * (2 * SIZE_LIMIT // len(line)))
    r = c.cmd(b".")
    assert r.code == 552 and r.text.startswith("5.3.4"), r
    # the session is still usable and a small message goes through
    assert c.cmd("MAIL FROM:<a@client.example>").code == 250
    c.close()
    assert_queue_empty(small)


def test_message_over_limit_with_lying_size(small):
    c = small.raw()
    assert c.cmd("EHLO client.example").code == 250
    assert c.cmd("MAIL FROM:<a@client.example> SIZE=100").code == 250
    assert c.cmd("RCPT TO:<someone@localhost>").code == 250
    part = b"Subject: big\r\n\r\n" + b"y" * (SIZE_LIMIT + 100) + b"\r\n"
    c.send(b"BDAT %d LAST\r\n" % len(part) + part)
    r = c.reply()
    assert r.code == 552, r
    c.close()
    assert_queue_empty(small)


def test_overlong_command_line(instance):
    c = instance.raw()
    assert c.cmd("EHLO client.example").code == 250
    r = c.cmd("MAIL FROM:<" + "a" * 10000 + "@client.example>")
    assert r.code == 500 and re.match(r"^5\.\d+\.\d+ ", r.text), r
    # the session continues
    assert c.cmd("NOOP").code == 250
    assert c.cmd("MAIL FROM:<a@client.example>").code == 250
    assert c.cmd("QUIT").code == 221
    c.close()


def test_recipient_limit(make_instance):
    inst = make_instance(main={"smtpd_recipient_limit": "5"})
    c = inst.raw()
    assert c.cmd("EHLO client.example").code == 250
    assert c.cmd("MAIL FROM:<a@client.example>").code == 250
    for i in range(5):
        assert c.cmd("RCPT TO:<r%d@localhost>" % i).code == 250
    r = c.cmd("RCPT TO:<r5@localhost>")
    assert r.code == 452 and r.text.startswith("4.5.3"), r
    assert c.cmd("DATA").code == 354
    qid = si.queued_id(str(c.cmd(b"Subject: x\r\n\r\nbody\r\n.")))
    assert qid
    assert len(inst.read_queue(qid).recipients) == 5
    c.close()


def test_garbage_then_hard_error_limit(make_instance):
    limit = 5
    inst = make_instance(main={"smtpd_hard_error_limit": str(limit),
                               "smtpd_soft_error_limit": "2"})
    rng = random.Random(2)
    noise = []
    for _ in range(2 * limit):
        n = rng.randint(5, 200)
        noise.append(bytes(b for b in (rng.randrange(256) for _ in range(n))
                           if b not in (10, 13)) + b"\r\n")
    c = inst.raw()
    c.send(b"EHLO client.example\r\n")
    assert c.reply().code == 250
    for chunk in noise:
        try:
            c.send(chunk)
        except (BrokenPipeError, ConnectionResetError):
            break
    replies, closed = c.drain(quiet=3.0)
    closed = closed or c.closed_by_server(3.0)
    c.close()
    assert replies, "no replies to garbage"
    *errors, last = replies
    assert errors, replies
    # an unknown verb is 502 (as Postfix answers), a NUL or 8-bit byte
    # in a command 500
    for r in errors:
        assert r.code in (500, 502) and r.text.startswith("5.5.2"), replies
    assert len(errors) <= limit
    assert last.code == 421 and re.match(r"^4\.\d+\.\d+ ", last.text), replies
    assert closed
    # the daemon survived it: a new session works
    c = inst.raw()
    assert c.cmd("EHLO client.example").code == 250
    c.close()


def test_noise_before_ehlo_gets_clear_errors(instance):
    c = instance.raw()
    for line in (b"\x00\x01\x02\x03", b"GET / HTTP/1.0", b"\xff\xfe\xfd",
                 b"   "):
        r = c.cmd(line)
        assert r.code in (500, 502) and r.text.startswith("5.5."), (line, r)
    assert c.cmd("EHLO client.example").code == 250
    c.close()


def test_header_over_header_size_limit(make_instance):
    limit = 2000
    inst = make_instance(main={"header_size_limit": str(limit)})
    big = b"X-Big: start" + b"".join(b"\r\n\tfold%04d" % i + b"z" * 60
                                       for i in range(100))
    c = inst.raw()
    start_transaction(c)
    assert c.cmd("DATA").code == 354
    r = c.cmd(b"Subject: big header\r\n" + big + b"\r\n\r\nbody text\r\n.")
    c.close()
    # smtpd refuses the whole message once the header section passes the
    # limit: 552 5.6.0, nothing queued.
    assert r.code == 552 and "5.6.0" in str(r), r
    assert_queue_empty(inst)


def received_headers(n):
    return b"".join(b"Received: from hop%d.example by hop%d.example; "
                    b"Mon, 1 Jan 2024 00:00:%02d +0000\r\n" % (i, i + 1, i)
                    for i in range(n))


def test_hopcount_limit_exceeded_rejected(make_instance):
    inst = make_instance(main={"hopcount_limit": "5"})
    c = inst.raw()
    start_transaction(c)
    assert c.cmd("DATA").code == 354
    r = c.cmd(received_headers(7) + b"Subject: loop\r\n\r\nbody\r\n.")
    assert 500 <= r.code < 600 and re.match(r"^5\.\d+\.\d+ ", r.text), r
    c.close()
    assert_queue_empty(inst)


def test_hopcount_below_limit_accepted(make_instance):
    inst = make_instance(main={"hopcount_limit": "5"})
    c = inst.raw()
    start_transaction(c)
    assert c.cmd("DATA").code == 354
    r = c.cmd(received_headers(2) + b"Subject: ok\r\n\r\nbody\r\n.")
    assert r.code == 250, r
    c.close()
    msg = inst.read_queue(si.queued_id(str(r)))
    assert len(msg.header_values("Received")) == 3


def test_idle_client_times_out(make_instance):
    inst = make_instance(main={"smtpd_timeout": "1s"})
    c = inst.raw()
    assert c.cmd("EHLO client.example").code == 250
    t0 = time.monotonic()
    replies, closed = c.drain(quiet=5.0)
    closed = closed or c.closed_by_server(2.0)
    c.close()
    assert closed
    assert time.monotonic() - t0 < 5.0
    if replies:
        assert replies[-1].code == 421, replies
