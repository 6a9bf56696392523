"""qmgr on a message whose recipients expand to many addresses.

One message to 100 recipients that are virtual aliases of 1,000
addresses each is 100,000 addresses for qmgr: a duplicate search per
address, arrays grown one entry at a time and a defer log rewritten
after every job made that quadratic (issue 14, item 9: 21 s of qmgr CPU,
and every other message waited as long).  qmgr must stay linear, and
resolve a huge message in slices from its event loop, so that an
ordinary message sent at the same time is delivered at once.

The alias targets are at a relay destination served by smtp-sink (the
1,000 addresses of one alias go in one transaction); the ordinary
message goes to a virtual mailbox.  Each address must be delivered
exactly once (the smtp agent's log lines), also when 30 aliases share
the same 1,000 addresses.

cleanup expands the aliases when it writes the queue file (issue 16), so
each address is an R record of its own, which the smtp agent marks done
before it answers: a qmgr killed in the middle of a fan-out in small
transactions must not make its successor deliver them again (only the
transactions in flight at the kill may go twice).
"""

import collections
import os
import re
import shutil
import signal
import time

import pytest

import peer_util as pu
import sluice_instance as si
from smtp_sink import SmtpSink, skip_reason

TARGETS = 1000                  # addresses per alias (virtual_alias_expansion_limit)
SMALL_DELAY_MAX = 3.0           # seconds: the ordinary message's wait
BIG_DEADLINE = 90.0             # seconds for all of the big message

pytestmark = pytest.mark.skipif(skip_reason() is not None,
                                reason=skip_reason() or "")


def alias_table(inst, lists, distinct):
    """etc/virtual: listN@alias.test -> TARGETS addresses at dest.test,
    each list its own (distinct) or all the same; compiled to lmdb"""
    with open(os.path.join(inst.etc, "virtual"), "w") as f:
        for n in range(lists):
            tag = n if distinct else 0
            f.write("list%d@alias.test %s\n" % (n, ", ".join(
                "t%d.%d@dest.test" % (tag, i) for i in range(TARGETS))))
    inst.compile_table("virtual")


def expansion_instance(make_instance, sink, lists, distinct, **main):
    params = {
        "virtual_alias_maps": "lmdb:$config_directory/virtual",
        "transport_maps": "inline:{ {dest.test = smtp:[127.0.0.1]:%d} }"
                          % sink.port,
        "smtp_destination_recipient_limit": str(TARGETS),
    }
    params.update(main)
    return make_instance(delivery=True, before_start=lambda inst: alias_table(
        inst, lists, distinct), main=params)


def send_big(inst, lists):
    """One message to list0..list{lists-1}@alias.test; its queue ID."""
    with inst.smtp(timeout=30) as s:
        s.ehlo("client.example")
        assert s.mail("big@client.example")[0] == 250
        for n in range(lists):
            code, resp = s.rcpt("list%d@alias.test" % n)
            assert code == 250, resp
        code, resp = s.data(b"Subject: to many\r\n\r\nbig\r\n")
        assert code == 250, resp
    return si.queued_id(resp)


def small_delay(inst):
    """Send an ordinary message to a virtual mailbox now; the seconds
    from its 250 to its delivery (None: not within 30 s)."""
    maildir = inst.vmaildir("user")
    with inst.smtp(timeout=30) as s:
        s.sendmail("small@client.example", ["user@example.test"],
                   b"Subject: ordinary\r\n\r\nsmall\r\n")
    sent = time.monotonic()
    if not si.wait_until(lambda: si.maildir_files(maildir), 30, 0.02):
        return None
    return time.monotonic() - sent


def big_delivered(inst, sink, qid, transactions):
    """Wait (bounded) until the big message left the queue; then the
    smtp agent's to= addresses of it, counted."""
    assert si.wait_until(lambda: sink.messages() >= transactions
                         and not inst.queue_files()
                         and not inst.incomplete_ids(), BIG_DEADLINE, 0.2), \
        "big message not delivered in %.0fs: sink %r, queue %s" % (
            BIG_DEADLINE, sink.counters(), inst.queue_listing())
    sent = re.findall(r"smtp\[\d+\]: %s: to=<([^>]*)>, orig_to=<list\d+@"
                      r"alias\.test>, relay=127\.0\.0\.1.*status=sent" % qid,
                      inst.maillog())
    return collections.Counter(sent)


@pytest.mark.parametrize("lists,distinct", [
    (30, False),        # 30,000 addresses, deduplicated to 1,000
    (100, True),        # 100,000 distinct addresses
], ids=["30x1000-same", "100x1000-distinct"])
def test_expansion_does_not_hold_up_other_mail(make_instance, sluice_bin,
                                               lists, distinct):
    if not os.access(os.path.join(sluice_bin, "sluice-map"), os.X_OK):
        pytest.skip("sluice-map is not built: no alias table")
    sinkdir = pu.loopback_dir("sluice-sink-")
    sink = SmtpSink(sinkdir)
    try:
        sink.start()
        inst = expansion_instance(make_instance, sink, lists, distinct)
        started = time.monotonic()
        qid = send_big(inst, lists)
        delay = small_delay(inst)
        assert delay is not None and delay < SMALL_DELAY_MAX, \
            "an ordinary message waited %s s behind one to %d addresses" \
            % ("> 30" if delay is None else "%.1f" % delay, lists * TARGETS)
        addresses = TARGETS * (lists if distinct else 1)
        counts = big_delivered(inst, sink, qid, addresses // TARGETS)
        took = time.monotonic() - started
        assert len(counts) == addresses, (len(counts), addresses)
        assert max(counts.values()) == 1, counts.most_common(3)
        assert sink.messages() == addresses // TARGETS, sink.counters()
        print("%d addresses delivered in %.1fs; ordinary message %.2fs"
              % (addresses, took, delay))
        assert inst.wait_log(r"qmgr\[\d+\]: %s: removed" % qid, 10)
    finally:
        sink.stop()
        shutil.rmtree(sinkdir, ignore_errors=True)


def test_qmgr_killed_in_a_fanout_delivers_no_address_twice(make_instance,
                                                           sluice_bin):
    """20 aliases of 1,000 addresses in transactions of 100, at most 4 at
    a time: an alias's addresses are in 10 requests, each address its
    own record, marked done by the agent before it answers.  qmgr is
    SIGKILLed halfway; the master starts another, which must skip the
    records marked done.  Only the requests in flight at the kill (at
    most 4 x 100 addresses) may be delivered twice; if a record covered
    a whole alias, as before cleanup expanded, it would be thousands."""
    lists, limit, concurrency = 20, 100, 4
    if not os.access(os.path.join(sluice_bin, "sluice-map"), os.X_OK):
        pytest.skip("sluice-map is not built: no alias table")
    sinkdir = pu.loopback_dir("sluice-sink-")
    sink = SmtpSink(sinkdir)
    try:
        sink.start()
        inst = expansion_instance(
            make_instance, sink, lists, True,
            smtp_destination_recipient_limit=str(limit),
            smtp_destination_concurrency_limit=str(concurrency),
            service_throttle_time="1s")
        qmgr = inst.wait_service_pid("qmgr")
        assert qmgr, "no qmgr"
        qid = send_big(inst, lists)
        transactions = lists * TARGETS // limit
        assert si.wait_until(lambda: sink.messages() >= transactions // 2,
                             BIG_DEADLINE, 0.05), sink.counters()
        msg = si.parse_queue_file(os.path.join(inst.queue, "active", qid))
        assert len(msg.recipients) == lists * TARGETS
        assert {r["original"] for r in msg.recipients} == {
            "list%d@alias.test" % n for n in range(lists)}
        assert any(r["done"] for r in msg.recipients), \
            "no delivered address marked done"
        os.kill(qmgr, signal.SIGKILL)
        assert inst.wait_service_pid("qmgr", 20, exclude=(qmgr,)), \
            "the master started no new qmgr"
        assert si.wait_until(lambda: not inst.queue_files()
                             and not inst.incomplete_ids(), BIG_DEADLINE,
                             0.2), "queue not empty: %s" % \
            inst.queue_listing()
        sent = collections.Counter(re.findall(
            r"smtp\[\d+\]: %s: to=<([^>]*)>, orig_to=<list\d+@alias\.test>,"
            r" relay=127\.0\.0\.1.*status=sent" % qid, inst.maillog()))
        assert len(sent) == lists * TARGETS, len(sent)
        twice = sum(n - 1 for n in sent.values())
        assert twice <= concurrency * limit, \
            "%d addresses delivered again after the qmgr crash" % twice
        print("after the kill %d addresses went twice (at most %d in "
              "flight)" % (twice, concurrency * limit))
    finally:
        sink.stop()
        shutil.rmtree(sinkdir, ignore_errors=True)
