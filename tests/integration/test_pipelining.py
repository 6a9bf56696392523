"""PIPELINING (RFC 2920): batches in, replies out in order."""

import time

import sluice_instance as si


def body(n):
    return (b"Subject: batch %d\r\nMessage-ID: <batch-%d@client.example>\r\n"
            b"\r\nmessage number %d\r\n" % (n, n, n))


def test_whole_transaction_in_one_write(instance):
    c = instance.raw()
    assert c.cmd("EHLO client.example").code == 250
    c.send(b"MAIL FROM:<a@client.example>\r\n"
           b"RCPT TO:<r1@localhost>\r\n"
           b"RCPT TO:<r2@localhost>\r\n"
           b"RCPT TO:<r3@localhost>\r\n"
           b"DATA\r\n")
    codes = [r.code for r in c.replies(5)]
    assert codes == [250, 250, 250, 250, 354]
    c.send(body(1) + b".\r\nQUIT\r\n")
    r = c.reply()
    qid = si.queued_id(str(r))
    assert r.code == 250 and qid, r
    assert c.reply().code == 221
    c.close()
    msg = instance.read_queue(qid)
    assert msg.complete
    assert msg.recipient_addresses == ["r1@localhost", "r2@localhost",
                                       "r3@localhost"]


def test_rejected_rcpt_inside_batch_keeps_order(make_instance):
    inst = make_instance(main={"smtpd_recipient_limit": "2"})
    c = inst.raw()
    assert c.cmd("EHLO client.example").code == 250
    c.send(b"MAIL FROM:<a@client.example>\r\n"
           b"RCPT TO:<r1@localhost>\r\n"
           b"RCPT TO:<bad address>\r\n"
           b"RCPT TO:<r2@localhost>\r\n"
           b"RCPT TO:<r3@localhost>\r\n"
           b"DATA\r\n")
    codes = [r.code for r in c.replies(6)]
    assert codes[0:2] == [250, 250]
    assert codes[2] == 501
    assert codes[3] == 250
    assert codes[4] == 452
    assert codes[5] == 354
    c.send(body(1) + b".\r\n")
    qid = si.queued_id(str(c.reply()))
    assert qid
    assert inst.read_queue(qid).recipient_addresses == ["r1@localhost",
                                                        "r2@localhost"]
    c.close()


def test_several_messages_in_one_batch(instance):
    c = instance.raw()
    assert c.cmd("EHLO client.example").code == 250
    n_messages = 5
    c.send(b"MAIL FROM:<a@client.example>\r\nRCPT TO:<r0@localhost>\r\n"
           b"DATA\r\n")
    assert [r.code for r in c.replies(3)] == [250, 250, 354]
    ids = []
    for i in range(n_messages):
        batch = body(i) + b".\r\n"
        if i + 1 < n_messages:
            batch += (b"RSET\r\nMAIL FROM:<a@client.example>\r\n"
                      b"RCPT TO:<r%d@localhost>\r\nDATA\r\n" % (i + 1))
        else:
            batch += b"QUIT\r\n"
        c.send(batch)
        r = c.reply()
        assert r.code == 250, r
        ids.append(si.queued_id(str(r)))
        if i + 1 < n_messages:
            assert [x.code for x in c.replies(4)] == [250, 250, 250, 354]
        else:
            assert c.reply().code == 221
    c.close()
    assert len(set(ids)) == n_messages and all(ids)
    for i, qid in enumerate(ids):
        msg = instance.read_queue(qid)
        assert msg.complete
        assert msg.recipient_addresses == ["r%d@localhost" % i]
        assert msg.content.endswith(b"\nmessage number %d\n" % i)


def test_whole_session_in_one_write(instance):
    """An aggressive client (all commands, no waiting for 354): the
    content after DATA must still be one message, never commands."""
    c = instance.raw()
    c.send(b"EHLO client.example\r\nMAIL FROM:<a@client.example>\r\n"
           b"RCPT TO:<r1@localhost>\r\nDATA\r\n" + body(7) +
           b".\r\nQUIT\r\n")
    replies, _ = c.drain(quiet=2.0)
    codes = [r.code for r in replies]
    assert codes[:4] == [250, 250, 250, 354], replies
    assert codes[4] == 250 and si.queued_id(str(replies[4])), replies
    assert codes[5:] == [221], replies
    c.close()


def test_talking_before_greeting_rejected(make_instance):
    inst = make_instance(main={"smtpd_greet_pause": "500ms"})
    # a polite client waits for the (delayed) greeting and is served
    t0 = time.monotonic()
    polite = inst.raw()
    assert polite.greeting.code == 220
    assert time.monotonic() - t0 >= 0.4
    assert polite.cmd("EHLO polite.example").code == 250
    polite.cmd("QUIT")
    polite.close()
    # an impatient one talks first
    c = inst.raw(read_greeting=False)
    c.send(b"EHLO spammer.example\r\nMAIL FROM:<a@client.example>\r\n"
           b"RCPT TO:<someone@localhost>\r\n")
    replies, closed = c.drain(quiet=3.0)
    c.close()
    assert replies, "no reply at all"
    assert not any(r.code == 250 for r in replies), replies
    assert any(500 <= r.code < 600 for r in replies), replies
    assert inst.queue_ids() == []
