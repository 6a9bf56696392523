"""The inbound path end to end: SMTP in, a complete queue file on disk."""

import re
import subprocess

import pytest

import sluice_instance as si

SWAKS_DATA = (b"Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
              b"Message-Id: <swaks-test-1@client.example>\n"
              b"From: sender@client.example\n"
              b"To: someone@localhost\n"
              b"Subject: integration test\n"
              b"\n"
              b"first body line\n"
              b"..a line starting with a dot\n"
              b"last line")


def strip_received(content):
    """Split off the leading Received: header (with its folded lines)."""
    assert content.startswith(b"Received: "), content[:200]
    lines = content.split(b"\n")
    i = 1
    while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
        i += 1
    return b"\n".join(lines[:i]), b"\n".join(lines[i:])


def queued(reply):
    m = si.QUEUED_RE.match(str(reply).split("\n")[-1])
    assert m, "not a queued reply: %r" % reply
    return m.group(1)


def ehlo(client, name="client.example"):
    r = client.cmd("EHLO " + name)
    assert r.code == 250, r
    return r


def test_swaks_queues_exact_content(instance, tmp_path):
    data = tmp_path / "data.txt"
    data.write_bytes(SWAKS_DATA)
    r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % instance.port,
                        "--to", "someone@localhost",
                        "--from", "sender@client.example",
                        "--data", "@" + str(data), "--timeout", "10"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60, text=True)
    assert r.returncode == 0, r.stdout
    m = re.search(r"^<-\s+250 2\.0\.0 Ok: queued as ([0-9A-F]+)\s*$",
                  r.stdout, re.M)
    assert m, r.stdout
    qid = m.group(1)
    assert qid in instance.queue_ids()
    assert instance.is_complete(qid)
    msg = instance.read_queue(qid)
    assert msg.complete and msg.has_end
    assert msg.version == "1"
    assert msg.sender == "sender@client.example"
    assert msg.recipient_addresses == ["someone@localhost"]
    received, rest = strip_received(msg.content)
    # swaks dot-stuffs on the wire; stored with LF line ends and
    # unstuffed, the content is exactly the data we gave swaks
    assert rest == SWAKS_DATA + b"\n"
    assert msg.size == len(msg.content)
    for want in (b"[127.0.0.1]", b"by " + si.HOSTNAME.encode(),
                 b"ESMTP", qid.encode(), b"for <someone@localhost>"):
        assert want in received, (want, received)
    assert msg.attrs.get("client_address") == "127.0.0.1"
    assert msg.attrs.get("protocol") == "ESMTP"
    assert msg.attrs.get("helo_name")


def test_swaks_default_message(instance):
    """The issue's own check: plain swaks ends in 'queued as ID'."""
    r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % instance.port,
                        "--to", "someone@localhost", "--timeout", "10"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60, text=True)
    assert r.returncode == 0, r.stdout
    m = re.search(r"250 2\.0\.0 Ok: queued as ([0-9A-F]+)", r.stdout)
    assert m, r.stdout
    assert m.group(1) in instance.complete_ids()


def test_smtplib_multiple_recipients_and_added_headers(instance):
    body = (b"From: a@client.example\r\nSubject: no id or date\r\n\r\n"
            b"hello\r\n.leading dot\r\n")
    with instance.smtp() as s:
        s.ehlo("client.example")
        assert s.mail("a@client.example")[0] == 250
        for r in ("one@localhost", "two@localhost", "three@mx.test.example"):
            assert s.rcpt(r)[0] == 250
        code, text = s.data(body)
        assert code == 250, text
        qid = si.queued_id(text)
        assert qid
    msg = instance.read_queue(qid)
    assert msg.complete
    assert msg.recipient_addresses == ["one@localhost", "two@localhost",
                                       "three@mx.test.example"]
    received, rest = strip_received(msg.content)
    # several recipients: no "for <addr>" clause
    assert b"for <" not in received
    assert len(msg.header_values("Message-ID")) == 1
    assert len(msg.header_values("Date")) == 1
    # everything the client sent is there, in order, unchanged
    others = [l for l in rest.split(b"\n")
              if not re.match(rb"(?i)^(message-id|date):", l)]
    assert b"\n".join(others) == body.replace(b"\r\n", b"\n")
    # the added headers are in the header section
    head = rest.split(b"\n\n", 1)[0]
    assert re.search(rb"(?im)^message-id: *<[^>]+@[^>]+>$", head), head
    assert re.search(rb"(?im)^date: .+", head), head


def test_ehlo_keywords(instance):
    c = instance.raw()
    assert c.greeting.code == 220
    assert si.HOSTNAME in c.greeting.lines[0]
    r = ehlo(c)
    keywords = [l[4:].split()[0].upper() for l in r.lines[1:]]
    for kw in ("PIPELINING", "SIZE", "8BITMIME", "ENHANCEDSTATUSCODES",
               "SMTPUTF8", "DSN", "CHUNKING"):
        assert kw in keywords, r
    size_line = [l for l in r.lines if l[4:].upper().startswith("SIZE")][0]
    assert re.match(r"^SIZE \d+$", size_line[4:]), size_line
    assert int(size_line[4:].split()[1]) > 0
    assert r.lines[0].startswith("250-" + si.HOSTNAME)
    assert c.cmd("QUIT").code == 221
    c.close()


def test_simple_commands(instance):
    c = instance.raw()
    r = c.cmd("HELO client.example")
    assert r.code == 250 and len(r.lines) == 1, r
    assert c.cmd("NOOP").code == 250
    assert re.match(r"^2\.0\.0", c.cmd("NOOP").text)
    assert c.cmd("MAIL FROM:<a@client.example>").code == 250
    assert c.cmd("RSET").code == 250
    # RSET cleared the transaction
    r = c.cmd("RCPT TO:<someone@localhost>")
    assert r.code == 503 and r.text.startswith("5.5.1"), r
    r = c.cmd("VRFY root")
    assert r.code == 252, r
    r = c.cmd("HELP")
    assert r.code in (214, 250), r
    r = c.cmd("FOOBAR")
    assert r.code in (500, 502) and r.text.startswith("5.5."), r
    r = c.cmd("MAIL FROM:<broken")
    assert r.code == 501 and r.text.startswith("5."), r
    r = c.cmd("DATA")
    assert r.code == 503, r
    r = c.cmd("QUIT")
    assert r.code == 221 and r.text.startswith("2.0.0"), r
    assert c.closed_by_server(5)
    c.close()


def test_dsn_parameters_stored(instance):
    c = instance.raw()
    ehlo(c)
    r = c.cmd("MAIL FROM:<a@client.example> RET=HDRS ENVID=abc+2Bdef")
    assert r.code == 250, r
    r = c.cmd("RCPT TO:<one@localhost> NOTIFY=SUCCESS,FAILURE "
              "ORCPT=rfc822;orig@client.example")
    assert r.code == 250, r
    r = c.cmd("RCPT TO:<two@localhost> NOTIFY=NEVER")
    assert r.code == 250, r
    r = c.cmd("RCPT TO:<three@localhost>")
    assert r.code == 250, r
    assert c.cmd("DATA").code == 354
    qid = queued(c.cmd(b"Subject: dsn\r\n\r\nbody\r\n."))
    c.cmd("QUIT")
    c.close()
    msg = instance.read_queue(qid)
    assert msg.complete
    assert msg.attrs.get("envid") == "abc+def"       # xtext-decoded
    assert msg.attrs.get("ret", "").upper() == "HDRS"
    rcpts = {r["address"]: r for r in msg.recipients}
    assert rcpts["one@localhost"]["notify"] == (si_notify("SUCCESS") |
                                                si_notify("FAILURE"))
    assert rcpts["one@localhost"]["orcpt"].lower() == \
        "rfc822;orig@client.example"
    assert rcpts["two@localhost"]["notify"] == si_notify("NEVER")
    assert rcpts["three@localhost"]["notify"] == 0
    assert rcpts["three@localhost"]["orcpt"] == ""


def si_notify(word):
    return {"NEVER": 1, "SUCCESS": 2, "FAILURE": 4, "DELAY": 8}[word]


@pytest.mark.parametrize("bad", [
    "RCPT TO:<x@localhost> NOTIFY=NEVER,SUCCESS",
    "RCPT TO:<x@localhost> NOTIFY=SOMETIMES",
    "RCPT TO:<x@localhost> ORCPT=nonsense",
    "RCPT TO:<x@localhost> NOTIFY=SUCCESS NOTIFY=FAILURE",
])
def test_dsn_bad_rcpt_parameters_rejected(instance, bad):
    c = instance.raw()
    ehlo(c)
    assert c.cmd("MAIL FROM:<a@client.example>").code == 250
    r = c.cmd(bad)
    assert r.code == 501 and r.text.startswith("5.5.4"), r
    c.close()


@pytest.mark.parametrize("bad", [
    "MAIL FROM:<a@client.example> RET=SOME",
    "MAIL FROM:<a@client.example> ENVID=bad+zz",
    "MAIL FROM:<a@client.example> SIZE=abc",
    "MAIL FROM:<a@client.example> BODY=9BITMIME",
    "MAIL FROM:<a@client.example> NOSUCHPARAM=1",
])
def test_bad_mail_parameters_rejected(instance, bad):
    c = instance.raw()
    ehlo(c)
    r = c.cmd(bad)
    assert r.code in (501, 555) and r.text.startswith("5.5.4"), r
    # the session goes on
    assert c.cmd("MAIL FROM:<a@client.example>").code == 250
    c.close()


def test_smtputf8_address_needs_smtputf8(instance):
    c = instance.raw()
    ehlo(c)
    r = c.cmd("MAIL FROM:<jösé@client.example>".encode())
    assert 500 <= r.code < 600, r
    r = c.cmd("MAIL FROM:<jösé@client.example> SMTPUTF8".encode())
    assert r.code == 250, r
    r = c.cmd("RCPT TO:<用户@localhost>".encode())
    assert r.code == 250, r
    assert c.cmd("DATA").code == 354
    qid = queued(c.cmd("Subject: ünïcode\r\n\r\nbödy\r\n.".encode()))
    c.cmd("QUIT")
    c.close()
    msg = instance.read_queue(qid)
    assert msg.complete
    assert msg.sender == "jösé@client.example"
    assert msg.recipient_addresses == ["用户@localhost"]
    assert "\nSubject: ünïcode\n".encode() in msg.content
    assert msg.content.endswith("\n\nbödy\n".encode())


def test_bdat_chunking_exact_bytes(instance):
    c = instance.raw()
    ehlo(c)
    assert c.cmd("MAIL FROM:<a@client.example> BODY=8BITMIME").code == 250
    assert c.cmd("RCPT TO:<someone@localhost>").code == 250
    part1 = b"Subject: chunks\r\nMessage-ID: <b@c>\r\nDate: x\r\n\r\n"
    part2 = b".no dot unstuffing in BDAT\r\n..two dots\r\n\xc3\xa9 8bit\r\n"
    c.send(b"BDAT %d\r\n" % len(part1) + part1)
    r = c.reply()
    assert r.code == 250, r
    c.send(b"BDAT %d LAST\r\n" % len(part2) + part2)
    qid = queued(c.reply())
    assert c.cmd("QUIT").code == 221
    c.close()
    msg = instance.read_queue(qid)
    assert msg.complete
    _, rest = strip_received(msg.content)
    assert rest == (part1 + part2).replace(b"\r\n", b"\n")


def test_bdat_then_data_in_same_transaction_rejected(instance):
    c = instance.raw()
    ehlo(c)
    assert c.cmd("MAIL FROM:<a@client.example>").code == 250
    assert c.cmd("RCPT TO:<someone@localhost>").code == 250
    c.send(b"BDAT 5\r\nabcde")
    assert c.reply().code == 250
    r = c.cmd("DATA")
    assert r.code == 503, r
    c.close()


def test_log_lines(instance):
    with instance.smtp() as s:
        s.ehlo("client.example")
        s.mail("a@client.example")
        s.rcpt("someone@localhost")
        code, text = s.data(b"Subject: log\r\nMessage-ID: <log-test@x>\r\n"
                            b"\r\nbody\r\n")
        assert code == 250
        qid = si.queued_id(text)
    assert instance.wait_log(r"disconnect from \S+\[127\.0\.0\.1\]")
    log = instance.maillog()
    assert re.search(r"sluice/smtpd\[\d+\]: connect from \S+\[127\.0\.0\.1\]",
                     log), log
    assert re.search(r"sluice/smtpd\[\d+\]: %s: client=\S+\[127\.0\.0\.1\]"
                     % qid, log), log
    assert re.search(r"sluice/cleanup\[\d+\]: %s: message-id=<log-test@x>"
                     % qid, log), log
    assert re.search(r"sluice/smtpd\[\d+\]: disconnect from "
                     r"\S+\[127\.0\.0\.1\].*\bcommands=\d+", log), log
    assert re.search(r"sluice/master\[\d+\]: daemon started", log), log


def test_helo_session_protocol_smtp(instance):
    c = instance.raw()
    assert c.cmd("HELO old.client.example").code == 250
    assert c.cmd("MAIL FROM:<a@client.example>").code == 250
    assert c.cmd("RCPT TO:<someone@localhost>").code == 250
    assert c.cmd("DATA").code == 354
    qid = queued(c.cmd(b"Subject: helo\r\n\r\nbody\r\n."))
    c.close()
    msg = instance.read_queue(qid)
    assert msg.attrs.get("protocol") == "SMTP"
    assert msg.attrs.get("helo_name") == "old.client.example"
    received = msg.header_values("Received")[0]
    assert b"from old.client.example (" in received
    assert b" with SMTP id " + qid.encode() in received.replace(b"\n\t", b" ")
