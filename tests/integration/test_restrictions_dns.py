"""The restrictions that ask the DNS (issue 17): reject_unknown_client_
hostname, reject_unknown_reverse_client_hostname,
reject_unknown_helo_hostname and reject_unknown_recipient_domain, against
the tests' nsd (dns_server.py), and what a DNS failure does."""

import pytest

import sluice_instance as si
from dns_server import DNSServer, require_nsd, zone


@pytest.fixture(scope="module")
def dns():
    require_nsd()
    srv = DNSServer({"in-addr.arpa": zone("in-addr.arpa", [
        "2.0.0.127 IN PTR client.named.test.",
        # a name that does not resolve back to the address
        "3.0.0.127 IN PTR forged.named.test.",
    ]), "test": zone("test", [
        "client.named IN A 127.0.0.2",
        "forged.named IN A 127.0.0.99",
        "helo.good IN A 192.0.2.1",
        "mxonly IN MX 10 mx.mxonly",
        "mx.mxonly IN A 192.0.2.2",
    ])})
    srv.start()
    yield srv
    srv.stop()


def rcpt(inst, source, helo="client.example", recipient="someone@localhost"):
    c = inst.raw(source=source, timeout=30)
    assert c.cmd("EHLO " + helo).code == 250
    assert c.cmd("MAIL FROM:<a@client.example>").code == 250
    r = c.cmd("RCPT TO:<%s>" % recipient, timeout=30)
    c.close()
    return r


def test_reject_unknown_client_hostname(make_instance, dns):
    inst = make_instance(main={
        "mynetworks": "127.0.0.1/32",
        "dns_resolver_address": dns.resolver_address,
        "smtpd_client_restrictions": "reject_unknown_client_hostname",
        "unknown_client_reject_code": "550"})
    assert rcpt(inst, "127.0.0.2").code == 250
    for source in ("127.0.0.3", "127.0.0.4"):      # forged, no PTR at all
        r = rcpt(inst, source)
        assert str(r) == "550 5.7.25 Client host rejected: cannot find " \
            "your hostname, [%s]" % source, r


def test_reject_unknown_reverse_client_hostname(make_instance, dns):
    inst = make_instance(main={
        "mynetworks": "127.0.0.1/32",
        "dns_resolver_address": dns.resolver_address,
        "smtpd_client_restrictions":
            "reject_unknown_reverse_client_hostname"})
    # a PTR name, even one that does not resolve back, is enough
    assert rcpt(inst, "127.0.0.2").code == 250
    assert rcpt(inst, "127.0.0.3").code == 250
    r = rcpt(inst, "127.0.0.4")
    assert str(r) == "450 4.7.1 Client host rejected: cannot find your " \
        "reverse hostname, [127.0.0.4]", r


def test_reject_unknown_helo_hostname(make_instance, dns):
    inst = make_instance(main={
        "dns_resolver_address": dns.resolver_address,
        "smtpd_helo_restrictions": "reject_unknown_helo_hostname"})
    assert rcpt(inst, "127.0.0.1", helo="helo.good.test").code == 250
    assert rcpt(inst, "127.0.0.1", helo="mxonly.test.").code == 250
    r = rcpt(inst, "127.0.0.1", helo="nx.test")
    assert str(r) == "450 4.7.1 <nx.test>: Helo command rejected: Host " \
        "not found", r
    inst.set_main({"unknown_hostname_reject_code": "550"})
    inst.stop()
    inst.start()
    r = rcpt(inst, "127.0.0.1", helo="nx.test")
    assert str(r) == "550 5.7.1 <nx.test>: Helo command rejected: Host " \
        "not found", r


def test_reject_unknown_recipient_domain(make_instance, dns):
    inst = make_instance(main={
        "dns_resolver_address": dns.resolver_address,
        "smtpd_recipient_restrictions": "reject_unknown_recipient_domain"})
    assert rcpt(inst, "127.0.0.1", recipient="a@mxonly.test").code == 250
    # our own domains are never looked up
    assert rcpt(inst, "127.0.0.1", recipient="a@localhost").code == 250
    r = rcpt(inst, "127.0.0.1", recipient="a@nx.test")
    assert str(r) == "450 4.1.2 <a@nx.test>: Recipient address rejected: " \
        "Domain not found", r


@pytest.mark.parametrize("action,want", [("defer_if_permit", 450),
                                         ("defer", 450)])
def test_helo_dns_failure(make_instance, action, want):
    """Nothing answers: never a 5xx.  defer_if_permit leaves the last
    word to a later refusal; defer answers 450 at once."""
    inst = make_instance(main={
        "mynetworks": "127.0.0.1/32",
        "dns_resolver_address": "127.0.0.1:%d" % si.free_port(),
        "smtpd_helo_restrictions": "reject_unknown_helo_hostname",
        "unknown_helo_hostname_tempfail_action": action})
    r = rcpt(inst, "127.0.0.2", helo="helo.good.test")
    assert r.code == want and r.text.startswith("4.7.1 <helo.good.test>: "
                                                "Helo command rejected: Host "
                                                "not found"), r
    r = rcpt(inst, "127.0.0.2", helo="helo.good.test",
             recipient="victim@elsewhere.example")
    if action == "defer":
        assert r.code == 450, r
    else:
        assert r.code == 554 and "Relay access denied" in r.text, r
