"""check_policy_service: policy delegation (Postfix's SMTPD_POLICY_README)
against a real instance.

A fake server (policy_peer.FakePolicyServer) checks every attribute of the
request and misbehaves on purpose: it hangs, closes, answers garbage or a
megabyte, or answers slowly; each gets smtpd_policy_service_default_action
(451 4.3.5 unless set) and the session goes on.  Debian's postgrey
greylists for real (a DEFER_IF_PERMIT first, then the mail is accepted
with its X-Greylist header), and policyd-spf judges the SPF record of a
zone served on a free loopback port (a fail is a 550 5.7.23, a pass
prepends Received-SPF); a PREPEND answer reaches the queue file.
"""

import os
import re
import shutil
import tempfile
import threading
import time

import pytest

import sluice_instance as si
from policy_peer import (FakePolicyServer, Postgrey, SpfPolicyServer,
                         postgrey_available, spf_available)

OUTSIDE = "127.0.0.2"       # not in mynetworks = 127.0.0.1/32
RCPT = "postmaster@localhost"

# the attributes Postfix 3.x sends, in its order (smtpd_check.c)
POSTFIX_ATTRIBUTES = [
    "request", "protocol_state", "protocol_name", "client_address",
    "client_name", "client_port", "reverse_client_name", "server_address",
    "server_port", "helo_name", "sender", "recipient", "recipient_count",
    "queue_id", "instance", "size", "etrn_domain", "stress", "sasl_method",
    "sasl_username", "sasl_sender", "ccert_subject", "ccert_issuer",
    "ccert_fingerprint", "ccert_pubkey_fingerprint", "encryption_protocol",
    "encryption_cipher", "encryption_keysize", "tls_sni", "policy_context",
    "compatibility_level", "mail_version",
]


@pytest.fixture
def peer_dir():
    """A directory the policy servers' own users can reach (pytest's
    tmp_path is 0700 under root's, and postgrey runs as postgrey)"""
    d = tempfile.mkdtemp(prefix="sluice-policy-", dir="/tmp")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def fake():
    srv = FakePolicyServer()
    yield srv
    srv.stop()


def policy_instance(make_instance, endpoint, **extra):
    main = {
        "mynetworks": "127.0.0.1/32",
        "smtpd_recipient_restrictions": "check_policy_service " + endpoint,
    }
    main.update(extra)
    return make_instance(main=main)


def start_mail(inst, source="127.0.0.1", sender="a@client.example",
               params=""):
    c = inst.raw(source=source)
    assert c.cmd("EHLO client.example").code == 250
    r = c.cmd("MAIL FROM:<%s>%s" % (sender, params))
    assert r.code == 250, r
    return c


def test_request_has_every_attribute(make_instance, fake):
    inst = policy_instance(make_instance, fake.endpoint,
                           smtpd_policy_service_policy_context="inbound")
    c = start_mail(inst, params=" SIZE=1234")
    assert c.cmd("RCPT TO:<%s>" % RCPT).code == 250
    assert c.cmd("RCPT TO:<MAILER-DAEMON@localhost>").code == 250
    assert c.cmd("RSET").code == 250
    assert c.cmd("MAIL FROM:<b@client.example>").code == 250
    assert c.cmd("RCPT TO:<%s>" % RCPT).code == 250
    port = c.local_port
    c.close()
    assert len(fake.requests) == 3, fake.requests
    first, second, third = fake.requests
    assert first["_order"] == POSTFIX_ATTRIBUTES
    want = {
        "request": "smtpd_access_policy", "protocol_state": "RCPT",
        "protocol_name": "ESMTP", "helo_name": "client.example",
        "queue_id": "", "sender": "a@client.example", "recipient": RCPT,
        "recipient_count": "0", "client_address": "127.0.0.1",
        "client_port": str(port), "size": "1234",
        "policy_context": "inbound", "server_address": "127.0.0.1",
        "server_port": str(inst.port), "sasl_method": "",
        "sasl_username": "", "encryption_protocol": "", "stress": "",
        "encryption_keysize": "0", "tls_sni": "", "etrn_domain": "",
        "compatibility_level": "3.6", "mail_version": "0.1",
    }
    for name, value in want.items():
        assert first[name] == value, (name, first)
    assert first["client_name"] and first["reverse_client_name"]
    assert re.fullmatch(r"[0-9a-f]+(\.[0-9a-f]+){3}", first["instance"])
    # one transaction, one instance; the next message gets another
    assert second["recipient"] == "MAILER-DAEMON@localhost"
    # Postfix counts recipients only from DATA on
    assert second["recipient_count"] == "0"
    assert second["instance"] == first["instance"]
    assert third["sender"] == "b@client.example"
    assert third["size"] == "0"
    assert third["instance"] != first["instance"]
    # one connection carried all three
    assert fake.connections == 1


def test_encryption_attributes_after_starttls(make_instance, fake):
    from test_starttls import make_cert, starttls

    def before(inst):
        cert, key = make_cert(inst)
        inst.set_main({"smtpd_tls_cert_file": cert,
                       "smtpd_tls_key_file": key,
                       "smtpd_tls_security_level": "may"})
    inst = make_instance(before_start=before, main={
        "mynetworks": "127.0.0.1/32",
        "smtpd_recipient_restrictions": "check_policy_service "
        + fake.endpoint})
    c = inst.raw()
    assert c.cmd("EHLO client.example").code == 250
    starttls(c)
    tls_version = c.sock.version()
    cipher, _, bits = c.sock.cipher()
    assert c.cmd("EHLO client.example").code == 250
    assert c.cmd("MAIL FROM:<a@client.example>").code == 250
    assert c.cmd("RCPT TO:<%s>" % RCPT).code == 250
    c.close()
    req = fake.requests[-1]
    assert req["encryption_protocol"] == tls_version, req
    assert req["encryption_cipher"] == cipher, req
    assert req["encryption_keysize"] == str(bits), req
    # no client certificate was asked for
    assert req["ccert_subject"] == "" and req["ccert_fingerprint"] == ""


@pytest.mark.parametrize("setting,pause,connections", [
    ({}, 1.2, 1),
    ({"smtpd_policy_service_request_limit": "1"}, 0, 3),
    ({"smtpd_policy_service_max_ttl": "1s"}, 1.2, 2),
    ({"smtpd_policy_service_max_idle": "1s"}, 1.2, 2),
])
def test_connection_reuse_limits(make_instance, fake, setting, pause,
                                 connections):
    """three requests: two at once, then one after a pause"""
    inst = policy_instance(make_instance, fake.endpoint, **setting)
    c = start_mail(inst)
    assert c.cmd("RCPT TO:<%s>" % RCPT).code == 250
    assert c.cmd("RCPT TO:<MAILER-DAEMON@localhost>").code == 250
    time.sleep(pause)
    assert c.cmd("RCPT TO:<abuse@localhost>").code == 250
    c.close()
    assert len(fake.requests) == 3
    assert fake.connections == connections


def test_reject_answer_is_replied_and_logged(make_instance):
    srv = FakePolicyServer(lambda req: b"action=550 5.7.1 not from you\n\n")
    try:
        inst = policy_instance(make_instance, srv.endpoint)
        c = start_mail(inst)
        r = c.cmd("RCPT TO:<%s>" % RCPT)
        assert r.code == 550 and r.text == (
            "5.7.1 <%s>: Recipient address rejected: not from you" % RCPT), r
        assert c.cmd("QUIT").code == 221
        c.close()
        assert inst.wait_log(
            r"NOQUEUE: reject: RCPT from \S+\[127\.0\.0\.1\]: 550 5\.7\.1 "
            r"<postmaster@localhost>: Recipient address rejected: not from "
            r"you; from=<a@client\.example> to=<postmaster@localhost> "
            r"proto=ESMTP helo=<client\.example>")
    finally:
        srv.stop()


def hang(req):
    return None


def close(req):
    return b""


def garbage(req):
    return b"HTTP/1.0 400 Bad Request\r\n\r\n"


def megabyte(req):
    return b"".join(b"x%07d=%s\n" % (i, b"y" * 100) for i in range(10000))


@pytest.mark.parametrize("behaviour,why", [
    (hang, "read: timeout"),
    (close, "read: lost connection"),
    (garbage, "reply line is no name=value"),
    (megabyte, "reply longer than 4096 bytes"),
])
def test_hostile_server_gets_default_action(make_instance, behaviour, why):
    srv = FakePolicyServer(behaviour)
    try:
        inst = policy_instance(make_instance, srv.endpoint,
                               smtpd_policy_service_timeout="2s",
                               smtpd_policy_service_retry_delay="0s")
        c = start_mail(inst)
        start = time.monotonic()
        r = c.cmd("RCPT TO:<%s>" % RCPT, timeout=20)
        assert time.monotonic() - start < 10
        assert r.code == 451 and r.text == (
            "4.3.5 <%s>: Recipient address rejected: Server configuration "
            "problem" % RCPT), r
        # the session survives and can go on
        assert c.cmd("NOOP").code == 250
        assert c.cmd("RSET").code == 250
        assert c.cmd("QUIT").code == 221
        c.close()
        assert inst.wait_log(r"warning: problem talking to policy server "
                             r"inet:127\.0\.0\.1:%d: %s" % (srv.port, why))
        assert inst.wait_log(r"NOQUEUE: reject: RCPT from \S+\[127\.0\.0\.1\]:"
                             r" 451 4\.3\.5 <postmaster@localhost>: Recipient "
                             r"address rejected: Server configuration problem")
    finally:
        srv.stop()


def test_default_action_dunno_fails_open(make_instance):
    # nobody listens on this port
    port = si.free_port()
    inst = policy_instance(make_instance, "inet:127.0.0.1:%d" % port,
                           smtpd_policy_service_default_action="DUNNO",
                           smtpd_policy_service_retry_delay="0s")
    c = start_mail(inst)
    assert c.cmd("RCPT TO:<%s>" % RCPT).code == 250
    c.close()
    assert inst.wait_log(r"warning: problem talking to policy server "
                         r"inet:127\.0\.0\.1:%d: connect: Connection refused"
                         % port)


def test_default_action_naming_the_failing_server_does_not_loop(
        make_instance):
    """A default action that leads back to the failing server (through a
    restriction class) gets the built-in 451 the second time, as in
    Postfix, instead of asking again and again"""
    port = si.free_port()
    inst = make_instance(main={
        "mynetworks": "127.0.0.1/32",
        "smtpd_restriction_classes": "askagain",
        "askagain": "check_policy_service inet:127.0.0.1:%d" % port,
        "smtpd_recipient_restrictions": "askagain",
        "smtpd_policy_service_default_action": "askagain",
        "smtpd_policy_service_try_limit": "1",
        "smtpd_policy_service_retry_delay": "0s",
    })
    c = start_mail(inst)
    r = c.cmd("RCPT TO:<%s>" % RCPT, timeout=30)
    assert r.code == 451 and r.text.endswith(
        "Recipient address rejected: Server configuration problem"), r
    assert c.cmd("QUIT").code == 221
    c.close()
    assert inst.wait_log(r"NOQUEUE: reject: RCPT from .* 451 4\.3\.5")
    asked = re.findall(r"problem talking to policy server", inst.maillog())
    assert len(asked) == 2, asked


def test_slow_answer_within_timeout_counts(make_instance):
    def slow(req):
        time.sleep(1.5)
        return b"action=REJECT slowly\n\n"
    srv = FakePolicyServer(slow)
    try:
        inst = policy_instance(make_instance, srv.endpoint,
                               smtpd_policy_service_timeout="5s")
        c = start_mail(inst)
        r = c.cmd("RCPT TO:<%s>" % RCPT, timeout=10)
        assert r.code == 554 and r.text.endswith(
            "Recipient address rejected: slowly"), r
        c.close()
    finally:
        srv.stop()


def test_hanging_server_holds_only_its_session(make_instance):
    srv = FakePolicyServer(hang)
    try:
        inst = policy_instance(make_instance, srv.endpoint,
                               smtpd_policy_service_timeout="6s",
                               smtpd_policy_service_try_limit="1")
        waiting = start_mail(inst)
        result = {}

        def stuck():
            result["reply"] = waiting.cmd("RCPT TO:<%s>" % RCPT, timeout=20)
        t = threading.Thread(target=stuck)
        t.start()
        assert si.wait_until(lambda: len(srv.requests) == 1, 5)
        pid = inst.session_pid(waiting)
        # another session of the same process is served meanwhile
        start = time.monotonic()
        other = inst.raw()
        assert inst.session_pid(other) == pid
        assert other.cmd("EHLO other.example").code == 250
        assert other.cmd("MAIL FROM:<x@client.example>").code == 250
        assert other.cmd("QUIT").code == 221
        assert time.monotonic() - start < 3
        assert t.is_alive()
        other.close()
        t.join(20)
        assert result["reply"].code == 451, result
        waiting.close()
    finally:
        srv.stop()


def test_unix_socket_in_the_queue_directory(make_instance):
    """unix:private/policy, as Postfix admins write it: relative to the
    queue directory (smtpd's working directory, chrooted or not)"""
    holder = {}

    def listen(inst):
        holder["srv"] = FakePolicyServer(
            lambda req: b"action=REJECT over the socket\n\n",
            unix_path=os.path.join(inst.queue, "private", "policy"))
    inst = make_instance(main={
        "mynetworks": "127.0.0.1/32",
        "smtpd_recipient_restrictions": "check_policy_service "
        "unix:private/policy"}, before_start=listen)
    try:
        c = start_mail(inst)
        r = c.cmd("RCPT TO:<%s>" % RCPT)
        assert r.code == 554 and r.text.endswith(
            "Recipient address rejected: over the socket"), r
        c.close()
        assert holder["srv"].requests[0]["client_address"] == "127.0.0.1"
    finally:
        holder["srv"].stop()


def test_braced_settings_override_the_parameters(make_instance):
    """Postfix 3.0's { server, name=value } form: this server fails open
    after 1 s and one try, whatever the parameters say"""
    srv = FakePolicyServer(hang)
    try:
        inst = make_instance(main={
            "mynetworks": "127.0.0.1/32",
            "smtpd_policy_service_timeout": "60s",
            "smtpd_policy_service_try_limit": "3",
            "smtpd_recipient_restrictions": "check_policy_service { %s, "
            "timeout=1s, try_limit=1, default_action=DUNNO }, reject"
            % srv.endpoint})
        c = start_mail(inst)
        start = time.monotonic()
        r = c.cmd("RCPT TO:<%s>" % RCPT, timeout=30)
        took = time.monotonic() - start
        # DUNNO: the list goes on to its reject
        assert r.code == 554 and r.text.endswith("Access denied"), r
        assert took < 5, took
        assert fake_connections(srv) == 1
        c.close()
    finally:
        srv.stop()


def fake_connections(srv):
    si.wait_until(lambda: srv.connections >= 1, 2)
    return srv.connections


def test_end_of_data_request(make_instance, fake):
    """At END-OF-MESSAGE: the queue ID, the real size and the count"""
    inst = make_instance(main={
        "mynetworks": "127.0.0.1/32",
        "smtpd_end_of_data_restrictions": "check_policy_service "
        + fake.endpoint})
    c = start_mail(inst, params=" SIZE=10")
    assert c.cmd("RCPT TO:<%s>" % RCPT).code == 250
    assert c.cmd("DATA").code == 354
    r = c.cmd("Subject: eom\r\n\r\n" + "x" * 500 + "\r\n.")
    assert r.code == 250, r
    qid = si.queued_id(r.text)
    c.close()
    req = fake.requests[-1]
    assert req["protocol_state"] == "END-OF-MESSAGE", req
    assert req["queue_id"] == qid
    assert req["recipient"] == RCPT and req["recipient_count"] == "1"
    assert int(req["size"]) > 500


@pytest.mark.parametrize("main,what", [
    ({"smtpd_recipient_restrictions": "check_policy_service 127.0.0.1:9"},
     "127.0.0.1:9"),
    ({"smtpd_recipient_restrictions":
      "check_policy_service { inet:127.0.0.1:9, timeout=0 }"}, "timeout"),
    ({"smtpd_recipient_restrictions":
      "check_policy_service inet:127.0.0.1:9",
      "smtpd_policy_service_default_action": "FILTER"},
     "smtpd_policy_service_default_action"),
])
def test_bad_settings_refused_by_check(make_instance, main, what):
    inst = make_instance(start=False, main=main)
    r = inst.sluice("check")
    assert r.returncode != 0
    assert what in (r.stdout + r.stderr), r.stdout + r.stderr


def queue_mail(inst, source, sender="a@client.example"):
    """One message to RCPT; the queue file, parsed"""
    c = start_mail(inst, source=source, sender=sender)
    r = c.cmd("RCPT TO:<%s>" % RCPT, timeout=30)
    assert r.code == 250, r
    assert c.cmd("DATA").code == 354
    r = c.cmd("Subject: policy\r\n\r\nbody\r\n.")
    assert r.code == 250, r
    c.close()
    return inst.read_queue(si.queued_id(r.text))


def greylisted(make_instance, peer_dir):
    """postgrey's first answer is a 450; after its delay, a queue file"""
    pg = Postgrey(peer_dir, delay=2)
    try:
        inst = policy_instance(make_instance, pg.endpoint)
        c = start_mail(inst, source=OUTSIDE)
        r = c.cmd("RCPT TO:<%s>" % RCPT)
        assert r.code == 450 and r.text.startswith(
            "4.2.0 <%s>: Recipient address rejected: Greylisted" % RCPT), r
        c.close()
        assert inst.wait_log(
            r"NOQUEUE: reject: RCPT from \S+\[127\.0\.0\.2\]: 450 4\.2\.0 "
            r"<postmaster@localhost>: Recipient address rejected: Greylisted")
        time.sleep(3)
        return queue_mail(inst, OUTSIDE)
    finally:
        pg.stop()


@pytest.mark.skipif(not postgrey_available(), reason="postgrey not installed")
def test_postgrey_greylists_then_accepts(make_instance, peer_dir):
    assert greylisted(make_instance, peer_dir).complete


@pytest.mark.skipif(not postgrey_available(), reason="postgrey not installed")
def test_postgrey_prepend_reaches_the_message(make_instance, peer_dir):
    msg = greylisted(make_instance, peer_dir)
    grey = msg.header_values("X-Greylist")
    assert len(grey) == 1 and grey[0].strip().startswith(b"delayed "), \
        msg.headers()


SPF_ZONE = """\
spf.test. 60 IN TXT "v=spf1 ip4:127.0.0.1 -all"
"""


def spf_instance(make_instance, spf):
    # the SPF check goes first, so that it judges 127.0.0.1 too
    return make_instance(main={
        "mynetworks": "127.0.0.1/32",
        "smtpd_relay_restrictions": "check_policy_service %s, "
        "permit_mynetworks, reject_unauth_destination" % spf.endpoint,
        "smtpd_policy_service_timeout": "20s",
    })


@pytest.mark.skipif(not spf_available(),
                    reason="policyd-spf, socat or python3-dnslib missing")
def test_policyd_spf_fail_is_rejected(make_instance, peer_dir):
    spf = SpfPolicyServer(peer_dir, SPF_ZONE)
    try:
        inst = spf_instance(make_instance, spf)
        c = start_mail(inst, source=OUTSIDE, sender="alice@spf.test")
        r = c.cmd("RCPT TO:<%s>" % RCPT, timeout=30)
        assert r.code == 550 and r.text.startswith(
            "5.7.23 <%s>: Recipient address rejected: Message rejected "
            "due to: SPF fail - not authorized" % RCPT), r
        c.close()
        # a pass is accepted
        assert queue_mail(inst, "127.0.0.1", "alice@spf.test").complete
    finally:
        spf.stop()


@pytest.mark.skipif(not spf_available(),
                    reason="policyd-spf, socat or python3-dnslib missing")
def test_policyd_spf_pass_prepends_received_spf(make_instance, peer_dir):
    spf = SpfPolicyServer(peer_dir, SPF_ZONE)
    try:
        inst = spf_instance(make_instance, spf)
        msg = queue_mail(inst, "127.0.0.1", "alice@spf.test")
        spf_hdr = msg.header_values("Received-SPF")
        assert len(spf_hdr) == 1 and \
            spf_hdr[0].strip().startswith(b"Pass"), spf_hdr
    finally:
        spf.stop()
