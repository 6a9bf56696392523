"""The smtp client against a hostile receiving server (issue 14, item 4).

Any MX Sluice delivers to may be an attacker's (a bounce or a reply to
their domain is enough).  Before the fix a reply line over 2,048 bytes
was read on without limit, and the timeout restarted with every read that
returned data: a server that sent "220 " and then bytes without end, or
dripped one byte a second, held the smtp process for good (spinning in
the first case); qmgr gave up after ipc_timeout, the process talked on,
and the retries filled the smtp process limit.

Now a reply line over the limit or a reply of too many lines is a
protocol error, each stage's timeout bounds the whole reply, and an agent
whose request qmgr has given up on abandons the server at once.  Each
case here plays one hostile server on loopback (HostileServer: one
behaviour per connection, in a thread) and checks that the delivery is
deferred within the configured time, that the server sees the connection
closed, and that no smtp process keeps spinning afterwards.
"""

import os
import socket
import threading
import time

import pytest

import sluice_instance as si

SENDER = "user@example.test"
MESSAGE = (b"From: User <user@example.test>\r\n"
           b"To: someone@dest.test\r\n"
           b"Subject: hostile\r\n"
           b"\r\n"
           b"body\r\n")
STAGE = 3               # smtp_helo_timeout etc., seconds
SLACK = 3.0             # start-up, qmgr's hand-off, a loaded machine
PLAY_LIMIT = 30.0       # no behaviour keeps a connection longer than this


class HostileServer:
    """Accept connections on a free loopback port; each one runs
    behaviour(conn, server) in a thread.  Records, per connection, when
    it was accepted and when the client was seen to have closed it."""

    def __init__(self, behaviour):
        self.behaviour = behaviour
        self.port = si.free_port()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(8)
        self.stopping = False
        self.accepted = []      # monotonic times
        self.closed = {}        # connection index -> monotonic time
        self.lock = threading.Lock()
        self.threads = []
        self.conns = []
        self.acceptor = threading.Thread(target=self._accept, daemon=True)
        self.acceptor.start()

    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                index = len(self.accepted)
                self.accepted.append(time.monotonic())
                self.conns.append(conn)
            t = threading.Thread(target=self._run, args=(conn, index),
                                 daemon=True)
            self.threads.append(t)
            t.start()

    def _run(self, conn, index):
        conn.settimeout(PLAY_LIMIT)
        try:
            self.behaviour(conn, self)
            # the client is expected to go: wait for its close
            wait_close(conn, PLAY_LIMIT)
        except (OSError, EOFError):
            pass
        with self.lock:
            self.closed.setdefault(index, time.monotonic())
        try:
            conn.close()
        except OSError:
            pass

    def gone(self, index):
        """The client closed connection index: its close time, else None."""
        with self.lock:
            return self.closed.get(index)

    def held_for(self, index):
        with self.lock:
            return self.closed[index] - self.accepted[index]

    def stop(self):
        self.stopping = True
        try:
            self.sock.close()
        except OSError:
            pass
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in self.threads:
            t.join(5)
        self.acceptor.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def wait_close(conn, limit):
    """Read and drop input until the client closes (or limit passes)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        conn.settimeout(max(0.05, deadline - time.monotonic()))
        if not conn.recv(65536):
            return


def read_line(conn, limit=10.0):
    buf = b""
    deadline = time.monotonic() + limit
    while not buf.endswith(b"\n") and time.monotonic() < deadline:
        conn.settimeout(max(0.05, deadline - time.monotonic()))
        chunk = conn.recv(1)
        if not chunk:
            raise EOFError("client closed")
        buf += chunk
    return buf


def send_until_closed(conn, chunk, pause=0.0):
    """Send chunk again and again until the client goes away."""
    deadline = time.monotonic() + PLAY_LIMIT
    while time.monotonic() < deadline:
        conn.sendall(chunk)         # raises once the client has closed
        if pause:
            time.sleep(pause)


# --- behaviours -------------------------------------------------------------

def endless_greeting(conn, server):
    conn.sendall(b"220 ")
    send_until_closed(conn, b"x" * 16384)


def drip_greeting(conn, server):
    conn.sendall(b"220 ")
    send_until_closed(conn, b"x", pause=1.0)


def garbage_before_greeting(conn, server):
    conn.sendall(b"GARBAGE that is not a reply\r\n220 mx.example ESMTP\r\n")
    serve_plainly(conn)


def huge_ehlo(conn, server):
    conn.sendall(b"220 mx.example ESMTP\r\n")
    read_line(conn)
    conn.sendall(b"250-mx.example\r\n")
    send_until_closed(conn, b"".join(b"250-X-KEYWORD-%05d\r\n" % i
                                     for i in range(10000)))


def ten_thousand_line_mail_reply(conn, server):
    conn.sendall(b"220 mx.example ESMTP\r\n")
    read_line(conn)
    conn.sendall(b"250 mx.example\r\n")
    read_line(conn)                     # MAIL FROM
    conn.sendall(b"".join(b"250-line %05d of a long reply\r\n" % i
                          for i in range(10000)) + b"250 ok\r\n")


def drip_rcpt_reply(conn, server):
    conn.sendall(b"220 mx.example ESMTP\r\n")
    read_line(conn)
    conn.sendall(b"250 mx.example\r\n")
    read_line(conn)                     # MAIL FROM
    conn.sendall(b"250 2.1.0 Ok\r\n")
    read_line(conn)                     # RCPT TO
    conn.sendall(b"250")
    send_until_closed(conn, b" ", pause=1.0)


def tls_close_mid_handshake(conn, server):
    conn.sendall(b"220 mx.example ESMTP\r\n")
    read_line(conn)
    conn.sendall(b"250-mx.example\r\n250 STARTTLS\r\n")
    line = read_line(conn)
    assert line.upper().startswith(b"STARTTLS"), line
    conn.sendall(b"220 2.0.0 Ready to start TLS\r\n")
    conn.settimeout(5)
    conn.recv(1024)                     # the ClientHello
    conn.sendall(b"\x16\x03\x03\x00\x40" + b"\x02" * 10)  # a torn ServerHello
    conn.shutdown(socket.SHUT_RDWR)


def serve_plainly(conn):
    """A plain, accepting server: what the client gets past garbage."""
    while True:
        line = read_line(conn).upper()
        if line.startswith(b"EHLO") or line.startswith(b"HELO"):
            conn.sendall(b"250 mx.example\r\n")
        elif line.startswith(b"DATA"):
            conn.sendall(b"354 go\r\n")
            while read_line(conn) != b".\r\n":
                pass
            conn.sendall(b"250 2.0.0 Ok: queued\r\n")
        elif line.startswith(b"QUIT"):
            conn.sendall(b"221 bye\r\n")
            return
        else:
            conn.sendall(b"250 2.0.0 Ok\r\n")


# --- the tests --------------------------------------------------------------

def relay_instance(make_instance, port, **main):
    params = {"relayhost": "[127.0.0.1]:%d" % port,
              "smtp_connection_cache_time_limit": "0s",
              "smtp_connect_timeout": "%ds" % STAGE,
              "smtp_helo_timeout": "%ds" % STAGE,
              "smtp_mail_timeout": "%ds" % STAGE,
              "smtp_rcpt_timeout": "%ds" % STAGE,
              "smtp_data_init_timeout": "%ds" % STAGE,
              "smtp_quit_timeout": "%ds" % STAGE,
              # qmgr does not give up first: the agent must end it itself
              "ipc_timeout": "120s"}
    params.update(main)
    return make_instance(delivery=True, main=params)


def send(inst):
    with inst.smtp(timeout=10) as s:
        s.ehlo("client.example")
        assert s.mail(SENDER)[0] == 250
        assert s.rcpt("a@dest.test")[0] == 250
        code, resp = s.data(MESSAGE)
        assert code == 250, resp
    qid = si.queued_id(resp)
    assert qid, resp
    return qid


def cpu_ticks(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])    # utime + stime
    except (OSError, IndexError, ValueError):
        return 0


def assert_no_spinning_smtp(inst):
    """No smtp process burns CPU once the delivery is settled (before the
    fix the endless-line agent ran at 65-90% of a CPU)."""
    pids = inst.children("smtp")
    before = {p: cpu_ticks(p) for p in pids}
    time.sleep(1.0)
    hz = os.sysconf("SC_CLK_TCK")
    for p in pids:
        used = cpu_ticks(p) - before[p]
        assert used < hz * 0.3, "smtp pid %d used %d ticks in 1 s" % (p, used)


def deferred(inst, qid, reason, within, dsn=r"4\.4\.2"):
    pattern = (r"%s: to=<a@dest\.test>, relay=.*dsn=%s, status=deferred \(%s"
               % (qid, dsn, reason))
    found = inst.wait_log(pattern, timeout=within)
    assert found, "no deferral matching %r within %.0f s:\n%s" % (
        pattern, within, inst.maillog()[-3000:])


def assert_dropped(server, within):
    assert si.wait_until(lambda: server.accepted and server.gone(0),
                         within), \
        "the client still talks to the hostile server after %.0f s" % within
    assert server.held_for(0) <= within, server.held_for(0)


@pytest.mark.parametrize("behaviour,reason", [
    (endless_greeting, r"protocol error \(reply line too long\) with "
     r"127\.0\.0\.1\[127\.0\.0\.1\] while receiving the initial server "
     r"greeting\)"),
    (drip_greeting, r"conversation timed out with 127\.0\.0\.1\[127\.0\.0\.1\]"
     r" while receiving the initial server greeting\)"),
    (garbage_before_greeting, r"protocol error \(malformed reply\) with "
     r"127\.0\.0\.1\[127\.0\.0\.1\] while receiving the initial server "
     r"greeting\)"),
    (huge_ehlo, r"protocol error \(too many reply lines\) with "
     r"127\.0\.0\.1\[127\.0\.0\.1\] while sending EHLO\)"),
    (ten_thousand_line_mail_reply, r"protocol error \(too many reply lines\)"
     r" with 127\.0\.0\.1\[127\.0\.0\.1\] while sending MAIL FROM\)"),
    (drip_rcpt_reply, r"conversation timed out with "
     r"127\.0\.0\.1\[127\.0\.0\.1\] while sending RCPT TO\)"),
], ids=lambda v: getattr(v, "__name__", "reason"))
def test_hostile_server_is_cut_off(make_instance, behaviour, reason):
    with HostileServer(behaviour) as server:
        inst = relay_instance(make_instance, server.port)
        qid = send(inst)
        within = STAGE + SLACK
        assert si.wait_until(lambda: server.accepted, 10.0), "no connection"
        assert_dropped(server, within + 1.0)
        deferred(inst, qid, reason, 10.0)
        assert_no_spinning_smtp(inst)


def test_tls_close_mid_handshake_defers(make_instance):
    with HostileServer(tls_close_mid_handshake) as server:
        inst = relay_instance(make_instance, server.port,
                              smtp_tls_security_level="encrypt")
        qid = send(inst)
        assert si.wait_until(lambda: server.accepted, 10.0), "no connection"
        assert_dropped(server, STAGE + SLACK)
        deferred(inst, qid, r"TLS handshake with 127\.0\.0\.1\[127\.0\.0\.1\]"
                 r" failed: ", 10.0, dsn=r"4\.7\.5")
        assert_no_spinning_smtp(inst)


def test_agent_stops_when_qmgr_gives_up(make_instance):
    # the stage timeout is long, qmgr's ipc_timeout short: qmgr defers the
    # message and closes the request's connection; the agent must notice
    # and hang up on the server instead of talking on for nobody
    ipc = 3
    with HostileServer(drip_greeting) as server:
        inst = relay_instance(make_instance, server.port,
                              smtp_helo_timeout="60s", ipc_timeout="%ds" % ipc)
        qid = send(inst)
        assert si.wait_until(lambda: server.accepted, 10.0), "no connection"
        found = inst.wait_log(r"%s: to=<a@dest\.test>.*status=deferred "
                              r"\(delivery agent smtp: timeout" % qid,
                              timeout=ipc + 10)
        assert found, inst.maillog()[-3000:]
        assert_dropped(server, ipc + SLACK)
        assert inst.wait_log(r"delivery abandoned \(qmgr stopped waiting\)",
                             5.0), inst.maillog()[-3000:]
        assert_no_spinning_smtp(inst)
