"""DNS block and allow lists in smtpd's restrictions: reject_rbl_client,
reject_rhsbl_client, reject_rhsbl_reverse_client, reject_rhsbl_helo,
reject_rhsbl_sender, permit_dnswl_client and permit_rhswl_client, with
reply filters, default_rbl_reply, rbl_reply_maps and maps_rbl_reject_code,
against lists served by a real DNS server (nsd on a loopback port, see
dns_server.py).

Clients connect from addresses of 127/8 (all routed to lo on Linux), each
with its own entries in the lists:
  127.0.0.2  listed in bl.test (127.0.0.2, with a TXT reason)
  127.0.0.3  listed only in bl4.test (the fourth list of a restriction list)
  127.0.0.4  listed in bl.test with 127.0.0.20, outside the filter [2..11]
  127.0.0.5  "listed" with 192.0.2.1: no DNSBL answer, ignored
  127.0.0.6  "listed" with 127.255.255.254: a list's error code, ignored
  127.0.0.7  listed in bl.test and allowed by wl.test
  127.0.0.8  PTR badhost.test (forward-confirmed), listed in dbl.test
  127.0.0.9  PTR badrev.test without an A record: only the reverse name
  127.0.0.10 unlisted everywhere
A list that cannot be asked (a server that never answers) decides nothing:
the restriction is skipped with a warning, never a 5xx.
"""

import os
import socket
import threading
import time

import pytest

import sluice_instance as si
from dns_server import DNSServer, nsd_available, zone

pytestmark = pytest.mark.skipif(not nsd_available(),
                                reason="/usr/sbin/nsd not installed")

BL = [
    "2.0.0.127 IN A 127.0.0.2",
    '2.0.0.127 IN TXT "Listed: see https://bl.test/q?127.0.0.2"',
    "4.0.0.127 IN A 127.0.0.20",
    "5.0.0.127 IN A 192.0.2.1",
    "6.0.0.127 IN A 127.255.255.254",
    "7.0.0.127 IN A 127.0.0.2",
    "11.0.0.127 IN A 127.0.0.3",
    '11.0.0.127 IN TXT "first reason"',
    '11.0.0.127 IN TXT "second" " part"',
]
BL4 = ["3.0.0.127 IN A 127.0.0.4"]
WL = ["7.0.0.127 IN A 127.0.10.2", "8.0.0.127 IN A 127.0.10.2"]
DBL = [
    "spammer.test IN A 127.0.1.2",
    'spammer.test IN TXT "spam domain"',
    "badhelo.test IN A 127.0.1.2",
    "badhost.test IN A 127.0.1.2",
    "badrev.test IN A 127.0.1.2",
    "goodhost.test IN A 127.0.1.3",
]
NAMES = ["badhost IN A 127.0.0.8", "goodhost IN A 127.0.0.12"]
REVERSE = ["8.0.0.127 IN PTR badhost.test.", "9.0.0.127 IN PTR badrev.test.",
           "12.0.0.127 IN PTR goodhost.test."]


@pytest.fixture(scope="module")
def dns():
    srv = DNSServer({
        "bl.test": zone("bl.test", BL),
        "bl2.test": zone("bl2.test", []),
        "bl3.test": zone("bl3.test", []),
        "bl4.test": zone("bl4.test", BL4),
        "wl.test": zone("wl.test", WL),
        "dbl.test": zone("dbl.test", DBL),
        "test": zone("test", NAMES),
        "in-addr.arpa": zone("in-addr.arpa", REVERSE),
    })
    srv.start()
    yield srv
    srv.stop()


def qname(packet):
    """The question name of a DNS query packet (lower case), or ""."""
    labels, pos = [], 12
    while pos < len(packet) and packet[pos] != 0:
        n = packet[pos]
        labels.append(packet[pos + 1:pos + 1 + n].decode("ascii", "replace"))
        pos += 1 + n
    return ".".join(labels).lower()


class SlowProxy:
    """A UDP DNS forwarder that holds every answer for delay seconds, so
    that lists asked one after another take visibly longer than lists
    asked together.  With upstream None it never answers at all."""

    def __init__(self, upstream, delay):
        self.upstream = upstream
        self.delay = delay
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        self.queries = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @property
    def resolver_address(self):
        return "127.0.0.1:%d" % self.port

    def _answer(self, data, client):
        if self.upstream is None:
            return
        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        up.settimeout(5)
        try:
            up.sendto(data, self.upstream)
            answer = up.recv(4096)
            time.sleep(self.delay)
            if not self.stopping:
                self.sock.sendto(answer, client)
        except OSError:
            pass
        finally:
            up.close()

    def _run(self):
        while not self.stopping:
            try:
                data, client = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            self.queries.append((time.monotonic(), qname(data)))
            threading.Thread(target=self._answer, args=(data, client),
                             daemon=True).start()

    def stop(self):
        self.stopping = True
        self.thread.join(5)
        self.sock.close()


@pytest.fixture
def proxies():
    started = []

    def factory(upstream, delay):
        p = SlowProxy(upstream, delay)
        started.append(p)
        return p

    yield factory
    for p in started:
        p.stop()


def rbl_instance(make_instance, dns_address, main=None, **kw):
    params = {
        "dns_resolver_address": dns_address,
        "smtpd_client_restrictions": "",
        "smtpd_helo_restrictions": "",
        "smtpd_sender_restrictions": "",
        "smtpd_recipient_restrictions": "",
    }
    params.update(main or {})
    return make_instance(main=params, **kw)


def rcpt(inst, source, helo="client.test", sender="a@client.test",
         recipient="postmaster@localhost", timeout=10):
    """EHLO, MAIL, RCPT from source: (client, RCPT reply)."""
    c = inst.raw(source=source, timeout=timeout)
    assert c.cmd("EHLO %s" % helo).code == 250
    r = c.cmd("MAIL FROM:<%s>" % sender, timeout=timeout)
    assert r.code == 250, r
    return c, c.cmd("RCPT TO:<%s>" % recipient, timeout=timeout)


def esc(text):
    return text.replace(".", r"\.").replace("[", r"\[").replace(
        "]", r"\]").replace("?", r"\?")


DEFAULT_BLOCKED = ("5.7.1 Service unavailable; Client host [%s] blocked "
                   "using %s")


def test_listed_client_rejected_with_txt_reason(make_instance, dns):
    inst = rbl_instance(make_instance, dns.resolver_address, {
        "smtpd_client_restrictions": "reject_rbl_client bl.test"})
    c, r = rcpt(inst, "127.0.0.2")
    assert r.code == 554, r
    assert r.text == (DEFAULT_BLOCKED % ("127.0.0.2", "bl.test") +
                      "; Listed: see https://bl.test/q?127.0.0.2"), r
    c.close()
    assert inst.wait_log(
        r"NOQUEUE: reject: RCPT from \S+\[127\.0\.0\.2\]: 554 5\.7\.1 "
        r"Service unavailable; Client host \[127\.0\.0\.2\] blocked using "
        r"bl\.test; Listed: see https://bl\.test/q\?127\.0\.0\.2; "
        r"from=<a@client\.test> to=<postmaster@localhost> proto=ESMTP "
        r"helo=<client\.test>")


def test_unlisted_client_accepted(make_instance, dns):
    inst = rbl_instance(make_instance, dns.resolver_address, {
        "smtpd_client_restrictions": "reject_rbl_client bl.test"})
    c, r = rcpt(inst, "127.0.0.10")
    assert r.code == 250, r
    c.close()
    assert "RBL lookup error" not in inst.maillog()


def test_several_txt_records_joined(make_instance, dns):
    inst = rbl_instance(make_instance, dns.resolver_address, {
        "smtpd_client_restrictions": "reject_rbl_client bl.test"})
    c, r = rcpt(inst, "127.0.0.11")
    assert r.code == 554, r
    reason = r.text.split("blocked using bl.test; ", 1)[1]
    assert sorted(reason.split(" / ")) == ["first reason", "second part"], r
    c.close()


def test_reply_filter(make_instance, dns):
    inst = rbl_instance(make_instance, dns.resolver_address, {
        "smtpd_client_restrictions":
            "reject_rbl_client bl.test=127.0.0.[2..11]"})
    # 127.0.0.20 is outside the filter; 127.0.0.2 and .3 inside
    c, r = rcpt(inst, "127.0.0.4")
    assert r.code == 250, r
    c.close()
    c, r = rcpt(inst, "127.0.0.2")
    assert r.code == 554 and "blocked using bl.test;" in r.text, r
    c.close()
    c, r = rcpt(inst, "127.0.0.11")
    assert r.code == 554, r
    c.close()
    # a filter that says exactly which answer counts
    inst2 = rbl_instance(make_instance, dns.resolver_address, {
        "smtpd_client_restrictions":
            "reject_rbl_client bl.test=127.0.0.[3;20]"})
    c, r = rcpt(inst2, "127.0.0.2")
    assert r.code == 250, r
    c.close()
    c, r = rcpt(inst2, "127.0.0.4")
    assert r.code == 554, r
    c.close()


def test_junk_answers_are_ignored(make_instance, dns):
    inst = rbl_instance(make_instance, dns.resolver_address, {
        "smtpd_client_restrictions": "reject_rbl_client bl.test"})
    c, r = rcpt(inst, "127.0.0.5")
    assert r.code == 250, r
    c.close()
    assert inst.wait_log(r"warning: 5\.0\.0\.127\.bl\.test: RBL lookup: "
                         r"answer 192\.0\.2\.1 is not in 127\.0\.0\.0/8, "
                         r"ignored")
    c, r = rcpt(inst, "127.0.0.6")
    assert r.code == 250, r
    c.close()
    assert inst.wait_log(r"warning: 6\.0\.0\.127\.bl\.test: RBL lookup: "
                         r"answer 127\.255\.255\.254 is an error code")


def test_several_lists(make_instance, dns):
    lists = ("reject_rbl_client bl2.test, reject_rbl_client bl3.test, "
             "reject_rbl_client bl.test, reject_rbl_client bl4.test")
    inst = rbl_instance(make_instance, dns.resolver_address, {
        "smtpd_client_restrictions": lists})
    c, r = rcpt(inst, "127.0.0.3")
    assert r.code == 554 and r.text == DEFAULT_BLOCKED % (
        "127.0.0.3", "bl4.test"), r
    c.close()
    c, r = rcpt(inst, "127.0.0.2")
    assert r.code == 554 and "blocked using bl.test" in r.text, r
    c.close()
    c, r = rcpt(inst, "127.0.0.10")
    assert r.code == 250, r
    c.close()


def test_lists_are_asked_in_parallel(make_instance, dns, proxies):
    # every answer is held for 0.3 s (under libunbound's first
    # retransmission timeout): a list asked only after the one before it
    # has answered would reach the server 0.3 s later
    delay = 0.3
    slow = proxies(("127.0.0.1", dns.port), delay)
    # a restriction that can only refuse does not keep the lists apart
    lists = ("reject_rbl_client bl2.test, reject_rbl_client bl3.test, "
             "reject_non_fqdn_sender, reject_rbl_client bl.test=127.0.0.3, "
             "reject_rbl_client bl4.test")
    inst = rbl_instance(make_instance, slow.resolver_address, {
        "smtpd_client_restrictions": lists,
        "smtpd_peername_lookup": "no"})
    c = inst.raw(source="127.0.0.3", timeout=30)
    assert c.cmd("EHLO client.test").code == 250
    assert c.cmd("MAIL FROM:<a@client.test>").code == 250
    started = time.monotonic()
    r = c.cmd("RCPT TO:<postmaster@localhost>", timeout=30)
    assert r.code == 554 and "blocked using bl4.test" in r.text, r
    c.close()
    first = {}
    for when, name in slow.queries:
        first.setdefault(name, when - started)
    names = ["3.0.0.127.%s" % d for d in ("bl2.test", "bl3.test", "bl.test",
                                          "bl4.test")]
    assert all(n in first for n in names), first
    # all four were sent before the first answer could have come back
    assert max(first[n] for n in names) < min(first[n] for n in names) + \
        delay * 0.8, first


def test_no_list_asked_past_a_permit(make_instance, dns, proxies):
    # Postfix would never ask bl4.test about a client that
    # permit_mynetworks lets through (127/8 is mynetworks here), nor
    # bl3.test about one the allow list permits: neither may see it
    relay = proxies(("127.0.0.1", dns.port), 0)
    inst = rbl_instance(make_instance, relay.resolver_address, {
        "smtpd_client_restrictions":
            "reject_rbl_client bl2.test, permit_mynetworks, "
            "reject_rbl_client bl4.test",
        "smtpd_sender_restrictions":
            "permit_dnswl_client wl.test, reject_rbl_client bl3.test",
        "smtpd_peername_lookup": "no"})
    c, r = rcpt(inst, "127.0.0.7")
    assert r.code == 250, r
    c.close()
    c, r = rcpt(inst, "127.0.0.3")
    assert r.code == 250, r
    c.close()
    asked = {name for _, name in relay.queries}
    assert "7.0.0.127.bl2.test" in asked and "3.0.0.127.bl2.test" in asked
    assert "7.0.0.127.wl.test" in asked, asked
    assert not any(n.endswith(".bl4.test") for n in asked), asked
    assert "7.0.0.127.bl3.test" not in asked, asked
    # 127.0.0.3 is not on the allow list: bl3.test is asked for it
    assert "3.0.0.127.bl3.test" in asked, asked


def test_dnswl_permits(make_instance, dns):
    inst = rbl_instance(make_instance, dns.resolver_address, {
        "smtpd_client_restrictions":
            "permit_dnswl_client wl.test=127.0.[0..255].2, "
            "reject_rbl_client bl.test"})
    c, r = rcpt(inst, "127.0.0.7")       # in both: the allow list wins
    assert r.code == 250, r
    c.close()
    c, r = rcpt(inst, "127.0.0.2")       # only in the block list
    assert r.code == 554, r
    c.close()


def test_dnswl_does_not_open_the_relay(make_instance, dns):
    # permit_dnswl_client before reject_unauth_destination must not
    # let an allowed client relay (Postfix ignores it there)
    inst = rbl_instance(make_instance, dns.resolver_address, {
        "smtpd_relay_restrictions": "permit_dnswl_client wl.test, "
                                    "reject_unauth_destination"})
    c, r = rcpt(inst, "127.0.0.7", recipient="someone@elsewhere.example")
    assert r.code == 554 and "Relay access denied" in r.text, r
    c.close()


def test_rhsbl_sender(make_instance, dns):
    inst = rbl_instance(make_instance, dns.resolver_address, {
        "smtpd_sender_restrictions": "reject_rhsbl_sender dbl.test"})
    c, r = rcpt(inst, "127.0.0.10", sender="joe@spammer.test")
    assert r.code == 554 and r.text == (
        "5.7.1 Service unavailable; Sender address [joe@spammer.test] "
        "blocked using dbl.test; spam domain"), r
    c.close()
    c, r = rcpt(inst, "127.0.0.10", sender="joe@client.test")
    assert r.code == 250, r
    c.close()
    # the null sender and address literals have no domain to look up
    c, r = rcpt(inst, "127.0.0.10", sender="")
    assert r.code == 250, r
    c.close()
    c, r = rcpt(inst, "127.0.0.10", sender="joe@[127.0.0.1]")
    assert r.code == 250, r
    c.close()


def test_rhsbl_helo(make_instance, dns):
    inst = rbl_instance(make_instance, dns.resolver_address, {
        "smtpd_helo_restrictions": "reject_rhsbl_helo dbl.test"})
    c, r = rcpt(inst, "127.0.0.10", helo="badhelo.test")
    assert r.code == 554 and r.text == (
        "5.7.1 Service unavailable; Helo command [badhelo.test] blocked "
        "using dbl.test"), r
    c.close()
    c, r = rcpt(inst, "127.0.0.10", helo="[127.0.0.10]")
    assert r.code == 250, r
    c.close()


def test_rhsbl_client_and_reverse_client(make_instance, dns):
    inst = rbl_instance(make_instance, dns.resolver_address, {
        "smtpd_client_restrictions": "reject_rhsbl_client dbl.test"})
    c, r = rcpt(inst, "127.0.0.8")
    assert r.code == 554 and r.text == (
        "5.7.1 Service unavailable; Client host [badhost.test] blocked "
        "using dbl.test"), r
    c.close()
    # badrev.test is no verified name: reject_rhsbl_client sees "unknown"
    c, r = rcpt(inst, "127.0.0.9")
    assert r.code == 250, r
    c.close()
    inst2 = rbl_instance(make_instance, dns.resolver_address, {
        "smtpd_client_restrictions": "reject_rhsbl_reverse_client dbl.test"})
    c, r = rcpt(inst2, "127.0.0.9")
    assert r.code == 554 and r.text == (
        "5.7.1 Service unavailable; Unverified Client host [badrev.test] "
        "blocked using dbl.test"), r
    c.close()


def test_rhswl_client(make_instance, dns):
    inst = rbl_instance(make_instance, dns.resolver_address, {
        "smtpd_client_restrictions": "permit_rhswl_client dbl.test=127.0.1.3, "
                                     "reject_rbl_client bl.test, "
                                     "reject_rhsbl_client dbl.test"})
    c, r = rcpt(inst, "127.0.0.12")   # goodhost.test: 127.0.1.3
    assert r.code == 250, r
    c.close()
    c, r = rcpt(inst, "127.0.0.8")    # badhost.test: 127.0.1.2
    assert r.code == 554 and "[badhost.test] blocked" in r.text, r
    c.close()


def test_reply_maps_and_code(make_instance, dns, tmp_path):
    replies = tmp_path / "rbl_reply"
    replies.write_text(
        "bl.test $rbl_code 5.7.9 $client_address is on $rbl_domain "
        "(${rbl_reason?{$rbl_reason}:{no reason}})\n"
        "bl4.test=127.0.0.4 451 4.7.9 try later, $client\n")
    os.chmod(tmp_path, 0o755)
    os.chmod(replies, 0o644)
    inst = rbl_instance(make_instance, dns.resolver_address, {
        "smtpd_client_restrictions": "reject_rbl_client bl.test=127.0.0.2, "
                                     "reject_rbl_client bl4.test=127.0.0.4",
        "rbl_reply_maps": "texthash:%s" % replies,
        "maps_rbl_reject_code": "550"})
    # the argument with its filter is not in the table: its domain is
    c, r = rcpt(inst, "127.0.0.2")
    assert r.code == 550 and r.text == (
        "5.7.9 127.0.0.2 is on bl.test (Listed: see "
        "https://bl.test/q?127.0.0.2)"), r
    c.close()
    c, r = rcpt(inst, "127.0.0.3")
    assert r.code == 451 and r.text == (
        "4.7.9 try later, unknown[127.0.0.3]"), r
    c.close()


def test_default_rbl_reply_and_code(make_instance, dns):
    inst = rbl_instance(make_instance, dns.resolver_address, {
        "smtpd_client_restrictions": "reject_rbl_client bl.test",
        "default_rbl_reply": "$rbl_code ${rbl_reason?{$rbl_reason}:{none}} "
                             "[$rbl_what/$rbl_class]${rbl_txt:{ no TXT}}",
        "maps_rbl_reject_code": "521"})
    c, r = rcpt(inst, "127.0.0.2")
    assert r.code == 521 and r.text == (
        "5.7.1 Listed: see https://bl.test/q?127.0.0.2 "
        "[127.0.0.2/Client host]"), r
    c.close()


def test_reply_template_session_names(make_instance, dns):
    # Postfix's values: the null sender is <> in $sender and $sender_name
    inst = rbl_instance(make_instance, dns.resolver_address, {
        "smtpd_client_restrictions": "reject_rbl_client bl.test",
        "default_rbl_reply": "$rbl_code 5.7.9 $client_name|$client_address|"
                             "$helo_name|$sender|$sender_name|"
                             "${sender_domain:none}$sender_domain|$recipient_name@"
                             "$recipient_domain|$server_name"})
    c, r = rcpt(inst, "127.0.0.2", sender="", helo="x.test")
    assert r.code == 554 and r.text == (
        "5.7.9 unknown|127.0.0.2|x.test|<>|<>|none|postmaster@localhost|"
        "%s" % si.HOSTNAME), r
    c.close()
    c, r = rcpt(inst, "127.0.0.2", sender="joe@client.test")
    assert r.text.split("|")[3:6] == ["joe@client.test", "joe",
                                      "client.test"], r
    c.close()


@pytest.mark.parametrize("param,value,why", [
    ("smtpd_client_restrictions", "reject_rbl_client bl.test=127.0.0.[9..2]",
     "bad range"),
    ("smtpd_client_restrictions", "reject_rbl_client bl..test", "no valid"),
    ("smtpd_sender_restrictions", "reject_rhsbl_sender", "argument"),
    ("default_rbl_reply", "$rbl_code ${rbl_reason", "default_rbl_reply"),
    ("default_rbl_reply", "$rbl_code $rbl_nonsense", "rbl_nonsense"),
])
def test_bad_configuration_refused(make_instance, param, value, why):
    inst = make_instance(start=False, main={
        "smtpd_client_restrictions": "reject_rbl_client bl.test",
        param: value})
    r = inst.sluice("check")
    assert r.returncode == 1, r.stdout
    assert why in r.stdout, r.stdout


def test_bad_reply_in_master_cf_override_refused(make_instance):
    inst = make_instance(start=False, main={
        "smtpd_client_restrictions": "reject_rbl_client bl.test"})
    port = inst.smtpd_service_name()
    inst.edit_master_line(port, "%s inet n - n - - smtpd "
                          "-o default_rbl_reply=554$rbl_nope" % port)
    r = inst.sluice("check")
    assert r.returncode == 1, r.stdout
    assert "parameter default_rbl_reply: unknown name \"$rbl_nope\"" in \
        r.stdout, r.stdout


def test_unreachable_list_is_skipped_never_5xx(make_instance, dns, proxies):
    # nothing ever answers: the lookups time out
    dead = proxies(None, 0)
    inst = rbl_instance(make_instance, dead.resolver_address, {
        "smtpd_client_restrictions": "reject_rbl_client bl.test",
        "smtpd_sender_restrictions": "reject_rhsbl_sender dbl.test",
        "smtpd_peername_lookup": "no"})
    c, r = rcpt(inst, "127.0.0.2", sender="joe@spammer.test", timeout=40)
    assert r.code == 250, r
    c.close()
    assert inst.wait_log(r"warning: 2\.0\.0\.127\.bl\.test: RBL lookup "
                         r"error: ", timeout=10)
    assert inst.wait_log(r"warning: spammer\.test\.dbl\.test: RBL lookup "
                         r"error: ", timeout=10)
    assert " reject: " not in inst.maillog()


def test_unreachable_dnswl_defers_a_reject(make_instance, proxies):
    # Postfix: an allow list that cannot answer is DEFER_IF_REJECT
    dead = proxies(None, 0)
    inst = rbl_instance(make_instance, dead.resolver_address, {
        "smtpd_client_restrictions": "permit_dnswl_client wl.test, reject",
        "smtpd_peername_lookup": "no"})
    c, r = rcpt(inst, "127.0.0.7", timeout=40)
    assert r.code == 450 and r.text == (
        "4.7.1 <127.0.0.7>: Client host rejected: Service unavailable"), r
    c.close()
