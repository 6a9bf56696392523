"""Virtual alias expansion in cleanup (issue 16).

As in Postfix, cleanup replaces every recipient by the final addresses
virtual_alias_maps makes of it when it writes the queue file: one R
record per final address, each keeping the address the sender gave as
its original, after a duplicate filter (enable_original_recipient,
duplicate_filter_limit).  A table that fails, or an expansion past
virtual_alias_expansion_limit / virtual_alias_recursion_limit, refuses
the message for now (451), never a partial expansion.  Queue files
written before this change (records without the original field) are
still expanded by qmgr when they are delivered.

Most cases run without qmgr, so the queue file stays in incoming/ to be
read as cleanup wrote it.
"""

import os
import re
import smtplib

import pytest

import sluice_instance as si

ALIASES = ("inline:{ {list@alias.test = a@dest.test, b@dest.test},"
           " {nest@alias.test = list@alias.test, c@dest.test},"
           " {self@alias.test = self@alias.test, d@dest.test},"
           " {x@alias.test = bob@dest.test}, {y@alias.test = Bob@dest.test},"
           " {five@alias.test = 1@dest.test, 2@dest.test, 3@dest.test,"
           " 4@dest.test, 5@dest.test},"
           " {deep1@alias.test = deep2@alias.test},"
           " {deep2@alias.test = deep3@alias.test},"
           " {deep3@alias.test = end@dest.test} }")


def data(s):
    """DATA and a small message: the reply, also a refusal of DATA"""
    try:
        return s.data(b"Subject: expansion\r\n\r\nbody\r\n")
    except smtplib.SMTPDataError as e:
        return e.smtp_code, e.smtp_error


def send(inst, rcpts, options=None):
    """One message to rcpts; the reply to its DATA."""
    with inst.smtp(timeout=10) as s:
        s.ehlo("client.example")
        assert s.mail("sender@client.example")[0] == 250
        for r in rcpts:
            code, resp = s.rcpt(r, (options or {}).get(r, []))
            assert code == 250, (r, resp)
        return data(s)


def records(inst, qid):
    msg = si.parse_queue_file(inst.queue_path(qid))
    return [(r["address"], r["original"]) for r in msg.recipients], msg


def test_queue_file_holds_final_recipients(make_instance):
    """Nested aliases, an alias that keeps itself, a plain address; DSN
    ORCPT and NOTIFY go with every address of an expansion."""
    inst = make_instance(main={"virtual_alias_maps": ALIASES})
    code, resp = send(inst, ["nest@alias.test", "plain@dest.test",
                             "self@alias.test"],
                      {"nest@alias.test": ["NOTIFY=FAILURE",
                                           "ORCPT=rfc822;Nest@alias.test"]})
    assert code == 250, resp
    got, msg = records(inst, si.queued_id(resp))
    assert got == [("a@dest.test", "nest@alias.test"),
                   ("b@dest.test", "nest@alias.test"),
                   ("c@dest.test", "nest@alias.test"),
                   ("plain@dest.test", ""),
                   ("self@alias.test", ""),
                   ("d@dest.test", "self@alias.test")]
    assert [r["orcpt"] for r in msg.recipients[:3]] == \
        ["rfc822;Nest@alias.test"] * 3
    assert {r["notify"] for r in msg.recipients[:3]} == {4}   # FAILURE
    assert msg.recipients[3]["orcpt"] == "" and \
        msg.recipients[3]["notify"] == 0


@pytest.mark.parametrize("orcpt,want", [
    ("yes", [("bob@dest.test", "x@alias.test"),
             ("Bob@dest.test", "y@alias.test"),
             ("carol@dest.test", "")]),
    ("no", [("bob@dest.test", ""), ("carol@dest.test", "")]),
])
def test_duplicates_across_the_expansion(make_instance, orcpt, want):
    """Two aliases of one address: with enable_original_recipient the
    pairs (original, final) differ and both stay (Postfix's cleanup),
    without it the final address alone decides; a recipient given twice
    (in any case) is written once either way."""
    inst = make_instance(main={"virtual_alias_maps": ALIASES,
                               "enable_original_recipient": orcpt})
    code, resp = send(inst, ["x@alias.test", "y@alias.test", "x@alias.test",
                             "carol@dest.test", "Carol@dest.test"])
    assert code == 250, resp
    assert records(inst, si.queued_id(resp))[0] == want


@pytest.mark.parametrize("limit,want", [
    ("0", ["a@dest.test", "b@dest.test"]),
    # remembers the first only: the second b is not caught
    ("1", ["a@dest.test", "b@dest.test", "b@dest.test"]),
])
def test_duplicate_filter_limit(make_instance, limit, want):
    inst = make_instance(main={"duplicate_filter_limit": limit})
    code, resp = send(inst, ["a@dest.test", "b@dest.test", "b@dest.test",
                             "a@dest.test"])
    assert code == 250, resp
    assert [a for a, _ in records(inst, si.queued_id(resp))[0]] == want


@pytest.mark.parametrize("param,rcpt", [
    ("virtual_alias_expansion_limit", "five@alias.test"),
    ("virtual_alias_recursion_limit", "deep1@alias.test"),
])
def test_limits_refuse_the_message_for_now(make_instance, param, rcpt):
    """Past a limit Postfix does not accept the message ("4.6.0 Alias
    expansion error", try again later): no file stays, nothing partial."""
    inst = make_instance(main={"virtual_alias_maps": ALIASES, param: "2"})
    code, resp = send(inst, ["plain@dest.test", rcpt])
    assert code == 451, resp
    assert resp.startswith(b"4.6.0"), resp
    assert inst.wait_log(r"cleanup\[\d+\]: warning: \w+: <%s>: virtual alias"
                         r" .* -- message not accepted, try again later"
                         % re.escape(rcpt), 5), inst.maillog()[-2000:]
    assert inst.queue_ids() == []
    # within the limit the same alias goes through
    code, resp = send(inst, ["list@alias.test"])
    assert code == 250, resp


def test_table_failure_refuses_then_recovers(make_instance, sluice_bin):
    """A virtual alias table cleanup cannot read refuses the message with
    451 4.3.0 (no partial expansion, no file); once the table is back a
    new cleanup process expands with it."""
    if not os.access(os.path.join(sluice_bin, "sluice-map"), os.X_OK):
        pytest.skip("sluice-map is not built")

    def table(inst):
        with open(os.path.join(inst.etc, "virtual"), "w") as f:
            f.write("list@alias.test a@dest.test, b@dest.test\n")
        inst.compile_table("virtual")
    inst = make_instance(main={
        "virtual_alias_maps": "lmdb:$config_directory/virtual"},
        before_start=table)
    lmdb = os.path.join(inst.etc, "virtual.lmdb")
    with inst.smtp(timeout=10) as s:
        s.ehlo("client.example")
        assert s.mail("sender@client.example")[0] == 250
        assert s.rcpt("list@alias.test")[0] == 250
        # smtpd has its copy; cleanup starts at DATA and finds none
        os.rename(lmdb, lmdb + ".away")
        code, resp = data(s)
    assert code == 451, resp
    assert resp.startswith(b"4.3.0"), resp
    assert inst.wait_log(r"cleanup\[\d+\]: warning: \w+: virtual alias tables "
                         r"unavailable .* -- message not accepted", 5), \
        inst.maillog()[-2000:]
    assert inst.queue_ids() == []
    os.rename(lmdb + ".away", lmdb)
    table(inst)                         # a new inode: smtpd reopens too
    assert si.wait_until(lambda: not [
        p for p in inst.service_pids("cleanup")], 10), \
        "the cleanup process without tables did not go"
    code, resp = send(inst, ["list@alias.test"])
    assert code == 250, resp
    assert records(inst, si.queued_id(resp))[0] == [
        ("a@dest.test", "list@alias.test"), ("b@dest.test", "list@alias.test")]


def test_old_queue_file_is_still_expanded(make_instance):
    """A file of the old format left in the queue across the upgrade:
    qmgr expands its records at delivery as the old code did, and each
    final address gets the message once."""
    inst = make_instance(delivery=True, main={
        "virtual_alias_maps":
            "inline:{ {list@alias.test = user@%s, postmaster@%s} }"
            % (si.VIRTUAL_DOMAIN, si.VIRTUAL_DOMAIN)})
    code, resp = send(inst, ["user@%s" % si.VIRTUAL_DOMAIN])
    assert code == 250, resp
    assert inst.wait_maildir(inst.vmaildir("user"), 1)
    qid = si.plant_queue_file(inst, si.old_format_queue_file(
        ["list@alias.test"], b"Subject: from before the upgrade\n\nold\n"))
    assert inst.wait_log(r"%s: removed" % qid, 20), inst.maillog()[-2000:]
    log = inst.maillog()
    for local in ("user", "postmaster"):
        assert re.search(r"%s: to=<%s@%s>, orig_to=<list@alias.test>.*"
                         r"status=sent" % (qid, local, si.VIRTUAL_DOMAIN),
                         log), log[-2000:]
    assert len(si.maildir_files(inst.vmaildir("user"))) == 2
    assert len(si.maildir_files(inst.vmaildir("postmaster"))) == 1


def test_sendmail_waits_in_maildrop_while_the_table_fails(make_instance,
                                                          sluice_bin):
    """Local submission: cleanup's temporary refusal leaves the file in
    maildrop/ (pickup tries again), and once the table is back the
    message is delivered to every address of the alias."""
    if not os.access(os.path.join(sluice_bin, "sluice-map"), os.X_OK):
        pytest.skip("sluice-map is not built")

    def table(inst):
        with open(os.path.join(inst.etc, "virtual"), "w") as f:
            f.write("list@alias.test user@%s, postmaster@%s\n"
                    % (si.VIRTUAL_DOMAIN, si.VIRTUAL_DOMAIN))
        inst.compile_table("virtual")
    inst = make_instance(delivery=True, main={
        "virtual_alias_maps": "lmdb:$config_directory/virtual"},
        before_start=table)
    lmdb = os.path.join(inst.etc, "virtual.lmdb")
    # qmgr opens the table at its start too: only once it has it
    qmgr = inst.wait_service_pid("qmgr")
    assert si.wait_until(lambda: si.pid_has_fd_target(
        qmgr, lambda t: t == lmdb), 10), "qmgr did not open the table"
    os.rename(lmdb, lmdb + ".away")
    r = inst.sendmail("list@alias.test",
                      stdin=b"Subject: while broken\n\nfirst\n")
    assert r.returncode == 0, r
    assert inst.wait_log(r"pickup\[\d+\]: warning: \w+: maildrop file kept "
                         r"for a later try", 10), inst.maillog()[-2000:]
    assert len(os.listdir(os.path.join(inst.queue, "maildrop"))) == 1
    assert si.maildir_files(inst.vmaildir("user")) == []
    os.rename(lmdb + ".away", lmdb)
    table(inst)
    # the next submission makes pickup scan maildrop/ again
    r = inst.sendmail("user@%s" % si.VIRTUAL_DOMAIN,
                      stdin=b"Subject: after\n\nsecond\n")
    assert r.returncode == 0, r
    assert inst.wait_maildir(inst.vmaildir("user"), 2)
    assert inst.wait_maildir(inst.vmaildir("postmaster"), 1)
    assert re.search(r"to=<postmaster@%s>, orig_to=<list@alias\.test>"
                     % re.escape(si.VIRTUAL_DOMAIN), inst.maillog())


def test_deepest_chain_within_the_default_limit(make_instance, sluice_bin):
    """A chain of 999 aliases, as deep as virtual_alias_recursion_limit
    (1000, Postfix's default) allows: cleanup expands it on a session's
    coroutine stack without running out of it, and one more level is
    refused."""
    if not os.access(os.path.join(sluice_bin, "sluice-map"), os.X_OK):
        pytest.skip("sluice-map is not built")

    def table(inst):
        with open(os.path.join(inst.etc, "virtual"), "w") as f:
            for i in range(1000):
                f.write("c%d@alias.test c%d@alias.test\n" % (i, i + 1))
            f.write("c1000@alias.test end@dest.test\n")
        inst.compile_table("virtual")
    inst = make_instance(main={
        "virtual_alias_maps": "lmdb:$config_directory/virtual"},
        before_start=table)
    # c2 .. c1000: 999 rewrites, and end@ looked up at depth 999
    code, resp = send(inst, ["c2@alias.test"])
    assert code == 250, resp
    assert records(inst, si.queued_id(resp))[0] == [
        ("end@dest.test", "c2@alias.test")]
    code, resp = send(inst, ["c1@alias.test"])
    assert code == 451 and resp.startswith(b"4.6.0"), resp
    assert inst.sanitizer_reports() == []
