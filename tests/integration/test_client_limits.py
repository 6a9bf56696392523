"""Per-client session count and connection rate limits, shared by every
smtpd process through anvil(8) (audit item 7: one address held every
session slot with idle connections, and other clients got no banner).

The attacker connects from 127.0.0.2 and a normal client from 127.0.0.3
(both routed to lo on Linux); mynetworks holds only 127.0.0.1, so neither
is in smtpd_client_event_limit_exceptions (default $mynetworks).  Client
names are not looked up (no DNS in these tests).  Every connection a test
opens is closed at its end, and the instance is stopped by the fixture.
"""

import os
import re
import signal
import socket
import time

import pytest

import sluice_instance as si

ATTACKER = "127.0.0.2"
OTHER = "127.0.0.3"

BASE = {
    "mynetworks": "127.0.0.1/32",
    "smtpd_peername_lookup": "no",
}

TOO_MANY = "421 4.7.0 %s Error: too many connections from %s"


def limits(**extra):
    params = dict(BASE)
    params.update(extra)
    return params


class Clients:
    """RawClients opened by a test, all closed at its end."""

    def __init__(self, instance):
        self.instance = instance
        self.open = []

    def connect(self, source, timeout=5.0):
        c = self.instance.raw(source=source, timeout=timeout)
        self.open.append(c)
        return c

    def close(self, c):
        c.close()
        self.open.remove(c)

    def close_all(self):
        for c in self.open:
            c.close()
        self.open = []


@pytest.fixture
def clients():
    made = []

    def factory(instance):
        c = Clients(instance)
        made.append(c)
        return c

    yield factory
    for c in made:
        c.close_all()


def refused(instance, client, source):
    """The greeting is the limit's 421 and the server hangs up."""
    assert client.greeting.code == 421, client.greeting
    assert str(client.greeting) == TOO_MANY % (instance.hostname, source)
    assert client.closed_by_server(timeout=5.0)


def admitted_again(cl, source, timeout=5.0):
    """A new connection from source gets the banner within timeout (the
    disconnects reach anvil asynchronously); the open client or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        c = cl.connect(source)
        if c.greeting.code == 220:
            return c
        cl.close(c)
        time.sleep(0.1)
    return None


def test_idle_connections_over_the_count_limit_get_421(make_instance, clients):
    """With the default smtpd_client_connection_count_limit (50), the 51st
    and 52nd idle connection from one address get 421 and a log line; a
    client from another address still gets its banner at once."""
    inst = make_instance(main=limits())
    cl = clients(inst)
    for i in range(50):
        c = cl.connect(ATTACKER)
        assert c.greeting.code == 220, (i, c.greeting)
    for _ in range(2):
        refused(inst, cl.connect(ATTACKER), ATTACKER)
    # 51 each time, or 52 when the first one's end had not reached anvil
    warning = re.compile(
        r"sluice/smtpd\[\d+\]: warning: Connection concurrency limit "
        r"exceeded: 5[12] from unknown\[127\.0\.0\.2\] for service %s$"
        % re.escape(inst.smtpd_service_name()), re.M)
    assert si.wait_until(lambda: len(warning.findall(inst.maillog())) == 2,
                         5.0), inst.maillog()[-2000:]
    t0 = time.monotonic()
    other = cl.connect(OTHER)
    assert other.greeting.code == 220, other.greeting
    assert time.monotonic() - t0 < 2.0
    assert other.cmd("EHLO other.example").code == 250


def test_closing_connections_frees_slots(make_instance, clients):
    inst = make_instance(main=limits(smtpd_client_connection_count_limit="3"))
    cl = clients(inst)
    held = [cl.connect(ATTACKER) for _ in range(3)]
    assert [c.greeting.code for c in held] == [220, 220, 220]
    refused(inst, cl.connect(ATTACKER), ATTACKER)
    # one that quits and one that just goes away
    assert held[0].cmd("QUIT").code == 221
    cl.close(held[0])
    cl.close(held[1])
    first = admitted_again(cl, ATTACKER)
    assert first is not None, inst.maillog()[-2000:]
    second = admitted_again(cl, ATTACKER)
    assert second is not None, inst.maillog()[-2000:]
    # 3 again: the next one is over
    refused(inst, cl.connect(ATTACKER), ATTACKER)


def test_sigkill_of_an_smtpd_frees_its_slots(make_instance, clients):
    """anvil forgets the sessions of an smtpd process whose connection to
    it closes, so a killed process leaves no count behind."""
    inst = make_instance(main=limits(smtpd_client_connection_count_limit="3"))
    cl = clients(inst)
    held = [cl.connect(ATTACKER) for _ in range(3)]
    assert [c.greeting.code for c in held] == [220, 220, 220]
    refused(inst, cl.connect(ATTACKER), ATTACKER)
    pids = {inst.session_pid(c) for c in held}
    assert None not in pids and len(pids) == 1, pids
    pid = pids.pop()
    assert inst.still_ours(pid)
    os.kill(pid, signal.SIGKILL)
    assert si.wait_until(lambda: not si.pid_alive(pid), 5.0)
    for c in list(held):
        cl.close(c)
    c = admitted_again(cl, ATTACKER)
    assert c is not None, inst.maillog()[-2000:]
    assert c.cmd("EHLO attacker.example").code == 250
    assert "pid %d killed by signal 9" % pid in inst.maillog()


def test_rate_limit_cuts_the_next_connection(make_instance, clients):
    inst = make_instance(main=limits(smtpd_client_connection_rate_limit="3",
                                     anvil_rate_time_unit="60s"))
    cl = clients(inst)
    for i in range(3):
        c = cl.connect(ATTACKER)
        assert c.greeting.code == 220, (i, c.greeting)
        assert c.cmd("QUIT").code == 221
        cl.close(c)
    c = cl.connect(ATTACKER)
    refused(inst, c, ATTACKER)
    assert inst.wait_log(
        r"warning: Connection rate limit exceeded: 4 from "
        r"unknown\[127\.0\.0\.2\] for service ")
    # closing does not help against a rate; another client is not affected
    refused(inst, cl.connect(ATTACKER), ATTACKER)
    assert cl.connect(OTHER).greeting.code == 220


def test_exceptions_are_not_limited(make_instance, clients):
    """smtpd_client_event_limit_exceptions defaults to $mynetworks."""
    inst = make_instance(main=limits(smtpd_client_connection_count_limit="2",
                                     mynetworks="127.0.0.2/32"))
    cl = clients(inst)
    for i in range(4):
        assert cl.connect(ATTACKER).greeting.code == 220, i
    for i in range(2):
        assert cl.connect(OTHER).greeting.code == 220, i
    refused(inst, cl.connect(OTHER), OTHER)


def test_without_anvil_mail_still_flows(make_instance, clients):
    """No anvil service: smtpd fails open and says so once."""
    def no_anvil(inst):
        inst.write_master_cf("\n".join(
            line for line in inst.master_cf().split("\n")
            if not line.split() or line.split()[0] != "anvil"))

    inst = make_instance(main=limits(smtpd_client_connection_count_limit="2"),
                         master=no_anvil)
    cl = clients(inst)
    for i in range(4):
        c = cl.connect(ATTACKER)
        assert c.greeting.code == 220, (i, c.greeting)
    assert c.cmd("EHLO attacker.example").code == 250
    assert inst.wait_log(r"warning: anvil service private/anvil: connect: ")
    assert len(re.findall(r"warning: anvil service",
                          inst.maillog())) == 1, inst.maillog()


def test_anvil_logs_statistics(make_instance, clients):
    inst = make_instance(main=limits(anvil_status_update_time="1s"))
    cl = clients(inst)
    for _ in range(3):
        cl.connect(ATTACKER)
    time.sleep(1.1)
    cl.connect(OTHER)      # a request after the interval: the report
    assert inst.wait_log(
        r"sluice/anvil\[\d+\]: statistics: max connection count 3 for "
        r"\(\S+:127\.0\.0\.2\) at \w{3} [ \d]\d \d\d:\d\d:\d\d$")
    assert inst.wait_log(r"statistics: max connection rate 3/60s for "
                         r"\(\S+:127\.0\.0\.2\)")


def test_killed_anvil_is_replaced_and_old_sessions_stay_its(make_instance,
                                                            clients):
    """SIGKILL of anvil: smtpd reconnects at the next session, counting
    starts afresh, and the ends of sessions the dead anvil counted are
    not sent to the new one (they would free slots it never gave)."""
    inst = make_instance(main=limits(smtpd_client_connection_count_limit="2"))
    cl = clients(inst)
    held = [cl.connect(ATTACKER) for _ in range(2)]
    assert [c.greeting.code for c in held] == [220, 220]
    refused(inst, cl.connect(ATTACKER), ATTACKER)
    anvils = inst.children("anvil")
    assert len(anvils) == 1, anvils
    os.kill(anvils[0], signal.SIGKILL)
    assert si.wait_until(lambda: not si.pid_alive(anvils[0]), 5.0)
    t0 = time.monotonic()
    fresh = [cl.connect(ATTACKER) for _ in range(2)]
    assert [c.greeting.code for c in fresh] == [220, 220]
    assert time.monotonic() - t0 < 3.0
    refused(inst, cl.connect(ATTACKER), ATTACKER)
    ends = inst.maillog().count("disconnect from unknown[%s]" % ATTACKER)
    for c in held:
        cl.close(c)
    assert si.wait_until(lambda: inst.maillog().count(
        "disconnect from unknown[%s]" % ATTACKER) >= ends + 2, 5.0)
    refused(inst, cl.connect(ATTACKER), ATTACKER)
    assert "pid %d killed by signal 9" % anvils[0] in inst.maillog()
    assert "warning: anvil service" not in inst.maillog()


def test_clients_count_by_network_block(make_instance, clients):
    """smtpd_client_ipv4_prefix_length (and ..._ipv6_..., 84 by default,
    as one IPv6 host has many addresses): a block counts as one client."""
    inst = make_instance(main=limits(smtpd_client_connection_count_limit="2",
                                     smtpd_client_ipv4_prefix_length="24"))
    cl = clients(inst)
    assert cl.connect(ATTACKER).greeting.code == 220
    assert cl.connect(OTHER).greeting.code == 220
    refused(inst, cl.connect("127.0.0.4"), "127.0.0.4")
    assert inst.wait_log(r"warning: Connection concurrency limit exceeded: "
                         r"3 from unknown\[127\.0\.0\.4\]")
