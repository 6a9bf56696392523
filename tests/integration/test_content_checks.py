"""header_checks, mime_header_checks, nested_header_checks and body_checks
in cleanup (issue 17, item 6), with the examples of Postfix's
header_checks(5) and pcre_table(5).

Mail comes over SMTP from 127.0.0.1 (and from sendmail through pickup);
the instances run without qmgr, so an accepted message stays in incoming/
(or hold/) as cleanup wrote it.  A REJECT is a 550 at the end of DATA with
the table's text and a Postfix-format "reject: header ..." log line; the
other actions change the queue file; hostile MIME and a pattern that
backtracks without end get a clear answer and the daemon goes on.
"""

import os
import re
import smtplib
import time

import sluice_instance as si
import submit_helpers as sh
from smtp_peer import Peer

# header_checks(5) and pcre_table(5), EXAMPLES
HEADER_CHECKS = r"""
/^Subject: make money fast/     REJECT
/^To: friend@public\.com/       REJECT
/^Content-(Disposition|Type).*name\s*=\s*"?([^;]*(\.|=2E)(ade|adp|asp|bas|bat|chm|cmd|com|cpl|crt|dll|exe|hlp|hta|inf|ins|isp|js|jse|lnk|mdb|ms[cipt]|pcd|pif|reg|scr|sct|shs|url|vb|vbe|vbs|wsc|wsf|wsh))(\?=)?"?\s*(;|$)/x
    REJECT Attachment name "$2" may not end with ".$4"
/^Subject: first line\n\s+second line/  REJECT folded subject
/^Subject: warn me/             WARN watch this
/^Subject: hold me/             HOLD held for review
/^Subject: discard me/          DISCARD silently
/^Subject: defer me/            DEFER try later
/^X-Drop-Me:/                   IGNORE
/^X-Strip-Me:/                  STRIP stripped
/^X-Old: (.*)/                  REPLACE X-New: $1
/^Subject: tag me/              PREPEND X-Tagged: yes
/^Subject: redirect me/         REDIRECT trap@elsewhere.test
/^Subject: copy me/             BCC archive@dest.test
/^Subject: filter me/           FILTER smtp:[127.0.0.1]:10025
/^Subject: stop here/           PASS
/^Subject: (a+)+b/              REJECT backtracking
"""

BODY_CHECKS = r"""
/^<iframe src=(3D)?cid:.* height=(3D)?0 width=(3D)?0>$/    REJECT IFRAME vulnerability exploit
/^bad body line$/               REJECT 5.7.0 body says no
/^info body line$/              INFO seen it
"""

NESTED_CHECKS = r"""
/^Subject: inner secret/        REJECT nested message refused
"""


def write_table(inst, name, text):
    path = os.path.join(inst.etc, name)
    with open(path, "w") as f:
        f.write(text)
    return "pcre:" + path


def checks_instance(make_instance, body=True, nested=False, main=None,
                    master=None):
    params = {}

    def tables(inst):
        params["header_checks"] = write_table(inst, "header_checks",
                                              HEADER_CHECKS)
        if body:
            params["body_checks"] = write_table(inst, "body_checks",
                                                BODY_CHECKS)
        if nested:
            params["nested_header_checks"] = write_table(
                inst, "nested_checks", NESTED_CHECKS)
        params.update(main or {})
        inst.set_main(params)
        if master:
            master(inst)
    return make_instance(before_start=tables)


def send(inst, content, rcpts=("rcpt@dest.test",),
         sender="sender@client.example"):
    """(code, text) of the reply to the end of DATA"""
    with inst.smtp(timeout=20) as s:
        s.ehlo("client.example")
        assert s.mail(sender)[0] == 250
        for r in rcpts:
            assert s.rcpt(r)[0] == 250
        try:
            code, text = s.data(content)
        except smtplib.SMTPDataError as e:
            code, text = e.smtp_code, e.smtp_error
        return code, text.decode("utf-8", "replace")


def msg(headers, body="body\r\n"):
    return ("\r\n".join(headers) + "\r\n\r\n" + body).encode()


def test_reject_is_550_at_end_of_data_and_logged_as_postfix_does(
        make_instance):
    inst = checks_instance(make_instance)
    code, text = send(inst, msg(["Subject: make money fast!!!"]))
    assert (code, text) == (550, "5.7.1 message content rejected")
    line = inst.wait_log(r"(\w+): reject: header Subject: make money "
                         r"fast!!! from ([^;]*); from=<sender@client\."
                         r"example> to=<rcpt@dest\.test> proto=ESMTP "
                         r"helo=<client\.example>: 5\.7\.1 message content "
                         r"rejected$")
    assert line, inst.maillog()[-2000:]
    assert line.group(2).endswith("[127.0.0.1]")
    qid = line.group(1)
    assert qid not in inst.queue_ids()
    # the session and the daemon go on
    code, text = send(inst, msg(["Subject: fine"]))
    assert code == 250, text
    assert inst.sanitizer_reports() == []


def test_table_text_and_substitution_reach_the_client(make_instance):
    inst = checks_instance(make_instance)
    code, text = send(inst, msg(["To: friend@public.com"]))
    assert code == 550 and text == "5.7.1 message content rejected"
    # a MIME part's header (mime_header_checks = $header_checks)
    content = msg(["Subject: invoice", "MIME-Version: 1.0",
                   'Content-Type: multipart/mixed; boundary="XX"'],
                  "--XX\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
                  "--XX\r\nContent-Type: application/octet-stream;\r\n"
                  ' name="invoice.pdf.exe"\r\n\r\nTVqQAAMAAAAEAAAA\r\n'
                  "--XX--\r\n")
    code, text = send(inst, content)
    assert code == 550, text
    assert text == '5.7.1 Attachment name "invoice.pdf.exe" may not end ' \
        'with ".exe"'
    assert inst.wait_log(r"reject: header Content-Type: application/octet-"
                         r"stream;.* name=\"invoice\.pdf\.exe\" from ")


def test_folded_header_is_one_logical_line(make_instance):
    inst = checks_instance(make_instance)
    code, text = send(inst, msg(["Subject: first line", "\tsecond line"]))
    assert (code, text) == (550, "5.7.1 folded subject")
    # each line alone does not match
    code, text = send(inst, msg(["Subject: first line"]))
    assert code == 250, text


def test_body_checks(make_instance):
    inst = checks_instance(make_instance)
    code, text = send(inst, msg(["Subject: x"], "hello\r\n<iframe src=3Dcid:"
                                "xyz height=3D0 width=3D0>\r\n"))
    assert (code, text) == (550, "5.7.1 IFRAME vulnerability exploit")
    assert inst.wait_log(r"reject: body <iframe src=3Dcid:xyz height=3D0 "
                         r"width=3D0> from .*: 5\.7\.1 IFRAME")
    code, text = send(inst, msg(["Subject: x"], "bad body line\r\n"))
    assert (code, text) == (550, "5.7.0 body says no")
    code, text = send(inst, msg(["Subject: x"], "info body line\r\n"))
    assert code == 250, text
    assert inst.wait_log(r"info: body info body line from .*: seen it$")


def test_body_checks_size_limit(make_instance):
    inst = checks_instance(make_instance,
                           main={"body_checks_size_limit": "100"})
    filler = "x" * 60 + "\r\n"
    code, text = send(inst, msg(["Subject: x"], filler * 3 +
                                "bad body line\r\n"))
    assert code == 250, text       # past the first 100 bytes of the part
    code, text = send(inst, msg(["Subject: x"], filler + "bad body line\r\n"))
    assert code == 550, text


def test_actions_change_the_queue_file(make_instance):
    inst = checks_instance(make_instance)
    code, text = send(inst, msg(["Subject: tag me", "X-Drop-Me: 1",
                                 "X-Strip-Me: 2", "X-Old: value",
                                 "Subject: copy me",
                                 "Subject: filter me"]))
    assert code == 250, text
    qid = si.queued_id(text)
    m = si.parse_queue_file(inst.queue_path(qid))
    names = [n for n, _ in m.headers()]
    assert "X-Drop-Me" not in names and "X-Strip-Me" not in names
    assert m.header_values("X-New") == [b" value"]
    # PREPEND: right above the header that matched
    tagged = names.index("X-Tagged")
    assert m.headers()[tagged + 1] == ("Subject", b" tag me")
    assert m.attrs["filter"] == "smtp:[127.0.0.1]:10025"
    assert [r["address"] for r in m.recipients] == \
        ["rcpt@dest.test", "archive@dest.test"]
    log = inst.maillog()
    for action in ("prepend", "strip", "replace", "bcc", "filter"):
        assert re.search(r"%s: %s: header " % (qid, action), log), action
    assert not re.search(r"%s: ignore" % qid, log)


def test_hold_discard_redirect_warn_defer(make_instance):
    inst = checks_instance(make_instance)
    code, text = send(inst, msg(["Subject: hold me"]))
    assert code == 250, text
    qid = si.queued_id(text)
    assert inst.is_complete(qid, "hold") and qid not in inst.queue_ids()
    assert inst.wait_log(r"%s: hold: header Subject: hold me from .*: held "
                         r"for review" % qid)
    code, text = send(inst, msg(["Subject: discard me"]))
    assert code == 250, text
    qid = si.queued_id(text)
    assert inst.wait_log(r"%s: discard: header Subject: discard me from .*:"
                         r" silently" % qid)
    assert qid not in inst.queue_ids() and qid not in inst.queue_ids("hold")
    code, text = send(inst, msg(["Subject: redirect me"]))
    qid = si.queued_id(text)
    assert si.parse_queue_file(inst.queue_path(qid)).attrs["redirect"] == \
        "trap@elsewhere.test"
    code, text = send(inst, msg(["Subject: warn me"]))
    assert code == 250
    assert inst.wait_log(r"%s: warning: header Subject: warn me from "
                         r"[^;]*; from=<sender@client\.example> "
                         r"to=<rcpt@dest\.test> proto=ESMTP "
                         r"helo=<client\.example>: watch this$"
                         % si.queued_id(text))
    code, text = send(inst, msg(["Subject: defer me"]))
    assert (code, text) == (451, "4.7.1 try later")


def test_pass_stops_the_checks(make_instance):
    inst = checks_instance(make_instance)
    code, text = send(inst, msg(["Subject: stop here",
                                 "Subject: make money fast"]))
    assert code == 250, text
    assert inst.wait_log(r"pass: header Subject: stop here")


def test_nested_header_checks(make_instance):
    inst = checks_instance(make_instance, nested=True)
    content = msg(["Subject: fwd", "MIME-Version: 1.0",
                   "Content-Type: multipart/mixed; boundary=b"],
                  "--b\r\nContent-Type: message/rfc822\r\n\r\n"
                  "Subject: inner secret\r\n\r\ntext\r\n--b--\r\n")
    code, text = send(inst, content)
    assert (code, text) == (550, "5.7.1 nested message refused")
    # the message's own Subject: is header_checks', not nested_header_checks'
    code, text = send(inst, msg(["Subject: inner secret"]))
    assert code == 250, text


def test_disable_mime_input_processing(make_instance):
    inst = checks_instance(make_instance, nested=True,
                           main={"disable_mime_input_processing": "yes"})
    content = msg(["Subject: fwd", "Content-Type: multipart/mixed; "
                   "boundary=b"],
                  "--b\r\nContent-Type: message/rfc822\r\n\r\n"
                  "Subject: inner secret\r\n\r\ntext\r\n--b--\r\n")
    code, text = send(inst, content)
    assert code == 250, text


def test_receive_override_options_no_header_body_checks(make_instance):
    def override(inst):
        name = inst.smtpd_service_name()
        line = next(l for l in inst.master_cf().split("\n")
                    if l.split()[:1] == [name])
        inst.edit_master_line(name, line +
                              " -o receive_override_options="
                              "no_header_body_checks")
    inst = checks_instance(make_instance, master=override)
    code, text = send(inst, msg(["Subject: make money fast"]))
    assert code == 250, text


def test_hostile_mime_and_patterns(make_instance):
    inst = checks_instance(make_instance)
    # MIME nested 1,000 deep: refused as Postfix does, the daemon goes on
    body = "".join("--b%04d\r\nContent-Type: multipart/mixed; "
                   "boundary=b%04d\r\n\r\n" % (i, i + 1) for i in range(1000))
    code, text = send(inst, msg(["Subject: deep", "Content-Type: multipart/"
                                 "mixed; boundary=b0000"], body))
    assert (code, text) == (550, "5.6.0 Error: MIME nesting exceeds safety "
                            "limit"), text
    assert inst.wait_log(r"reject: mime-error MIME nesting exceeds safety "
                         r"limit: Content-Type: multipart/mixed;")
    # a 10 KiB boundary and a 1 MiB header folded 10,000 times
    b = "q" * 10240
    code, text = send(inst, msg(["Subject: long boundary",
                                 'Content-Type: multipart/mixed; boundary="%s"'
                                 % b], "--%s\r\nX: 1\r\n\r\nx\r\n--%s--\r\n"
                                % (b, b)))
    assert code == 250, text
    folded = "X-Huge: start\r\n" + (" " + "y" * 103 + "\r\n") * 10000
    # smtpd refuses it in the message's own headers (header_size_limit)
    code, text = send(inst, ("Subject: huge\r\n" + folded +
                             "\r\nbody\r\n").encode())
    assert code == 552, text
    # in a MIME part cleanup looks at its first header_size_limit bytes,
    # keeps the rest as body, and finds the next part's headers again
    def huge_part(second):
        return msg(["Subject: huge part", "Content-Type: multipart/mixed; "
                    "boundary=h"], "--h\r\n" + folded + "\r\nbody\r\n"
                   "--h\r\nContent-Disposition: attachment; filename=" +
                   second + "\r\n\r\nx\r\n--h--\r\n")
    code, text = send(inst, huge_part("x.txt"))
    assert code == 250, text
    m = si.parse_queue_file(inst.queue_path(si.queued_id(text)))
    assert m.content.count(b"y" * 103) == 10000    # nothing lost
    code, text = send(inst, huge_part("x.exe"))
    assert (code, text) == (550, '5.7.1 Attachment name "x.exe" may not '
                            'end with ".exe"')
    # a pattern that backtracks catastrophically: 451, never a crash
    code, text = send(inst, msg(["Subject: " + "a" * 40 + "c"]))
    assert code == 451 and text.startswith("4.3.0"), (code, text)
    assert inst.wait_log(r"header_checks map lookup problem")
    code, text = send(inst, msg(["Subject: fine again"]))
    assert code == 250, text
    assert inst.sanitizer_reports() == []


def test_local_submission_is_checked(make_instance):
    params = {}

    def tables(inst):
        params["header_checks"] = write_table(inst, "header_checks",
                                              HEADER_CHECKS)
        inst.set_main(params)
        sh.pickup_only(inst)
    inst = make_instance(before_start=tables)
    r = sh.sendmail(inst, ["-f", "me@client.example", "you@dest.test"],
                    b"Subject: warn me\n\nhi\n")
    assert r.returncode == 0, r.stderr
    m = sh.only_message(inst)
    assert m.complete
    assert inst.wait_log(r"warning: header Subject: warn me from local; "
                         r"from=<me@client\.example> to=<you@dest\.test> "
                         r"proto=LOCAL: watch this$"), inst.maillog()[-2000:]
    # refused: accepted from pickup and kept with the reason, for qmgr
    # to bounce to the sender (as Postfix's cleanup bounces local mail)
    r = sh.sendmail(inst, ["-f", "me@client.example", "you@dest.test"],
                    b"Subject: make money fast\n\nhi\n")
    assert r.returncode == 0, r.stderr
    assert inst.wait_log(r"reject: header Subject: make money fast from "
                         r"local; .*proto=LOCAL: 5\.7\.1", 15)
    msgs = sh.wait_incoming(inst, 2)
    refused = [m for m in msgs.values() if "reject" in m.attrs]
    assert len(refused) == 1
    assert refused[0].attrs["reject"] == "5.7.1 message content rejected"
    # pickup removes its file once cleanup has answered
    assert si.wait_until(lambda: sh.maildrop_ids(inst) == [], 10), \
        sh.maildrop_ids(inst)


def test_refused_local_submission_bounces_to_its_sender(make_instance):
    with Peer() as peer:
        def tables(inst):
            inst.set_main({"header_checks": write_table(
                inst, "header_checks", HEADER_CHECKS),
                "relayhost": "[127.0.0.1]:%d" % peer.port,
                "smtp_connection_cache_time_limit": "0s"})
        inst = make_instance(delivery=True, before_start=tables)
        r = sh.sendmail(inst, ["-f", "me@client.example", "you@dest.test"],
                        b"Subject: make money fast\n\nhi\n")
        assert r.returncode == 0, r.stderr
        line = inst.wait_log(r"(\w+): to=<you@dest\.test>, relay=none, .*"
                             r"dsn=5\.7\.1, status=bounced \(message content "
                             r"rejected\)", 20)
        assert line, inst.maillog()[-3000:]
        assert si.wait_until(lambda: len(peer.transactions) == 1 and
                             peer.transactions[0].data, 20), \
            inst.maillog()[-3000:]
        t = peer.transactions[0]
        assert "<>" in t.mail
        assert [re.search(r"<([^>]*)>", x).group(1) for x in t.rcpts] == \
            ["me@client.example"]
        assert b"message content rejected" in t.data


def test_ignored_received_headers_still_count_as_hops(make_instance):
    def tables(inst):
        inst.set_main({"header_checks": write_table(
            inst, "header_checks", "/^Received:/ IGNORE\n"),
            "hopcount_limit": "2"})
    inst = make_instance(before_start=tables)
    hops = ["Received: from hop%d.example by x; Mon, 7 Dec 2026 00:00:00 "
            "+0000" % i for i in range(3)]
    code, text = send(inst, msg(hops + ["Subject: loop"]))
    assert (code, text) == (554, "5.4.6 Error: too many hops"), text
    code, text = send(inst, msg(hops[:1] + ["Subject: fine"]))
    assert code == 250, text
    m = si.parse_queue_file(inst.queue_path(si.queued_id(text)))
    # smtpd's own Received: went too: the table said so
    assert m.header_values("Received") == []


def test_receive_override_options_no_address_mappings(make_instance):
    """the smtpd in front of a content filter leaves the mappings to the
    cleanup after it: addresses are qualified, nothing else"""
    def override(inst):
        name = inst.smtpd_service_name()
        line = next(l for l in inst.master_cf().split("\n")
                    if l.split()[:1] == [name])
        inst.edit_master_line(name, line + " -o receive_override_options="
                              "no_address_mappings,no_milters")
    main = {"virtual_alias_maps":
            "inline:{ {list@alias.test = a@dest.test, b@dest.test} }",
            "canonical_maps": "inline:{ {sender@client.example = "
            "canon@client.example} }"}
    plain = make_instance(main=main)
    code, text = send(plain, msg(["Subject: x"]), rcpts=("list@alias.test",))
    m = si.parse_queue_file(plain.queue_path(si.queued_id(text)))
    assert m.sender == "canon@client.example"
    assert m.recipient_addresses == ["a@dest.test", "b@dest.test"]
    inst = make_instance(main=main, master=override)
    code, text = send(inst, msg(["Subject: x"]), rcpts=("list@alias.test",))
    assert code == 250, text
    m = si.parse_queue_file(inst.queue_path(si.queued_id(text)))
    assert m.sender == "sender@client.example"
    assert [(r["address"], r["original"]) for r in m.recipients] == \
        [("list@alias.test", "")]
