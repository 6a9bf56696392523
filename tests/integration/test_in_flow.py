"""In-flow control (in_flow_delay, in_flow_window): new mail waits when
more messages are ahead of delivery than the window allows.

The relayhost is a listener that never accepts (the kernel completes the
handshake, nobody greets), so every message stays in the active queue and
gives no credit back.  With in_flow_window = 2 the first two messages get
their 354 at once and the third only after in_flow_delay; it is still
accepted (slowed, never refused).  With in_flow_delay = 0 nothing waits.
"""

import socket
import time

import sluice_instance as si

MESSAGE = (b"From: <user@example.test>\r\nTo: <rcpt@far.test>\r\n"
           b"Subject: flow\r\n\r\nbody\r\n")


def silent_listener():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


def send_timed(inst):
    """Send one message; the seconds from DATA to the 354, and the ID."""
    with inst.smtp(timeout=30) as s:
        s.ehlo("client.example")
        code, resp = s.mail("user@example.test")
        assert code == 250, resp
        code, resp = s.rcpt("rcpt@far.test")
        assert code == 250, resp
        start = time.monotonic()
        s.putcmd("data")
        code, resp = s.getreply()
        waited = time.monotonic() - start
        assert code == 354, resp
        s.send(MESSAGE + b".\r\n")
        code, resp = s.getreply()
        assert code == 250, resp
    qid = si.queued_id(resp.decode())
    assert qid, resp
    return waited, qid


def flow_instance(make_instance, relay_port, delay):
    return make_instance(delivery=True, main={
        "relayhost": "[127.0.0.1]:%d" % relay_port,
        "in_flow_window": "2",
        "in_flow_delay": delay,
        "smtp_connect_timeout": "60s",
        "smtp_helo_timeout": "60s",
    })


def wait_active(inst, qid):
    assert si.wait_until(lambda: qid in inst.queue_ids("active"), 10), \
        "%s never reached active/" % qid


def test_third_message_waits_for_the_window(make_instance):
    relay = silent_listener()
    try:
        inst = flow_instance(make_instance, relay.getsockname()[1], "2s")
        first, q1 = send_timed(inst)
        second, q2 = send_timed(inst)
        assert first < 1.0 and second < 1.0, (first, second)
        wait_active(inst, q1)
        wait_active(inst, q2)
        third, q3 = send_timed(inst)
        # the whole in_flow_delay (no credit comes back), then accepted
        assert 1.8 <= third < 6.0, third
        assert q3 not in (q1, q2)
    finally:
        relay.close()


def test_no_wait_when_turned_off(make_instance):
    relay = silent_listener()
    try:
        inst = flow_instance(make_instance, relay.getsockname()[1], "0")
        for _ in range(4):
            waited, qid = send_timed(inst)
            assert waited < 1.0, waited
            wait_active(inst, qid)
    finally:
        relay.close()
