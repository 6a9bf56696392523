"""loadgen - an asyncio SMTP load generator that times end-of-data.

Keeps `sessions` connections busy until `count` messages are sent; like
smtp-source it opens a new connection per message (per_session=1) unless
told otherwise.  For each message it records the time from writing the
final "\\r\\n.\\r\\n" to reading the complete 250 reply: that is the MTA's
accept latency, the fsync of its queue file included.  No PIPELINING,
so every command waits for its reply.

With source, every connection is made from that local address (e.g.
127.0.0.2, a client outside mynetworks = 127.0.0.1/32), which
smtp-source cannot do.

Also: hold_idle() opens sessions that greet, EHLO and then sit idle.
"""

import asyncio
import time


class SmtpFailure(Exception):
    pass


async def _reply(reader, timeout):
    lines = []
    while True:
        line = await asyncio.wait_for(reader.readline(), timeout)
        if not line:
            raise SmtpFailure("connection closed; got %r" % lines)
        lines.append(line)
        if len(line) < 4 or line[3:4] != b"-":
            return int(line[:3]), b"".join(lines)


async def _cmd(reader, writer, line, want, timeout):
    writer.write(line)
    code, text = await _reply(reader, timeout)
    if code // 100 != want:
        raise SmtpFailure("%r -> %r" % (line.strip(), text))
    return code


def make_body(size, n):
    """A message of about size bytes of body text, with a header."""
    head = ("From: bench@source.test\r\nTo: bench@dest.test\r\n"
            "Subject: bench %d\r\nMessage-ID: <bench.%d.%f@source.test>\r\n\r\n"
            % (n, n, time.time())).encode()
    line = b"x" * 76 + b"\r\n"
    body = line * (size // len(line) + 1)
    return head + body[:size]


async def _session_loop(host, port, queue, recipients_for, size, per_session,
                        latencies, errors, stats, timeout, greet_timeout,
                        source=None):
    while True:
        try:
            n = queue.get_nowait()
        except asyncio.QueueEmpty:
            return
        writer = None
        try:
            # A connect or greeting that takes greet_timeout is given up
            # and retried, as a real client would (much later): a full
            # listen queue drops the handshake's last ACK, and the client
            # then waits forever on an "established" socket.
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(
                        host, port,
                        local_addr=(source, 0) if source else None),
                    greet_timeout)
                code, _ = await _reply(reader, greet_timeout)
            except (OSError, SmtpFailure, asyncio.TimeoutError):
                stats["reconnects"] += 1
                queue.put_nowait(n)
                if stats["reconnects"] > stats["max_reconnects"]:
                    errors.append("too many failed connects")
                    return
                continue
            if code != 220:
                raise SmtpFailure("greeting %d" % code)
            await _cmd(reader, writer, b"EHLO client.source.test\r\n", 2,
                       timeout)
            done = 0
            while True:
                await _cmd(reader, writer, b"MAIL FROM:<bench@source.test>\r\n",
                           2, timeout)
                for r in recipients_for(n):
                    await _cmd(reader, writer, b"RCPT TO:<%s>\r\n" % r.encode(),
                               2, timeout)
                await _cmd(reader, writer, b"DATA\r\n", 3, timeout)
                writer.write(make_body(size, n))
                t0 = time.monotonic()
                writer.write(b"\r\n.\r\n")
                code, text = await _reply(reader, timeout)
                t1 = time.monotonic()
                if code != 250:
                    raise SmtpFailure("end of data -> %r" % text)
                latencies.append(t1 - t0)
                done += 1
                if done >= per_session:
                    break
                try:
                    n = queue.get_nowait()
                except asyncio.QueueEmpty:
                    break
            writer.write(b"QUIT\r\n")
            try:
                await asyncio.wait_for(reader.read(), 2)
            except asyncio.TimeoutError:
                pass
        except (OSError, SmtpFailure, asyncio.TimeoutError) as e:
            errors.append("%s: %s" % (type(e).__name__, e))
            if len(errors) > 50:
                return
        finally:
            if writer is not None:
                writer.close()


def run_load(host, port, count, sessions, recipients_for, size=4096,
             per_session=1, timeout=60.0, greet_timeout=10.0, stats=None,
             source=None):
    """Send count messages over `sessions` parallel sessions (from the
    local address source, if given).
    Returns (latencies in seconds, errors, elapsed seconds); stats (a
    dict, if given) gets "reconnects": connects/greetings retried."""
    if stats is None:
        stats = {}
    stats.update(reconnects=0, max_reconnects=max(100, 2 * count))
    async def main():
        queue = asyncio.Queue()
        for i in range(count):
            queue.put_nowait(i)
        latencies, errors = [], []
        t0 = time.monotonic()
        await asyncio.gather(*[
            _session_loop(host, port, queue, recipients_for, size,
                          per_session, latencies, errors, stats, timeout,
                          greet_timeout, source)
            for _ in range(min(sessions, count))])
        return latencies, errors, time.monotonic() - t0
    return asyncio.run(main())


def hold_idle(host, port, sessions, hold_seconds, during, timeout=5.0):
    """Open sessions that greet + EHLO and stay idle; calls during()
    (in a thread) while they are held.  Returns (greeted, during's
    result)."""
    async def one(conns):
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port), timeout)
        except (OSError, asyncio.TimeoutError):
            return False
        conns.append(writer)
        try:
            await _reply(reader, timeout)
            await _cmd(reader, writer, b"EHLO idle.source.test\r\n", 2, timeout)
            return True
        except (OSError, SmtpFailure, asyncio.TimeoutError):
            return False

    async def main():
        conns = []
        tasks = [asyncio.ensure_future(one(conns)) for _ in range(sessions)]
        done = await asyncio.gather(*tasks)
        await asyncio.sleep(hold_seconds)
        result = await asyncio.get_running_loop().run_in_executor(None, during)
        for w in conns:
            w.close()
        return sum(1 for d in done if d), result
    return asyncio.run(main())
