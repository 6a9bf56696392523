"""pickup(8): maildrop files into cleanup, trusting only the file owner.

The maildrop files here are written by hand (submit_helpers.write_maildrop)
so that the tests can give pickup what sluice-drop never would.
"""

import os
import re
import time

import sluice_instance as si
from submit_helpers import (body_of, login_name, make_submit_instance,
                            maildrop_ids, only_message, poke_pickup,
                            sendmail, write_maildrop)

CONTENT = b"Subject: hand made\n\nbody\n"


def wait_gone(inst, qid, timeout=5.0):
    path = os.path.join(inst.queue, "maildrop", qid)
    return si.wait_until(lambda: not os.path.lexists(path), timeout)


def corrupt_path(inst, name):
    return os.path.join(inst.queue, "corrupt", name)


def test_owner_is_the_sender_and_forged_attributes_are_dropped(make_instance):
    inst = make_submit_instance(make_instance)
    qid = write_maildrop(inst, ["u@example.test", "ann"], CONTENT,
                         attrs=["client_address=192.0.2.1",
                                "protocol=ESMTP", "envid=E1", "ret=FULL"])
    poke_pickup(inst)
    msg = only_message(inst)
    assert wait_gone(inst, qid)
    assert msg.sender == "%s@%s" % (login_name(), si.HOSTNAME)
    assert msg.recipient_addresses == ["u@example.test",
                                       "ann@%s" % si.HOSTNAME]
    assert "client_address" not in msg.attrs
    assert msg.attrs["protocol"] == "LOCAL"
    assert msg.attrs["envid"] == "E1" and msg.attrs["ret"] == "FULL"
    assert msg.attrs["log_ident"] == qid
    received = msg.header_values("Received")[0]
    assert b"(Sluice, from userid %d)" % os.getuid() in received
    assert body_of(msg) == b"body\n"
    # pickup logs the sender as submitted (Postfix too); cleanup qualifies
    assert inst.wait_log(r"pickup\[\d+\]: [0-9A-F]+: uid=%d from=<%s>"
                         % (os.getuid(), re.escape(login_name())))


def test_explicit_null_sender(make_instance):
    inst = make_submit_instance(make_instance)
    write_maildrop(inst, ["u@example.test"], CONTENT,
                   attrs=["null_sender=1"])
    poke_pickup(inst)
    assert only_message(inst).sender == ""


def test_malformed_file_moves_to_corrupt(make_instance):
    inst = make_submit_instance(make_instance)
    qid = si.wait_until(lambda: True, 0) and "0" * 8 + "ABCDE" + "1234"
    path = os.path.join(inst.queue, "maildrop", qid)
    with open(path, "wb") as f:
        f.write(b"this is not a queue file, but ends in E" +
                b"E\0\0\0\0")
    os.chmod(path, 0o644)
    poke_pickup(inst)
    assert si.wait_until(lambda: os.path.exists(corrupt_path(inst, qid)), 5)
    assert inst.wait_log(r"pickup\[\d+\]: warning: %s: malformed maildrop "
                         r"file, moved to corrupt/" % qid)
    assert inst.queue_ids() == []


def test_file_without_end_record_moves_to_corrupt(make_instance):
    inst = make_submit_instance(make_instance)
    qid = write_maildrop(inst, ["u@example.test"], CONTENT, end=False)
    poke_pickup(inst)
    assert si.wait_until(lambda: os.path.exists(corrupt_path(inst, qid)), 5)
    assert inst.queue_ids() == []


def test_symlink_is_not_followed(make_instance):
    inst = make_submit_instance(make_instance)
    target = os.path.join(inst.dir, "target")
    with open(target, "wb") as f:
        f.write(b"secret")
    qid = "0" * 8 + "ABCDE" + "5678"
    os.symlink(target, os.path.join(inst.queue, "maildrop", qid))
    poke_pickup(inst)
    assert si.wait_until(lambda: os.path.islink(corrupt_path(inst, qid)), 5)
    with open(target, "rb") as f:
        assert f.read() == b"secret"
    assert inst.queue_ids() == []


def test_hard_link_is_removed(make_instance):
    inst = make_submit_instance(make_instance)
    qid = write_maildrop(inst, ["u@example.test"], CONTENT)
    outside = os.path.join(inst.queue, "hold-link")
    os.link(os.path.join(inst.queue, "maildrop", qid), outside)
    poke_pickup(inst)
    assert wait_gone(inst, qid)
    assert inst.wait_log(r"%s: removed from maildrop: file has more than "
                         r"one link" % qid)
    assert os.path.exists(outside)
    assert inst.queue_ids() == []


def test_unfinished_file_waits_and_stale_one_goes(make_instance):
    inst = make_submit_instance(make_instance)
    fresh = write_maildrop(inst, ["u@example.test"], CONTENT, mode=0o600)
    stale = write_maildrop(inst, ["u@example.test"], CONTENT, mode=0o600)
    old = time.time() - 2 * 86400
    os.utime(os.path.join(inst.queue, "maildrop", stale), (old, old))
    poke_pickup(inst)
    assert wait_gone(inst, stale)
    assert fresh in maildrop_ids(inst)
    assert inst.queue_ids() == []


def test_too_big_file_is_removed_with_warning(make_instance):
    inst = make_submit_instance(make_instance,
                                main={"message_size_limit": "1000"})
    qid = write_maildrop(inst, ["u@example.test"],
                         b"Subject: big\n\n" + b"y" * 5000 + b"\n")
    poke_pickup(inst)
    assert wait_gone(inst, qid)
    assert inst.wait_log(r"%s: removed from maildrop: .*too big" % qid)
    assert inst.queue_ids() == []


def test_odd_names_and_modes(make_instance):
    inst = make_submit_instance(make_instance)
    write_maildrop(inst, ["u@example.test"], CONTENT, name="not-an-id")
    odd = write_maildrop(inst, ["u@example.test"], CONTENT, mode=0o755)
    poke_pickup(inst)
    assert si.wait_until(lambda: os.path.exists(corrupt_path(inst, odd)) and
                         os.path.exists(corrupt_path(inst, "not-an-id")), 5)
    assert si.wait_until(lambda: maildrop_ids(inst) == [], 5)


def logged_senders(inst):
    return re.findall(r"pickup\[\d+\]: [0-9A-F]+: uid=\d+ from=<(s\d)@",
                      inst.maillog())


def test_many_files_in_one_scan_oldest_first(make_instance):
    inst = make_submit_instance(make_instance, start=False)
    for i in range(5):
        r = sendmail(inst, ["-f", "s%d@example.org" % i, "u@example.test"],
                     b"Subject: n%d\n\nx\n" % i)
        assert r.returncode == 0, r.stderr
    assert len(maildrop_ids(inst)) == 5
    inst.start()
    poke_pickup(inst)
    assert si.wait_until(lambda: len(inst.complete_ids()) == 5, 10)
    # pickup logs after cleanup's OK, a moment after the file is complete
    senders = si.wait_until(lambda: len(logged_senders(inst)) == 5 and
                            logged_senders(inst), 5)
    assert senders == ["s0", "s1", "s2", "s3", "s4"]
    assert si.wait_until(lambda: maildrop_ids(inst) == [], 5)
