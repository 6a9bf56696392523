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
        "canonical_maps": "lmdb:$config_directory/canonical",
        "sender_canonical_maps": "inline:{ {mailer@%s = robot@%s} }"
                                 % (OFFICE, OFFICE),
        "masquerade_domains": "!lab.%s, %s" % (OFFICE, OFFICE),
        "masquerade_exceptions": "root",
        "virtual_alias_domains": "lists.%s" % OFFICE,
        "virtual_alias_maps": "lmdb:$config_directory/virtual",
        "transport_maps": "inline:{ {partner.example = smtp:[127.0.0.1]:%d} }"
                          % port,
        "relayhost": "[127.0.0.1]:%d" % port,
        "local_recipient_maps": "",
        "smtp_connection_cache_time_limit": "0s",
    }


def office_tables(inst):
    with open(os.path.join(inst.etc, "canonical"), "w") as f:
        f.write("jsmith\tJohn.Smith@%s\n" % OFFICE)
        f.write("@old-%s\t@%s\n" % (OFFICE, OFFICE))
    inst.compile_table("canonical")
    with open(os.path.join(inst.etc, "virtual"), "w") as f:
        f.write("sales@lists.%s\tjsmith@%s, bob@partner.example\n"
                % (OFFICE, OFFICE))
    inst.compile_table("virtual")


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
    # the percent hack through our own domain: routed to far.example
    assert ("user@far.example: deliverable: default, transport smtp, "
            "nexthop [127.0.0.1]:%d, via <user%%far.example@%s>"
            % (office.peer.port, OFFICE)) in lines, out
    assert ("nobody@lists.%s: undeliverable: 5.1.1" % OFFICE) in out, out
    assert r.returncode == 65, (r.returncode, out, r.stderr)
