"""smtpd: a session cannot be held for ever (issue 14, item 8).

smtpd_timeout alone bounds each read, so a client that sends one byte
every two seconds with smtpd_timeout = 3s kept a command line, a DATA and
a BDAT alive for as long as it liked, and the DATA was queued in the end.
With smtpd_per_record_deadline (on by default) the timeout bounds a whole
command line, and the content of DATA or BDAT gets the same time plus what
it earns at smtpd_min_data_rate.  A client that only sends commands that
move no mail (RSET, NOOP, EHLO, ...) gets an error for each one past
smtpd_junk_command_limit and is disconnected at smtpd_hard_error_limit,
as in Postfix.

Each trickle test drips for at most DRIP_LIMIT seconds: the unmodified
server keeps the session through all of it (and queues the DATA), the
fixed one ends it within smtpd_timeout plus one drip interval.
"""

import select
import socket
import time

import pytest

import sluice_instance as si

TIMEOUT = 3             # smtpd_timeout, seconds
INTERVAL = 2.0          # one byte every INTERVAL seconds
DRIP_LIMIT = 9.0        # how long a trickle is kept up at most
CUT_BY = TIMEOUT + INTERVAL + 1.5   # when the fixed server has hung up


@pytest.fixture
def deadlines(make_instance):
    return make_instance(main={"smtpd_timeout": "%ds" % TIMEOUT})


def drip(c, data, interval=INTERVAL, limit=DRIP_LIMIT):
    """Send data one byte per interval until the server says something or
    closes, or limit seconds pass.  Returns (seconds, what it sent, closed)."""
    start = time.monotonic()
    got = b""
    for i in range(len(data)):
        if time.monotonic() - start > limit:
            return time.monotonic() - start, got, False
        try:
            c.sock.sendall(data[i:i + 1])
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - start, got, True
        ready, _, _ = select.select([c.sock], [], [], interval)
        if not ready:
            continue
        try:
            chunk = c.sock.recv(4096)
        except ConnectionResetError:
            return time.monotonic() - start, got, True
        got += chunk
        if not chunk:
            return time.monotonic() - start, got, True
        if b"\n" in got:
            # an answer: the server hangs up right after a timeout reply
            return time.monotonic() - start, got, c.closed_by_server(3.0)
    return time.monotonic() - start, got, False


def open_transaction(c):
    assert c.cmd("EHLO client.example").code == 250
    assert c.cmd("MAIL FROM:<a@client.example>").code == 250
    assert c.cmd("RCPT TO:<someone@localhost>").code == 250


def finish_if_open(c, tail):
    """The unmodified server is still listening: end the message, so that
    the test shows what it would have done with it."""
    try:
        c.send(tail)
        return c.reply(timeout=5)
    except (OSError, EOFError, socket.timeout):
        return None


def assert_cut(inst, elapsed, got, closed, after):
    assert closed, ("session still open after %.1f s of trickle; server "
                    "sent %r" % (elapsed, got))
    assert elapsed <= CUT_BY, "cut only after %.1f s" % elapsed
    assert b"421 4.4.2" in got, got
    assert inst.wait_log(r"timeout after %s from " % after), \
        inst.maillog()[-2000:]


def test_command_line_trickle_is_cut(deadlines):
    c = deadlines.raw()
    elapsed, got, closed = drip(c, b"EHLO client-with-a-long-name.example\r\n")
    c.close()
    assert_cut(deadlines, elapsed, got, closed, "CONNECT")


def test_data_trickle_is_cut_and_not_queued(deadlines):
    c = deadlines.raw()
    open_transaction(c)
    assert c.cmd("DATA").code == 354
    body = b"Subject: trickle\r\n\r\n" + b"a slow body line\r\n" * 4
    elapsed, got, closed = drip(c, body)
    if not closed:
        r = finish_if_open(c, b".\r\n")
        got += str(r).encode()
    c.close()
    assert_cut(deadlines, elapsed, got, closed, "DATA")
    time.sleep(0.5)
    assert deadlines.queue_ids() == [], "the trickled DATA was queued"


def test_bdat_trickle_is_cut_and_not_queued(deadlines):
    c = deadlines.raw()
    open_transaction(c)
    body = b"Subject: trickle\r\n\r\n" + b"a slow body line\r\n" * 4
    c.send(b"BDAT %d LAST\r\n" % len(body))
    elapsed, got, closed = drip(c, body)
    if not closed:
        # all but the bytes not yet sent: send them at once
        got += str(finish_if_open(c, body[int(elapsed / INTERVAL) + 1:])) \
            .encode()
    c.close()
    assert_cut(deadlines, elapsed, got, closed, "BDAT")
    time.sleep(0.5)
    assert deadlines.queue_ids() == [], "the trickled BDAT was queued"


def test_content_at_a_fair_rate_is_not_cut(deadlines):
    # 120 kB over about 5 s (24 kB/s, far above smtpd_min_data_rate) with
    # smtpd_timeout = 3s: the deadline moves on with the data
    c = deadlines.raw()
    open_transaction(c)
    assert c.cmd("DATA").code == 354
    c.send(b"Subject: steady\r\n\r\n")
    line = b"x" * 78 + b"\r\n"
    for _ in range(25):
        c.send(line * 60)
        time.sleep(0.2)
    r = c.cmd(b".")
    c.close()
    assert r.code == 250 and si.queued_id(str(r)), r


def test_per_read_timeouts_when_deadlines_are_off(make_instance):
    # smtpd_per_record_deadline = no is Postfix's default behaviour: each
    # read is bounded, not the line
    inst = make_instance(main={"smtpd_timeout": "2s",
                               "smtpd_per_record_deadline": "no"})
    c = inst.raw()
    # five bytes ("NOOP ") over 4 s, each within the 2 s timeout
    elapsed, got, closed = drip(c, b"NOOP and more\r\n", interval=0.8,
                                limit=3.5)
    assert not closed and got == b"", (elapsed, got)
    assert c.cmd(b"").code == 250
    c.close()


JUNK_LIMIT = 5
HARD_LIMIT = 3


@pytest.fixture
def junk(make_instance):
    return make_instance(main={"smtpd_junk_command_limit": str(JUNK_LIMIT),
                               "smtpd_hard_error_limit": str(HARD_LIMIT),
                               "smtpd_soft_error_limit": "100"})


def flood(c, command, most=60):
    """Send command until the server stops answering 250.  Returns the
    number of 250 replies and the reply that ended it (or None)."""
    ok = 0
    for _ in range(most):
        try:
            r = c.cmd(command)
        except (EOFError, ConnectionResetError, BrokenPipeError):
            return ok, None
        if r.code != 250:
            return ok, r
        ok += 1
    return ok, None


@pytest.mark.parametrize("command", ["RSET", "NOOP", "EHLO client.example",
                                     "HELO client.example"])
def test_junk_command_flood_is_disconnected(junk, command):
    c = junk.raw()
    ok, last = flood(c, command)
    closed = c.closed_by_server(3.0)
    c.close()
    # as Postfix: the limit, then one error per command to the hard limit
    assert last is not None, "%d %s answered, never cut off" % (ok, command)
    assert ok == JUNK_LIMIT + 1 + HARD_LIMIT, ok
    assert last.code == 421 and last.text.startswith("4.7.0"), last
    assert "too many errors" in last.text, last
    assert closed
    assert junk.wait_log(r"too many errors after %s from "
                         % command.split()[0]), junk.maillog()[-2000:]


def test_messages_reset_the_junk_count(junk):
    # a client that reuses its session (RSET before each message, as
    # Sluice's own smtp client does) is not junk: a message resets the count
    c = junk.raw()
    assert c.cmd("EHLO client.example").code == 250
    for i in range(3 * JUNK_LIMIT):
        assert c.cmd("RSET").code == 250, i
        assert c.cmd("NOOP").code == 250, i
        assert c.cmd("MAIL FROM:<a@client.example>").code == 250, i
        assert c.cmd("RCPT TO:<someone@localhost>").code == 250, i
        assert c.cmd("DATA").code == 354, i
        r = c.cmd(b"Subject: %d\r\n\r\nbody\r\n." % i)
        assert r.code == 250, (i, r)
    assert c.cmd("QUIT").code == 221
    c.close()
