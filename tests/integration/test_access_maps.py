"""access(5) tables in smtpd's restrictions (issue 17, item 3).

A real instance with check_*_access restrictions over texthash:, cidr:
and pcre: tables, spoken to over SMTP from 127.0.0.2 (outside
mynetworks = 127.0.0.1/32).  One test per action (OK, REJECT, DEFER,
4NN/5NN, DUNNO, DEFER_IF_*, WARN, INFO, a restriction list or class,
HOLD, DISCARD, FILTER, REDIRECT, BCC, PREPEND, broken answers), per
lookup-order point (full address, unextended, domain, parent domains in
both parent_domain_matches_subdomains styles, user@, client name,
address, subnets) and per restriction (client, reverse client, helo,
sender, recipient, and the MX/NS ones against the tests' nsd).
"""

import json
import os
import re

import pytest

import sluice_instance as si
from dns_server import DNSServer, require_nsd, zone

OUTSIDE = "127.0.0.2"


def write_table(inst, name, text):
    path = os.path.join(inst.etc, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def instance(make_instance, tables, main, delivery=False):
    """An instance with tables {name: text} written to its etc/; main's
    values may name them as {name}."""
    def before(inst):
        paths = {n: write_table(inst, n, t) for n, t in tables.items()}
        inst.set_main({k: v.format(**paths) for k, v in main.items()})
    base = {"mynetworks": "127.0.0.1/32"}
    return make_instance(main=base, before_start=before, delivery=delivery)


def rcpt(inst, sender, recipient="someone@localhost", helo="client.example",
         source=OUTSIDE, timeout=5.0):
    """EHLO, MAIL, RCPT; (client, RCPT reply)."""
    c = inst.raw(source=source, timeout=timeout)
    assert c.cmd("EHLO " + helo).code == 250
    r = c.cmd("MAIL FROM:<%s>" % sender)
    assert r.code == 250, r
    return c, c.cmd("RCPT TO:<%s>" % recipient)


def send(c, subject="access"):
    assert c.cmd("DATA").code == 354
    r = c.cmd(("Subject: %s\r\n\r\nbody\r\n." % subject).encode())
    assert r.code == 250, r
    return si.queued_id(str(r))


SENDER_TABLE = """\
ok@client.example        OK
reject@client.example    REJECT
text@client.example      REJECT go away
dsn@client.example       REJECT 5.7.26 fails DMARC
dsnfix@client.example    REJECT 5.1.1 no such user
defer@client.example     DEFER
code@client.example      452 4.2.2 come back later
mixed@client.example     451 5.7.1 a 4xx never carries a 5.x.x code
badcode@client.example   250 fine
dunno@client.example     DUNNO
warn@client.example      WARN looks odd
info@client.example      INFO noted
dip@client.example       DEFER_IF_PERMIT not yet
list@client.example      permit_mynetworks, reject
class@client.example     strict
table@client.example     check_client_access cidr:/etc/x
unknown@client.example   no_such_restriction
client.example           REJECT domain entry
"""


@pytest.fixture
def sender_inst(make_instance):
    return instance(make_instance, {"senders": SENDER_TABLE}, {
        "smtpd_sender_restrictions": "check_sender_access texthash:{senders}",
        "smtpd_restriction_classes": "strict",
        "strict": "reject_unauth_destination, reject",
    })


@pytest.mark.parametrize("sender,code,text", [
    ("reject@client.example", 554,
     "5.7.1 <reject@client.example>: Sender address rejected: Access denied"),
    ("text@client.example", 554,
     "5.7.1 <text@client.example>: Sender address rejected: go away"),
    ("dsn@client.example", 554,
     "5.7.26 <dsn@client.example>: Sender address rejected: fails DMARC"),
    # a recipient's address code said of a sender becomes a sender's
    ("dsnfix@client.example", 554,
     "5.1.0 <dsnfix@client.example>: Sender address rejected: no such user"),
    ("defer@client.example", 450,
     "4.7.1 <defer@client.example>: Sender address rejected: Access denied"),
    ("code@client.example", 452,
     "4.2.2 <code@client.example>: Sender address rejected: come back later"),
    ("mixed@client.example", 451,
     "4.7.1 <mixed@client.example>: Sender address rejected: a 4xx never "
     "carries a 5.x.x code"),
    ("dip@client.example", 450,
     "4.7.1 <dip@client.example>: Sender address rejected: not yet"),
    ("class@client.example", 554,
     "5.7.1 <class@client.example>: Sender address rejected: Access denied"),
    ("list@client.example", 554,
     "5.7.1 <list@client.example>: Sender address rejected: Access denied"),
    ("badcode@client.example", 451, "4.3.5 Server configuration error"),
    ("table@client.example", 451, "4.3.5 Server configuration error"),
    ("unknown@client.example", 451, "4.3.5 Server configuration error"),
    ("other@client.example", 554,
     "5.7.1 <other@client.example>: Sender address rejected: domain entry"),
])
def test_sender_refusals(sender_inst, sender, code, text):
    c, r = rcpt(sender_inst, sender)
    assert (r.code, r.text) == (code, text), r
    c.close()
    if not text.startswith("4.3.5"):
        assert sender_inst.wait_log(
            r"NOQUEUE: reject: RCPT from \S+\[127\.0\.0\.2\]: %d %s; "
            r"from=<%s> to=<someone@localhost> proto=ESMTP "
            r"helo=<client\.example>" % (code, re.escape(text),
                                         re.escape(sender)))
    else:
        assert sender_inst.wait_log(r"warning: .*%s" % re.escape(
            "table" if sender.startswith("table") else
            "no_such_restriction" if sender.startswith("unknown") else
            "neither 4NN nor 5NN"))
    assert sender_inst.queue_ids() == []


@pytest.mark.parametrize("sender", ["ok@client.example",
                                    "dunno@client.example"])
def test_sender_ok_and_dunno_are_accepted(sender_inst, sender):
    # DUNNO on the address stops the search: the domain's REJECT is not
    # reached
    c, r = rcpt(sender_inst, sender)
    assert r.code == 250, r
    assert send(c)
    c.close()


def test_421_and_521_hang_up(make_instance):
    inst = instance(make_instance, {"senders": "bot@client.example 521 "
                                    "botnet\nbusy@client.example 421 4.7.0 "
                                    "later\nplain@client.example 450 "
                                    "plain\n"}, {
        "smtpd_sender_restrictions": "check_sender_access texthash:{senders}",
    })
    for sender, reply, closes in (
            ("bot@client.example", (521, "5.7.1 <bot@client.example>: "
                                    "Sender address rejected: botnet"), True),
            ("busy@client.example", (421, "4.7.0 <busy@client.example>: "
                                     "Sender address rejected: later"), True),
            ("plain@client.example", (450, "4.7.1 <plain@client.example>: "
                                      "Sender address rejected: plain"),
             False)):
        c, r = rcpt(inst, sender)
        assert (r.code, r.text) == reply, r
        if closes:
            assert c.closed_by_server(), sender
        else:
            assert c.cmd("NOOP").code == 250
        c.close()


def test_warn_and_info_log_and_go_on(sender_inst):
    for sender, what, text in (("warn@client.example", "warn", "looks odd"),
                               ("info@client.example", "info", "noted")):
        c, r = rcpt(sender_inst, sender)
        assert r.code == 250, r
        c.close()
        assert sender_inst.wait_log(
            r"NOQUEUE: %s: RCPT from \S+\[127\.0\.0\.2\]: %s; from=<%s> "
            r"to=<someone@localhost> proto=ESMTP helo=<client\.example>"
            % (what, text, re.escape(sender)))


def test_defer_if_permit_yields_to_a_later_reject(make_instance):
    inst = instance(make_instance, {
        "senders": "dip@client.example DEFER_IF_PERMIT maybe\n"}, {
        "smtpd_sender_restrictions":
            "check_sender_access texthash:{senders}, reject",
    })
    c, r = rcpt(inst, "dip@client.example")
    # a later 5xx reject stands (DEFER_IF_PERMIT only turns a permit)
    assert r.code == 554 and "Access denied" in r.text, r
    c.close()


ORDER_TABLE = """\
user+ext@sub.example.com   REJECT full
user@sub.example.com       REJECT unextended
sub.example.com            REJECT domain
example.org                REJECT parent
.example.net               REJECT dotted parent
example.net                REJECT exact only
someone@                   REJECT localpart
"""


@pytest.mark.parametrize("pdms,address,expect", [
    (None, "user+ext@sub.example.com", "full"),
    (None, "user+other@sub.example.com", "unextended"),
    (None, "x@sub.example.com", "domain"),
    (None, "x@a.b.example.org", "parent"),
    (None, "someone@elsewhere.test", "localpart"),
    (None, "someone+ext@elsewhere.test", "localpart"),
    (None, "x@example.net", "exact only"),
    (None, "x@a.example.net", "exact only"),
    ("", "x@a.example.net", "dotted parent"),
    ("", "x@a.b.example.org", None),
    ("", "x@example.net", "exact only"),
    (None, "nobody@elsewhere.test", None),
])
def test_address_lookup_order(make_instance, pdms, address, expect):
    main = {"smtpd_sender_restrictions":
            "check_sender_access texthash:{order}",
            "recipient_delimiter": "+"}
    if pdms is not None:
        main["parent_domain_matches_subdomains"] = pdms
    inst = instance(make_instance, {"order": ORDER_TABLE}, main)
    c, r = rcpt(inst, address)
    if expect is None:
        assert r.code == 250, r
    else:
        assert r.code == 554 and r.text.endswith(": " + expect), r
    c.close()


def test_null_sender_key(make_instance):
    inst = instance(make_instance, {"senders": "<> REJECT no bounces\n"}, {
        "smtpd_sender_restrictions": "check_sender_access texthash:{senders}",
    })
    c, r = rcpt(inst, "")
    assert (r.code, r.text) == (
        554, "5.7.1 <>: Sender address rejected: no bounces"), r
    c.close()


def test_cidr_client_table(make_instance):
    inst = instance(make_instance, {"clients": "127.0.0.2/32 REJECT "
                                    "outsider\n127.0.0.0/8 OK\n"}, {
        "smtpd_client_restrictions": "check_client_access cidr:{clients}",
    })
    c, r = rcpt(inst, "a@client.example", source=OUTSIDE)
    assert r.code == 554 and r.text.startswith("5.7.1 <") and \
        "[127.0.0.2]>: Client host rejected: outsider" in r.text, r
    c.close()
    c, r = rcpt(inst, "a@client.example", source="127.0.0.1")
    assert r.code == 250, r
    c.close()


def test_client_address_and_subnets(make_instance):
    inst = instance(make_instance, {"clients": "127.0.0.3 REJECT host\n"
                                    "127.0.0 DUNNO\n127 REJECT net8\n"}, {
        "smtpd_client_restrictions": "check_client_access texthash:{clients}",
        "smtpd_peername_lookup": "no",
    })
    for source, expect in (("127.0.0.3", "host"), ("127.0.0.2", None),
                           ("127.0.1.2", "net8")):
        c, r = rcpt(inst, "a@client.example", source=source)
        if expect is None:
            assert r.code == 250, (source, r)
        else:
            assert r.code == 554 and r.text.endswith(": " + expect), \
                (source, r)
        c.close()


def test_bare_table_is_the_stages_check(make_instance):
    inst = instance(make_instance, {"clients": "127.0.0.2/32 REJECT bare\n"},
                    {"smtpd_client_restrictions": "cidr:{clients}"})
    c, r = rcpt(inst, "a@client.example")
    assert r.code == 554 and r.text.endswith("Client host rejected: bare"), r
    c.close()


def test_pcre_sender_and_helo_tables(make_instance):
    inst = instance(make_instance, {
        "senders": "/^(spam[0-9]+)@/ REJECT numbered spammer $1\n",
        "helos": "/^localhost$/ 550 5.7.1 you are not me\n"
                 "/\\.invalid$/ REJECT bad helo\n"}, {
        "smtpd_sender_restrictions": "check_sender_access pcre:{senders}",
        "smtpd_helo_restrictions": "check_helo_access pcre:{helos}",
    })
    c, r = rcpt(inst, "spam42@client.example")
    assert r.code == 554 and r.text.endswith("numbered spammer spam42"), r
    c.close()
    c, r = rcpt(inst, "ham@client.example", helo="localhost")
    assert (r.code, r.text) == (
        550, "5.7.1 <localhost>: Helo command rejected: you are not me"), r
    c.close()
    c, r = rcpt(inst, "ham@client.example", helo="box.invalid")
    assert r.code == 554 and r.text.endswith("bad helo"), r
    c.close()
    c, r = rcpt(inst, "ham@client.example")
    assert r.code == 250, r
    c.close()


def test_recipient_access(make_instance):
    inst = instance(make_instance, {"rcpts": "closed@localhost REJECT "
                                    "mailbox closed\n"}, {
        "smtpd_recipient_restrictions":
            "check_recipient_access texthash:{rcpts}",
    })
    c, r = rcpt(inst, "a@client.example", recipient="closed@localhost")
    assert (r.code, r.text) == (554, "5.7.1 <closed@localhost>: Recipient "
                                "address rejected: mailbox closed"), r
    assert c.cmd("RCPT TO:<open@localhost>").code == 250
    c.close()


def test_recipient_ok_does_not_open_a_relay(make_instance):
    # an OK for our domain must not let user%elsewhere@ours through
    inst = instance(make_instance, {"rcpts": "localhost OK\n"}, {
        "smtpd_relay_restrictions": "check_recipient_access "
                                    "texthash:{rcpts}, reject",
        "allow_percent_hack": "yes",
    })
    c, r = rcpt(inst, "a@client.example", recipient="x@localhost")
    assert r.code == 250, r
    r = c.cmd("RCPT TO:<victim%elsewhere.example@localhost>")
    assert r.code == 554, r
    c.close()


def test_reverse_client_ok_is_refused(make_instance):
    inst = instance(make_instance, {"rev": "unknown OK\n"}, {
        "smtpd_client_restrictions":
            "check_reverse_client_hostname_access texthash:{rev}",
        "smtpd_peername_lookup": "no",
    })
    c, r = rcpt(inst, "a@client.example")
    assert r.code == 451 and r.text == "4.3.5 Server configuration error", r
    c.close()
    assert inst.wait_log(r"warning: restriction "
                         r"check_reverse_client_hostname_access returns OK "
                         r"for unknown")


def queued(inst, qid, subdir="incoming"):
    return si.parse_queue_file(inst.queue_path(qid, subdir))


def test_hold_goes_to_the_hold_queue(make_instance):
    inst = instance(make_instance, {"senders": "held@client.example HOLD "
                                    "look at this\n"}, {
        "smtpd_sender_restrictions": "check_sender_access texthash:{senders}",
    }, delivery=True)
    c, r = rcpt(inst, "held@client.example")
    assert r.code == 250, r
    qid = send(c)
    c.close()
    assert inst.wait_log(r"NOQUEUE: hold: RCPT from \S+\[127\.0\.0\.2\]: "
                         r"<held@client\.example>: Sender address look at "
                         r"this; from=<held@client\.example>")
    assert si.wait_until(lambda: os.path.exists(
        os.path.join(inst.queue, "hold", qid)), 10)
    r = inst.tool("sluice-queue", "-c", inst.etc, "-j", text=True)
    assert r.returncode == 0, r.stderr
    listed = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(m["queue_id"], m["queue_name"]) for m in listed] == \
        [(qid, "hold")]


def test_discard_accepts_and_drops(make_instance):
    inst = instance(make_instance, {"senders": "trash@client.example "
                                    "DISCARD spam trap\n"}, {
        "smtpd_sender_restrictions": "check_sender_access texthash:{senders}",
        # would refuse the relay recipient: DISCARD ends the evaluation
        "smtpd_relay_restrictions": "reject",
    })
    c, r = rcpt(inst, "trash@client.example",
                recipient="victim@elsewhere.example")
    assert r.code == 250, r
    assert c.cmd("DATA").code == 354
    r = c.cmd(b"Subject: trash\r\n\r\nbody\r\n.")
    assert r.code == 250, r
    c.close()
    assert inst.wait_log(r"NOQUEUE: discard: RCPT from \S+\[127\.0\.0\.2\]: "
                         r"<trash@client\.example>: Sender address spam "
                         r"trap")
    assert inst.wait_log(r": discard: ")
    assert inst.queue_ids() == []


def test_filter_redirect_bcc_prepend_in_the_queue_file(make_instance):
    inst = instance(make_instance, {
        "senders": "fx@client.example FILTER scan:[127.0.0.1]:10025\n",
        "rcpts": "moved@localhost REDIRECT new@localhost\n"
                 "copied@localhost BCC archive@localhost\n"
                 "tagged@localhost PREPEND X-Tagged: yes\n"}, {
        "smtpd_sender_restrictions": "check_sender_access texthash:{senders}",
        "smtpd_recipient_restrictions":
            "check_recipient_access texthash:{rcpts}",
    })
    c, r = rcpt(inst, "fx@client.example", recipient="copied@localhost")
    assert r.code == 250, r
    assert c.cmd("RCPT TO:<tagged@localhost>").code == 250
    qid = send(c)
    c.close()
    msg = queued(inst, qid)
    assert msg.attrs["filter"] == "scan:[127.0.0.1]:10025"
    assert sorted(r["address"] for r in msg.recipients) == \
        ["archive@localhost", "copied@localhost", "tagged@localhost"]
    assert msg.content.startswith(b"X-Tagged: yes\n")
    assert inst.wait_log(r"NOQUEUE: filter: RCPT from \S+: "
                         r"<fx@client\.example>: Sender address triggers "
                         r"FILTER scan:\[127\.0\.0\.1\]:10025")
    assert inst.wait_log(r"NOQUEUE: bcc: RCPT from \S+: <copied@localhost>: "
                         r"Recipient address triggers BCC archive@localhost")

    c, r = rcpt(inst, "a@client.example", recipient="moved@localhost")
    assert r.code == 250, r
    qid = send(c)
    c.close()
    msg = queued(inst, qid)
    assert msg.attrs.get("redirect") == "new@localhost", msg.attrs
    assert inst.wait_log(r"NOQUEUE: redirect: RCPT from \S+: "
                         r"<moved@localhost>: Recipient address triggers "
                         r"REDIRECT new@localhost")


def test_broken_side_effect_is_ignored_with_a_warning(make_instance):
    inst = instance(make_instance, {
        "senders": "f@client.example FILTER nocolon\n"}, {
        "smtpd_sender_restrictions": "check_sender_access texthash:{senders}",
    })
    c, r = rcpt(inst, "f@client.example")
    assert r.code == 250, r
    c.close()
    assert inst.wait_log(r"warning: access table texthash:\S+ entry for "
                         r"f@client\.example: FILTER needs "
                         r"transport:destination")


def test_a_broken_table_is_refused_by_check_and_start(make_instance):
    inst = make_instance(start=False, main={
        "smtpd_sender_restrictions": "check_sender_access texthash:/nonexistent/t"})
    r = inst.sluice("check")
    assert r.returncode != 0
    assert "/nonexistent/t" in (r.stdout + r.stderr)


@pytest.fixture
def dns(make_instance):
    require_nsd()
    srv = DNSServer({"in-addr.arpa": zone("in-addr.arpa", [
        "2.0.0.127 IN PTR client.named.test.",
    ]), "test": zone("test", [
        "client.named IN A 127.0.0.2",
        "spammy IN MX 10 mx.bad-hoster",
        "mx.bad-hoster IN A 127.0.0.66",
        "clean IN MX 10 mx.good",
        "mx.good IN A 127.0.0.77",
        # a DNS list that lists the client 127.0.0.2
        "2.0.0.127.rbl IN A 127.0.0.2",
        # no NS of its own: those of the parent zone, ns.test
        "nsparent IN A 127.0.0.99",
    ])})
    srv.start()
    yield srv
    srv.stop()


def test_mx_and_ns_access(make_instance, dns):
    inst = instance(make_instance, {
        "mx": "bad-hoster.test REJECT hosted at a bad place\n"
              "127.0.0.77 REJECT bad address\n",
        "ns": "ns.test REJECT bad name servers\n"}, {
        "dns_resolver_address": dns.resolver_address,
        "smtpd_sender_restrictions":
            "check_sender_mx_access texthash:{mx}, "
            "check_sender_ns_access texthash:{ns}",
        "smtpd_recipient_restrictions":
            "check_recipient_mx_access texthash:{mx}",
    })
    for sender, text in (("a@spammy.test", "hosted at a bad place"),
                         ("a@clean.test", "bad address"),
                         ("a@nsparent.test", "bad name servers")):
        c, r = rcpt(inst, sender)
        assert r.code == 554 and r.text == (
            "5.7.1 <%s>: Sender address rejected: %s" % (sender, text)), r
        c.close()
    # from inside mynetworks, past the relay restrictions
    c, r = rcpt(inst, "a@client.example", recipient="x@spammy.test",
                source="127.0.0.1")
    assert r.code == 554 and r.text == ("5.7.1 <x@spammy.test>: Recipient "
                                        "address rejected: hosted at a bad "
                                        "place"), r
    c.close()


@pytest.mark.parametrize("restriction,table,reply", [
    ("check_client_access", "named.test REJECT parent of the name\n",
     "<client.named.test[127.0.0.2]>: Client host rejected: parent of the "
     "name"),
    ("check_client_a_access", "127.0.0.2 REJECT by the name's address\n",
     "<client.named.test[127.0.0.2]>: Client host rejected: by the name's "
     "address"),
    ("check_reverse_client_hostname_access",
     "client.named.test REJECT by the PTR name\n",
     "<client.named.test>: Unverified Client host rejected: by the PTR "
     "name"),
])
def test_client_name_checks(make_instance, dns, restriction, table, reply):
    inst = instance(make_instance, {"t": table}, {
        "dns_resolver_address": dns.resolver_address,
        "smtpd_client_restrictions": restriction + " texthash:{t}",
    })
    c, r = rcpt(inst, "a@client.example")
    assert (r.code, r.text) == (554, "5.7.1 " + reply), r
    c.close()


def test_dns_failure_skips_the_mx_check(make_instance):
    # a resolver that does not answer: the check says nothing, the mail
    # is not refused for it
    inst = instance(make_instance, {"mx": "127.0.0.66 REJECT never\n"}, {
        "dns_resolver_address": "127.0.0.1:%d" % si.free_port(),
        "smtpd_sender_restrictions": "check_sender_mx_access texthash:{mx}",
    })
    c, r = rcpt(inst, "a@spammy.test", timeout=60)
    assert r.code == 250, r
    c.close()
    assert inst.wait_log(r"warning: Unable to look up MX host for "
                         r"spammy\.test: ", 20)


@pytest.mark.parametrize("restriction,sender,helo,rcpt_to,reply", [
    ("check_helo_mx_access", "a@client.example", "spammy.test",
     "someone@localhost",
     "<spammy.test>: Helo command rejected: by MX name"),
    ("check_helo_a_access", "a@client.example", "mx.good.test",
     "someone@localhost",
     "<mx.good.test>: Helo command rejected: by address"),
    ("check_sender_a_access", "a@mx.bad-hoster.test", "client.example",
     "someone@localhost",
     "<a@mx.bad-hoster.test>: Sender address rejected: by address"),
    ("check_recipient_ns_access", "a@client.example", "client.example",
     "x@nsparent.test",
     "<x@nsparent.test>: Recipient address rejected: by NS name"),
    ("check_client_mx_access", "a@client.example", "client.example",
     "someone@localhost",
     "<client.named.test[127.0.0.2]>: Client host rejected: by address"),
])
def test_other_server_checks(make_instance, dns, restriction, sender, helo,
                             rcpt_to, reply):
    inst = instance(make_instance, {"t": "bad-hoster.test REJECT by MX name\n"
                                    "127.0.0.66 REJECT by address\n"
                                    "127.0.0.77 REJECT by address\n"
                                    "127.0.0.2 REJECT by address\n"
                                    "ns.test REJECT by NS name\n"}, {
        "dns_resolver_address": dns.resolver_address,
        "smtpd_client_restrictions": restriction + " texthash:{t}",
        "mynetworks": "127.0.0.0/8",
    })
    c, r = rcpt(inst, sender, recipient=rcpt_to, helo=helo)
    assert (r.code, r.text) == (554, "5.7.1 " + reply), r
    c.close()


def test_end_of_data_hold_takes_effect_prepend_does_not(make_instance):
    inst = instance(make_instance, {
        "senders": "late@client.example HOLD decided at the end\n",
        "rcpts": "someone@localhost PREPEND X-Too-Late: yes\n"}, {
        "smtpd_end_of_data_restrictions":
            "check_recipient_access texthash:{rcpts}, "
            "check_sender_access texthash:{senders}",
    }, delivery=True)
    c, r = rcpt(inst, "late@client.example")
    assert r.code == 250, r
    qid = send(c)
    c.close()
    assert si.wait_until(lambda: os.path.exists(
        os.path.join(inst.queue, "hold", qid)), 10)
    msg = queued(inst, qid, "hold")
    assert b"X-Too-Late" not in msg.content
    assert inst.wait_log(r"warning: access table texthash:\S+: action "
                         r"PREPEND must be used before "
                         r"smtpd_end_of_data_restrictions")
    assert inst.wait_log(r"%s: hold: END-OF-MESSAGE from \S+: "
                         r"<late@client\.example>: Sender address decided "
                         r"at the end" % qid)


def test_answer_with_a_dns_list_and_arguments(make_instance, dns):
    inst = instance(make_instance, {"senders": (
        "rbl@client.example reject_rbl_client rbl.test\n"
        "notlisted@client.example reject_rbl_client rbl.test=127.0.0.9\n"
        "sleepy@client.example sleep 99999\n"
        "short@client.example sleep\n")}, {
        "dns_resolver_address": dns.resolver_address,
        "smtpd_sender_restrictions": "check_sender_access texthash:{senders}",
    })
    c, r = rcpt(inst, "rbl@client.example")
    assert r.code == 554 and "blocked using rbl.test" in r.text, r
    c.close()
    c, r = rcpt(inst, "notlisted@client.example")
    assert r.code == 250, r
    c.close()
    for sender, why in (("sleepy@client.example", "not a number of seconds"),
                        ("short@client.example", "needs an argument")):
        c, r = rcpt(inst, sender)
        assert (r.code, r.text) == (451, "4.3.5 Server configuration error"), r
        c.close()
        assert inst.wait_log(r"warning: access table \S+: restriction "
                             r"\"sleep\" in answer .*: %s" % why)
