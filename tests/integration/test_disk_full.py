"""A full queue file system, the way the issue's operator met it (issue 15).

The queue and the maillog share a 12 MB tmpfs; relayhost is a loopback
port with nothing listening, so every accepted message stays queued.
CLIENTS clients send one 64 KB message each, THREADS at a time (twice
what fits), while random daemons (smtpd, cleanup, qmgr, smtp) are
SIGKILLed, during the load and after it with the disk full.  The queue
is flushed while the disk is still full (every deferral fails to be
written), then a relay peer comes up on that port and the queue is
flushed again.  Checked: no
5xx reply; every message that got 250 reaches the peer, exactly once;
nothing is left in the queue (corrupt/ and hold/ included) but the
unfinished files of killed cleanup processes (mode 0600 in incoming/,
removed at the next start as DESIGN.md says); no log line
is torn (half a line glued to the next); and once the space is back the
same instance (no restart) accepts and delivers new mail.  Root only: it
mounts the tmpfs, and unmounts it also after a failure.
"""

import collections
import concurrent.futures
import contextlib
import os
import random
import re
import shutil
import signal
import smtplib
import subprocess
import time

import pytest

import sluice_instance as si
from smtp_peer import Peer

CLIENTS = 400
THREADS = 50
SIZE = 64 * 1024
KILL_EVERY = 0.15           # seconds between SIGKILLs while clients send
KILLS = 12                  # in all; those left when the load is over
                            # come after it, with the disk full
SENDER = "load@client.example"
LOAD_DEADLINE = 90.0
DRAIN_DEADLINE = 120.0
STALL = 30.0
FULL_FLUSHES = 3            # sluice-queue -f with the disk full, before
FULL_FLUSH_PAUSE = 2.0      # the relay comes up, this far apart
# a log line that holds a second time stamp: the end of a torn line
TORN = re.compile(r".[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} ")

needs_root = pytest.mark.skipif(not si.is_root(),
                                reason="needs root (mounts a tmpfs)")


@contextlib.contextmanager
def spool_on_tmpfs(inst, size="12m"):
    """Move the (stopped) instance's queue and maillog onto one tmpfs;
    on the way out stop the instance, keep the log where the fixture
    looks for it, and unmount, also after a failure."""
    spool = os.path.join(inst.dir, "spool")
    os.mkdir(spool, 0o755)
    old_log = inst.maillog_path
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o",
                              "size=%s,mode=0755" % size, "tmpfs",
                              spool]).returncode == 0
    try:
        if not mounted:
            pytest.fail("cannot mount a tmpfs on %s" % spool)
        queue = os.path.join(spool, "queue")
        subprocess.run(["cp", "-a", inst.queue, queue], check=True)
        logdir = os.path.join(spool, "log")
        if os.path.isdir(os.path.dirname(old_log)):
            subprocess.run(["cp", "-a", os.path.dirname(old_log), logdir],
                           check=True)
        else:
            os.mkdir(logdir, 0o755)
        inst.set_main({"queue_directory": queue,
                       "maillog_file": os.path.join(logdir, "maillog")})
        inst.queue = queue
        inst.incoming = os.path.join(queue, "incoming")
        inst.maillog_path = os.path.join(logdir, "maillog")
        yield spool
    finally:
        inst.stop()
        if os.path.exists(inst.maillog_path) and inst.maillog_path != old_log:
            os.makedirs(os.path.dirname(old_log), exist_ok=True)
            shutil.copyfile(inst.maillog_path, old_log)
        inst.maillog_path = old_log
        if mounted and subprocess.run(["umount", spool]).returncode:
            subprocess.run(["umount", "-l", spool])


def fill_up(spool):
    """Take every free byte of the file system spool is on, in a file
    of root's there; its path."""
    path = os.path.join(spool, "filler")
    chunk = b"f" * 65536
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        while True:
            try:
                os.write(fd, chunk)
            except OSError:
                chunk = chunk[:len(chunk) // 2]
                if not chunk:
                    break
    finally:
        os.close(fd)
    return path


def body(n):
    head = ("From: %s\r\nTo: to%d@remote.test\r\nSubject: full disk %d\r\n"
            "Message-ID: <full-%d@client.example>\r\n\r\n"
            % (SENDER, n, n, n)).encode()
    line = b"z" * 76 + b"\r\n"
    return head + line * ((SIZE - len(head)) // len(line))


def client(port, n):
    """One session, one message: (n, final code or None, text)."""
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
            s.ehlo("client.example")
            code, resp = s.mail(SENDER)
            if code == 250:
                code, resp = s.rcpt("to%d@remote.test" % n)
            if code == 250:
                code, resp = s.data(body(n))
            return n, code, resp
    except smtplib.SMTPResponseException as e:
        return n, e.smtp_code, e.smtp_error
    except (smtplib.SMTPException, OSError) as e:
        return n, None, repr(e)


def kill_random(inst, rng):
    """SIGKILL one live child of a random daemon; (service, pid) or None."""
    services = ["cleanup", "qmgr", "smtp", inst.smtpd_service_name()]
    rng.shuffle(services)
    for service in services:
        for pid in inst.service_pids(service):
            try:
                os.kill(pid, signal.SIGKILL)
                return service, pid
            except ProcessLookupError:
                continue
    return None


def received_ids(peer):
    counts = collections.Counter()
    with peer.lock:
        txns = list(peer.transactions)
    for t in txns:
        m = re.search(rb"(?im)^Message-ID:\s*<full-(\d+)@", t.data or b"")
        if m:
            counts[int(m.group(1))] += 1
    return counts


def leftovers(inst):
    """[(queue, id, mode)] of the message files still queued."""
    out = []
    for q, i in inst.queue_files(si.LIVE_QUEUES + ("hold", "corrupt")):
        try:
            mode = os.stat(inst.queue_path(i, q)).st_mode & 0o7777
        except FileNotFoundError:
            continue
        out.append((q, i, "%o" % mode))
    return out


@needs_root
def test_full_queue_file_system_loses_nothing(make_instance):
    port = si.free_port()
    rng = random.Random(15)
    inst = make_instance(delivery=True, start=False, main={
        "relayhost": "[127.0.0.1]:%d" % port,
        "message_size_limit": "1000000",
        "minimal_backoff_time": "1s",
        "maximal_backoff_time": "2s",
        "queue_run_delay": "1s",
        "service_throttle_time": "1s",
    })
    with spool_on_tmpfs(inst) as spool:
        inst.start()
        master = inst.master_pid

        # the load, with kills while it runs and once the disk is full
        results, kills = [], []
        deadline = time.monotonic() + LOAD_DEADLINE
        with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
            futures = [pool.submit(client, inst.port, n)
                       for n in range(CLIENTS)]
            while not all(f.done() for f in futures) and \
                    time.monotonic() < deadline:
                time.sleep(KILL_EVERY)
                if len(kills) < KILLS:
                    k = kill_random(inst, rng)
                    if k:
                        kills.append(k)
            results = [f.result(max(1.0, deadline - time.monotonic()))
                       for f in futures]
        during = len(kills)
        for _ in range(3 * KILLS):
            if len(kills) >= KILLS:
                break
            time.sleep(0.4)
            k = kill_random(inst, rng)
            if k:
                kills.append(k)
        acked = {n for n, code, _ in results if code == 250}
        five = [(n, code, text) for n, code, text in results
                if code is not None and code >= 500]
        assert five == [], "5xx answers: %r" % five[:5]
        # the test means nothing unless the disk filled up
        assert 0 < len(acked) < CLIENTS, \
            "%d of %d acknowledged" % (len(acked), CLIENTS)
        assert during > 0 and len(kills) == KILLS, kills

        # the last bytes go too (a log that grew: queue_minfree kept
        # them for qmgr so far), and the queue is flushed while the
        # relay is still down: every message is attempted and its
        # deferral cannot be written.  That must not hold them in
        # active/ waiting for space that only their delivery gives back
        # (all of them stuck there once the relay is up, the disk still
        # full: the livelock this step reproduces)
        filler = fill_up(spool)
        for _ in range(FULL_FLUSHES):
            inst.tool("sluice-queue", "-c", inst.etc, "-f")
            time.sleep(FULL_FLUSH_PAUSE)

        # the relay comes up; the queue drains
        with Peer(port=port) as peer:
            last, last_change = -1, time.monotonic()
            end = time.monotonic() + DRAIN_DEADLINE
            next_flush = 0.0
            while time.monotonic() < end:
                got = received_ids(peer)
                if acked <= set(got) and not [
                        f for f in leftovers(inst) if f[2] != "600"]:
                    break
                if len(got) != last:
                    last, last_change = len(got), time.monotonic()
                elif time.monotonic() - last_change > STALL:
                    break
                if time.monotonic() >= next_flush:
                    inst.tool("sluice-queue", "-c", inst.etc, "-f")
                    next_flush = time.monotonic() + 2.0
                time.sleep(0.2)
            time.sleep(0.5)
            got = received_ids(peer)
            lost = sorted(acked - set(got))
            dups = sorted(n for n, c in got.items() if c > 1)
            # a SIGKILLed cleanup leaves its unfinished files (mode 0600,
            # never acknowledged) in incoming/ until the next start-up
            left = [f for f in leftovers(inst)
                    if f[0] != "incoming" or f[2] != "600"]
            assert (lost, dups, left) == ([], [], []), (
                "%d acknowledged, %d received; lost %s; duplicated %s; "
                "left in the queue %s; kills %s"
                % (len(acked), len(got), lost[:20], dups[:20], left[:20],
                   kills))

            # space is back: the same master takes and delivers new mail
            os.unlink(filler)
            def accepted():
                r = client(inst.port, CLIENTS)
                return r[1] == 250
            assert si.wait_until(accepted, 5.0, interval=0.5), \
                "no 250 once the space was back"
            assert si.wait_until(lambda: received_ids(peer)[CLIENTS] >= 1,
                                 30.0, interval=0.1), \
                "the new message was not delivered"
            assert inst.master_pid == master and si.pid_alive(master)

        log = inst.maillog()
        print("deferred with old reasons: %d, attempts held in active/: %d"
              % (log.count("deferred with the reasons of its previous"),
                 log.count("kept in active/ and retried")))
        torn = [line for line in log.split("\n")
                if TORN.search(line)]
        assert torn == [], "torn log lines: %r" % torn[:5]
