"""Many SMTP sessions per smtpd process (smtpd_process_session_limit).

Each session runs in a coroutine (lib/io/coro.h); these tests check that a
process really holds many sessions, that the master starts another one
only when a process is full, and that a session stuck in the middle of a
command does not hold up the other sessions of its process.  The same
for cleanup (cleanup_process_session_limit): a message stuck in the
middle of its content does not hold up the others in its process.
"""

import os
import re
import socket
import time

import pytest

CONNECT_RE = re.compile(r"sluice/smtpd\[(\d+)\]: connect from ")


def open_session(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    greeting = s.recv(512)
    assert greeting.startswith(b"220 "), greeting
    return s


def command(s, line):
    s.sendall(line)
    reply = b""
    while not re.search(rb"(^|\r\n)\d{3} [^\r\n]*\r\n$", reply):
        chunk = s.recv(4096)
        assert chunk, "connection closed after %r" % line
        reply += chunk
    return reply


def smtpd_pids(instance, expect_connects, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        pids = CONNECT_RE.findall(instance.maillog())
        if len(pids) >= expect_connects or time.monotonic() > deadline:
            return pids
        time.sleep(0.05)


def test_one_process_holds_many_sessions(make_instance):
    instance = make_instance()
    socks = []
    try:
        for _ in range(20):
            socks.append(open_session(instance.port))
        for s in socks:
            assert command(s, b"EHLO client.example\r\n").startswith(b"250")
        pids = smtpd_pids(instance, 20)
        assert len(pids) == 20
        # the first process takes them all (limit 100): no spawn storm
        assert len(set(pids)) == 1, pids
    finally:
        for s in socks:
            s.close()


def test_full_process_makes_the_master_start_another(make_instance):
    instance = make_instance(main={"smtpd_process_session_limit": "3"})
    socks = []
    try:
        for _ in range(10):
            socks.append(open_session(instance.port))
        pids = smtpd_pids(instance, 10)
        assert len(pids) == 10
        counts = {p: pids.count(p) for p in set(pids)}
        assert max(counts.values()) <= 3, counts
        assert len(counts) >= 4, counts
    finally:
        for s in socks:
            s.close()


def test_max_use_counts_per_session_slot(make_instance):
    """With 2 sessions per process and max_use 2, a process serves 4
    connections (2 per slot, as two Postfix processes would), then the
    next connection goes to a new process."""
    instance = make_instance(main={"smtpd_process_session_limit": "2",
                                   "max_use": "2"})
    for i in range(5):
        s = open_session(instance.port)
        try:
            assert command(s, b"QUIT\r\n").startswith(b"221")
        finally:
            s.close()
        # one at a time: each connection ends before the next begins
        pids = smtpd_pids(instance, i + 1)
        assert len(pids) == i + 1
    assert len(set(pids[:4])) == 1, pids
    assert pids[4] != pids[0], pids


def test_stalled_session_does_not_hold_the_others(make_instance):
    instance = make_instance()
    stalled = open_session(instance.port)
    other = None
    try:
        assert command(stalled, b"EHLO stalled.example\r\n").startswith(b"250")
        # half a command line: its session waits in the middle of a read
        stalled.sendall(b"MAIL FROM:<stalled@client.exa")
        other = open_session(instance.port)
        t0 = time.monotonic()
        assert command(other, b"EHLO other.example\r\n").startswith(b"250")
        assert command(other, b"MAIL FROM:<a@client.example>\r\n") \
            .startswith(b"250")
        assert command(other, b"RCPT TO:<someone@localhost>\r\n") \
            .startswith(b"250")
        assert command(other, b"DATA\r\n").startswith(b"354")
        reply = command(other, b"Subject: x\r\n\r\nbody\r\n.\r\n")
        assert reply.startswith(b"250 2.0.0 Ok: queued as"), reply
        assert time.monotonic() - t0 < 5
        pids = smtpd_pids(instance, 2)
        assert len(set(pids)) == 1, pids   # both in one process
        # and the stalled one goes on where it stopped
        assert command(stalled, b"mple>\r\n").startswith(b"250")
        assert command(stalled, b"QUIT\r\n").startswith(b"221")
    finally:
        stalled.close()
        if other is not None:
            other.close()


def test_error_sleep_pauses_only_its_own_session(make_instance):
    """smtpd_error_sleep_time delays the client that erred, not the
    other sessions of the same process."""
    instance = make_instance(main={"smtpd_error_sleep_time": "3s",
                                   "smtpd_soft_error_limit": "1"})
    bad = open_session(instance.port)
    good = open_session(instance.port)
    try:
        assert command(good, b"EHLO good.example\r\n").startswith(b"250")
        # two errors: past the soft limit every error reply waits 3 s
        assert command(bad, b"FOO\r\n").startswith(b"5")
        bad.sendall(b"BAR\r\n")
        time.sleep(0.2)          # bad's session is now in its pause
        t0 = time.monotonic()
        assert command(good, b"NOOP\r\n").startswith(b"250")
        assert command(good, b"MAIL FROM:<a@client.example>\r\n") \
            .startswith(b"250")
        assert time.monotonic() - t0 < 1.5
        pids = smtpd_pids(instance, 2)
        assert len(set(pids)) == 1, pids   # same process
    finally:
        bad.close()
        good.close()


@pytest.mark.parametrize("limit", ["1", "100"])
def test_both_modes_deliver_a_message(make_instance, limit):
    """One session per process (Postfix's model) still works too."""
    instance = make_instance(main={"smtpd_process_session_limit": limit})
    s = open_session(instance.port)
    try:
        assert command(s, b"EHLO client.example\r\n").startswith(b"250")
        assert command(s, b"MAIL FROM:<a@client.example>\r\n") \
            .startswith(b"250")
        assert command(s, b"RCPT TO:<someone@localhost>\r\n") \
            .startswith(b"250")
        assert command(s, b"DATA\r\n").startswith(b"354")
        reply = command(s, b"Subject: y\r\n\r\nbody\r\n.\r\n")
        assert reply.startswith(b"250 2.0.0 Ok: queued as"), reply
        qid = reply.split()[-1].decode()
        assert qid in instance.queue_ids()
    finally:
        s.close()


def test_cleanup_refusal_answers_data_and_the_session_goes_on(make_instance):
    """When cleanup cannot create the queue file, DATA gets its 4xx,
    nothing is queued, the refusal is logged, and the transaction ends
    there: the client's next MAIL needs no RSET (Python's smtplib sends
    none after a refused DATA; a nested-MAIL 503 would fail its next
    message for good)."""
    instance = make_instance()
    incoming = os.path.join(instance.queue, "incoming")
    recycle = os.path.join(instance.queue, "recycle")
    s = open_session(instance.port)
    try:
        assert command(s, b"EHLO client.example\r\n").startswith(b"250")
        os.chmod(incoming, 0o500)
        os.chmod(recycle, 0o500)
        assert command(s, b"MAIL FROM:<a@client.example>\r\n") \
            .startswith(b"250")
        assert command(s, b"RCPT TO:<someone@localhost>\r\n") \
            .startswith(b"250")
        reply = command(s, b"DATA\r\n")
        assert reply.startswith(b"451 4.3.0"), reply
        assert instance.queue_ids() == []
        os.chmod(incoming, 0o700)
        os.chmod(recycle, 0o700)
        # the transaction is gone: DATA is out of sequence, MAIL starts anew
        assert command(s, b"DATA\r\n").startswith(b"503")
        assert command(s, b"MAIL FROM:<a@client.example>\r\n") \
            .startswith(b"250")
        assert command(s, b"RCPT TO:<someone@localhost>\r\n") \
            .startswith(b"250")
        assert command(s, b"DATA\r\n").startswith(b"354")
        reply = command(s, b"Subject: z\r\n\r\nbody\r\n.\r\n")
        assert reply.startswith(b"250 2.0.0 Ok: queued as"), reply
        log = instance.maillog()
        assert "cannot hand mail from" in log
        assert "NOQUEUE: reject: DATA from localhost[127.0.0.1]: 451 4.3.0" \
            in log, log[-2000:]
    finally:
        os.chmod(incoming, 0o700)
        os.chmod(recycle, 0o700)
        s.close()


CLEANUP_MSGID_RE = re.compile(
    r"sluice/cleanup\[(\d+)\]: ([0-9A-Za-z]+): message-id=<(\w+)@client")


def cleanup_pids_by_message(instance, expect, timeout=10.0):
    """{Message-ID local part: pid of the cleanup process that took it}"""
    deadline = time.monotonic() + timeout
    while True:
        seen = {m[2]: m[0] for m in
                CLEANUP_MSGID_RE.findall(instance.maillog())}
        if len(seen) >= expect or time.monotonic() > deadline:
            return seen
        time.sleep(0.05)


def test_stalled_content_does_not_hold_other_cleanup_sessions(make_instance):
    """A cleanup process serves many connections (one coroutine each): a
    client that stops in the middle of its message, so that its cleanup
    session waits for content, must not keep another client's message
    in the same process from being queued and answered."""
    def one_cleanup(inst):
        inst.edit_master_line(
            "cleanup", "cleanup unix - - n - 1 cleanup")
    instance = make_instance(master=one_cleanup)
    stalled = open_session(instance.port)
    other = None
    try:
        for line in (b"EHLO stalled.example\r\n",
                     b"MAIL FROM:<a@client.example>\r\n",
                     b"RCPT TO:<someone@localhost>\r\n"):
            assert command(stalled, line).startswith(b"250")
        assert command(stalled, b"DATA\r\n").startswith(b"354")
        # the header and half a body: cleanup has begun this message
        stalled.sendall(b"Message-ID: <stalled@client.example>\r\n"
                        b"Subject: stalled\r\n\r\n" + b"x" * 3000 + b"\r\n")

        other = open_session(instance.port)
        t0 = time.monotonic()
        for line in (b"EHLO other.example\r\n",
                     b"MAIL FROM:<b@client.example>\r\n",
                     b"RCPT TO:<someone@localhost>\r\n"):
            assert command(other, line).startswith(b"250")
        assert command(other, b"DATA\r\n").startswith(b"354")
        reply = command(other, b"Message-ID: <other@client.example>\r\n"
                        b"Subject: other\r\n\r\nbody\r\n.\r\n")
        assert reply.startswith(b"250 2.0.0 Ok: queued as"), reply
        assert time.monotonic() - t0 < 5

        # the stalled one goes on where it stopped
        reply = command(stalled, b"y" * 3000 + b"\r\n.\r\n")
        assert reply.startswith(b"250 2.0.0 Ok: queued as"), reply
        pids = cleanup_pids_by_message(instance, 2)
        assert pids.keys() == {"stalled", "other"}, pids
        assert pids["stalled"] == pids["other"], pids   # one process
        assert len(instance.queue_ids()) == 2
    finally:
        stalled.close()
        if other is not None:
            other.close()
