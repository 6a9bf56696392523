"""The smtp client's TLS levels against real certificates, on a first
connection and on one that could resume a cached session (issue 14, 1).

The audit: a session made at level "may" for a.test was resumed by a
delivery at "secure" for b.test to the same MX host, whose certificate
was for another name; the stored verify result said OK, the name was
never checked, and the mail went to the wrong peer.

One instance serves every case (its smtp service has one process, so
the TLS session cache is the same one throughout) with DNS from nsd:
each case has its own domain, whose MX host is its own name on the
loopback address of one peer.  There is one peer per certificate kind:
right (from an intermediate of the CA, names the MX host and the
domain, sent with the intermediate), wrong (CA-signed,
"evil.test"), untrusted (the right names from a CA Sluice does not
know), selfsigned (the right names); and a TLS 1.2-only twin of wrong.
Each peer records, per handshake, whether it resumed a session, so a
"resumed" case is known to have offered (or not) the cached session.

Modes: "first" delivers to the domain alone; "after-may" first delivers
to another domain with the same MX host at level "may" (the audit's
a.test), "after-same" to another domain at the case's own level; then to
the domain under test.  Expected: "may"/"encrypt" deliver to every peer
("Trusted" for a CA-signed chain, else "Untrusted"); "verify"/"secure"
deliver only to the right name ("Verified") and defer with 4.7.5 and
the reason otherwise; "none" never starts TLS.  A session is resumed
only where the same checks apply, and a resumed one says so in the log.
"""

import os
import re
import shutil
import ssl
import tempfile
import threading

import pytest

import sluice_instance as si
from conftest import DEFAULT_MAIN
from dns_server import DNSServer, nsd_available, zone
from smtp_peer import Peer
from tls_certs import CertMaker

pytestmark = pytest.mark.skipif(not nsd_available(),
                                reason="nsd not installed (DNS for MX)")

LEVELS = ("none", "may", "encrypt", "verify", "secure")
CERTS = ("right", "wrong", "untrusted", "selfsigned")
MODES = ("first", "after-may", "after-same")
PEER_ADDRESS = {"right": "127.0.0.2", "wrong": "127.0.0.3",
                "untrusted": "127.0.0.4", "selfsigned": "127.0.0.5",
                "wrong12": "127.0.0.6"}
# what the smtp client says when verification fails, per certificate
REASON = {"wrong": "hostname mismatch", "wrong12": "hostname mismatch",
          "untrusted": "unable to get local issuer certificate",
          "selfsigned": "self.signed certificate"}
SENDER = "user@example.test"

CASES = [(level, cert, mode) for level in LEVELS for cert in CERTS
         for mode in MODES]
# the audit's attack once more over TLS 1.2 (session IDs and tickets)
CASES += [(level, "wrong12", mode) for level in ("may", "verify", "secure")
          for mode in ("first", "after-may")]


def case_name(level, cert, mode):
    return "%s-%s-%s" % (level, cert, mode)


def domain(name):
    return name + ".test"


def mx_host(name):
    return "mx-%s.test" % name


def prime_domain(name, mode):
    return ("p-" if mode == "after-may" else "q-") + name + ".test"


class RecordingContext:
    """An ssl.SSLContext for smtp_peer.Peer that notes, per handshake,
    whether the client resumed a session (the peer's own view)."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.reused = []
        self.lock = threading.Lock()

    def wrap_socket(self, sock, server_side):
        s = self.ctx.wrap_socket(sock, server_side=server_side)
        with self.lock:
            self.reused.append(s.session_reused)
        return s

    def count(self):
        with self.lock:
            return len(self.reused)


def expected(level, cert, mode):
    """(sent, tag of the established line or None, reason, resumed)"""
    tls = level != "none"
    trusted = cert in ("right", "wrong", "wrong12")
    named = cert == "right"
    strict = level in ("verify", "secure")
    sent = named or not strict
    tag = None
    if tls and sent:
        tag = "Verified" if strict else "Trusted" if trusted else "Untrusted"
    if not tls or not sent or mode == "first":
        resumed = False
    elif mode == "after-may":
        resumed = level == "may"
    else:
        # secure matches names from the next hop, which differs
        resumed = level in ("may", "encrypt") or (level == "verify" and named)
    return sent, tag, None if sent else REASON[cert], resumed


def free_port_on(addresses):
    import socket
    for _ in range(50):
        port = si.free_port()
        ok = True
        for a in addresses:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.bind((a, port))
            except OSError:
                ok = False
            finally:
                s.close()
        if ok:
            return port
    raise RuntimeError("no port free on %s" % (addresses,))


class World:
    """The instance, the peers and DNS shared by every case."""

    def __init__(self, sluice_bin, instances_root):
        self.started = []
        self.dir = tempfile.mkdtemp(prefix="tls-session-certs-",
                                    dir=instances_root)
        os.chmod(self.dir, 0o755)
        self.inst = None
        self.dns = None
        self.peers = {}
        self.records = {}
        certs = CertMaker(self.dir)
        ca = certs.ca("Sluice Test CA")
        other_ca = certs.ca("Unknown CA")
        names = []
        for level, cert, mode in CASES:
            n = case_name(level, cert, mode)
            names += [domain(n), mx_host(n)]
        made = {
            # through an intermediate: a resumed session must keep the
            # chain the peer sent, or its re-check would fail
            "right": certs.leaf("right", names,
                                certs.intermediate("Sluice Sub CA", ca)),
            "wrong": certs.leaf("wrong", ["evil.test"], ca),
            "untrusted": certs.leaf("untrusted", names, other_ca),
            "selfsigned": certs.self_signed("selfsigned", names),
        }
        made["wrong12"] = made["wrong"]
        self.port = free_port_on(PEER_ADDRESS.values())
        for kind, (cert, key) in made.items():
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            if kind == "wrong12":
                ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            ctx.load_cert_chain(cert, key)
            self.records[kind] = RecordingContext(ctx)
            self.peers[kind] = Peer(address=PEER_ADDRESS[kind],
                                    port=self.port,
                                    tls_context=self.records[kind])
        records, policy = [], []
        for level, cert, mode in CASES:
            n = case_name(level, cert, mode)
            mx = mx_host(n)[:-len(".test")]
            records += ["%s IN MX 10 %s" % (n, mx),
                        "%s IN A %s" % (mx, PEER_ADDRESS[cert])]
            policy.append("%s=%s" % (domain(n), level))
            if mode != "first":
                records.append("%s IN MX 10 %s"
                               % (prime_domain(n, mode)[:-len(".test")], mx))
            if mode == "after-same":
                policy.append("%s=%s" % (prime_domain(n, mode), level))
        self.dns = DNSServer({"test": zone("test", records)})
        self.dns.start()
        self.inst = si.Instance(sluice_bin, os.path.join(
            instances_root, os.path.basename(self.dir) + "-inst"))
        self.inst.init()
        os.chmod(self.inst.dir, 0o755)
        params = dict(DEFAULT_MAIN)
        params.update({
            "dns_resolver_address": self.dns.resolver_address,
            "smtp_tcp_port": str(self.port),
            "smtp_connect_timeout": "5s",
            # a new connection (and handshake) for every delivery
            "smtp_connection_cache_time_limit": "0s",
            "smtp_tls_security_level": "may",
            "smtp_tls_CAfile": ca[0],
            "smtp_tls_policy_maps": "inline:{ %s }" % ", ".join(policy),
            # deferred mail stays put while the cases run
            "minimal_backoff_time": "3600s",
            "maximal_backoff_time": "3600s",
            "queue_run_delay": "3600s",
            # one smtp process, kept: one session cache for every case
            "max_use": "10000",
            "max_idle": "600s",
        })
        self.inst.set_main(params)
        master = self.inst.master_cf().split("\n")
        line = [l for l in master if l.split()[:2] == ["smtp", "unix"]][0]
        fields = line.split()
        fields[6] = "1"
        self.inst.edit_master_line("smtp", "  ".join(fields))
        self.inst.start()

    def stop(self):
        problems = []
        if self.inst is not None:
            self.inst.stop()
            problems = self.inst.sanitizer_reports()
        if self.dns is not None:
            self.dns.stop()
        for p in self.peers.values():
            p.stop()
        return problems


@pytest.fixture(scope="module")
def world(sluice_bin, instances_root):
    w = None
    try:
        w = World(sluice_bin, instances_root)
        yield w
    finally:
        problems = w.stop() if w is not None else []
        if w is not None and w.inst is not None:
            print("instance %s; last maillog lines:\n%s" % (
                w.inst.dir, "\n".join(w.inst.maillog().split("\n")[-30:])))
        if w is not None:
            shutil.rmtree(w.dir, ignore_errors=True)
    if problems:
        pytest.fail("sanitizer report or panic:\n" + "\n".join(problems[:40]),
                    pytrace=False)


def send(inst, rcpt):
    with inst.smtp(timeout=10) as s:
        s.ehlo("client.example")
        code, resp = s.mail(SENDER)
        assert code == 250, resp
        code, resp = s.rcpt(rcpt)
        assert code == 250, resp
        code, resp = s.data(b"Subject: tls session policy\r\n\r\nhello\r\n")
        assert code == 250, resp
    qid = si.queued_id(resp)
    assert qid, resp
    return qid


def outcome(inst, qid, rcpt, offset=0):
    """The final status line of qid's delivery to rcpt (after offset)."""
    pattern = re.compile(r"%s: to=<%s>, .*status=(sent|deferred) .*"
                         % (qid, re.escape(rcpt)))
    found = si.wait_until(lambda: pattern.search(inst.maillog(), offset),
                          20.0, interval=0.05)
    assert found, "no outcome for %s in:\n%s" % (
        qid, inst.maillog()[offset:][-3000:])
    return found


@pytest.mark.parametrize("level, cert, mode", CASES,
                         ids=[case_name(*c) for c in CASES])
def test_tls_session_policy(world, level, cert, mode):
    inst, record = world.inst, world.records[cert]
    name = case_name(level, cert, mode)
    rcpt = "u@" + domain(name)
    relay = r"%s\[%s\]:%d" % (re.escape(mx_host(name)),
                              re.escape(PEER_ADDRESS[cert]), world.port)
    sent, tag, reason, resumed = expected(level, cert, mode)

    if mode != "first":
        # prime the cache: another domain, the same MX host and port
        before = record.count()
        prime = "u@" + prime_domain(name, mode)
        outcome(inst, send(inst, prime), prime)
        if mode == "after-may" or level != "none":
            assert si.wait_until(lambda: record.count() > before, 5.0), \
                "priming made no TLS handshake"

    offset = len(inst.maillog())
    before = record.count()
    qid = send(inst, rcpt)
    line = outcome(inst, qid, rcpt, offset).group(0)
    log = inst.maillog()[offset:]

    if level == "none":
        assert "status=sent" in line, line
        assert record.count() == before, "TLS at level none"
        assert not re.search(r"TLS connection established to %s" % relay,
                             log), log
        return
    # first what happened to the mail: that is the audit's finding
    if sent:
        assert "status=sent" in line, line
        m = re.search(r"(\w+) TLS connection established to %s: TLSv1\.[23] "
                      % relay, log)
        assert m and m.group(1) == tag, log
    else:
        peer = world.peers[cert]
        with peer.lock:
            got = [r for t in peer.transactions for r in t.rcpts]
        assert not [r for r in got if rcpt in r], \
            "mail for %s reached a peer that failed verification:\n%s" % (
                rcpt, log)
        assert re.search(r"dsn=4\.7\.5, status=deferred \(TLS handshake with "
                         r"%s\[%s\](:\d+)? failed: server certificate "
                         r"verification failed: %s"
                         % (re.escape(mx_host(name)),
                            re.escape(PEER_ADDRESS[cert]), reason), line), line
        assert not re.search(r"TLS connection established to %s" % relay,
                             log), log
    # then the cache: one handshake, resumed exactly where the same checks
    # apply (the peer's view), and a resumed session is logged as such
    assert si.wait_until(lambda: record.count() > before, 5.0), \
        "no TLS handshake for %s" % name
    with record.lock:
        reused = record.reused[before:]
    assert reused == [resumed], (reused, log)
    assert bool(re.search(r"Reusing old TLS session with %s" % relay,
                          log)) == resumed, log
