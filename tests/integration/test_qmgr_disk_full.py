"""qmgr when the queue file system is full (issue 15, item 2).

A message to list@alias.test becomes a@dest1.test and b@dest2.test (two
next hops).  Since issue 16 cleanup writes them as two R records, and
the agent's done mark of a@ (a byte in place, no new block) is the
record of its delivery: the attempt goes to deferred/ with the reasons
of the previous one, and a@ is never delivered again ("expanded").  A
queue file from before issue 16 ("old", planted in incoming/) has one R
record for both, which qmgr expands, and its story is the one below.
In that case the message to list@alias.test is one
R record, two addresses, two next hops.  With both next hops down it is
deferred.  Then the queue's file system (a tmpfs of its own) fills up to
the last byte, dest1 comes up and the queue is flushed: a@dest1.test is
delivered, b@dest2.test deferred again, and the attempt's defer log, the
only record of "a@ was delivered" (the R record stays pending for b@),
cannot be written.  The message must not go to deferred/ without it
(the next attempt would deliver a@ a second time): qmgr keeps it in
active/ and in memory, says so once, retries without spinning, and
records the attempt once space is back, without a restart; a flush
during the episode makes them due at once after that, and that attempt
delivers a@ no second time.  Then dest2 comes up: every address has
exactly one copy and the queue is empty.

Needs root (it mounts the tmpfs); unprivileged it is skipped.
"""

import errno
import os
import re
import threading
import time

import pytest

import sluice_instance as si
from smtp_peer import Peer

MESSAGES = 3
LIST = "list@alias.test"
SENDER = "sender@client.example"
FAILING_RE = r"qmgr\[\d+\]: warning: \S+: .*queue writes are failing"
HELD_RE = r"qmgr\[\d+\]: (\S+): delivery attempt not recorded \("
RECORDED_RE = r"qmgr\[\d+\]: (\S+): delivery attempt recorded"
BACK_RE = r"qmgr\[\d+\]: queue writes work again"

needs_root = pytest.mark.skipif(not si.is_root(),
                                reason="needs root (mounts a tmpfs)")


def fill_up(path):
    """Write path until the file system has no byte left."""
    with open(path, "wb", buffering=0) as f:
        for chunk in (1 << 20, 4096, 1):
            try:
                while True:
                    f.write(b"\0" * chunk)
            except OSError as e:
                assert e.errno == errno.ENOSPC, e


def send(inst, n):
    with inst.smtp(timeout=10) as s:
        s.ehlo("client.example")
        assert s.mail(SENDER)[0] == 250
        assert s.rcpt(LIST)[0] == 250
        code, resp = s.data(b"Subject: full %d\r\nMessage-ID: <full-%d@"
                            b"client.example>\r\n\r\nbody %d\r\n"
                            % (n, n, n))
        assert code == 250, resp
    return si.queued_id(resp)


def flush(inst):
    r = inst.tool("sluice-queue", "-c", inst.etc, "-f", text=True)
    assert r.returncode == 0, r.stderr


def delivered(peer):
    with peer.lock:
        return [t for t in peer.transactions if t.data is not None]


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def count_log(inst, pattern):
    return re.findall(pattern, inst.maillog())


def plant(inst, n):
    """An old-format queue file to LIST (qmgr expands it); its ID."""
    return si.plant_queue_file(inst, si.old_format_queue_file(
        [LIST], b"Subject: full %d\nMessage-ID: <full-%d@client.example>\n"
        b"\nbody %d\n" % (n, n, n), SENDER), n)


def records_of(inst, qid, queue):
    msg = si.parse_queue_file(os.path.join(inst.queue, queue, qid))
    return [(r["address"], r["done"]) for r in msg.recipients]


@needs_root
@pytest.mark.parametrize("records", ["expanded", "old"])
def test_deferral_on_a_full_queue_waits_for_its_defer_log(make_instance,
                                                          records):
    port1, port2 = si.free_port(), si.free_port()
    inst = make_instance(delivery=True, start=False, main={
        "transport_maps": "inline:{ {dest1.test = smtp:[127.0.0.1]:%d},"
                          " {dest2.test = smtp:[127.0.0.1]:%d} }"
                          % (port1, port2),
        "virtual_alias_maps": "inline:{ {%s = a@dest1.test, b@dest2.test} }"
                              % LIST,
        "smtp_connection_cache_time_limit": "0s",
        # attempts only when the test flushes
        "minimal_backoff_time": "600s",
        "maximal_backoff_time": "600s",
        "queue_run_delay": "600s",
        "queue_minfree": "0",
        "message_size_limit": "100000",
    })
    with si.queue_on_tmpfs(inst, "4m"):
        inst.start()
        qids = sorted((plant if records == "old" else send)(inst, n)
                      for n in range(MESSAGES))
        assert si.wait_until(lambda: inst.queue_ids("deferred") == qids, 20), \
            inst.maillog()[-3000:]

        # the queue file system fills up; dest1 comes up, and answers the
        # final dot only once dest2's deferral is in, so that the
        # delivered address is known at the end of the attempt alone
        filler = os.path.join(inst.queue, "filler")
        fill_up(filler)
        gate = threading.Event()
        with Peer(port=port1) as peer1:
            answer = peer1._answer

            def held(cmd, default):
                if cmd == "DOT":
                    gate.wait(20)
                return answer(cmd, default)
            peer1._answer = held
            deferrals = len(count_log(inst, r"to=<b@dest2\.test>.*"
                                            r"status=deferred"))
            flush(inst)
            assert si.wait_until(lambda: len(count_log(
                inst, r"to=<b@dest2\.test>.*status=deferred")) ==
                deferrals + MESSAGES, 20), inst.maillog()[-3000:]
            gate.set()
            assert si.wait_until(lambda: len(delivered(peer1)) == MESSAGES,
                                 20), inst.maillog()[-3000:]

            if records == "old":
                # nothing goes to deferred/ without its sent= line: held
                # in active/; the episode is said once (naming the first
                # message), each other message once
                assert si.wait_until(lambda: len(count_log(
                    inst, HELD_RE)) >= MESSAGES - 1, 10), \
                    inst.maillog()[-3000:]
                time.sleep(0.5)
                held = count_log(inst, HELD_RE)
                assert len(held) == len(set(held)) and \
                    set(held) <= set(qids), inst.maillog()[-3000:]
                assert len(count_log(inst, FAILING_RE)) == 1, \
                    inst.maillog()[-3000:]
                assert inst.queue_ids("active") == qids
                assert inst.queue_ids("deferred") == []

                # retried with a back-off, not in a loop
                qmgr = inst.service_pids("qmgr")
                assert len(qmgr) == 1
                before = cpu_seconds(qmgr[0])
                time.sleep(3)
                assert cpu_seconds(qmgr[0]) - before < 0.5
                assert inst.queue_ids("active") == qids

                # a flush meanwhile: nothing can be recorded yet,
                # nothing is delivered again
                flush(inst)
                time.sleep(1)
                assert inst.queue_ids("active") == qids
                assert len(delivered(peer1)) == MESSAGES

                # space is back: recorded without a restart, said once;
                # the flush makes them due at once, and that attempt
                # skips a@
                os.unlink(filler)
                assert si.wait_until(lambda: count_log(inst, BACK_RE), 30), \
                    inst.maillog()[-3000:]
                assert sorted(count_log(inst, RECORDED_RE)) == qids
                assert si.wait_until(lambda: len(count_log(
                    inst, r"to=<b@dest2\.test>.*status=deferred")) ==
                    deferrals + 2 * MESSAGES, 10), inst.maillog()[-3000:]
                assert si.wait_until(lambda: inst.queue_ids("deferred") ==
                                     qids, 10)
                assert len(delivered(peer1)) == MESSAGES
                assert inst.service_pids("qmgr") == qmgr

            else:
                # a@ is a record of its own, marked done by the agent: no
                # sent= line needed, nothing held, the attempt recorded
                assert si.wait_until(lambda: inst.queue_ids("deferred") ==
                                     qids, 10), inst.maillog()[-3000:]
                assert count_log(inst, HELD_RE) == []
                for qid in qids:
                    assert records_of(inst, qid, "deferred") == [
                        ("a@dest1.test", True), ("b@dest2.test", False)]
                # a flush while the disk is full: a@ is not sent again
                flush(inst)
                time.sleep(1)
                assert len(delivered(peer1)) == MESSAGES
                os.unlink(filler)

            # dest2 comes up: b@ once each, and a@ not again
            with Peer(port=port2) as peer2:
                flush(inst)
                inst.wait_queue_empty(timeout=30)
                assert len(delivered(peer2)) == MESSAGES
                assert all(len(t.rcpts) == 1 and
                           t.rcpts[0].startswith("RCPT TO:<b@dest2.test>")
                           for t in delivered(peer2))
            assert len(delivered(peer1)) == MESSAGES
            assert all(len(t.rcpts) == 1 and
                       t.rcpts[0].startswith("RCPT TO:<a@dest1.test>")
                       for t in delivered(peer1))
