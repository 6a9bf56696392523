"""local(8)'s expansion limits, attacked over SMTP (issue 14, item 3).

Aliases, ~/.forward and :include: files nest and may name themselves.
local runs as root, so an expansion that recursed without end (an include
file that includes itself: SIGSEGV on stack exhaustion at every delivery
attempt) was a crash anyone could trigger by mailing the user.  Here every
kind of loop ends in one clear outcome: a repeat is skipped, nesting
deeper than 20 lists bounces with 5.4.6, and an expansion of nothing but
repeats bounces with "5.4.6 mail forwarding loop for ...".
duplicate_filter_limit bounds only the memory of leaf deliveries, as in
Postfix: a list larger than the limit is delivered in full, past the
limit without duplicate suppression, with one warning.  Each test checks
the outcome in the mailboxes and in the bounce (RFC 3464, read by
Python's email package), and that local never died.

Alias and include cases run unprivileged too (the alias table's includes
are read as default_privs, or as the test user); the ~/.forward case needs
root (a system user and local's switch to it).  The bounces go to
postmaster@example.test, a virtual mailbox of the demo layout.
"""

import collections
import email
import email.policy
import os
import re
import time

import pytest

import sluice_instance as si
from test_delivery import system_user  # noqa: F401 (a fixture)

SENDER = "postmaster@example.test"
MESSAGE = (b"From: Postmaster <postmaster@example.test>\r\n"
           b"To: a list\r\n"
           b"Subject: expansion %s\r\n"
           b"Message-ID: <expansion-%s@example.test>\r\n"
           b"\r\n"
           b"the body\r\n")
# what a crashed delivery agent leaves in the maillog (master/reap.c; a
# sanitizer report makes the process exit with status 1)
CRASH_RE = (r"killed by signal|terminated on signal|stack-overflow|"
            r"process \S+/local pid \d+ exit status [1-9]")


def message(tag):
    return MESSAGE.replace(b"%s", tag.encode())


def send(inst, rcpt, data):
    with inst.smtp(timeout=10) as s:
        s.ehlo("client.example")
        code, resp = s.mail(SENDER)
        assert code == 250, resp
        code, resp = s.rcpt(rcpt)
        assert code == 250, resp
        code, resp = s.data(data)
        assert code == 250, resp
    qid = si.queued_id(resp)
    assert qid, resp
    return qid


def listdir(inst):
    """DIR/lists: include files any delivery identity may read."""
    path = os.path.join(inst.dir, "lists")
    if not os.path.isdir(path):
        os.mkdir(path)
        os.chmod(path, 0o755)
    return path


def write(path, text, owner=None):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    if owner is not None:
        os.chown(path, owner.pw_uid, owner.pw_gid)


def the_bounce(inst, qid, timeout=30.0):
    """The one notification for qid in postmaster@example.test's Maildir:
    (status, diagnostic-code) of its one failed recipient."""
    [path] = inst.wait_maildir(inst.vmaildir("postmaster"), 1,
                               timeout=timeout)
    msg = email.message_from_bytes(si.read_bytes(path),
                                   policy=email.policy.compat32)
    assert msg.get_content_type() == "multipart/report"
    dsn = msg.get_payload()[1]
    assert dsn.get_content_type() == "message/delivery-status"
    blocks = dsn.get_payload()
    rcpts = [{k.lower(): re.sub(r"\s+", " ", str(v)).strip()
              for k, v in b.items()} for b in blocks[1:]]
    assert len(rcpts) == 1, rcpts
    assert rcpts[0]["action"] == "failed", rcpts
    return rcpts[0]["status"], rcpts[0].get("diagnostic-code", "")


def check_no_crash(inst):
    """local never died, and was not restarted for a crash."""
    log = inst.maillog()
    assert not re.search(CRASH_RE, log), \
        [line for line in log.split("\n") if re.search(CRASH_RE, line)]


def alias_instance(make_instance, aliases, files, main=None):
    """A delivering instance whose aliases name include files of
    DIR/lists (files: {name: text}; "@L" in a text or alias is that
    directory)."""
    def setup(inst):
        d = listdir(inst)
        for name, text in files.items():
            write(os.path.join(d, name), text.replace("@L", d))
        inst.add_aliases(aliases.replace("@L", d))

    return make_instance(delivery=True, before_start=setup, main=main)


def test_self_including_file_bounces_as_a_loop(make_instance):
    """The audit's crash: a file that includes itself.  Before the fix local
    recursed until its stack ran out, on every attempt."""
    inst = alias_instance(
        make_instance, "selfloop: :include:@L/self.list\n",
        {"self.list": "# me again\n:include:@L/self.list\n"})
    qid = send(inst, "selfloop@localhost", message("self"))
    status, diag = the_bounce(inst, qid)
    assert status == "5.4.6"
    assert "mail forwarding loop for selfloop@localhost" in diag
    inst.wait_queue_empty()
    assert inst.wait_log(r"%s: to=<selfloop@localhost>, .*dsn=5\.4\.6, "
                         r"status=bounced \(mail forwarding loop for "
                         r"selfloop@localhost\)" % qid)
    check_no_crash(inst)


def test_self_including_file_delivers_its_other_entries_once(make_instance):
    inst = alias_instance(
        make_instance, "selfish: :include:@L/self.list\n",
        {"self.list": ":include:@L/self.list\nuser@example.test\n"
                      ":include:@L/self.list, user@example.test\n"})
    qid = send(inst, "selfish@localhost", message("selfish"))
    [path] = inst.wait_maildir(inst.vmaildir("user"), 1)
    assert si.read_bytes(path).endswith(b"the body\n")
    inst.wait_queue_empty()
    assert inst.wait_log(r"%s: to=<user@example\.test>, orig_to="
                         r"<selfish@localhost>, .*status=sent" % qid)
    # no bounce: the loop branch is skipped, the rest delivered
    assert si.maildir_files(inst.vmaildir("postmaster")) == []
    check_no_crash(inst)


def test_two_file_cycle(make_instance):
    """a includes b includes a: each file read once, each address once."""
    inst = alias_instance(
        make_instance, "cycle: :include:@L/a.list\n",
        {"a.list": ":include:@L/b.list\nuser@example.test\n",
         "b.list": ":include:@L/a.list\nuser@example.test\n"})
    qid = send(inst, "cycle@localhost", message("cycle"))
    inst.wait_maildir(inst.vmaildir("user"), 1)
    inst.wait_queue_empty()
    assert inst.wait_log(r"%s: to=<user@example\.test>, .*status=sent" % qid)
    assert si.maildir_files(inst.vmaildir("postmaster")) == []
    check_no_crash(inst)


def test_two_file_cycle_alone_bounces(make_instance):
    inst = alias_instance(
        make_instance, "ring: :include:@L/a.list\n",
        {"a.list": ":include:@L/b.list\n", "b.list": ":include:@L/a.list\n"})
    qid = send(inst, "ring@localhost", message("ring"))
    status, diag = the_bounce(inst, qid)
    assert status == "5.4.6"
    assert "mail forwarding loop for ring@localhost" in diag
    inst.wait_queue_empty()
    check_no_crash(inst)


def test_thousand_deep_include_chain(make_instance):
    """chain0 includes chain1 ... includes chain999, whose only entry is a
    mailbox: past 20 nested lists the expansion bounces with 5.4.6, at
    once and without touching the rest of the chain."""
    depth = 1000
    files = {"chain%d" % i: ":include:@L/chain%d\n" % (i + 1)
             for i in range(depth - 1)}
    files["chain%d" % (depth - 1)] = "user@example.test\n"
    inst = alias_instance(make_instance, "deep: :include:@L/chain0\n", files)
    start = time.monotonic()
    qid = send(inst, "deep@localhost", message("deep"))
    status, diag = the_bounce(inst, qid)
    assert time.monotonic() - start < 20
    assert status == "5.4.6"
    assert ":include: nesting limit exceeded" in diag
    assert si.maildir_files(inst.vmaildir("user")) == []
    inst.wait_queue_empty()
    assert inst.wait_log(r"local\[\d+\]: warning: %s: :include: nesting "
                         r"limit exceeded for -?\d+ \S+/chain20$" % qid)
    assert len(re.findall(r"%s: to=<deep@localhost>, .*status=bounced" % qid,
                          inst.maillog())) == 1
    check_no_crash(inst)


def fan_out_instance(make_instance, limit):
    """fan: an include of 10,000 distinct addresses sink+N, all aliased
    (through the extension) to /dev/null, and user@example.test three
    times: the filter reduces them to one file and one mailbox."""
    lines = ["user@example.test"]
    lines += ["sink+%d" % i for i in range(5000)]
    lines += ["user@example.test"]
    lines += ["sink+%d" % i for i in range(5000, 10000)]
    lines += ["user@example.test"]
    main = {"recipient_delimiter": "+"}
    if limit is not None:
        main["duplicate_filter_limit"] = str(limit)
    return alias_instance(
        make_instance, "sink: /dev/null\nfan: :include:@L/fan.list\n",
        {"fan.list": "\n".join(lines) + "\n"}, main=main)


@pytest.mark.parametrize("limit", [0, None],
                         ids=["no-limit", "default-limit"])
def test_fan_out_of_ten_thousand(make_instance, limit):
    """10,000 addresses, each a structural step, all ending in one file:
    the same two deliveries whether duplicate_filter_limit is off or at
    Postfix's default of 1000 (was: cut with a 5.2.4 bounce at 1000)."""
    inst = fan_out_instance(make_instance, limit)
    start = time.monotonic()
    qid = send(inst, "fan@localhost", message("fan"))
    [path] = inst.wait_maildir(inst.vmaildir("user"), 1)
    inst.wait_queue_empty()
    elapsed = time.monotonic() - start
    assert si.read_bytes(path).endswith(b"the body\n")
    log = inst.maillog()
    sent = re.findall(r"%s: to=<([^>]*)>, .*status=sent" % qid, log)
    # one mailbox, one file delivery (the first sink+N reaching /dev/null)
    assert sorted(sent) == ["sink+0@%s" % si.HOSTNAME, "user@example.test"], \
        sent
    assert not re.search(r"%s: .*status=(bounced|deferred)" % qid, log)
    assert si.maildir_files(inst.vmaildir("postmaster")) == []
    # two leaves: far from the limit, so no warning either
    assert "duplicate_filter_limit" not in log
    # 10,002 steps through a hash table: seconds even under ASan, no O(n^2)
    print("fan-out of 10,000: delivered in %.2f s" % elapsed)
    assert elapsed < 30, elapsed
    check_no_crash(inst)


def test_list_larger_than_the_limit_is_delivered_in_full(make_instance):
    """A mailing list of 1,500 members (addresses elsewhere, forwarded) at
    duplicate_filter_limit = 1000: every member gets the message, as in
    Postfix; the filter remembers the first 1000 members, so a repeat of
    one of those is still suppressed, while a repeat of a later member is
    forwarded again; one warning says so.  Was: the recipient bounced with
    5.2.4 after 1000 members."""
    members = ["m%d@fwd.example" % i for i in range(1500)]
    lines = (["user@example.test"] + members + members[:100] +
             members[1400:] + ["user@example.test"])

    def setup(inst):
        d = listdir(inst)
        write(os.path.join(d, "members.list"), "\n".join(lines) + "\n")
        inst.add_aliases("list: :include:%s/members.list\n" % d)
        inst.add_vmailbox("members@example.test", "example.test/members/")

    inst = make_instance(delivery=True, before_start=setup, main={
        "virtual_alias_maps": "inline:{ {@fwd.example = members@example.test} }"})
    start = time.monotonic()
    qid = send(inst, "list@localhost", message("list"))
    # the direct member once (its repeat is a structural step: skipped),
    # and the one forwarded copy for all members (to members@example.test)
    inst.wait_maildir(inst.vmaildir("user"), 1)
    inst.wait_maildir(inst.vmaildir("members"), 1)
    inst.wait_queue_empty()
    elapsed = time.monotonic() - start
    log = inst.maillog()
    forwarded = collections.Counter(re.findall(
        r"%s: to=<(m\d+@fwd\.example)>, orig_to=<list@localhost>, .*"
        r"status=sent \(forwarded as " % qid, log))
    want = collections.Counter(members + members[1400:])
    assert forwarded == want, (len(forwarded), sum(forwarded.values()))
    assert sum(forwarded.values()) == 1600
    assert len(re.findall(r"%s: to=<user@example\.test>, .*status=sent"
                          % qid, log)) == 1
    assert not re.search(r"%s: .*status=(bounced|deferred)" % qid, log)
    assert si.maildir_files(inst.vmaildir("postmaster")) == []
    warnings = re.findall(r"local\[\d+\]: warning: %s: expansion of "
                          r"list@localhost reached duplicate_filter_limit "
                          r"\(1000\): further deliveries are not checked for "
                          r"duplicates" % qid, log)
    assert len(warnings) == 1, warnings
    print("list of 1,500 members: delivered in %.2f s" % elapsed)
    check_no_crash(inst)


# --- ~/.forward (root: a system user) -------------------------------------

def test_dot_forward_including_a_self_including_file(make_instance,
                                                     system_user):  # noqa: F811
    """The audit's reproduction: ~/.forward is :include:~/loop, and ~/loop
    includes itself.  Mailing the user crashed local every time."""
    pw = system_user
    loop = os.path.join(pw.pw_dir, "loop")
    write(os.path.join(pw.pw_dir, ".forward"), ":include:%s\n" % loop, pw)
    write(loop, ":include:%s\n" % loop, pw)
    inst = make_instance(delivery=True, main={"home_mailbox": "Maildir/"})
    rcpt = "%s@localhost" % pw.pw_name
    qid = send(inst, rcpt, message("dotforward"))
    status, diag = the_bounce(inst, qid)
    assert status == "5.4.6"
    assert "mail forwarding loop for %s" % rcpt in diag
    assert not os.path.exists(os.path.join(pw.pw_dir, "Maildir"))
    inst.wait_queue_empty()
    check_no_crash(inst)


def test_dot_forward_back_to_its_user_delivers_to_the_mailbox(
        make_instance, system_user):  # noqa: F811
    """~/.forward names an alias that leads back to the user: while the
    .forward is being expanded that means the user's own mailbox (Postfix
    and sendmail), and the copy is delivered once."""
    pw = system_user
    lst = os.path.join(pw.pw_dir, "also")
    write(os.path.join(pw.pw_dir, ".forward"),
          "me-%s\n:include:%s\n" % (pw.pw_name, lst), pw)
    write(lst, "me-%s\n:include:%s\n" % (pw.pw_name, lst), pw)

    def aliases(inst):
        inst.add_aliases("me-%s: %s\n" % (pw.pw_name, pw.pw_name))

    inst = make_instance(delivery=True, before_start=aliases,
                         main={"home_mailbox": "Maildir/"})
    rcpt = "%s@localhost" % pw.pw_name
    qid = send(inst, rcpt, message("backhome"))
    [path] = inst.wait_maildir(os.path.join(pw.pw_dir, "Maildir"), 1)
    assert si.read_bytes(path).endswith(b"the body\n")
    inst.wait_queue_empty()
    assert inst.wait_log(r"%s: to=<%s@%s>, .*status=sent"
                         % (qid, pw.pw_name, re.escape(si.HOSTNAME)))
    assert si.maildir_files(inst.vmaildir("postmaster")) == []
    check_no_crash(inst)


def test_fan_out_to_one_user_expands_its_forward_once(
        make_instance, system_user):  # noqa: F811
    """10,000 extensions of one user: the user's ~/.forward (keep a copy)
    is expanded once, the other addresses find it done: one message in
    the Maildir, quickly."""
    pw = system_user
    write(os.path.join(pw.pw_dir, ".forward"), "\\%s\n" % pw.pw_name, pw)
    lines = ["%s+%d" % (pw.pw_name, i) for i in range(10000)]
    inst = alias_instance(
        make_instance, "fanuser: :include:@L/fan.list\n",
        {"fan.list": "\n".join(lines) + "\n"},
        main={"home_mailbox": "Maildir/", "recipient_delimiter": "+",
              "duplicate_filter_limit": "0"})
    start = time.monotonic()
    qid = send(inst, "fanuser@localhost", message("fanuser"))
    [path] = inst.wait_maildir(os.path.join(pw.pw_dir, "Maildir"), 1)
    inst.wait_queue_empty()
    assert time.monotonic() - start < 30
    assert si.read_bytes(path).endswith(b"the body\n")
    log = inst.maillog()
    assert len(re.findall(r"%s: to=<[^>]*>, .*status=sent" % qid, log)) == 1
    assert not re.search(r"%s: .*status=(bounced|deferred)" % qid, log)
    check_no_crash(inst)
