"""One address resolver (issue 16): a small office's main.cf in the form
a Postfix administrator writes it (canonical maps in a compiled table and
by bare user name, masquerading with an exception, virtual aliases, a
transport map, relayhost) is routed and rewritten as Postfix would, and
`sendmail -bv` reports what the resolver decides."""

import os

import pytest

import sluice_instance as si
from smtp_peer import Peer
from submit_helpers import sendmail

OFFICE = "office.example"


def office_main(port):
    return {
        "mydomain": OFFICE,
        "myorigin": "$mydomain",
        "mydestination": "$myhostname, localhost, $mydomain",
        "recipient_delimiter": "+",
        # as a Debian admin has them: hash: tables compiled by sluice-map
        # hash:FILE, and a pcre: table whose only key is the full address
        "canonical_maps": "hash:$config_directory/canonical, "
                          "pcre:$config_directory/canonical.pcre",
        "sender_canonical_maps": "inline:{ {mailer@%s = robot@%s} }"
                                 % (OFFICE, OFFICE),
        "masquerade_domains": "!lab.%s, %s" % (OFFICE, OFFICE),
        "masquerade_exceptions": "root",
        "virtual_alias_domains": "lists.%s" % OFFICE,
        "virtual_alias_maps": "hash:$config_directory/virtual",
        "transport_maps": "inline:{ {partner.example = smtp:[127.0.0.1]:%d} }"
                          % port,
        "relayhost": "[127.0.0.1]:%d" % port,
        "local_recipient_maps": "",
        "smtp_connection_cache_time_limit": "0s",
    }


def postmap_hash(inst, name):
    r = inst.tool("sluice-map", "-c", inst.etc,
                  "hash:" + os.path.join(inst.etc, name), text=True)
    assert r.returncode == 0, r.stderr


def office_tables(inst):
    with open(os.path.join(inst.etc, "canonical"), "w") as f:
        f.write("jsmith\tJohn.Smith@%s\n" % OFFICE)
        f.write("@old-%s\t@%s\n" % (OFFICE, OFFICE))
    postmap_hash(inst, "canonical")
    with open(os.path.join(inst.etc, "canonical.pcre"), "w") as f:
        # the second line would show a key that is no address reaching it
        f.write("/^(.+)@legacy\\.%s$/\t${1}@%s\n"
                % (OFFICE.replace(".", "\\."), OFFICE))
        f.write("/^[a-z-]+\\.[a-z.-]+$/\terror-partial-key-reached-pcre@%s\n"
                % OFFICE)
    with open(os.path.join(inst.etc, "virtual"), "w") as f:
        f.write("sales@lists.%s\tjsmith@%s, bob@partner.example\n"
                % (OFFICE, OFFICE))
    postmap_hash(inst, "virtual")


@pytest.fixture
def office(make_instance):
    with Peer() as peer:
        inst = make_instance(main=office_main(peer.port), delivery=True,
                             before_start=office_tables)
        inst.peer = peer
        yield inst


def test_sendmail_bv_reports_the_resolution(office):
    """Fails before issue 16: -bv checked the syntax only."""
    r = sendmail(office, ["-bv", "jsmith", "sales@lists." + OFFICE,
                          "Kim@legacy." + OFFICE,
                          "x+tag@partner.example", "nobody@lists." + OFFICE,
                          "someone@far.example",
                          "user%far.example@" + OFFICE])
    out = r.stdout.decode()
    lines = out.splitlines()
    # canonical by bare user name, after @$myorigin
    assert ("John.Smith@%s: deliverable: local, transport local, nexthop "
            "%s, via <jsmith>" % (OFFICE, si.HOSTNAME)) in lines, out
    # a virtual alias: each final address, with what it came from (as in
    # Postfix, canonical maps apply before virtual aliases, not after)
    assert ("jsmith@%s: deliverable: local, transport local, nexthop "
            "%s, via <sales@lists.%s>" % (OFFICE, si.HOSTNAME, OFFICE)
            ) in lines, out
    assert ("bob@partner.example: deliverable: default, transport smtp, "
            "nexthop [127.0.0.1]:%d, via <sales@lists.%s>"
            % (office.peer.port, OFFICE)) in lines, out
    assert ("x+tag@partner.example: deliverable: default, transport smtp, "
            "nexthop [127.0.0.1]:%d" % office.peer.port) in lines, out
    assert ("someone@far.example: deliverable: default, transport smtp, "
            "nexthop [127.0.0.1]:%d" % office.peer.port) in lines, out
    # the pcre: canonical table, asked with the full address only
    assert ("Kim@%s: deliverable: local, transport local, nexthop %s, "
            "via <Kim@legacy.%s>" % (OFFICE, si.HOSTNAME, OFFICE)) in lines, out
    # the percent hack through our own domain: routed to far.example
    assert ("user@far.example: deliverable: default, transport smtp, "
            "nexthop [127.0.0.1]:%d, via <user%%far.example@%s>"
            % (office.peer.port, OFFICE)) in lines, out
    assert ("nobody@lists.%s: undeliverable: 5.1.1" % OFFICE) in out, out
    assert "partial-key" not in out, out
    assert r.returncode == 65, (r.returncode, out, r.stderr)


def relayed(inst, n=1):
    assert si.wait_until(lambda: len([t for t in inst.peer.transactions
                                      if t.data is not None]) >= n, 20), \
        inst.maillog_tail() if hasattr(inst, "maillog_tail") else ""
    return [t for t in inst.peer.transactions if t.data is not None]


def header_block(data):
    text = data.decode("utf-8", "replace").replace("\r\n", "\n")
    return text.split("\n\n", 1)[0]


MESSAGE = (
    "From: Mailer <mailer@host.office.example>\r\n"
    "Sender: jsmith\r\n"
    "To: \"Some One\" <someone@far.example>, root@host.office.example,\r\n"
    " dev@build.lab.office.example\r\n"
    "Cc: team: a@host.office.example, b (the other one);\r\n"
    "Reply-To: <jsmith+lists@office.example>\r\n"
    "Resent-From: kim\r\n"
    "Subject: jsmith@host.office.example stays as it is\r\n"
    "\r\n"
    "jsmith@host.office.example in the body stays too\r\n")


def send_from(inst, source, sender, rcpts):
    with inst.smtp(source=source, timeout=10) as s:
        s.ehlo("client.example")
        s.sendmail(sender, rcpts, MESSAGE.encode())


def test_envelope_and_headers_from_a_local_client(office):
    """A client on inet_interfaces (permit_inet_interfaces): envelope and
    headers canonicalised, canonical maps, masquerading, as Postfix.
    Fails before issue 16: nothing was rewritten."""
    send_from(office, "127.0.0.1", "mailer@office.example",
              ["someone@far.example"])
    t = relayed(office)[0]
    # sender_canonical_maps
    assert "<robot@%s>" % OFFICE in t.mail, t.mail
    assert any("<someone@far.example>" in r for r in t.rcpts), t.rcpts
    h = header_block(t.data)
    # masquerading a host below $mydomain (header sender)
    assert "From: Mailer <mailer@%s>" % OFFICE in h, h
    # @$myorigin, then canonical_maps by bare user name
    assert "Sender: John.Smith@%s" % OFFICE in h, h
    # recipients: display names and folding kept; root is an exception,
    # !lab.office.example is not masqueraded
    assert ("To: \"Some One\" <someone@far.example>, root@host.%s,\n"
            " dev@build.lab.%s" % (OFFICE, OFFICE)) in h, h
    # a group, and a bare address with a comment
    assert "Cc: team: a@%s, b@%s (the other one);" % (OFFICE, OFFICE) in h, h
    # canonical_maps with the extension carried over
    assert "Reply-To: <John.Smith+lists@%s>" % OFFICE in h, h
    assert "Resent-From: kim@%s" % OFFICE in h, h
    assert "Subject: jsmith@host.office.example stays as it is" in h, h
    assert b"jsmith@host.office.example in the body stays too" in t.data


def test_headers_from_a_remote_client(office):
    """A client that local_header_rewrite_clients does not name: its
    unqualified header addresses stay unqualified (no
    remote_header_rewrite_domain), canonical maps and masquerading still
    apply, and the envelope is rewritten as always."""
    send_from(office, "127.0.0.2", "jsmith@host.office.example",
              ["someone@far.example"])
    t = relayed(office)[0]
    # envelope sender: canonical_maps did not match the host form, then
    # masquerading (Postfix's order: canonical first)
    assert "<jsmith@%s>" % OFFICE in t.mail, t.mail
    h = header_block(t.data)
    assert "Resent-From: kim\n" in h, h
    # a bare user name that canonical_maps has is still looked up as it
    # is (Postfix's cleanup does the same in this context)
    assert "Sender: John.Smith@%s" % OFFICE in h, h
    assert "From: Mailer <mailer@%s>" % OFFICE in h, h
    assert "Cc: team: a@%s, b (the other one);" % OFFICE in h, h


def test_local_submission_and_canonical_recipient(office):
    """sendmail (a local submission): From: and To: unqualified get
    @$myorigin and the canonical maps; the envelope recipient is rewritten
    before virtual alias expansion, whose original stays the given one."""
    msg = (b"From: jsmith\nTo: sales@lists.office.example, bob\n"
           b"Subject: local\n\nbody\n")
    r = sendmail(office, ["-f", "mailer", "x@old-office.example",
                          "sales@lists." + OFFICE], msg)
    assert r.returncode == 0, r.stderr
    t = relayed(office)[0]
    assert "<robot@%s>" % OFFICE in t.mail, t.mail
    assert any("<bob@partner.example>" in r for r in t.rcpts), t.rcpts
    h = header_block(t.data)
    assert "From: John.Smith@%s" % OFFICE in h, h
    # masquerade_classes has header_recipient (Postfix's default): the
    # list's host part goes from the header, not from the envelope
    assert "To: sales@%s, bob@%s" % (OFFICE, OFFICE) in h, h
    # x@old-office.example became x@office.example (canonical @domain):
    # a local recipient now, delivered (or bounced) locally, not relayed
    assert office.wait_log(r"to=<x@%s>, orig_to=<x@old-office\.example>"
                           % OFFICE.replace(".", r"\."))


def test_check_refuses_what_the_resolver_refuses(make_instance):
    """A canonical_classes word the resolver does not know, a table that
    is missing: every daemon would refuse to start, so `sluice check`
    refuses the configuration (fails before issue 16: no such check)."""
    inst = make_instance(start=False, main={
        "canonical_classes": "envelope_sender, header_senders",
        "sender_canonical_maps": "lmdb:$config_directory/nonexistent"})
    r = inst.tool("sluice", "-c", inst.etc, "check", text=True)
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "sender_canonical_maps" in out, out
    assert "header_senders" in out, out


def test_check_wants_the_relay_service(make_instance):
    """relay_transport = relay (Postfix's default, new with the resolver):
    a master.cf without the relay service is refused by `sluice check`
    when relay_domains is in use, and relay_transport = smtp passes."""
    def drop_relay(inst):
        inst.write_master_cf("\n".join(
            l for l in inst.master_cf().split("\n")
            if not l.startswith("relay ")) + "\n")

    inst = make_instance(start=False, delivery=True, master=drop_relay,
                         main={"relay_domains": "relayed.example"})
    r = inst.tool("sluice", "-c", inst.etc, "check", text=True)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "no \"relay\" service" in r.stdout + r.stderr
    inst.set_main({"relay_transport": "smtp"})
    r = inst.tool("sluice", "-c", inst.etc, "check", text=True)
    assert "no \"relay\" service" not in r.stdout + r.stderr, r.stdout


def test_percent_route_through_us_is_delivered_to_its_host(office):
    """user%host@ours from a trusted client: delivered to user@host, as
    Postfix's qmgr hands the resolved address to the agent, with the
    given form as orig_to (fails before issue 16: relayed as written)."""
    with office.smtp(source="127.0.0.1", timeout=10) as s:
        s.ehlo("client.example")
        s.sendmail("mailer@office.example", ["someone%far.example@" + OFFICE],
                   b"Subject: routed\r\n\r\nbody\r\n")
    t = relayed(office)[0]
    assert any("<someone@far.example>" in r for r in t.rcpts), t.rcpts
    assert office.wait_log(r"to=<someone@far\.example>, "
                           r"orig_to=<someone%%far\.example@%s>.*status=sent"
                           % OFFICE.replace(".", r"\."))
