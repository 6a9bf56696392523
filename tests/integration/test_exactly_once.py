"""Exactly once: 1000 messages to 3 recipients each, delivered while the
queue manager and the delivery agents are SIGKILLed in the middle.

qmgr marks a recipient done only after the agent's success, so a kill in
between offers the recipient again; local must recognise its earlier
Maildir copy (deterministic names, link(2)) and say success without a
second one.  At the end every recipient holds exactly one copy of every
message (counted by Message-ID) and the queue is empty.
"""

import collections
import os
import re
import signal
import threading
import time

import pytest

import sluice_instance as si
from smtp_peer import Peer

MESSAGES = 1000
SESSIONS = 4
KILLS_EACH = 3
KILL_INTERVAL = 0.15            # seconds between kills
DEADLINE = 180.0                # seconds for the whole run
STALL = 30.0                    # seconds without a new delivery = stuck
RECIPIENTS = ("user@example.test", "postmaster@example.test",
              "third@example.test")
SENDER = "load@client.example"


def body(n):
    return (b"From: load@client.example\r\n"
            b"To: three recipients\r\n"
            b"Subject: exactly once %d\r\n"
            b"Message-ID: <once-%d@client.example>\r\n"
            b"\r\n"
            b"message number %d\r\n" % (n, n, n)) + b"x" * 200 + b"\r\n"


ALIAS_TO_TWO = "inline:{ {list@alias.test = a@dest1.test, b@dest2.test} }"


def fanout_instance(make_instance, peer1, peer2, **main):
    """list@alias.test becomes a@dest1.test (to peer1) and b@dest2.test
    (to peer2), each next hop a loopback peer"""
    params = {
        "transport_maps": "inline:{ {dest1.test = smtp:[127.0.0.1]:%d},"
                          " {dest2.test = smtp:[127.0.0.1]:%d} }"
                          % (peer1.port, peer2.port),
        "virtual_alias_maps": ALIAS_TO_TWO,
        "smtp_connection_cache_time_limit": "0s",
    }
    params.update(main)
    return make_instance(delivery=True, main=params)


def peer_holding_the_dot(**kw):
    """A Peer that answers the final dot only once the event is set;
    peer.at_dot is set when it has the content and waits."""
    gate = threading.Event()
    peer = Peer(**kw)
    peer.at_dot = threading.Event()
    answer = peer._answer

    def held_answer(cmd, default):
        if cmd == "DOT":
            peer.at_dot.set()
            gate.wait(20)
        return answer(cmd, default)
    peer._answer = held_answer
    return peer, gate


def send_one(inst, rcpt, n, options=()):
    """Message n to one recipient in a session of its own; its queue ID."""
    with inst.smtp(timeout=10) as s:
        s.ehlo("client.example")
        s.mail(SENDER)
        code, resp = s.rcpt(rcpt, list(options))
        assert code == 250, resp
        code, resp = s.data(body(n))
        assert code == 250, resp
    return si.queued_id(resp)


def sender_session(inst, numbers, errors):
    try:
        with inst.smtp(timeout=30) as s:
            s.ehlo("client.example")
            for n in numbers:
                refused = s.sendmail(SENDER, list(RECIPIENTS), body(n))
                if refused:
                    errors.append("message %d refused: %r" % (n, refused))
    except Exception as e:      # reported by the main thread
        errors.append("session %d..: %r" % (numbers[0], e))


def count_by_message_id(maildir):
    counts = collections.Counter()
    for path in si.maildir_files(maildir, ("new", "cur")):
        counts[si.message_id_of(si.read_bytes(path))] += 1
    return counts


def kill_one(inst, services):
    """SIGKILL one live child serving one of services; its pid or None."""
    for service in services:
        for pid in inst.service_pids(service):
            try:
                os.kill(pid, signal.SIGKILL)
                return pid
            except ProcessLookupError:
                continue
    return None


def test_exactly_once_across_sigkill(make_instance, sluice_bin):
    if not os.access(os.path.join(sluice_bin, "sluice-map"), os.X_OK):
        pytest.skip("sluice-map is not built: cannot add the third "
                    "virtual mailbox")
    inst = make_instance(
        delivery=True,
        main={
            # a kill right after a restart is not a broken program
            "service_throttle_time": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "queue_run_delay": "1s",
        },
        before_start=lambda i: i.add_vmailbox("third@example.test",
                                               "example.test/third/"))
    deadline = time.monotonic() + DEADLINE
    errors = []
    numbers = list(range(MESSAGES))
    threads = [threading.Thread(target=sender_session,
                                args=(inst, numbers[k::SESSIONS], errors))
               for k in range(SESSIONS)]
    for t in threads:
        t.start()

    kills = {"qmgr": [], "agent": []}
    # Kill while there is work in the queue, alternating, a little apart
    # (the optimised build takes the whole run in a couple of seconds).
    # The last qmgr kill waits until the SMTP sessions are over, when
    # there is work left: then no cleanup poke restarts qmgr by accident,
    # and the master has to bring it back by itself.
    after_sending = None
    turn = 0
    while (len(kills["qmgr"]) < KILLS_EACH or
           len(kills["agent"]) < KILLS_EACH) and time.monotonic() < deadline:
        time.sleep(KILL_INTERVAL)
        sending = any(t.is_alive() for t in threads)
        if not inst.queue_files(("incoming", "active", "deferred")):
            if not sending:
                break
            continue
        wanted = [w for w in (("qmgr", "agent")[turn % 2],
                              ("agent", "qmgr")[turn % 2])
                  if len(kills[w]) < KILLS_EACH and
                  not (w == "qmgr" and sending and
                       len(kills[w]) == KILLS_EACH - 1)]
        if not wanted:
            continue
        which = wanted[0]
        pid = kill_one(inst, ("qmgr",) if which == "qmgr"
                       else ("virtual", "local"))
        if pid:
            kills[which].append(pid)
            if which == "qmgr" and not sending:
                after_sending = pid
            turn += 1
    for t in threads:
        t.join(max(1.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), \
        "SMTP sessions still running after %.0fs" % DEADLINE
    assert errors == [], errors[:5]
    # the last qmgr kill finds no work when delivery keeps up with SMTP
    assert len(kills["qmgr"]) >= KILLS_EACH - 1 and \
        len(kills["agent"]) == KILLS_EACH, \
        ("delivery finished before the kills could land: %r" % kills)

    expected = {"<once-%d@client.example>" % n for n in range(MESSAGES)}
    maildirs = [inst.vmaildir(r.split("@")[0]) for r in RECIPIENTS]

    def delivered():
        return sum(len(si.maildir_files(m, ("new", "cur"))) for m in maildirs)

    # wait for the end, but fail early when nothing moves any more
    last, last_change = -1, time.monotonic()
    done = False
    while time.monotonic() < deadline:
        now_count = delivered()
        if now_count >= MESSAGES * len(maildirs) and not inst.queue_files():
            done = True
            break
        if now_count != last:
            last, last_change = now_count, time.monotonic()
        elif time.monotonic() - last_change > STALL:
            break
        time.sleep(0.5)
    counts = {m: count_by_message_id(m) for m in maildirs}
    summary = {os.path.basename(m): (len(counts[m]), sum(counts[m].values()))
               for m in maildirs}
    for m in maildirs:
        dup = {k: v for k, v in counts[m].items() if v != 1}
        assert not dup, "%s: duplicates %r" % (m, list(dup.items())[:5])
    assert done, ("not all delivered (no progress for %.0fs, or past %.0fs): "
                  "(distinct, files) per mailbox %r; queue %s; qmgr killed "
                  "after the last SMTP session: %s; live services %r; last "
                  "maillog lines:\n%s"
                  % (STALL, DEADLINE, summary, inst.queue_listing(),
                     after_sending is not None,
                     sorted(si.service_of(p) for p in inst.children()),
                     "\n".join(inst.maillog().split("\n")[-8:])))
    for m in maildirs:
        assert set(counts[m]) == expected, \
            "%s: missing %r" % (m, sorted(expected - set(counts[m]))[:5])
    inst.wait_queue_empty(timeout=5)
    # the master noticed and replaced what we killed
    log = inst.maillog()
    for pid in kills["qmgr"] + kills["agent"]:
        assert "pid %d killed by signal 9" % pid in log


@pytest.mark.parametrize("cut", [False, True])
def test_removal_cut_short_is_finished_by_the_next_qmgr(make_instance, cut):
    """qmgr retires a finished message by setting its mode to 0600 (so
    that the file never looks complete again), cutting it when long, and
    moving it into recycle/ (lib/queue/queue_recycle.h).  SIGKILLed between
    the mode change and the move, it leaves a finished message in
    active/ at mode 0600, whole or cut.  The next qmgr must finish the
    removal: moved back to incoming/ such a file would pass for a message
    cleanup is still writing and stay there for good (seen once in
    test_exactly_once_across_sigkill)."""
    def no_qmgr(inst):
        inst.saved_master_cf = inst.master_cf()
        inst.write_master_cf("\n".join(
            line for line in inst.master_cf().split("\n")
            if not line.split() or line.startswith("#") or
            line.split()[0] != "qmgr"))
    inst = make_instance(delivery=True, master=no_qmgr)
    with inst.smtp() as s:
        s.sendmail(SENDER, ["user@example.test"], body(1))
    qids = inst.queue_ids()
    assert len(qids) == 1, qids
    qid = qids[0]
    assert si.wait_until(lambda: inst.is_complete(qid), 5)
    inst.stop()
    # what a qmgr killed inside queue_recycle_put() leaves behind
    active = os.path.join(inst.queue, "active")
    path = os.path.join(active, qid)
    os.rename(inst.queue_path(qid), path)
    os.chmod(path, 0o600)
    if cut:
        os.truncate(path, 0)
    inst.write_master_cf(inst.saved_master_cf)
    inst.start()

    assert si.wait_until(
        lambda: "%s: removed" % qid in inst.maillog(), 10), \
        inst.maillog()[-2000:]
    assert "%s: finishing a removal cut short" % qid in inst.maillog()
    assert inst.queue_files() == []
    # it was finished: nothing is delivered again
    time.sleep(0.5)
    assert si.maildir_files(inst.vmaildir("user"), ("new", "cur")) == []
    assert "%s: to=" % qid not in inst.maillog()


@pytest.mark.parametrize("rcpt,notify", [
    ("someone@dest.test", None),
    ("list@alias.test", None),          # one record, two recipients
    ("someone@dest.test", "SUCCESS"),
])
def test_relayed_recipient_survives_a_qmgr_crash(make_instance, rcpt, notify):
    """An SMTP server cannot recognise a second copy, so a recipient
    relayed just before qmgr died must not be offered again: the smtp
    agent marks its queue-file record done before it replies (qmgr asks
    for that with rcpt_mark when the record is that recipient's alone
    and no success notice is owed).  qmgr is stopped while the peer holds
    its reply to the final dot, killed once the agent has logged the
    delivery, and its successor must remove the message without a second
    delivery.  The same for an alias that becomes two recipients of one
    request (the record is marked when both are delivered).  With
    NOTIFY=SUCCESS the notice must not be lost, so the agent leaves the
    record alone and the recipient is offered again (at least once) -
    which also proves the kill landed in time."""
    peer, gate = peer_holding_the_dot()
    with peer:
        inst = make_instance(delivery=True, main={
            "relayhost": "[127.0.0.1]:%d" % peer.port,
            "smtp_connection_cache_time_limit": "0s",
            "service_throttle_time": "1s",
            "virtual_alias_maps":
                "inline:{ {list@alias.test = a@dest.test, b@dest.test} }",
        })
        qmgr = inst.wait_service_pid("qmgr")
        qid = send_one(inst, rcpt, 7,
                       ["NOTIFY=%s" % notify] if notify else [])
        try:
            # the peer has the content when the agent waits for the dot's
            # reply; stop qmgr before that reply can reach it
            assert inst.wait_log(r"%s: from=<" % qid, 10)
            time.sleep(0.5)
            os.kill(qmgr, signal.SIGSTOP)
        finally:
            gate.set()
        assert inst.wait_log(r"%s: to=<[^>]*@dest.test>.*status=sent"
                             % qid, 10), inst.maillog()[-2000:]
        time.sleep(0.2)     # the agent logs, then marks, then replies
        os.kill(qmgr, signal.SIGKILL)
        os.kill(qmgr, signal.SIGCONT)
        inst.wait_service_pid("qmgr", timeout=10, exclude=(qmgr,))
        if notify:
            assert si.wait_until(lambda: len(peer.transactions) >= 2, 20), \
                "the kill came too late to test anything"
        else:
            assert inst.wait_log(r"%s: removed" % qid, 20), \
                inst.maillog()[-2000:]
            time.sleep(1)
            assert len(peer.transactions) == 1, \
                "delivered %d times" % len(peer.transactions)
            got = sorted(r for t in peer.transactions for r in t.rcpts)
            want = ["a@dest.test", "b@dest.test"] \
                if rcpt.startswith("list@") else [rcpt]
            assert [re.search(r"<([^>]*)>", r).group(1) for r in got] \
                == want, got


def fanout_records(inst, qid):
    """The recipient records of qid wherever it is queued: (address,
    original, done), in file order."""
    for queue in ("active", "deferred", "incoming"):
        try:
            msg = si.parse_queue_file(os.path.join(inst.queue, queue, qid))
        except FileNotFoundError:
            continue
        return [(r["address"], r["original"], r["done"])
                for r in msg.recipients]
    return None


def test_alias_fanout_retry_delivers_each_address_once(make_instance):
    """A virtual alias that became two addresses at two next hops, one
    delivered and one deferred.  cleanup wrote each address as a record
    of its own (the alias kept as its original), so the delivered one is
    marked done and every later attempt delivers only the deferred
    address, not the delivered one again."""
    ok_peer = Peer()
    slow_peer = Peer(answers={"RCPT": "450 4.2.0 try later"})
    with ok_peer, slow_peer:
        inst = fanout_instance(make_instance, ok_peer, slow_peer,
                               minimal_backoff_time="1s",
                               maximal_backoff_time="1s",
                               queue_run_delay="1s")
        qid = send_one(inst, "list@alias.test", 3)
        deferred = r"%s: to=<b@dest2.test>.*status=deferred" % qid
        assert si.wait_until(
            lambda: len(re.findall(deferred, inst.maillog())) >= 3, 30), \
            inst.maillog()[-2000:]
        assert len(ok_peer.transactions) == 1, \
            "a@dest1.test delivered %d times" % len(ok_peer.transactions)
        assert fanout_records(inst, qid) == [
            ("a@dest1.test", "list@alias.test", True),
            ("b@dest2.test", "list@alias.test", False)]
        log = open(os.path.join(inst.queue, "defer", qid)).read()
        assert "sent=" not in log, log
        # the slow next hop recovers: b goes, a still once, the file goes
        del slow_peer.answers["RCPT"]
        assert inst.wait_log(r"%s: removed" % qid, 20), \
            inst.maillog()[-2000:]
        assert len(ok_peer.transactions) == 1
        assert len([t for t in slow_peer.transactions if t.data]) == 1


def test_alias_fanout_survives_a_qmgr_crash_between_jobs(make_instance):
    """A virtual alias to two next hops: one job is done while the other
    is still out.  Each address is a record of its own (cleanup expanded
    the alias), so the delivered one is marked done at once; a qmgr
    killed before the attempt ends must not make its successor send that
    address again (the other one, whose answer the killed qmgr never
    read, is offered again: at least once)."""
    ok_peer = Peer()
    slow_peer, gate = peer_holding_the_dot()
    with ok_peer, slow_peer:
        inst = fanout_instance(make_instance, ok_peer, slow_peer,
                               service_throttle_time="1s")
        qmgr = inst.wait_service_pid("qmgr")
        try:
            qid = send_one(inst, "list@alias.test", 5)

            def marked():
                return (fanout_records(inst, qid) or [(0, 0, False)])[0][2]
            assert si.wait_until(marked, 10), inst.maillog()[-2000:]
            os.kill(qmgr, signal.SIGKILL)
        finally:
            gate.set()
        assert inst.wait_log(r"%s: removed" % qid, 20), \
            inst.maillog()[-2000:]
        assert len(ok_peer.transactions) == 1, \
            "a@dest1.test delivered %d times" % len(ok_peer.transactions)
        assert len([t for t in slow_peer.transactions if t.data]) >= 1


def test_qmgr_killed_before_reading_fanout_replies_delivers_none_twice(
        make_instance):
    """An alias to a virtual mailbox and two relay next hops: three
    requests.  qmgr is stopped while both SMTP peers hold their reply to
    the final dot, the peers then accept, and qmgr is SIGKILLed without
    having read either reply.  cleanup made each address a record of its
    own, so each agent marked its record done before it answered; the
    next qmgr must deliver nothing again and remove the message.  (With
    the alias one record, expanded by qmgr, no agent could mark it and
    the successor sent both relayed copies again.)"""
    peer1, gate1 = peer_holding_the_dot()
    peer2, gate2 = peer_holding_the_dot()
    with peer1, peer2:
        inst = fanout_instance(
            make_instance, peer1, peer2, service_throttle_time="1s",
            virtual_alias_maps="inline:{ {list@alias.test = a@dest1.test,"
                               " b@dest2.test, user@%s} }"
                               % si.VIRTUAL_DOMAIN)
        qmgr = inst.wait_service_pid("qmgr")
        try:
            qid = send_one(inst, "list@alias.test", 11)
            assert inst.wait_maildir(inst.vmaildir("user"), 1)
            assert peer1.at_dot.wait(10) and peer2.at_dot.wait(10), \
                inst.maillog()[-2000:]
            os.kill(qmgr, signal.SIGSTOP)
        finally:
            gate1.set()
            gate2.set()
        try:
            for rcpt in ("a@dest1.test", "b@dest2.test"):
                assert inst.wait_log(r"%s: to=<%s>, orig_to=<list@alias\."
                                     r"test>.*status=sent" % (qid, rcpt),
                                     10), inst.maillog()[-2000:]
            time.sleep(0.3)     # the agent logs, then marks, then replies
        finally:
            os.kill(qmgr, signal.SIGKILL)
            os.kill(qmgr, signal.SIGCONT)
        assert inst.wait_service_pid("qmgr", timeout=10, exclude=(qmgr,))
        assert inst.wait_log(r"%s: removed" % qid, 20), \
            inst.maillog()[-2000:]
        time.sleep(1)
        assert len([t for t in peer1.transactions if t.data]) == 1
        assert len([t for t in peer2.transactions if t.data]) == 1
        assert len(si.maildir_files(inst.vmaildir("user"), ("new", "cur"))) \
            == 1
        assert len(re.findall(r"%s: to=<" % qid, inst.maillog())) == 3, \
            inst.maillog()[-3000:]


def test_qmgr_killed_before_reading_the_reply_for_two_aliases_of_one_address(
        make_instance):
    """Two aliases of one address: cleanup keeps both records (their
    originals differ, enable_original_recipient), qmgr sends the address
    once and asks the agent to mark the second record with the first
    (rcpt_also).  Killed before it read the reply, qmgr's successor
    must not send the address again for the second record."""
    peer1, gate1 = peer_holding_the_dot()
    with peer1, Peer() as peer2:
        inst = fanout_instance(
            make_instance, peer1, peer2, service_throttle_time="1s",
            virtual_alias_maps="inline:{ {x@alias.test = a@dest1.test},"
                               " {y@alias.test = a@dest1.test} }")
        qmgr = inst.wait_service_pid("qmgr")
        try:
            with inst.smtp(timeout=10) as s:
                s.ehlo("client.example")
                s.mail(SENDER)
                assert s.rcpt("x@alias.test")[0] == 250
                assert s.rcpt("y@alias.test")[0] == 250
                code, resp = s.data(body(12))
                assert code == 250, resp
            qid = si.queued_id(resp)
            assert fanout_records(inst, qid) == [
                ("a@dest1.test", "x@alias.test", False),
                ("a@dest1.test", "y@alias.test", False)]
            assert peer1.at_dot.wait(10), inst.maillog()[-2000:]
            os.kill(qmgr, signal.SIGSTOP)
        finally:
            gate1.set()
        try:
            assert inst.wait_log(r"%s: to=<a@dest1\.test>.*status=sent"
                                 % qid, 10), inst.maillog()[-2000:]
            time.sleep(0.3)     # the agent logs, then marks, then replies
        finally:
            os.kill(qmgr, signal.SIGKILL)
            os.kill(qmgr, signal.SIGCONT)
        assert inst.wait_service_pid("qmgr", timeout=10, exclude=(qmgr,))
        assert inst.wait_log(r"%s: removed" % qid, 20), \
            inst.maillog()[-2000:]
        time.sleep(1)
        assert len([t for t in peer1.transactions if t.data]) == 1, \
            inst.maillog()[-3000:]
