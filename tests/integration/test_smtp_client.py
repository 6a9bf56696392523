"""The smtp/lmtp client delivery agent against peers on loopback.

Sluice relays through relayhost = [127.0.0.1]:PORT (or a transport_maps
entry) to smtp_peer.Peer, a scripted server that records the bytes it
got, and answers with configured codes: delivered bytes (CRLF, dot
stuffing), DSN parameters, PIPELINING, 4xx deferral with the remote text
as the delay reason, 5xx bounce with an "smtp; 550 ..." Diagnostic-Code,
BDAT, LMTP per-recipient replies; and, when Debian's smtp-sink is
installed, a run against it.
"""

import email
import email.policy
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest

import sluice_instance as si
from smtp_peer import Peer

SENDER = "user@example.test"


def relay_instance(make_instance, peer_port, **main):
    params = {"relayhost": "[127.0.0.1]:%d" % peer_port,
              "smtp_connection_cache_time_limit": "0s"}
    params.update(main)
    return make_instance(delivery=True, main=params)


def send(inst, rcpts, data, mail_options=(), rcpt_options=(), sender=SENDER):
    with inst.smtp(timeout=10) as s:
        s.ehlo("client.example")
        code, resp = s.mail(sender, list(mail_options))
        assert code == 250, resp
        for r in rcpts:
            code, resp = s.rcpt(r, list(rcpt_options))
            assert code == 250, resp
        code, resp = s.data(data)
        assert code == 250, resp
    qid = si.queued_id(resp)
    assert qid, resp
    return qid


def must_log(inst, pattern, timeout=20.0):
    """The first match of pattern in the maillog; fails after timeout."""
    found = inst.wait_log(pattern, timeout=timeout)
    assert found, "no log line matching %r in:\n%s" % (
        pattern, inst.maillog()[-3000:])
    return found


def wait_for(predicate, timeout=20.0):
    return si.wait_until(predicate, timeout, interval=0.05)


def queue_json(inst):
    r = inst.tool("sluice-queue", "-c", inst.etc, "-j", text=True)
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


MESSAGE = (b"From: User <user@example.test>\r\n"
           b"To: someone@dest.test\r\n"
           b"Subject: relay test\r\n"
           b"\r\n"
           b"first line\r\n"
           b".leading dot\r\n"
           b"..two dots\r\n"
           b"last line\r\n")


def test_relay_bytes_pipelining_and_log(make_instance):
    with Peer() as peer:
        inst = relay_instance(make_instance, peer.port)
        qid = send(inst, ["a@dest.test", "b@dest.test"], MESSAGE)
        assert wait_for(lambda: peer.transactions and
                        peer.transactions[-1].data is not None), peer.commands
        inst.wait_queue_empty(timeout=20)
        txn = peer.transactions[0]
        assert txn.mail.startswith("MAIL FROM:<user@example.test>")
        assert " SIZE=" in txn.mail
        assert [r.split()[1] for r in txn.rcpts] == \
            ["TO:<a@dest.test>", "TO:<b@dest.test>"]
        data = txn.data
        # every line ends in CRLF, leading dots doubled, one final dot
        assert data.endswith(b"\r\nlast line\r\n.\r\n")
        assert b"\r\n..leading dot\r\n...two dots\r\n" in data
        assert b"\n" not in data.replace(b"\r\n", b"")
        assert b"Subject: relay test\r\n" in data
        # PIPELINING: MAIL, both RCPTs and DATA came in one segment
        seg = [s for s in peer.segments if s.startswith(b"MAIL FROM")]
        assert seg, peer.segments
        assert seg[0].count(b"RCPT TO") == 2 and seg[0].endswith(b"DATA\r\n")
        log = must_log(inst, r"%s: to=<a@dest.test>, relay=127\.0\.0\.1"
                            r"\[127\.0\.0\.1\]:%d, delay=\S+, dsn=2\.0\.0, "
                            r"status=sent \(250 2\.0\.0 Ok: queued as PEER1\)"
                            % (qid, peer.port))
        assert log


def test_no_pipelining_one_command_at_a_time(make_instance):
    with Peer(features=("SIZE", "8BITMIME")) as peer:
        inst = relay_instance(make_instance, peer.port)
        send(inst, ["a@dest.test", "b@dest.test"], MESSAGE)
        assert wait_for(lambda: peer.transactions and
                        peer.transactions[-1].data is not None)
        assert not [s for s in peer.segments if b"RCPT" in s and b"MAIL" in s]
        inst.wait_queue_empty(timeout=20)


def test_dsn_parameters_passed_on(make_instance):
    with Peer(features=("PIPELINING", "DSN", "8BITMIME")) as peer:
        inst = relay_instance(make_instance, peer.port)
        send(inst, ["a@dest.test"], MESSAGE,
             mail_options=["RET=HDRS", "ENVID=env+2Bid"],
             rcpt_options=["NOTIFY=SUCCESS,FAILURE",
                           "ORCPT=rfc822;orig+2Bx@dest.test"])
        assert wait_for(lambda: peer.transactions and
                        peer.transactions[-1].data is not None)
        txn = peer.transactions[0]
        assert "RET=HDRS" in txn.mail
        assert "ENVID=env+2Bid" in txn.mail
        rcpt = txn.rcpts[0]
        assert "NOTIFY=SUCCESS,FAILURE" in rcpt
        assert "ORCPT=rfc822;orig+2Bx@dest.test" in rcpt


def test_no_dsn_parameters_without_dsn(make_instance):
    with Peer(features=("PIPELINING",)) as peer:
        inst = relay_instance(make_instance, peer.port)
        send(inst, ["a@dest.test"], MESSAGE, mail_options=["RET=HDRS"],
             rcpt_options=["NOTIFY=FAILURE"])
        assert wait_for(lambda: peer.transactions and
                        peer.transactions[-1].data is not None)
        txn = peer.transactions[0]
        assert "RET=" not in txn.mail and "NOTIFY" not in txn.rcpts[0]


def test_8bit_body_uses_8bitmime(make_instance):
    with Peer() as peer:
        inst = relay_instance(make_instance, peer.port)
        send(inst, ["a@dest.test"], MESSAGE + "caf\u00e9\r\n".encode(),
             mail_options=["BODY=8BITMIME"])
        assert wait_for(lambda: peer.transactions and
                        peer.transactions[-1].data is not None)
        assert "BODY=8BITMIME" in peer.transactions[0].mail
        assert "caf\u00e9\r\n.\r\n".encode() in peer.transactions[0].data


def test_rcpt_4xx_defers_with_remote_text(make_instance):
    with Peer(rcpt_replies={"soft@dest.test":
                            "450 4.2.0 <soft@dest.test>: mailbox busy"}) as peer:
        inst = relay_instance(make_instance, peer.port)
        qid = send(inst, ["ok@dest.test", "soft@dest.test"], MESSAGE)
        must_log(inst, r"%s: to=<soft@dest.test>.*status=deferred" % qid)
        msgs = wait_for(lambda: [m for m in queue_json(inst)
                                 if m["queue_id"] == qid and
                                 m["queue_name"] == "deferred"])
        assert msgs, queue_json(inst)
        rcpts = msgs[0]["recipients"]
        assert [r["address"] for r in rcpts] == ["soft@dest.test"]
        assert rcpts[0]["delay_reason"] == (
            "host 127.0.0.1[127.0.0.1] said: 450 4.2.0 <soft@dest.test>: "
            "mailbox busy (in reply to RCPT TO command)")
        # the accepted recipient was delivered once
        assert len(peer.transactions[0].rcpts) == 1


def test_rcpt_5xx_bounces_with_diagnostic(make_instance):
    with Peer(rcpt_replies={"nobody@dest.test":
                            "550 5.1.1 <nobody@dest.test>: User unknown"}) as peer:
        inst = relay_instance(make_instance, peer.port)
        qid = send(inst, ["nobody@dest.test"], MESSAGE)
        must_log(inst, r"%s: to=<nobody@dest.test>, relay=127\.0\.0\.1"
                      r"\[127\.0\.0\.1\]:%d, .*dsn=5\.1\.1, status=bounced "
                      r"\(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 550 5\.1\.1 "
                      r"<nobody@dest\.test>: User unknown \(in reply to RCPT "
                      r"TO command\)\)" % (qid, peer.port))
        paths = inst.wait_maildir(inst.vmaildir("user"), 1, timeout=30)
        assert paths
        msg = email.message_from_bytes(si.read_bytes(paths[0]),
                                       policy=email.policy.compat32)
        assert msg.get_content_type() == "multipart/report"
        text = si.read_bytes(paths[0]).decode("utf-8", "replace")
        assert re.search(r"Diagnostic-Code: smtp; 550 5\.1\.1 "
                         r"<nobody@dest\.test>: User unknown", text), text
        assert "Status: 5.1.1" in text
        inst.wait_queue_empty(timeout=20)


def test_mail_5xx_bounces_everyone(make_instance):
    with Peer(answers={"MAIL": "553 5.7.1 sender rejected"}) as peer:
        inst = relay_instance(make_instance, peer.port)
        qid = send(inst, ["a@dest.test", "b@dest.test"], MESSAGE)
        for r in ("a", "b"):
            must_log(inst, r"%s: to=<%s@dest.test>.*dsn=5\.7\.1, "
                          r"status=bounced .*in reply to MAIL FROM command"
                          % (qid, r))


def test_data_4xx_defers(make_instance):
    with Peer(answers={"DOT": "451 4.3.0 try later"}) as peer:
        inst = relay_instance(make_instance, peer.port)
        qid = send(inst, ["a@dest.test"], MESSAGE)
        must_log(inst, r"%s: to=<a@dest.test>.*dsn=4\.3\.0, status=deferred "
                      r"\(host .* said: 451 4\.3\.0 try later \(in reply to "
                      r"end of DATA command\)\)" % qid)


def test_connection_refused_defers(make_instance):
    port = si.free_port()
    inst = relay_instance(make_instance, port)
    qid = send(inst, ["a@dest.test"], MESSAGE)
    must_log(inst, r"%s: to=<a@dest.test>, relay=none, .*dsn=4\.4\.1, "
                  r"status=deferred \(connect to 127\.0\.0\.1\[127\.0\.0\.1\]"
                  r":%d: Connection refused\)" % (qid, port))


def test_greeting_421_defers(make_instance):
    with Peer(answers={"EHLO": "421 4.3.2 go away"}) as peer:
        inst = relay_instance(make_instance, peer.port)
        qid = send(inst, ["a@dest.test"], MESSAGE)
        must_log(inst, r"%s: to=<a@dest.test>, relay=none, .*status=deferred "
                      r"\(host .* said: 421 4\.3\.2 go away" % qid)


def test_chunking_uses_bdat(make_instance):
    with Peer(features=("PIPELINING", "CHUNKING", "8BITMIME")) as peer:
        inst = relay_instance(make_instance, peer.port)
        send(inst, ["a@dest.test"], MESSAGE)
        assert wait_for(lambda: peer.transactions and
                        peer.transactions[-1].bdat is not None and
                        peer.transactions[-1].bdat_commands[-1].endswith(
                            "LAST"))
        body = peer.transactions[0].bdat
        # BDAT: CRLF, but no dot stuffing and no final dot
        assert body.endswith(b"\r\n.leading dot\r\n..two dots\r\nlast line\r\n")
        inst.wait_queue_empty(timeout=20)


def test_size_limit_of_peer_bounces(make_instance):
    with Peer(features=("PIPELINING", "SIZE 100")) as peer:
        inst = relay_instance(make_instance, peer.port)
        qid = send(inst, ["a@dest.test"], MESSAGE + b"x" * 200 + b"\r\n")
        must_log(inst, r"%s: to=<a@dest.test>.*dsn=5\.3\.4, status=bounced "
                      r"\(message size \d+ exceeds size limit 100" % qid)
        assert not peer.transactions


def test_connection_reuse(make_instance):
    with Peer() as peer:
        inst = relay_instance(make_instance, peer.port,
                              smtp_connection_cache_time_limit="5s")
        send(inst, ["a@dest.test"], MESSAGE)
        assert wait_for(lambda: len(peer.transactions) == 1 and
                        peer.transactions[0].data is not None)
        send(inst, ["b@dest.test"], MESSAGE)
        assert wait_for(lambda: len(peer.transactions) == 2 and
                        peer.transactions[1].data is not None)
        assert peer.connections == 1
        assert "RSET" in peer.commands
        # pipelined: the check costs no round trip of its own
        assert any(seg.startswith(b"RSET\r\nMAIL FROM:<")
                   for seg in peer.segments)


def test_reused_session_found_closed_is_replaced(make_instance):
    """The server dropped the cached session: the next message goes
    over a new one at once instead of being deferred."""
    with Peer(hangup_after_data=True) as peer:
        inst = relay_instance(make_instance, peer.port,
                              smtp_connection_cache_time_limit="30s")
        send(inst, ["a@dest.test"], MESSAGE)
        assert wait_for(lambda: len(peer.transactions) == 1 and
                        peer.transactions[0].data is not None)
        time.sleep(0.3)
        qid = send(inst, ["b@dest.test"], MESSAGE)
        assert wait_for(lambda: len(peer.transactions) == 2 and
                        peer.transactions[1].data is not None)
        must_log(inst, r"%s: to=<b@dest.test>.*status=sent" % qid)
        assert peer.connections == 2
        assert "deferred" not in inst.maillog()
        inst.wait_queue_empty(timeout=20)


def free_port_on(*addresses):
    """A TCP port free on every one of addresses."""
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
    raise RuntimeError("no common free port")


MX_ZONE = ["fallback IN MX 10 mx1.fallback",
           "fallback IN MX 20 mx2.fallback",
           "mx1.fallback IN A 127.0.0.2",
           "mx2.fallback IN A 127.0.0.3",
           "pref IN MX 20 mx2.fallback",
           "pref IN MX 10 mx1.fallback",
           "nullmx IN MX 0 .",
           "nomx IN A 127.0.0.3"]


@pytest.fixture
def dns_zone():
    from dns_server import DNSServer, require_nsd, zone
    require_nsd()
    srv = DNSServer({"test": zone("test", MX_ZONE)})
    srv.start()
    yield srv
    srv.stop()


def mx_instance(make_instance, dns_zone, port):
    return make_instance(delivery=True, main={
        "dns_resolver_address": dns_zone.resolver_address,
        "smtp_tcp_port": str(port),
        "smtp_connect_timeout": "5s",
        "smtp_connection_cache_time_limit": "0s"})


def test_mx_fallback_second_host(make_instance, dns_zone):
    port = free_port_on("127.0.0.2", "127.0.0.3")
    with Peer(address="127.0.0.3", port=port) as peer:
        inst = mx_instance(make_instance, dns_zone, port)
        qid = send(inst, ["a@fallback.test"], MESSAGE)
        must_log(inst, r"connect to mx1\.fallback\.test\[127\.0\.0\.2\]:%d: "
                 r"Connection refused" % port)
        must_log(inst, r"%s: to=<a@fallback.test>, relay=mx2\.fallback\.test"
                 r"\[127\.0\.0\.3\]:%d, .*status=sent" % (qid, port))
        assert len(peer.transactions) == 1


def test_mx_preference_order(make_instance, dns_zone):
    port = free_port_on("127.0.0.2", "127.0.0.3")
    with Peer(address="127.0.0.2", port=port) as low, \
            Peer(address="127.0.0.3", port=port) as high:
        inst = mx_instance(make_instance, dns_zone, port)
        qid = send(inst, ["a@pref.test"], MESSAGE)
        must_log(inst, r"%s: to=<a@pref.test>, relay=mx1\.fallback\.test"
                 r"\[127\.0\.0\.2\]:%d, .*status=sent" % (qid, port))
        assert len(low.transactions) == 1 and high.connections == 0


def test_no_mx_uses_address_record(make_instance, dns_zone):
    port = free_port_on("127.0.0.3")
    with Peer(address="127.0.0.3", port=port) as peer:
        inst = mx_instance(make_instance, dns_zone, port)
        qid = send(inst, ["a@nomx.test"], MESSAGE)
        must_log(inst, r"%s: to=<a@nomx.test>, relay=nomx\.test"
                 r"\[127\.0\.0\.3\]:%d, .*status=sent" % (qid, port))
        assert len(peer.transactions) == 1


def test_null_mx_bounces_at_once(make_instance, dns_zone):
    inst = mx_instance(make_instance, dns_zone, free_port_on("127.0.0.1"))
    qid = send(inst, ["a@nullmx.test"], MESSAGE)
    must_log(inst, r"%s: to=<a@nullmx.test>, relay=none, .*dsn=5\.1\.10, "
             r"status=bounced \(nexthop nullmx\.test does not accept mail"
             % qid)
    assert inst.wait_maildir(inst.vmaildir("user"), 1, timeout=30)


def test_dns_failure_defers(make_instance, dns_zone):
    # the server answers REFUSED for names outside its zones: SERVFAIL-like
    inst = mx_instance(make_instance, dns_zone, free_port_on("127.0.0.1"))
    qid = send(inst, ["a@elsewhere.example"], MESSAGE)
    must_log(inst, r"%s: to=<a@elsewhere.example>, relay=none, .*dsn=4\.4\.3, "
             r"status=deferred" % qid)


def test_lmtp_per_recipient_replies(make_instance):
    with Peer(lmtp=True, features=("PIPELINING", "ENHANCEDSTATUSCODES"),
              lmtp_replies={"full@lmtp.test": "452 4.2.2 <full@lmtp.test> "
                            "mailbox full",
                            "gone@lmtp.test": "550 5.1.1 <gone@lmtp.test> "
                            "no such user"}) as peer:
        maps = "inline:{ {lmtp.test = lmtp:inet:127.0.0.1:%d} }" % peer.port
        inst = make_instance(delivery=True, main={
            "transport_maps": maps,
            "smtp_connection_cache_time_limit": "0s"})
        qid = send(inst, ["ok@lmtp.test", "full@lmtp.test", "gone@lmtp.test"],
                   MESSAGE)
        must_log(inst, r"%s: to=<ok@lmtp.test>.*status=sent \(250 2\.0\.0 "
                      r"<ok@lmtp.test> delivered\)" % qid)
        must_log(inst, r"%s: to=<full@lmtp.test>.*dsn=4\.2\.2, status=deferred"
                      % qid)
        must_log(inst, r"%s: to=<gone@lmtp.test>.*dsn=5\.1\.1, status=bounced"
                      % qid)
        assert any(c.startswith("LHLO ") for c in peer.commands)
        assert peer.transactions[0].data.endswith(b"last line\r\n.\r\n")


SMTP_SINK = "/usr/sbin/smtp-sink"


@pytest.mark.skipif(not os.access(SMTP_SINK, os.X_OK),
                    reason="smtp-sink (postfix package) not installed")
@pytest.mark.parametrize("options,status", [
    ([], "sent"),
    (["-r", "RCPT"], "deferred"),
    (["-f", "RCPT"], "bounced"),
])
def test_against_smtp_sink(make_instance, options, status):
    port = si.free_port()
    # smtp-sink runs as nobody: pytest's tmp_path (0700) is out of reach
    dump = tempfile.mkdtemp(prefix="sluice-smtp-sink-")
    os.chmod(dump, 0o777)
    # as root smtp-sink must drop to a user (-u); unprivileged it cannot
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    proc = subprocess.Popen([SMTP_SINK] + user + ["-d",
                             dump + "/%M."] + options +
                            ["127.0.0.1:%d" % port, "10"],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: si.port_listening(port), 10)
        inst = relay_instance(make_instance, port)
        qid = send(inst, ["a@dest.test"], MESSAGE)
        line = must_log(inst, r"%s: to=<a@dest.test>.*status=%s \((.*)\)$"
                        % (qid, status))
        if status == "sent":
            files = wait_for(lambda: os.listdir(dump), 10)
            assert files
            got = si.read_bytes(os.path.join(dump, files[0]))
            # smtp-sink stores LF lines, dot stuffing undone: what we sent
            assert b"Subject: relay test\n" in got
            assert b"\nfirst line\n.leading dot\n..two dots\nlast line\n" \
                in got
        else:
            # the remote's own words, Postfix style
            assert re.match(r"host 127\.0\.0\.1\[127\.0\.0\.1\] said: "
                            r"%s.*\(in reply to RCPT TO command\)"
                            % ("4" if status == "deferred" else "5"),
                            line.group(1)), line.group(1)
        if status == "bounced":
            assert inst.wait_maildir(inst.vmaildir("user"), 1, timeout=30)
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        shutil.rmtree(dump, ignore_errors=True)


# --- STARTTLS and SASL ---------------------------------------------------

def self_signed_server_context(tmp_path_factory, maximum_version=None):
    """A server-side ssl context with a self-signed certificate made now,
    optionally capped at a TLS version."""
    import ssl
    d = tmp_path_factory.mktemp("tls")
    key, cert = str(d / "key.pem"), str(d / "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=peer.test"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if maximum_version is not None:
        ctx.maximum_version = maximum_version
    ctx.load_cert_chain(cert, key)
    return ctx


@pytest.fixture(scope="module")
def server_tls(tmp_path_factory):
    return self_signed_server_context(tmp_path_factory)


def test_starttls_at_level_may(make_instance, server_tls):
    with Peer(tls_context=server_tls) as peer:
        inst = relay_instance(make_instance, peer.port,
                              smtp_tls_security_level="may")
        qid = send(inst, ["a@dest.test"], MESSAGE)
        must_log(inst, r"%s: to=<a@dest.test>.*status=sent" % qid)
        must_log(inst, r"Untrusted TLS connection established to "
                 r"127\.0\.0\.1\[127\.0\.0\.1\]:%d: TLSv1\.[23]" % peer.port)
        assert peer.tls_sessions == 1
        # EHLO again after the handshake, then the transaction
        ehlos = [c for c in peer.commands if c.startswith("EHLO")]
        assert len(ehlos) == 2
        assert peer.commands.index("STARTTLS") < \
            [i for i, c in enumerate(peer.commands)
             if c.startswith("MAIL")][0]


def test_level_may_without_starttls_goes_plain(make_instance):
    with Peer() as peer:
        inst = relay_instance(make_instance, peer.port,
                              smtp_tls_security_level="may")
        qid = send(inst, ["a@dest.test"], MESSAGE)
        must_log(inst, r"%s: to=<a@dest.test>.*status=sent" % qid)
        assert "STARTTLS" not in peer.commands


def test_level_may_failed_handshake_retries_plain(make_instance):
    with Peer(starttls_break=True) as peer:
        inst = relay_instance(make_instance, peer.port,
                              smtp_tls_security_level="may")
        qid = send(inst, ["a@dest.test"], MESSAGE)
        must_log(inst, r"%s: to=<a@dest.test>.*status=sent" % qid)
        must_log(inst, r"retrying without TLS")
        assert peer.connections == 2


def test_level_encrypt_requires_starttls(make_instance):
    with Peer() as peer:
        inst = relay_instance(make_instance, peer.port,
                              smtp_tls_security_level="encrypt")
        qid = send(inst, ["a@dest.test"], MESSAGE)
        must_log(inst, r"%s: to=<a@dest.test>, relay=none, .*dsn=4\.7\.5, "
                 r"status=deferred \(TLS is required, but STARTTLS was not "
                 r"offered by host 127\.0\.0\.1\[127\.0\.0\.1\]\)" % qid)
        assert not peer.transactions


@pytest.fixture(scope="module")
def server_tls12(tmp_path_factory):
    """A server that stops at TLS 1.2."""
    import ssl
    return self_signed_server_context(tmp_path_factory,
                                      ssl.TLSVersion.TLSv1_2)


@pytest.mark.parametrize("level, sent", [("may", True), ("encrypt", False)])
def test_mandatory_protocols_where_tls_is_required(make_instance,
                                                    server_tls12, level,
                                                    sent):
    """smtp_tls_mandatory_protocols rules at encrypt and up,
    smtp_tls_protocols at may (as in Postfix)."""
    with Peer(tls_context=server_tls12) as peer:
        inst = relay_instance(make_instance, peer.port,
                              smtp_tls_security_level=level,
                              smtp_tls_mandatory_protocols="TLSv1.3")
        qid = send(inst, ["a@dest.test"], MESSAGE)
        if sent:
            must_log(inst, r"%s: to=<a@dest.test>.*status=sent" % qid)
            must_log(inst, r"TLS connection established to .*: TLSv1\.2 ")
        else:
            must_log(inst, r"%s: to=<a@dest.test>.*dsn=4\.7\.5, "
                     r"status=deferred \(TLS handshake with .* failed" % qid)
            assert not peer.transactions


def test_level_verify_refuses_self_signed(make_instance, server_tls):
    with Peer(tls_context=server_tls) as peer:
        inst = relay_instance(make_instance, peer.port,
                              smtp_tls_security_level="verify")
        qid = send(inst, ["a@dest.test"], MESSAGE)
        must_log(inst, r"%s: to=<a@dest.test>.*dsn=4\.7\.5, status=deferred "
                 r"\(TLS handshake with .* failed" % qid)
        assert not peer.transactions


def test_tls_policy_maps_per_destination(make_instance):
    with Peer() as peer:
        hop = "[127.0.0.1]:%d" % peer.port
        inst = relay_instance(
            make_instance, peer.port,
            smtp_tls_policy_maps="inline:{ {%s = encrypt} }" % hop)
        qid = send(inst, ["a@dest.test"], MESSAGE)
        must_log(inst, r"%s: to=<a@dest.test>.*dsn=4\.7\.5, status=deferred"
                 % qid)


def test_sasl_plain_over_tls(make_instance, server_tls):
    with Peer(tls_context=server_tls,
              features=("PIPELINING", "AUTH PLAIN LOGIN")) as peer:
        hop = "[127.0.0.1]:%d" % peer.port
        inst = relay_instance(
            make_instance, peer.port, smtp_tls_security_level="may",
            smtp_sasl_auth_enable="yes",
            smtp_sasl_password_maps="inline:{ {%s = joe:s3cret} }" % hop)
        qid = send(inst, ["a@dest.test"], MESSAGE)
        must_log(inst, r"%s: to=<a@dest.test>.*status=sent" % qid)
        assert peer.auth == [[b"", b"joe", b"s3cret"]]


def test_sasl_not_sent_in_plaintext(make_instance):
    with Peer(features=("PIPELINING", "AUTH PLAIN LOGIN")) as peer:
        hop = "[127.0.0.1]:%d" % peer.port
        inst = relay_instance(
            make_instance, peer.port, smtp_sasl_auth_enable="yes",
            smtp_sasl_password_maps="inline:{ {%s = joe:s3cret} }" % hop)
        qid = send(inst, ["a@dest.test"], MESSAGE)
        must_log(inst, r"%s: to=<a@dest.test>.*status=sent" % qid)
        assert peer.auth == []
        assert not [c for c in peer.commands if c.startswith("AUTH")]


def test_sasl_failure_defers(make_instance, server_tls):
    with Peer(tls_context=server_tls, features=("AUTH PLAIN",),
              answers={"AUTH": "535 5.7.8 bad credentials"}) as peer:
        hop = "[127.0.0.1]:%d" % peer.port
        inst = relay_instance(
            make_instance, peer.port, smtp_tls_security_level="encrypt",
            smtp_sasl_auth_enable="yes",
            smtp_sasl_password_maps="inline:{ {%s = joe:wrong} }" % hop)
        qid = send(inst, ["a@dest.test"], MESSAGE)
        must_log(inst, r"%s: to=<a@dest.test>.*dsn=4\.7\.0, status=deferred "
                 r"\(SASL authentication failed" % qid)


# --- more protocol cases ---------------------------------------------------

def test_helo_fallback(make_instance):
    with Peer(answers={"EHLO": "502 5.5.2 no ESMTP here"}) as peer:
        inst = relay_instance(make_instance, peer.port)
        qid = send(inst, ["a@dest.test"], MESSAGE)
        must_log(inst, r"%s: to=<a@dest.test>.*status=sent" % qid)
        assert any(c.startswith("HELO ") for c in peer.commands)
        # no extensions after HELO: no SIZE parameter, no pipelining
        assert "SIZE=" not in peer.transactions[0].mail


def test_8bit_to_peer_without_8bitmime_bounces(make_instance):
    with Peer(features=("PIPELINING",)) as peer:
        inst = relay_instance(make_instance, peer.port)
        qid = send(inst, ["a@dest.test"], MESSAGE + "caf\u00e9\r\n".encode(),
                   mail_options=["BODY=8BITMIME"])
        must_log(inst, r"%s: to=<a@dest.test>.*dsn=5\.6\.3, status=bounced "
                 r"\(8-bit content, but 8BITMIME was not offered" % qid)
        assert not peer.transactions


def test_utf8_address_needs_smtputf8(make_instance):
    with Peer(features=("PIPELINING", "8BITMIME")) as peer:
        inst = relay_instance(make_instance, peer.port,
                              smtputf8_enable="yes")
        qid = send(inst, ["j\u00f6rg@dest.test"], MESSAGE,
                   mail_options=["SMTPUTF8"])
        must_log(inst, r"%s: to=<.*@dest.test>.*dsn=5\.6\.7, status=bounced "
                 r"\(SMTPUTF8 is required" % qid)
        assert not peer.transactions


def test_utf8_address_with_smtputf8(make_instance):
    with Peer(features=("PIPELINING", "8BITMIME", "SMTPUTF8")) as peer:
        inst = relay_instance(make_instance, peer.port,
                              smtputf8_enable="yes")
        send(inst, ["j\u00f6rg@dest.test"], MESSAGE, mail_options=["SMTPUTF8"])
        assert wait_for(lambda: peer.transactions and
                        peer.transactions[-1].data is not None)
        assert peer.transactions[0].mail.endswith(" SMTPUTF8")
        assert "j\u00f6rg@dest.test" in peer.transactions[0].rcpts[0]


def test_sender_dependent_relayhost(make_instance):
    with Peer() as peer:
        inst = make_instance(delivery=True, main={
            "sender_dependent_relayhost_maps":
                "inline:{ {@example.test = [127.0.0.1]:%d} }" % peer.port,
            "smtp_connection_cache_time_limit": "0s"})
        qid = send(inst, ["a@dest.test"], MESSAGE)
        must_log(inst, r"%s: to=<a@dest.test>, relay=127\.0\.0\.1\[127\.0\.0\.1"
                 r"\]:%d, .*status=sent" % (qid, peer.port))


def test_transport_maps_smtp_nexthop(make_instance):
    with Peer() as peer:
        inst = make_instance(delivery=True, main={
            "transport_maps":
                "inline:{ {dest.test = smtp:[127.0.0.1]:%d} }" % peer.port,
            "smtp_connection_cache_time_limit": "0s"})
        qid = send(inst, ["a@dest.test"], MESSAGE)
        must_log(inst, r"%s: to=<a@dest.test>.*status=sent" % qid)
