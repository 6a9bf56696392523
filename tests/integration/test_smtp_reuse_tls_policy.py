"""A cached smtp connection is reused only under the TLS policy it was
made under (issue 14, follow-up of the TLS session cache fix).

smtp/reuse.c keeps one idle session per next hop.  The TLS policy for
that next hop is looked up in smtp_tls_policy_maps at every delivery; an
lmdb table rebuilt by sluice-map is reopened at the next lookup.  So the
policy can change while a session sits idle: here from "may" (made with
a self-signed certificate, "Untrusted") to "secure".  The second message
must not ride the old connection (that would deliver it to a peer that
fails verification): the client QUITs it, connects anew, and the new
handshake fails verification, so the message is deferred with 4.7.5 and
the peer never sees its recipient.  A control case keeps the policy and
must reuse the connection, so the check does not just disable reuse.
"""

import os
import re
import shutil
import ssl
import tempfile

import pytest

import sluice_instance as si
from smtp_peer import Peer
from tls_certs import CertMaker

SENDER = "user@example.test"
MESSAGE = (b"From: User <user@example.test>\r\n"
           b"Subject: reuse and TLS policy\r\n"
           b"\r\n"
           b"hello\r\n")


@pytest.fixture(scope="module")
def self_signed_tls(instances_root):
    """A server context with a self-signed certificate (fails verify)."""
    d = tempfile.mkdtemp(prefix="reuse-tls-certs-", dir=instances_root)
    try:
        cert, key = CertMaker(d).self_signed("peer", ["mx.example"])
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        yield ctx
    finally:
        shutil.rmtree(d, ignore_errors=True)


def write_policy(inst, hop, level):
    """DIR/etc/tls_policy with one entry, compiled to a new lmdb file."""
    with open(os.path.join(inst.etc, "tls_policy"), "w") as f:
        f.write("%s %s\n" % (hop, level))
    inst.compile_table("tls_policy")


def send(inst, rcpt):
    with inst.smtp(timeout=10) as s:
        s.ehlo("client.example")
        code, resp = s.mail(SENDER)
        assert code == 250, resp
        code, resp = s.rcpt(rcpt)
        assert code == 250, resp
        code, resp = s.data(MESSAGE)
        assert code == 250, resp
    qid = si.queued_id(resp)
    assert qid, resp
    return qid


def must_log(inst, pattern, timeout=20.0):
    found = inst.wait_log(pattern, timeout=timeout)
    assert found, "no log line matching %r in:\n%s" % (
        pattern, inst.maillog()[-3000:])
    return found


def one_smtp_process(inst):
    """maxproc 1: both messages go to the process holding the session."""
    line = [l for l in inst.master_cf().split("\n")
            if l.split()[:2] == ["smtp", "unix"]][0]
    fields = line.split()
    fields[6] = "1"
    inst.edit_master_line("smtp", "  ".join(fields))


@pytest.mark.parametrize("second", ["may", "secure"])
def test_reuse_follows_tls_policy(make_instance, self_signed_tls, second):
    with Peer(tls_context=self_signed_tls) as peer:
        hop = "[127.0.0.1]:%d" % peer.port
        inst = make_instance(
            delivery=True,
            main={"relayhost": hop,
                  "smtp_connection_cache_time_limit": "60s",
                  "smtp_tls_security_level": "none",
                  "smtp_tls_policy_maps":
                      "lmdb:$config_directory/tls_policy",
                  # a deferred message stays put while the test looks
                  "minimal_backoff_time": "3600s",
                  "maximal_backoff_time": "3600s",
                  "queue_run_delay": "3600s",
                  "max_idle": "600s"},
            master=one_smtp_process,
            before_start=lambda i: write_policy(i, hop, "may"))

        first = send(inst, "a@dest.test")
        must_log(inst, r"%s: to=<a@dest.test>.*status=sent" % first)
        must_log(inst, r"Untrusted TLS connection established to "
                 r"127\.0\.0\.1\[127\.0\.0\.1\]:%d" % peer.port)
        assert si.wait_until(lambda: len(peer.transactions) == 1 and
                             peer.transactions[0].data is not None, 10.0)
        assert peer.connections == 1

        # the table is rebuilt while the session sits idle in the agent
        write_policy(inst, hop, second)
        offset = len(inst.maillog())
        qid = send(inst, "b@dest.test")
        line = must_log(inst, r"%s: to=<b@dest.test>, .*status=(sent|"
                        r"deferred) .*" % qid).group(0)
        log = inst.maillog()[offset:]
        with peer.lock:
            got = [r for t in peer.transactions for r in t.rcpts]

        if second == "may":
            # the same policy: the connection is reused, with RSET
            assert "status=sent" in line, line
            assert peer.connections == 1, log
            assert "RSET" in peer.commands
            assert "TLS policy changed" not in log, log
            return
        # a stronger policy: the mail must not reach the unverified peer
        assert not [r for r in got if "b@dest.test" in r], \
            "mail rode the connection made at level may:\n%s" % log
        assert re.search(r"dsn=4\.7\.5, status=deferred \(TLS handshake "
                         r"with 127\.0\.0\.1\[127\.0\.0\.1\](:\d+)? failed: "
                         r"server certificate verification failed", line), line
        assert "127.0.0.1[127.0.0.1]:%d: TLS policy changed since the " \
            "connection was made; not reusing it" % peer.port in log, log
        # the old session got QUIT, the new one was a new connection
        assert si.wait_until(lambda: peer.connections == 2, 5.0), \
            peer.connections
        assert "QUIT" in peer.commands
