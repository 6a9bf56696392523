"""smtpd_peername_lookup: client names from PTR records, forward-confirmed,
through Sluice's own resolver against a real DNS server (nsd on a loopback
port, see dns_server.py).

The client connects from 127.0.0.2 (routed to lo on Linux).  A PTR name
counts only when its A record gives the client address back; otherwise,
and on any DNS failure, the client is unknown[127.0.0.2], as in Postfix.
Addresses listed in /etc/hosts (127.0.0.1) are named without DNS.
"""

import time

import pytest

import sluice_instance as si
from dns_server import DNSServer, nsd_available, zone

pytestmark = pytest.mark.skipif(not nsd_available(),
                                reason="/usr/sbin/nsd not installed")

CLIENT = "127.0.0.2"

FORWARD = [
    "good.peer IN A 127.0.0.2",
    "good.peer IN AAAA ::2",
    "forged.peer IN A 127.0.0.9",
]


def reverse_zone(records):
    return zone("in-addr.arpa", records)


def dns_with_ptr(target):
    """A started server: 2.0.0.127.in-addr.arpa PTR target (or none)."""
    ptr = ["2.0.0.127 IN PTR %s" % target] if target else []
    srv = DNSServer({"test": zone("test", FORWARD),
                     "in-addr.arpa": reverse_zone(ptr)})
    return srv.start()


@pytest.fixture
def dns_server():
    """Factory for DNS servers; every one started is stopped at teardown."""
    started = []

    def factory(target):
        srv = dns_with_ptr(target)
        started.append(srv)
        return srv

    yield factory
    for srv in started:
        srv.stop()


def send_one(inst, source=CLIENT, timeout=5.0):
    """One message from source; returns (greeting, queue id)."""
    c = inst.raw(source=source, timeout=timeout)
    greeting = c.greeting
    assert c.cmd("EHLO client.example").code == 250
    assert c.cmd("MAIL FROM:<a@client.example>").code == 250
    assert c.cmd("RCPT TO:<postmaster@localhost>").code == 250
    assert c.cmd("DATA").code == 354
    qid = si.queued_id(str(c.cmd(b"Subject: peer\r\n\r\nbody\r\n.")))
    assert qid
    assert c.cmd("QUIT").code == 221
    c.close()
    return greeting, qid


def test_forward_confirmed_name(make_instance, dns_server):
    dns = dns_server("good.peer.test.")
    inst = make_instance(main={"dns_resolver_address": dns.resolver_address})
    _, qid = send_one(inst)
    assert inst.wait_log(r"connect from good\.peer\.test\[127\.0\.0\.2\]")
    assert inst.wait_log(r"%s: client=good\.peer\.test\[127\.0\.0\.2\]" % qid)
    msg = inst.read_queue(qid)
    assert msg.attrs.get("client_name") == "good.peer.test"
    assert msg.attrs.get("client_address") == CLIENT
    assert b"good.peer.test [127.0.0.2]" in msg.header_values("Received")[0]


def test_forward_mismatch_is_unknown(make_instance, dns_server):
    dns = dns_server("forged.peer.test.")
    inst = make_instance(main={"dns_resolver_address": dns.resolver_address})
    _, qid = send_one(inst)
    assert inst.wait_log(r"%s: client=unknown\[127\.0\.0\.2\]" % qid)
    assert inst.wait_log(r"warning: hostname forged\.peer\.test does not "
                         r"resolve to address 127\.0\.0\.2")
    assert "forged.peer.test[" not in inst.maillog()
    assert inst.read_queue(qid).attrs.get("client_name") == "unknown"


def test_forward_name_missing_is_unknown(make_instance, dns_server):
    dns = dns_server("nowhere.peer.test.")
    inst = make_instance(main={"dns_resolver_address": dns.resolver_address})
    _, qid = send_one(inst)
    assert inst.wait_log(r"%s: client=unknown\[127\.0\.0\.2\]" % qid)
    assert inst.wait_log(r"hostname nowhere\.peer\.test does not resolve")


def test_no_ptr_is_unknown(make_instance, dns_server):
    dns = dns_server(None)
    inst = make_instance(main={"dns_resolver_address": dns.resolver_address})
    _, qid = send_one(inst)
    assert inst.wait_log(r"%s: client=unknown\[127\.0\.0\.2\]" % qid)


def test_lookup_off(make_instance, dns_server):
    dns = dns_server("good.peer.test.")
    inst = make_instance(main={"dns_resolver_address": dns.resolver_address,
                               "smtpd_peername_lookup": "no"})
    _, qid = send_one(inst)
    assert inst.wait_log(r"%s: client=unknown\[127\.0\.0\.2\]" % qid)
    # /etc/hosts is not consulted either
    _, qid = send_one(inst, source="127.0.0.1")
    assert inst.wait_log(r"%s: client=unknown\[127\.0\.0\.1\]" % qid)


def test_dead_resolver_is_unknown(make_instance):
    # nothing answers on this port: a temporary failure, the session goes on
    port = si.free_port()
    inst = make_instance(main={"dns_resolver_address": "127.0.0.1:%d" % port})
    start = time.monotonic()
    greeting, qid = send_one(inst, timeout=30)
    assert greeting.code == 220
    assert time.monotonic() - start < 30
    assert inst.wait_log(r"%s: client=unknown\[127\.0\.0\.2\]" % qid)


def test_hosts_file_answers_without_dns(make_instance):
    # 127.0.0.1 is in /etc/hosts: named at once although DNS is dead
    port = si.free_port()
    inst = make_instance(main={"dns_resolver_address": "127.0.0.1:%d" % port})
    start = time.monotonic()
    _, qid = send_one(inst, source="127.0.0.1")
    assert time.monotonic() - start < 5
    assert inst.wait_log(r"%s: client=localhost\[127\.0\.0\.1\]" % qid)
