"""LMTP delivery from Sluice into a real Dovecot (dovecot-lmtpd) Maildir.

transport_maps sends the domain lmtp.test to lmtp:inet:127.0.0.1:PORT (or
lmtp:unix:/path), where a private Dovecot (dovecot_peer.py) stores each
recipient's copy in DIR/mail/LOCALPART.  Checks the delivered bytes, that
several recipients of one message each get their copy with per-recipient
replies, and that Sluice logs the LMTP relay.  Skips without root,
Dovecot or Sluice's smtp agent.
"""

import os

import pytest

import dovecot_peer as dp
import peer_util as pu
import sluice_instance as si

LMTP_DOMAIN = "lmtp.test"
LMTP_SERVICE = "lmtp      unix  -  -  n  -  -  smtp"


@pytest.fixture
def dovecot(request):
    why = dp.skip_reason()
    if why:
        pytest.skip(why)
    peer = dp.DovecotPeer()
    peer.start()
    yield peer
    failed = any(getattr(request.node, "rep_" + w, None) is not None and
                 getattr(request.node, "rep_" + w).failed
                 for w in ("setup", "call"))
    peer.stop()
    if failed:
        print("kept dovecot directory %s\ndovecot log:\n%s"
              % (peer.dir, peer.log()[-3000:]))
    else:
        peer.cleanup()


def need_smtp_agent(bindir):
    if not os.access(os.path.join(bindir, "smtp"), os.X_OK):
        pytest.skip("build/bin/smtp (Sluice's delivery agent) not built yet")


def add_lmtp_service(inst):
    """The lmtp/unix line (the smtp program), unless init wrote one."""
    for line in inst.master_cf().split("\n"):
        f = line.split()
        if len(f) >= 2 and f[0] == "lmtp" and f[1] == "unix":
            return
    inst.write_master_cf(inst.master_cf().rstrip("\n") + "\n" +
                         LMTP_SERVICE + "\n")


def lmtp_message(subject, to):
    return ("From: <sender@origin.test>\r\n"
            "To: %s\r\n"
            "Subject: %s\r\n"
            "Date: Mon, 01 Jan 2024 12:00:00 +0000\r\n"
            "Message-ID: <%s@origin.test>\r\n"
            "\r\n"
            "LMTP body line one\r\n"
            ".dot-leading line\r\n"
            "\r\n"
            "end\r\n" % (to, subject, subject.replace(" ", "."))).encode()


def sluice_to_dovecot(make_instance, dovecot, nexthop):
    return make_instance(delivery=True, master=add_lmtp_service, main={
        "transport_maps": "inline:{%s=lmtp:%s}" % (LMTP_DOMAIN, nexthop),
    })


def test_lmtp_inet_delivery_into_dovecot_maildir(make_instance, dovecot,
                                                 sluice_bin):
    need_smtp_agent(sluice_bin)
    inst = sluice_to_dovecot(make_instance, dovecot,
                             "inet:127.0.0.1:%d" % dovecot.port)
    to = "alice@" + LMTP_DOMAIN
    sent = lmtp_message("lmtp inet", to)
    with inst.smtp() as s:
        assert not s.sendmail("sender@origin.test", [to], sent)
    files = dovecot.wait_maildir("alice", 1)
    delivered = si.read_bytes(files[0])
    assert pu.without_trace(delivered) == pu.without_trace(sent), delivered
    inst.wait_queue_empty()
    assert inst.wait_log(r"to=<%s>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:%d"
                         r".*status=sent" % (to, dovecot.port)), \
        inst.maillog()[-2000:]
    assert "saved mail to INBOX" in dovecot.log()


def test_lmtp_per_recipient_copies(make_instance, dovecot, sluice_bin):
    need_smtp_agent(sluice_bin)
    inst = sluice_to_dovecot(make_instance, dovecot,
                             "inet:127.0.0.1:%d" % dovecot.port)
    rcpts = ["r%d@%s" % (i, LMTP_DOMAIN) for i in range(3)]
    sent = lmtp_message("lmtp three", ", ".join(rcpts))
    with inst.smtp() as s:
        assert not s.sendmail("sender@origin.test", rcpts, sent)
    for i in range(3):
        files = dovecot.wait_maildir("r%d" % i, 1)
        assert pu.without_trace(si.read_bytes(files[0])) == \
            pu.without_trace(sent)
    inst.wait_queue_empty()
    for r in rcpts:
        assert inst.wait_log(r"to=<%s>.*status=sent" % r), \
            inst.maillog()[-2000:]


def test_lmtp_unix_socket_delivery(make_instance, dovecot, sluice_bin):
    need_smtp_agent(sluice_bin)
    # Dovecot's socket is 0666 in a 0755 dir: reachable by mail_owner
    inst = sluice_to_dovecot(make_instance, dovecot, "unix:" + dovecot.socket)
    to = "bob@" + LMTP_DOMAIN
    sent = lmtp_message("lmtp unix", to)
    with inst.smtp() as s:
        assert not s.sendmail("sender@origin.test", [to], sent)
    files = dovecot.wait_maildir("bob", 1)
    assert pu.without_trace(si.read_bytes(files[0])) == pu.without_trace(sent)
    inst.wait_queue_empty()
