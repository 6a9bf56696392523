"""The restriction engine (issue 17): smtpd_*_restrictions as Postfix
evaluates them, spoken to from 127.0.0.1 (mynetworks) and 127.0.0.2
(outside), with the Postfix-format log lines, and the open-relay matrix.

Each test starts its own instance (make_instance stops it, also on a
failure)."""

import re
import time

import pytest

import sluice_instance as si

INSIDE = "127.0.0.1"
OUTSIDE = "127.0.0.2"       # not in mynetworks = 127.0.0.1/32
NARROW = {"mynetworks": "127.0.0.1/32"}


def started(make_instance, **main):
    params = dict(NARROW)
    params.update(main)
    return make_instance(main=params)


def session(inst, source=OUTSIDE, helo="client.example",
            sender="a@client.example"):
    c = inst.raw(source=source)
    assert c.cmd("EHLO " + helo).code == 250
    if sender is not None:
        r = c.cmd("MAIL FROM:<%s>" % sender)
        assert r.code == 250, r
    return c


def without(inst, name):
    """Remove the definition of name from main.cf (the built-in default)."""
    with open(inst.main_cf_path) as f:
        lines = f.read().split("\n")
    out, skipping = [], False
    for line in lines:
        if skipping and line[:1] in (" ", "\t") and line.strip():
            continue
        skipping = bool(re.match(r"^%s\s*=" % name, line))
        if not skipping:
            out.append(line)
    with open(inst.main_cf_path, "w") as f:
        f.write("\n".join(out))


# relay control ------------------------------------------------------------

def test_builtin_default_relay_defers(make_instance):
    """Postfix's default smtpd_relay_restrictions ends in
    defer_unauth_destination: a relay attempt gets 454 4.7.1."""
    inst = make_instance(main=NARROW, before_start=lambda i: without(
        i, "smtpd_relay_restrictions"))
    assert "smtpd_relay_restrictions" not in inst.main_cf()
    c = session(inst)
    r = c.cmd("RCPT TO:<victim@elsewhere.example>")
    assert str(r) == "454 4.7.1 <victim@elsewhere.example>: Relay access " \
        "denied", r
    assert c.cmd("RCPT TO:<postmaster@localhost>").code == 250
    c.close()
    c = session(inst, INSIDE)
    assert c.cmd("RCPT TO:<friend@elsewhere.example>").code == 250
    c.close()
    assert inst.wait_log(
        r"NOQUEUE: reject: RCPT from \S+\[127\.0\.0\.2\]: 454 4\.7\.1 "
        r"<victim@elsewhere\.example>: Relay access denied; "
        r"from=<a@client\.example> to=<victim@elsewhere\.example> "
        r"proto=ESMTP helo=<client\.example>")


def test_init_config_relay_rejects(make_instance):
    """sluice init writes reject_unauth_destination: 554, and
    relay_domains_reject_code is its code."""
    inst = started(make_instance, relay_domains_reject_code="550")
    c = session(inst)
    r = c.cmd("RCPT TO:<victim@elsewhere.example>")
    assert str(r) == "550 5.7.1 <victim@elsewhere.example>: Relay access " \
        "denied", r
    c.close()


RELAY_ATTEMPTS = [
    "victim@elsewhere.example",
    "victim@ELSEWHERE.EXAMPLE",
    "victim@elsewhere.example.",
    "victim%elsewhere.example@localhost",
    "victim%elsewhere.example@mx.test.example",
    "victim%elsewhere.example@[127.0.0.1]",
    "elsewhere.example!victim@localhost",
    "\"victim@elsewhere.example\"@localhost",
    "\"victim%elsewhere.example\"@localhost",
    "victim%elsewhere.example%localhost@localhost",
    "@localhost:victim@elsewhere.example",
    "@localhost,@mx.test.example:victim@elsewhere.example",
    "victim@[192.0.2.1]",
    "victim@[IPv6:2001:db8::1]",
    "victim%elsewhere.example",
    "elsewhere.example!victim",
    "\"victim@elsewhere.example\"",
    "victim@elsewhere.example@localhost",
]


@pytest.mark.parametrize("percent_hack", ["yes", "no"])
@pytest.mark.parametrize("relay_list", ["init", "builtin"])
def test_open_relay_matrix(make_instance, percent_hack, relay_list):
    """No classic relay trick is accepted from outside mynetworks, with
    the relay list sluice init writes and with the built-in default, and
    with allow_percent_hack either way; no message reaches the queue."""
    def prepare(inst):
        if relay_list == "builtin":
            without(inst, "smtpd_relay_restrictions")
    main = dict(NARROW, allow_percent_hack=percent_hack)
    inst = make_instance(main=main, before_start=prepare)
    c = session(inst)
    for rcpt in RELAY_ATTEMPTS:
        r = c.cmd("RCPT TO:<%s>" % rcpt)
        assert r.code in (454, 554, 501, 553, 550), (rcpt, r)
    r = c.cmd("DATA")
    assert r.code in (503, 554), r
    c.close()
    assert inst.queue_ids() == []


# the list semantics ---------------------------------------------------------

def test_permit_ends_only_its_list(make_instance):
    """permit in the client list does not skip the relay list."""
    inst = started(make_instance, smtpd_client_restrictions="permit")
    c = session(inst)
    assert c.cmd("RCPT TO:<victim@elsewhere.example>").code == 554
    c.close()


def test_reject_and_reject_code(make_instance):
    inst = started(make_instance, smtpd_recipient_restrictions="reject",
                   reject_code="550")
    c = session(inst, INSIDE)
    r = c.cmd("RCPT TO:<someone@localhost>")
    assert str(r) == "550 5.7.1 <someone@localhost>: Recipient address " \
        "rejected: Access denied", r
    # the bare postmaster is never refused (RFC 5321 4.5.1)
    assert c.cmd("RCPT TO:<postmaster>").code == 250
    c.close()


def test_defer(make_instance):
    inst = started(make_instance, smtpd_sender_restrictions="defer")
    c = session(inst, INSIDE)
    r = c.cmd("RCPT TO:<someone@localhost>")
    assert str(r) == "450 4.3.2 <a@client.example>: Sender address " \
        "rejected: Try again later", r
    c.close()


def test_delay_reject_yes_refuses_client_at_rcpt(make_instance):
    inst = started(make_instance, smtpd_client_restrictions="reject")
    c = inst.raw(source=OUTSIDE)
    assert c.greeting.code == 220
    assert c.cmd("EHLO client.example").code == 250
    assert c.cmd("MAIL FROM:<a@client.example>").code == 250
    r = c.cmd("RCPT TO:<someone@localhost>")
    assert str(r) == "554 5.7.1 <unknown[127.0.0.2]>: Client host " \
        "rejected: Access denied" or (r.code == 554 and
                                      "Client host rejected" in r.text), r
    c.close()
    assert inst.wait_log(
        r"NOQUEUE: reject: RCPT from \S+\[127\.0\.0\.2\]: 554 5\.7\.1 "
        r"<\S+\[127\.0\.0\.2\]>: Client host rejected: Access denied; "
        r"from=<a@client\.example> to=<someone@localhost> proto=ESMTP "
        r"helo=<client\.example>")


def test_delay_reject_no_refuses_client_at_connect(make_instance):
    inst = started(make_instance, smtpd_client_restrictions="reject",
                   smtpd_delay_reject="no")
    c = inst.raw(source=OUTSIDE)
    assert c.greeting.code == 554 and "Client host rejected" in \
        c.greeting.text, c.greeting
    r = c.cmd("EHLO client.example")
    assert r.code == 503 and r.text.startswith("5.7.0 Error: access "
                                               "denied for "), r
    assert c.cmd("MAIL FROM:<a@client.example>").code == 503
    assert c.cmd("QUIT").code == 221
    c.close()
    assert inst.wait_log(r"NOQUEUE: reject: CONNECT from \S+\[127\.0\.0\.2\]"
                         r": 554 5\.7\.1 .*Client host rejected: Access "
                         r"denied; proto=SMTP")


def test_delay_reject_no_refuses_helo_at_helo(make_instance):
    inst = started(make_instance,
                   smtpd_helo_restrictions="reject_non_fqdn_helo_hostname",
                   smtpd_delay_reject="no")
    c = inst.raw(source=OUTSIDE)
    r = c.cmd("EHLO client")
    assert str(r) == "504 5.5.2 <client>: Helo command rejected: need " \
        "fully-qualified hostname", r
    assert c.cmd("EHLO client.example").code == 250
    assert c.cmd("MAIL FROM:<a@client.example>").code == 250
    assert c.cmd("RCPT TO:<someone@localhost>").code == 250
    c.close()


def test_delay_reject_sender_at_rcpt_and_at_mail(make_instance):
    inst = started(make_instance,
                   smtpd_sender_restrictions="reject_non_fqdn_sender")
    c = session(inst, sender="a@client")
    r = c.cmd("RCPT TO:<someone@localhost>")
    assert str(r) == "504 5.5.2 <a@client>: Sender address rejected: need " \
        "fully-qualified address", r
    c.close()
    assert inst.wait_log(r"NOQUEUE: reject: RCPT from \S+: 504 5\.5\.2 "
                         r"<a@client>: Sender address rejected: need "
                         r"fully-qualified address; from=<a@client> "
                         r"to=<someone@localhost> proto=ESMTP")
    inst.set_main({"smtpd_delay_reject": "no"})
    inst.stop()
    inst.start()
    c = session(inst, sender=None)
    r = c.cmd("MAIL FROM:<a@client>")
    assert r.code == 504, r
    c.close()


def test_defer_if_permit(make_instance):
    """A later permit (or the end of the lists) becomes the 450; a later
    reject stands."""
    inst = started(make_instance, smtpd_client_restrictions="defer_if_permit")
    c = session(inst, INSIDE)
    r = c.cmd("RCPT TO:<someone@localhost>")
    assert str(r) == "450 4.7.0 <localhost[127.0.0.1]>: Client host " \
        "rejected: defer_if_permit requested" or (
            r.code == 450 and r.text.startswith("4.7.0 ") and
            "defer_if_permit requested" in r.text), r
    c.close()
    inst.set_main({"smtpd_recipient_restrictions": "reject"})
    inst.stop()
    inst.start()
    c = session(inst, INSIDE)
    r = c.cmd("RCPT TO:<someone@localhost>")
    assert r.code == 554 and "Access denied" in r.text, r
    c.close()


def test_defer_if_reject(make_instance):
    inst = started(make_instance,
                   smtpd_recipient_restrictions="defer_if_reject, "
                   "check_nothing_class", smtpd_restriction_classes=
                   "check_nothing_class", check_nothing_class="reject")
    c = session(inst, INSIDE)
    r = c.cmd("RCPT TO:<someone@localhost>")
    assert str(r) == "450 4.7.0 <someone@localhost>: Recipient address " \
        "rejected: defer_if_reject requested", r
    c.close()
    inst.set_main({"check_nothing_class": "permit"})
    inst.stop()
    inst.start()
    c = session(inst, INSIDE)
    assert c.cmd("RCPT TO:<someone@localhost>").code == 250
    c.close()


def test_warn_if_reject(make_instance):
    """Only the next restriction's refusal is softened, and logged as
    reject_warning."""
    inst = started(make_instance,
                   smtpd_recipient_restrictions="warn_if_reject, "
                   "reject_non_fqdn_recipient")
    c = session(inst, INSIDE)
    r = c.cmd("RCPT TO:<someone@localhost>")
    assert r.code == 250, r
    c.close()
    assert inst.wait_log(
        r"NOQUEUE: reject_warning: RCPT from \S+\[127\.0\.0\.1\]: 504 5\.5\.2 "
        r"<someone@localhost>: Recipient address rejected: need "
        r"fully-qualified address; from=<a@client\.example> "
        r"to=<someone@localhost> proto=ESMTP helo=<client\.example>")
    inst.set_main({"smtpd_recipient_restrictions": "warn_if_reject, "
                   "reject_non_fqdn_recipient, reject"})
    inst.stop()
    inst.start()
    c = session(inst, INSIDE)
    assert c.cmd("RCPT TO:<someone@localhost>").code == 554
    c.close()


def test_restriction_classes(make_instance):
    inst = started(make_instance, smtpd_restriction_classes="strict, loose",
                   strict="reject_non_fqdn_sender, loose",
                   loose="permit_mynetworks, reject",
                   smtpd_recipient_restrictions="strict")
    c = session(inst, INSIDE)
    assert c.cmd("RCPT TO:<someone@localhost>").code == 250
    c.close()
    c = session(inst, OUTSIDE)
    r = c.cmd("RCPT TO:<someone@localhost>")
    assert r.code == 554 and "Recipient address rejected: Access denied" \
        in r.text, r
    c.close()
    c = session(inst, INSIDE, sender="a@client")
    assert c.cmd("RCPT TO:<someone@localhost>").code == 504
    c.close()


def test_reject_footer(make_instance):
    """Postfix's syntax: \\c continues the reply's line, \\n starts one,
    $names of the session and the request, ${name?text}."""
    inst = started(make_instance,
                   smtpd_reject_footer="\\c See https://help.example/"
                   "\\nfor $client_address to ${recipient_domain}"
                   "${helo_name? (helo $helo_name)}")
    c = session(inst)
    r = c.cmd("RCPT TO:<victim@elsewhere.example>")
    assert r.lines == [
        "554-5.7.1 <victim@elsewhere.example>: Relay access denied "
        "See https://help.example/",
        "554 5.7.1 for 127.0.0.2 to elsewhere.example (helo "
        "client.example)"], r
    # every 4xx/5xx reply, not only the restrictions'
    r = c.cmd("RCPT TO:<a@b> NOTIFY=BOGUS")
    assert r.code == 501 and len(r.lines) == 2, r
    c.close()


def test_reject_footer_with_unknown_name_is_left_off(make_instance):
    inst = started(make_instance, smtpd_reject_footer="call $nobody_knows")
    c = session(inst)
    r = c.cmd("RCPT TO:<victim@elsewhere.example>")
    assert str(r) == "554 5.7.1 <victim@elsewhere.example>: Relay access " \
        "denied", r
    c.close()
    assert inst.wait_log(r"warning: smtpd_reject_footer: .*nobody_knows")


def test_soft_bounce(make_instance):
    inst = started(make_instance, soft_bounce="yes")
    c = session(inst)
    r = c.cmd("RCPT TO:<victim@elsewhere.example>")
    assert str(r) == "454 4.7.1 <victim@elsewhere.example>: Relay access " \
        "denied", r
    c.close()
    assert inst.wait_log(r"NOQUEUE: reject: RCPT from \S+: 454 4\.7\.1 "
                         r"<victim@elsewhere\.example>: Relay access denied")


def test_sleep(make_instance):
    inst = started(make_instance, smtpd_recipient_restrictions="sleep 1")
    c = session(inst, INSIDE)
    start = time.monotonic()
    assert c.cmd("RCPT TO:<someone@localhost>").code == 250
    assert time.monotonic() - start >= 0.9
    c.close()


# the built-in restrictions ----------------------------------------------------

def test_reject_unauth_pipelining(make_instance):
    inst = started(make_instance,
                   smtpd_client_restrictions="reject_unauth_pipelining")
    c = inst.raw(source=OUTSIDE)
    # EHLO must end a group: what follows it in the same write is improper
    c.send(b"EHLO client.example\r\nMAIL FROM:<a@client.example>\r\n")
    assert c.reply().code == 250
    assert c.reply().code == 250
    r = c.cmd("RCPT TO:<someone@localhost>")
    assert str(r) == "503 5.5.0 <unknown[127.0.0.2]>: Client host " \
        "rejected: Improper use of SMTP command pipelining" or (
            r.code == 503 and "Improper use of SMTP command pipelining"
            in r.text), r
    c.close()
    assert inst.wait_log(r"improper command pipelining after EHLO from "
                         r"\S+\[127\.0\.0\.2\]: MAIL FROM:<a@client\.example>")
    # proper pipelining after EHLO is fine
    c = inst.raw(source=OUTSIDE)
    assert c.cmd("EHLO client.example").code == 250
    c.send(b"MAIL FROM:<a@client.example>\r\nRCPT TO:<someone@localhost>"
           b"\r\n")
    assert [r.code for r in c.replies(2)] == [250, 250]
    c.close()


def test_reject_multi_recipient_bounce(make_instance):
    inst = started(make_instance,
                   smtpd_recipient_restrictions="reject_multi_recipient_bounce")
    c = session(inst, INSIDE, sender="")
    assert c.cmd("RCPT TO:<one@localhost>").code == 250
    r = c.cmd("RCPT TO:<two@localhost>")
    assert str(r) == "550 5.5.3 <two@localhost>: Recipient address " \
        "rejected: Multi-recipient bounce", r
    c.close()


def test_reject_non_fqdn_recipient(make_instance):
    inst = started(make_instance,
                   smtpd_recipient_restrictions="reject_non_fqdn_recipient",
                   non_fqdn_reject_code="550")
    c = session(inst, INSIDE)
    r = c.cmd("RCPT TO:<someone@localhost>")
    assert str(r) == "550 5.5.2 <someone@localhost>: Recipient address " \
        "rejected: need fully-qualified address", r
    assert c.cmd("RCPT TO:<someone@mx.test.example>").code == 250
    c.close()


@pytest.mark.parametrize("helo,want", [
    ("bad_name!", "501 5.5.2 <bad_name!>: Helo command rejected: Invalid "
     "name"),
    ("[999.1.2.3]", "501 5.5.2 <[999.1.2.3]>: Helo command rejected: "
     "invalid ip address"),
    ("[127.0.0.2]", None),
    ("client.example.", None),
])
def test_reject_invalid_helo_hostname(make_instance, helo, want):
    inst = started(make_instance,
                   smtpd_helo_restrictions="reject_invalid_helo_hostname")
    c = session(inst, INSIDE, helo=helo)
    r = c.cmd("RCPT TO:<someone@localhost>")
    if want is None:
        assert r.code == 250, r
    else:
        assert str(r) == want, r
    c.close()


def test_reject_unknown_client_hostname(make_instance):
    inst = started(make_instance,
                   smtpd_client_restrictions="reject_unknown_client_hostname",
                   smtpd_peername_lookup="no",
                   unknown_client_reject_code="550")
    c = session(inst)
    r = c.cmd("RCPT TO:<someone@localhost>")
    assert str(r) == "550 5.7.25 Client host rejected: cannot find your " \
        "hostname, [127.0.0.2]", r
    c.close()


def test_reject_unlisted_recipient_and_sender(make_instance):
    inst = started(make_instance, smtpd_reject_unlisted_recipient="no",
                   smtpd_recipient_restrictions="reject_unlisted_recipient",
                   smtpd_reject_unlisted_sender="yes")
    c = session(inst, INSIDE)
    r = c.cmd("RCPT TO:<nobody@example.test>")
    assert str(r) == "550 5.1.1 <nobody@example.test>: Recipient address " \
        "rejected: User unknown in virtual mailbox table", r
    c.close()
    c = session(inst, INSIDE, sender="nobody@example.test")
    r = c.cmd("RCPT TO:<someone@localhost>")
    assert str(r) == "550 5.1.0 <nobody@example.test>: Sender address " \
        "rejected: User unknown in virtual mailbox table", r
    c.close()


def test_data_and_end_of_data_restrictions(make_instance):
    inst = started(make_instance, smtpd_data_restrictions="reject")
    c = session(inst, INSIDE)
    assert c.cmd("RCPT TO:<someone@localhost>").code == 250
    r = c.cmd("DATA")
    assert str(r) == "554 5.7.1 <DATA>: Data command rejected: Access " \
        "denied", r
    c.close()
    assert inst.wait_log(r"NOQUEUE: reject: DATA from \S+: 554 5\.7\.1 "
                         r"<DATA>: Data command rejected: Access denied; "
                         r"from=<a@client\.example> to=<someone@localhost> "
                         r"proto=ESMTP")
    # BDAT: the first chunk is refused, and so is every one up to LAST
    c = session(inst, INSIDE)
    assert c.cmd("RCPT TO:<someone@localhost>").code == 250
    c.send(b"BDAT 3\r\nabc")
    r = c.reply()
    assert str(r) == "554 5.7.1 <DATA>: Data command rejected: Access " \
        "denied", r
    c.send(b"BDAT 3 LAST\r\ndef")
    assert c.reply().code == 554
    assert c.cmd("MAIL FROM:<a@client.example>").code == 250
    c.close()
    inst.set_main({"smtpd_data_restrictions": "",
                   "smtpd_end_of_data_restrictions": "reject"})
    inst.stop()
    inst.start()
    c = session(inst, INSIDE)
    assert c.cmd("RCPT TO:<someone@localhost>").code == 250
    assert c.cmd("DATA").code == 354
    r = c.cmd(b"Subject: x\r\n\r\nbody\r\n.")
    assert r.code == 554 and "End-of-data rejected: Access denied" in r.text, r
    c.close()
    # cleanup removes the unfinished file when smtpd hangs up on it
    assert si.wait_until(lambda: inst.queue_ids() == [], 5.0), \
        inst.queue_ids()
    assert inst.wait_log(r"[0-9A-F]+: reject: END-OF-MESSAGE from \S+: 554 "
                         r"5\.7\.1 <END-OF-MESSAGE>: End-of-data rejected")


# configuration ---------------------------------------------------------------

def test_bad_list_refused_by_check_and_reload(make_instance):
    inst = started(make_instance)
    inst.set_main({"smtpd_recipient_restrictions":
                   "permit_mynetworks, reject_everything_bad"})
    r = inst.sluice("check")
    assert r.returncode == 1
    assert "parameter smtpd_recipient_restrictions: unknown restriction " \
        "\"reject_everything_bad\"" in r.stdout + r.stderr, r
    r = inst.sluice("reload")
    assert r.returncode != 0, r
    # the running configuration stays in force
    c = session(inst)
    assert c.cmd("RCPT TO:<victim@elsewhere.example>").code == 554
    c.close()


def test_open_relay_configuration_is_refused(make_instance):
    """As Postfix: relay control must be in the relay or recipient list,
    or nothing starts (and a reload is refused)."""
    inst = make_instance(start=False, main=dict(
        NARROW, smtpd_relay_restrictions="permit_mynetworks",
        smtpd_recipient_restrictions="permit_mynetworks, permit"))
    r = inst.sluice("check")
    assert r.returncode == 1
    assert "would be an open relay" in r.stdout + r.stderr, r
    with pytest.raises(RuntimeError):
        inst.start()


def test_permit_auth_destination(make_instance):
    inst = started(make_instance,
                   smtpd_relay_restrictions="permit_auth_destination, reject",
                   relay_domains="relayed.example")
    c = session(inst)
    assert c.cmd("RCPT TO:<someone@localhost>").code == 250
    assert c.cmd("RCPT TO:<someone@relayed.example>").code == 250
    for rcpt in ("victim@elsewhere.example",
                 "victim%elsewhere.example@relayed.example"):
        r = c.cmd("RCPT TO:<%s>" % rcpt)
        assert str(r) == "554 5.7.1 <%s>: Recipient address rejected: " \
            "Access denied" % rcpt, r
    c.close()


def test_permit_sasl_authenticated_permits_nobody_yet(make_instance):
    inst = started(make_instance, smtpd_relay_restrictions=
                   "permit_sasl_authenticated, reject_unauth_destination")
    c = session(inst, INSIDE)
    assert c.cmd("RCPT TO:<friend@elsewhere.example>").code == 554
    c.close()


def test_defer_unauth_destination_code(make_instance):
    inst = started(make_instance, smtpd_relay_restrictions=
                   "permit_mynetworks, defer_unauth_destination",
                   relay_domains_reject_code="550")
    c = session(inst)
    r = c.cmd("RCPT TO:<victim@elsewhere.example>")
    assert str(r) == "450 4.7.1 <victim@elsewhere.example>: Relay access " \
        "denied", r
    c.close()


def test_unlisted_recipient_switch(make_instance):
    """smtpd_reject_unlisted_recipient = no turns the implicit check off."""
    inst = started(make_instance, smtpd_reject_unlisted_recipient="no")
    c = session(inst, INSIDE)
    assert c.cmd("RCPT TO:<nobody@example.test>").code == 250
    c.close()
    inst.set_main({"smtpd_reject_unlisted_recipient": "yes"})
    inst.stop()
    inst.start()
    c = session(inst, INSIDE)
    assert c.cmd("RCPT TO:<nobody@example.test>").code == 550
    c.close()


@pytest.mark.parametrize("relay_first,want", [
    ("yes", "Relay access denied"),
    ("no", "Recipient address rejected: need fully-qualified address")])
def test_relay_before_recipient_restrictions(make_instance, relay_first,
                                             want):
    inst = started(make_instance,
                   smtpd_recipient_restrictions="reject_non_fqdn_recipient",
                   smtpd_relay_before_recipient_restrictions=relay_first)
    c = session(inst)
    r = c.cmd("RCPT TO:<victim@elsewhere>")
    assert r.code in (554, 504) and want in r.text, r
    c.close()
