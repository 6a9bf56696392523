"""smtpd_sender_restrictions = reject_unknown_sender_domain against a real
DNS server (nsd on a loopback port, see dns_server.py).

Most cases check the answer to MAIL, so their instance has
smtpd_delay_reject = no (with Postfix's default, yes, the sender list
runs at RCPT: test_delay_reject_refuses_at_rcpt)."""

import re

import pytest

import sluice_instance as si
from dns_server import DNSServer, nsd_available, zone

pytestmark = pytest.mark.skipif(not nsd_available(),
                                reason="/usr/sbin/nsd not installed")

RECORDS = [
    "known IN MX 10 mx.known",
    "mx.known IN A 127.0.0.2",
    "aonly IN A 127.0.0.3",
    "nullmx IN MX 0 .",
    "txtonly IN TXT \"nothing for mail\"",
]


@pytest.fixture(scope="module")
def dns():
    srv = DNSServer({"test": zone("test", RECORDS)})
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def inst(make_instance, dns):
    return make_instance(main={
        "smtpd_sender_restrictions": "reject_unknown_sender_domain",
        "smtpd_delay_reject": "no",
        "dns_resolver_address": dns.resolver_address,
    })


def mail_from(inst, sender):
    c = inst.raw()
    assert c.cmd("EHLO client.example").code == 250
    r = c.cmd("MAIL FROM:<%s>" % sender)
    return c, r


@pytest.mark.parametrize("sender", ["user@known.test", "user@aonly.test",
                                    "User@KNOWN.test", "user@localhost",
                                    "user@[127.0.0.1]"])
def test_known_sender_domain_accepted(inst, sender):
    c, r = mail_from(inst, sender)
    assert r.code == 250, r
    assert c.cmd("RCPT TO:<postmaster@localhost>").code == 250
    c.close()


def test_null_sender_accepted(inst):
    c, r = mail_from(inst, "")
    assert r.code == 250, r
    c.close()


@pytest.mark.parametrize("sender", ["user@nx.test", "user@txtonly.test",
                                    "user@nx.nx.test"])
def test_unknown_sender_domain_rejected(inst, sender):
    c, r = mail_from(inst, sender)
    assert r.code == 450 and r.text == (
        "4.1.8 <%s>: Sender address rejected: Domain not found" % sender), r
    # the session goes on: no transaction, a good sender still works
    assert c.cmd("RCPT TO:<postmaster@localhost>").code == 503
    assert c.cmd("MAIL FROM:<a@known.test>").code == 250
    c.close()
    assert inst.wait_log(
        r"NOQUEUE: reject: MAIL from \S+\[127\.0\.0\.1\]: 450 4\.1\.8 <%s>: "
        r"Sender address rejected: Domain not found; from=<%s> proto=ESMTP "
        r"helo=<client\.example>" % ((sender.replace(".", r"\."),) * 2))


def test_null_mx_sender_rejected(inst):
    c, r = mail_from(inst, "user@nullmx.test")
    assert r.code == 550 and r.text == (
        "5.7.27 <user@nullmx.test>: Sender address rejected: Domain "
        "nullmx.test does not accept mail (nullMX)"), r
    c.close()
    assert inst.wait_log(r"NOQUEUE: reject: MAIL from .*550 5\.7\.27 "
                         r"<user@nullmx\.test>")


def test_dns_failure_defers(make_instance):
    # nothing answers on this port: a temporary failure, never a 5xx
    port = si.free_port()
    inst = make_instance(main={
        "smtpd_sender_restrictions": "reject_unknown_sender_domain",
        "smtpd_delay_reject": "no",
        "unknown_address_tempfail_action": "defer",
        "dns_resolver_address": "127.0.0.1:%d" % port,
    })
    c = inst.raw(timeout=30)
    assert c.cmd("EHLO client.example").code == 250
    r = c.cmd("MAIL FROM:<user@known.test>", timeout=30)
    assert r.code == 450 and r.text.startswith("4.1.8 "), r
    c.close()


def test_restriction_off_by_default(make_instance, dns):
    inst = make_instance(main={"dns_resolver_address": dns.resolver_address})
    c, r = mail_from(inst, "user@nx.test")
    assert r.code == 250, r
    c.close()


def test_unknown_address_reject_code_is_honoured(make_instance, dns):
    inst = make_instance(main={
        "smtpd_sender_restrictions": "reject_unknown_sender_domain",
        "smtpd_delay_reject": "no",
        "unknown_address_reject_code": "550",
        "dns_resolver_address": dns.resolver_address,
    })
    c, r = mail_from(inst, "user@nx.test")
    assert r.code == 550 and r.text.startswith("5.1.8 <user@nx.test>:"), r
    c.close()


def test_unknown_restriction_is_a_configuration_error(make_instance):
    # refused before it can hurt: by sluice check, and at start
    inst = make_instance(start=False, main={
        "smtpd_sender_restrictions": "reject_sender_of_the_day",
    })
    r = inst.sluice("check")
    assert r.returncode == 1
    assert "parameter smtpd_sender_restrictions: unknown restriction " \
        "\"reject_sender_of_the_day\"" in r.stdout, r.stdout
    with pytest.raises(RuntimeError):
        inst.start()
    # nor through a master.cf -o: the master refuses to start, saying why
    inst.set_main({"smtpd_sender_restrictions": ""})
    port = inst.smtpd_service_name()
    inst.edit_master_line(port, "%s inet n - n - - smtpd "
                          "-o smtpd_sender_restrictions="
                          "reject_sender_of_the_day" % port)
    r = inst.sluice("start")
    assert r.returncode == 1, r.stdout + r.stderr
    assert re.search(r"configuration error: .*service %s/inet: parameter "
                     r"smtpd_sender_restrictions: unknown restriction" % port,
                     r.stderr), r.stderr


def test_delay_reject_refuses_at_rcpt(make_instance, dns):
    """Postfix's default smtpd_delay_reject = yes: MAIL is accepted, the
    sender is refused at RCPT, with the recipient in the log line."""
    inst = make_instance(main={
        "smtpd_sender_restrictions": "reject_unknown_sender_domain",
        "dns_resolver_address": dns.resolver_address,
    })
    c, r = mail_from(inst, "user@nx.test")
    assert r.code == 250, r
    r = c.cmd("RCPT TO:<postmaster@localhost>")
    assert str(r) == "450 4.1.8 <user@nx.test>: Sender address rejected: " \
        "Domain not found", r
    c.close()
    assert inst.wait_log(
        r"NOQUEUE: reject: RCPT from \S+: 450 4\.1\.8 <user@nx\.test>: "
        r"Sender address rejected: Domain not found; from=<user@nx\.test> "
        r"to=<postmaster@localhost> proto=ESMTP helo=<client\.example>")


def test_dns_failure_is_defer_if_permit_by_default(make_instance):
    """unknown_address_tempfail_action = defer_if_permit (Postfix's
    default): the 450 comes only where the mail would be accepted; a
    refusal for another reason (relaying) stands."""
    port = si.free_port()
    inst = make_instance(main={
        "mynetworks": "127.0.0.1/32",
        "smtpd_sender_restrictions": "reject_unknown_sender_domain",
        "dns_resolver_address": "127.0.0.1:%d" % port,
    })
    c = inst.raw(source="127.0.0.2", timeout=30)
    assert c.cmd("EHLO client.example").code == 250
    assert c.cmd("MAIL FROM:<user@known.test>").code == 250
    r = c.cmd("RCPT TO:<postmaster@localhost>", timeout=30)
    assert r.code == 450 and r.text.startswith("4.1.8 <user@known.test>: "
                                               "Sender address rejected: "
                                               "Domain not found"), r
    r = c.cmd("RCPT TO:<victim@elsewhere.example>", timeout=30)
    assert r.code == 554 and "Relay access denied" in r.text, r
    c.close()
