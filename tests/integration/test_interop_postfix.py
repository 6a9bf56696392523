"""Interop with Debian's Postfix: mail relayed Postfix -> Sluice and
Sluice -> Postfix arrives byte for byte (trace fields aside), in plaintext
and with STARTTLS.

A private Postfix instance (postfix_peer.py) runs on its own loopback port
with a virtual mailbox domain; the Sluice instance is the usual test
instance with delivery.  Postfix -> Sluice: Postfix's relayhost is
[127.0.0.1]:SLUICEPORT, mail is injected into Postfix's smtpd (and through
its sendmail), and lands in a Sluice Maildir.  Sluice -> Postfix: Sluice's
relayhost is [127.0.0.1]:POSTFIXPORT with an smtp service in its
master.cf, and the message lands in a Postfix Maildir.  Needs root (the
Postfix peer does); the TLS cases skip while Sluice's side lacks STARTTLS.
"""

import os

import pytest

import peer_util as pu
import postfix_peer as pp
import sluice_instance as si

SLUICE_DOMAIN = si.VIRTUAL_DOMAIN     # example.test, user@ has a Maildir

# Sluice's smtp delivery agent; qmgr connects to private/smtp.
SMTP_SERVICE = "smtp      unix  -  -  n  -  -  smtp"


def message(subject, to):
    """A message with every header a hop might otherwise add, CRLF ends,
    a dot-leading line, blank lines, trailing blanks and a long line."""
    lines = [
        "From: Sender <sender@origin.test>",
        "To: <%s>" % to,
        "Subject: %s" % subject,
        "Date: Mon, 01 Jan 2024 12:00:00 +0000",
        "Message-ID: <%s.interop@origin.test>" % subject.replace(" ", "-"),
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
        "X-Folded: first part",
        "\tsecond part",
        "",
        "Hello from the interop test.",
        ".leading dot survives the dot-stuffing",
        "..two dots",
        "",
        "trailing blanks   ",
        "x" * 900,
        ".",
        "last line",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


@pytest.fixture
def postfix(instances_root, request):
    why = pp.skip_reason()
    if why:
        pytest.skip(why)
    made = []

    def factory(**kwargs):
        d = pu.loopback_dir("postfix-", base=instances_root)
        peer = pp.PostfixPeer(d, **kwargs)
        made.append(peer)
        peer.start()
        return peer

    yield factory
    failed = any(getattr(request.node, "rep_" + w, None) is not None and
                 getattr(request.node, "rep_" + w).failed
                 for w in ("setup", "call"))
    for peer in made:
        peer.stop()
        if failed:
            print("kept postfix directory %s\npostfix maillog:\n%s"
                  % (peer.dir, peer.maillog()[-3000:]))
        else:
            peer.cleanup()


@pytest.fixture
def certs(instances_root):
    d = pu.loopback_dir("certs-", base=instances_root)
    yield d
    import shutil
    shutil.rmtree(d, ignore_errors=True)


def sluice_offers_starttls(inst):
    c = inst.raw()
    try:
        reply = c.cmd("EHLO client.test")
        return any(line[4:].upper().startswith("STARTTLS")
                   for line in reply.lines)
    finally:
        c.close()


def sluice_smtp_or_skip(inst_bindir):
    if not os.access(os.path.join(inst_bindir, "smtp"), os.X_OK):
        pytest.skip("build/bin/smtp (Sluice's delivery agent) not built yet")


def sluice_smtp_has_tls(bindir):
    try:
        with open(os.path.join(bindir, "smtp"), "rb") as f:
            return b"STARTTLS" in f.read()
    except OSError:
        return False


def add_smtp_service(inst):
    """The smtp/unix line, unless sluice init wrote one already."""
    for line in inst.master_cf().split("\n"):
        f = line.split()
        if len(f) >= 2 and f[0] == "smtp" and f[1] == "unix":
            return
    inst.write_master_cf(inst.master_cf().rstrip("\n") + "\n" +
                         SMTP_SERVICE + "\n")


def assert_same_message(sent, delivered):
    assert pu.without_trace(delivered) == pu.without_trace(sent), \
        "delivered bytes differ:\nsent:\n%r\ndelivered:\n%r" % (
            pu.without_trace(sent)[:1500], pu.without_trace(delivered)[:1500])


# --- Postfix -> Sluice ----------------------------------------------------

def test_postfix_relays_to_sluice_plaintext(make_instance, postfix):
    inst = make_instance(delivery=True)
    peer = postfix(relayhost="[127.0.0.1]:%d" % inst.port,
                   main={"smtp_tls_security_level": "none"})
    to = "user@" + SLUICE_DOMAIN
    sent = message("postfix to sluice", to)
    peer.send("sender@origin.test", [to], sent)
    files = inst.wait_maildir(inst.vmaildir("user"), 1)
    delivered = si.read_bytes(files[0])
    assert_same_message(sent, delivered)
    # the hop is on record on both sides
    assert peer.wait_log(r"to=<%s>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:%d"
                         r".*status=sent" % (to, inst.port))
    rp, dt, received, _rest = si.delivery_prefix(delivered)
    assert rp == "<sender@origin.test>"
    assert any(b"postfix.peer.test" in r for r in received), received
    peer.wait_queue_empty()


def test_postfix_sendmail_to_sluice(make_instance, postfix):
    inst = make_instance(delivery=True)
    peer = postfix(relayhost="[127.0.0.1]:%d" % inst.port,
                   main={"smtp_tls_security_level": "none"})
    to = "user@" + SLUICE_DOMAIN
    sent = message("postfix sendmail to sluice", to).replace(b"\r\n", b"\n")
    r = peer.sendmail("sender@origin.test", [to], sent)
    assert r.returncode == 0, r.stderr
    files = inst.wait_maildir(inst.vmaildir("user"), 1)
    assert_same_message(sent, si.read_bytes(files[0]))


def test_postfix_relays_to_sluice_starttls(make_instance, postfix, certs):
    cert, key = pu.make_test_cert(certs, si.HOSTNAME)
    inst = make_instance(delivery=True, main={
        "smtpd_tls_cert_file": cert,
        "smtpd_tls_key_file": key,
        "smtpd_tls_security_level": "may",
    })
    if not sluice_offers_starttls(inst):
        pytest.skip("Sluice's smtpd does not offer STARTTLS yet")
    # encrypt: Postfix must not fall back to plaintext
    peer = postfix(relayhost="[127.0.0.1]:%d" % inst.port,
                   main={"smtp_tls_security_level": "encrypt"})
    to = "user@" + SLUICE_DOMAIN
    sent = message("postfix to sluice tls", to)
    peer.send("sender@origin.test", [to], sent)
    files = inst.wait_maildir(inst.vmaildir("user"), 1)
    delivered = si.read_bytes(files[0])
    assert_same_message(sent, delivered)
    assert peer.wait_log(r"TLS connection established to "
                         r"127\.0\.0\.1\[127\.0\.0\.1\]:%d: TLSv1\.[23]"
                         % inst.port), peer.maillog()[-2000:]
    # Sluice's Received: line names the TLS version
    _rp, _dt, received, _rest = si.delivery_prefix(delivered)
    assert any(b"TLSv1.2" in r or b"TLSv1.3" in r for r in received), received


# --- Sluice -> Postfix ----------------------------------------------------

def test_sluice_relays_to_postfix_plaintext(make_instance, postfix,
                                            sluice_bin):
    sluice_smtp_or_skip(sluice_bin)
    peer = postfix()
    inst = make_instance(delivery=True, master=add_smtp_service, main={
        "relayhost": "[127.0.0.1]:%d" % peer.port,
        "smtp_tls_security_level": "none",
    })
    to = "user@" + pp.DOMAIN
    sent = message("sluice to postfix", to)
    with inst.smtp() as s:
        refused = s.sendmail("sender@origin.test", [to], sent)
        assert not refused
    files = peer.wait_maildir("user", 1)
    delivered = si.read_bytes(files[0])
    assert_same_message(sent, delivered)
    assert peer.wait_log(r"postfix/virtual\[\d+\]: \w+: to=<%s>.*status=sent"
                         % to)
    inst.wait_queue_empty()
    assert inst.wait_log(r"to=<%s>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:%d"
                         r".*status=sent" % (to, peer.port))


def test_sluice_relays_to_postfix_starttls(make_instance, postfix, certs,
                                           sluice_bin):
    sluice_smtp_or_skip(sluice_bin)
    if not sluice_smtp_has_tls(sluice_bin):
        pytest.skip("Sluice's smtp agent has no STARTTLS support yet")
    cert, key = pu.make_test_cert(certs, pp.HOSTNAME)
    peer = postfix(tls=(cert, key))
    inst = make_instance(delivery=True, master=add_smtp_service, main={
        "relayhost": "[127.0.0.1]:%d" % peer.port,
        "smtp_tls_security_level": "encrypt",
    })
    to = "user@" + pp.DOMAIN
    sent = message("sluice to postfix tls", to)
    with inst.smtp() as s:
        assert not s.sendmail("sender@origin.test", [to], sent)
    files = peer.wait_maildir("user", 1)
    delivered = si.read_bytes(files[0])
    assert_same_message(sent, delivered)
    assert peer.wait_log(r"TLS connection established from "
                         r"localhost\[127\.0\.0\.1\]: TLSv1\.[23]"), \
        peer.maillog()[-2000:]
    # Postfix's Received: line says the session was encrypted
    assert b"(using TLSv1." in delivered
    inst.wait_queue_empty()


def test_postfix_peer_listens_on_extra_loopback_addresses(postfix):
    """The fixture the MX tests use: one port on 127.0.0.2 and .3."""
    peer = postfix(addresses=("127.0.0.2", "127.0.0.3"))
    to = "user@" + pp.DOMAIN
    assert pu.listening("127.0.0.2", peer.port)
    assert pu.listening("127.0.0.3", peer.port)
    assert not pu.listening("127.0.0.1", peer.port)
    for addr in peer.addresses:
        peer.send("sender@origin.test", [to], message("via " + addr, to),
                  address=addr)
    files = peer.wait_maildir("user", 2)
    subjects = sorted(b"via 127.0.0." + n for n in (b"2", b"3"))
    assert sorted(line.split(b": ", 1)[1] for f in files
                  for line in si.read_bytes(f).split(b"\n")
                  if line.startswith(b"Subject: ")) == subjects
