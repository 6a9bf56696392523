"""The maillog is text: network bytes reach it escaped (issue 14 item 5).

lib/util/msg.c escapes every line by one rule: printable ASCII and well-formed
UTF-8 pass, every other byte is written as \\r, \\n, \\t or \\xNN.  Here the
bytes come from the network as an attacker would send them: a remote
server's reply with bytes that are not UTF-8 and terminal escapes (logged
by the smtp client); a client's 8-bit HELO (refused, not logged), MAIL
and RCPT with a C1 control and U+2028 (logged by smtpd), and a
Message-ID that is not UTF-8 (logged by cleanup).  The whole maillog
must stay valid UTF-8 without control characters other than the line
ends, with the bytes escaped.
"""

import re

import sluice_instance as si
from smtp_peer import Peer


def raw_maillog(inst):
    try:
        with open(inst.maillog_path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b""


def assert_log_is_text(inst):
    """Strict UTF-8, no C0/C1 controls or DEL, whole lines; the text."""
    raw = raw_maillog(inst)
    text = raw.decode("utf-8")          # strict: raises on a bad byte
    assert text.endswith("\n")
    bad = [l for l in text.split("\n")
           if re.search("[\x00-\x1f\x7f-\x9f\u2028\u2029]", l)]
    assert not bad, bad
    return text


def wait_raw_log(inst, needle, timeout=20.0):
    return si.wait_until(lambda: needle in raw_maillog(inst), timeout)


def test_remote_reply_bytes_are_escaped(make_instance):
    # 0xff 0xfe are not UTF-8; ESC [ 3 1 m would colour a terminal
    reply = "550 5.1.1 \udcff\udcfe bad \x1b[31mred\x7f"
    with Peer(answers={"MAIL": reply}) as peer:
        inst = make_instance(delivery=True, main={
            "relayhost": "[127.0.0.1]:%d" % peer.port,
            "smtp_connection_cache_time_limit": "0s"})
        with inst.smtp(timeout=10) as s:
            s.ehlo("client.example")
            assert s.mail("user@example.test")[0] == 250
            assert s.rcpt("someone@dest.test")[0] == 250
            code, resp = s.data(b"Subject: escaping\r\n\r\nhello\r\n")
            assert code == 250, resp
        qid = si.queued_id(resp)
        assert wait_raw_log(inst, b"%s: to=<someone@dest.test>"
                            % qid.encode()), inst.maillog()[-2000:]
        text = assert_log_is_text(inst)
        # (the smtp client itself turns the controls into spaces)
        assert re.search(r"said: 550 5\.1\.1 \\xff\\xfe bad .\[31mred. "
                         r"\(in reply to MAIL FROM command\)", text), \
            text[-2000:]
        inst.wait_queue_empty(timeout=20)


def test_client_bytes_are_escaped(make_instance):
    # smtpd refuses 8-bit commands other than MAIL and RCPT with SMTPUTF8,
    # and invalid UTF-8 in an address; what gets through and is logged:
    # a C1 control (NEL) and U+2028 in UTF-8 addresses (smtpd's reject
    # line), and bytes that are not UTF-8 in the Message-ID (cleanup's)
    inst = make_instance(main={"mynetworks": "192.0.2.0/24"})
    c = inst.raw()
    try:
        assert c.cmd("EHLO client.example").code == 250
        assert c.cmd(b"EHLO h\xff\xfe.example").code == 500
        assert c.cmd("EHLO client.example").code == 250
        r = c.cmd(b"MAIL FROM:<a\xc2\x85b@client.example> SMTPUTF8")
        assert r.code == 250, r
        r = c.cmd(b"RCPT TO:<v\xe2\x80\xa8x@elsewhere.example>")
        assert r.code == 554, r
        assert c.cmd("RCPT TO:<rcpt@localhost>").code == 250
        assert c.cmd("DATA").code == 354
        r = c.cmd(b"Message-ID: <\xff\xfe\x1b[2J@x>\r\n\r\nbody\r\n.")
        assert r.code == 250, r
        c.cmd("QUIT")
    finally:
        c.close()
    assert wait_raw_log(inst, b"disconnect from"), inst.maillog()
    text = assert_log_is_text(inst)
    assert ("reject: RCPT from localhost[127.0.0.1]: 554 5.7.1 "
            "<v\\xe2\\x80\\xa8x@elsewhere.example>") in text, text
    assert "from=<a\\xc2\\x85b@client.example>" in text, text
    # (cleanup itself turns the ESC into "?")
    assert re.search(r"message-id=<\\xff\\xfe.\[2J@x>", text), text
