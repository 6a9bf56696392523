"""Every kind of reject line Sluice writes, read by the tools admins run
on Postfix logs (issue 17, "How it is checked"): Debian's fail2ban
`postfix` filter in modes normal and aggressive (`fail2ban-regex LOG
'postfix[mode=..., _daemon="sluice/\\w+"]'`) and pflogsumm.

Each test provokes one family of rejects against a real instance, then
feeds the whole maillog (connect/disconnect lines included) to both
tools.  Every case names the line Postfix writes for the same refusal
(its text, as a regular expression) and whether the filter bans for it.
The filter does not cover every Postfix reject: it leaves out 501s (an
invalid HELO), "need fully-qualified address", "Access denied" for a
sender, recipient or HELO, a policy server's or a table's own text, and
header/body check lines; a reject_warning bans nobody.  A line the
filter should match and does not, or matches and should not, is a
format difference from Postfix and fails the test, as does a reject
line no case accounts for, or one pflogsumm does not count.

As root, the sessions of the families that need no DNS (built-in,
access maps, header/body checks) are also run against Debian's Postfix
with the same settings and tables, and each line must be Postfix's word
for word after "reject: " (the other families' expected texts come from
Postfix's smtpd_check.c, cleanup and smtpd.c).

Families whose restriction has not landed yet (sluice check refuses its
name) are skipped with the missing piece named; once it lands, its test
runs and must pass.
"""

import os
import re
import subprocess
import time

import pytest

import sluice_instance as si
from dns_server import DNSServer, nsd_available, zone

FAIL2BAN_REGEX = "/usr/bin/fail2ban-regex"
PFLOGSUMM = "/usr/sbin/pflogsumm"

pytestmark = pytest.mark.skipif(
    not os.access(FAIL2BAN_REGEX, os.X_OK) or
    not os.access(PFLOGSUMM, os.X_OK),
    reason="fail2ban-regex or pflogsumm missing (scripts/install-deps "
    "installs fail2ban and pflogsumm)")

INSIDE = "127.0.0.1"        # mynetworks = 127.0.0.1/32
OUTSIDE = "127.0.0.2"
NARROW = {"mynetworks": "127.0.0.1/32"}

# A reject or reject_warning line, as pflogsumm and fail2ban find them:
# "QUEUEID: reject: ..." or "NOQUEUE: reject: ..." (and smtpd's
# "reject: connect from", which has no queue ID); and a header/body
# check's WARN line, "QUEUEID: warning: header ...", which pflogsumm
# counts with the reject warnings.
REJECT_LINE = re.compile(r"sluice/\w+\[\d+\]: (?:\w+: )?"
                         r"(reject|reject_warning|warning(?=: (?:header|body) "
                         r")): ")
WARNINGS = ("reject_warning", "warning")

# Lines that are not rejects but that Postfix's filter also matches in
# aggressive mode (its "ddos" prefixes) or in every mode.
OTHER_BANNED = re.compile(r": (?:lost connection after (?!DATA)[A-Z]+ from "
                          r"|disconnect from \S+(?: \S+=\d+)* auth=0/[1-9]"
                          r"|too many errors after \S+ from "
                          r"|improper command pipelining after \S+ from )")


class Expect:
    """One reject (or reject_warning) line a case must produce.

    tag: a string only this case's line carries (an address or HELO
    name); line: Postfix's text of the line after "reject: " (a regular
    expression); banned: whether Postfix's fail2ban filter matches
    Postfix's line for it; detail: what pflogsumm's reject detail shows;
    kind: reject, reject_warning or warning (a header/body check's WARN);
    counted: whether pflogsumm counts it (not a cleanup line other than
    a header/body check's, as for Postfix's).
    """

    def __init__(self, tag, line, banned, detail, kind="reject",
                 counted=True):
        self.tag = tag
        self.line = line
        self.banned = banned
        self.detail = detail
        self.kind = kind
        self.counted = counted      # by pflogsumm

    def __repr__(self):
        return "<%s %s>" % (self.kind, self.tag)


# --- provoking -------------------------------------------------------------

def refused_rcpt(inst, rcpt, want, source=OUTSIDE, helo="client.example",
                 sender="a@client.example"):
    """A session whose RCPT is refused with code want; ends with QUIT, so
    that no "lost connection" line is written."""
    c = inst.raw(source=source)
    try:
        assert c.cmd("EHLO " + helo).code == 250
        r = c.cmd("MAIL FROM:<%s>" % sender)
        assert r.code == 250, r
        r = c.cmd("RCPT TO:<%s>" % rcpt)
        assert r.code == want, r
        assert c.cmd("QUIT").code == 221
    finally:
        c.close()
    return r


def message(inst, sender, rcpts, content, want, source=OUTSIDE,
            helo="client.example"):
    """A whole transaction; the end-of-data reply must have code want."""
    c = inst.raw(source=source)
    try:
        assert c.cmd("EHLO " + helo).code == 250
        assert c.cmd("MAIL FROM:<%s>" % sender).code == 250
        for rcpt in rcpts:
            r = c.cmd("RCPT TO:<%s>" % rcpt)
            assert r.code == 250, r
        assert c.cmd("DATA").code == 354
        c.send(content.replace(b"\n", b"\r\n") + b".\r\n")
        r = c.reply(timeout=30)
        assert r.code == want, r
        assert c.cmd("QUIT").code == 221
    finally:
        c.close()
    return r


def not_landed(inst, params, what):
    """The reason to skip when sluice check refuses params as not
    implemented yet (the feature has not landed on this branch), else
    None.  Any other refusal is a test failure."""
    saved = inst.main_cf()
    inst.set_main(params)
    try:
        r = inst.sluice("check")
    finally:
        with open(inst.main_cf_path, "w") as f:
            f.write(saved)
    text = r.stdout + r.stderr
    if "not supported yet" in text or "unknown restriction" in text:
        first = text.strip().split("\n")[0]
        return "%s has not landed (sluice check: %s)" % (
            what, re.sub(r"^.*main\.cf:\d+: ", "", first))
    assert r.returncode == 0, text
    return None


def started(make_instance, main, what=None, before_start=None):
    """An instance with main (mynetworks = 127.0.0.1/32 under it), or a
    skip naming the missing piece."""
    params = dict(NARROW)
    params.update(main)
    inst = make_instance(main=NARROW, start=False)
    if before_start:
        before_start(inst)
    if what:
        why = not_landed(inst, params, what)
        if why:
            pytest.skip(why)
    inst.set_main(params)
    inst.start()
    return inst


def write_file(inst, name, text):
    path = os.path.join(inst.etc, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


# --- reading the log with the tools ----------------------------------------

def settled_log(insts, expects):
    """The instances' maillogs once every expected line is there."""
    def text():
        return "".join(i.maillog() for i in insts)

    def complete():
        t = text()
        return all(re.search(r"%s: .*%s" % (e.kind, re.escape(e.tag)), t)
                   for e in expects)
    si.wait_until(complete, 10.0)
    time.sleep(0.3)         # a stray line written late still counts
    return text()


def fail2ban(path, mode):
    """The lines fail2ban-regex matched and missed, and its output."""
    r = subprocess.run(
        [FAIL2BAN_REGEX, "--print-all-matched", "--print-all-missed",
         path, 'postfix[mode=%s, _daemon="sluice/\\w+"]' % mode],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=120)
    assert r.returncode == 0, r.stdout
    m = re.search(r"Lines: (\d+) lines, (\d+) ignored, (\d+) matched, "
                  r"(\d+) missed", r.stdout)
    assert m, r.stdout
    section, matched = None, []
    for line in r.stdout.split("\n"):
        if line.startswith("|- Matched line(s):"):
            section = matched
        elif line.startswith("|- ") or line.startswith("`-"):
            section = None
        elif section is not None and line.startswith("|  "):
            section.append(line[3:])
    assert len(matched) == int(m.group(3)), r.stdout
    return matched, r.stdout


def pflogsumm(path):
    r = subprocess.run([PFLOGSUMM, "--syslog-name=sluice", path],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout
    return r.stdout


def pflog_count(out, label):
    m = re.search(r"^\s*(\d+)\s+%s\b" % label, out, re.M)
    assert m, out
    return int(m.group(1))


def pflog_section(out, title):
    """The text of one pflogsumm detail section (empty when absent)."""
    at = out.find("\n" + title)
    if at < 0:
        return ""
    rest = out[at + 1:]
    end = re.search(r"\n\n[a-zA-Z]", rest)
    return rest[:end.start()] if end else rest


def check_with_tools(tmp_path, insts, expects, also_banned=()):
    """The maillogs of insts hold exactly the expected reject lines, in
    Postfix's format; fail2ban bans for exactly those Postfix's would be
    banned for; pflogsumm counts every reject and reject warning and
    shows each reason.  also_banned: patterns of other lines (not
    rejects) that must be there once each and that fail2ban matches in
    both modes, as Postfix's."""
    text = settled_log(insts, expects)
    extra = []
    for pattern in also_banned:
        mine = [l for l in text.split("\n") if re.search(pattern, l)]
        assert len(mine) == 1, (pattern, mine)
        extra += mine
    rejects = [l for l in text.split("\n") if REJECT_LINE.search(l)]
    found = {}
    for e in expects:
        mine = [l for l in rejects
                if " %s: " % e.kind in l and e.tag in l]
        assert len(mine) == 1, (e, mine, rejects)
        line = mine[0]
        body = line.split(" %s: " % e.kind, 1)[1]
        assert re.fullmatch(e.line, body), (e, body)
        found[line] = e
    strays = [l for l in rejects if l not in found]
    assert not strays, "reject lines no case accounts for: %r" % strays

    log = tmp_path / "maillog"
    log.write_text(text)
    for mode in ("normal", "aggressive"):
        matched, out = fail2ban(str(log), mode)
        want = sorted(l for l, e in found.items() if e.banned)
        got = sorted(l for l in matched if REJECT_LINE.search(l))
        assert got == want, (mode, "banned but should not be:",
                             sorted(set(got) - set(want)),
                             "should be banned but is not:",
                             sorted(set(want) - set(got)), out)
        others = [l for l in matched if not REJECT_LINE.search(l)]
        missing = [l for l in extra if l not in others]
        assert not missing, (mode, "not banned:", missing, out)
        if mode == "normal":
            # only Postfix's "too many errors"/"improper pipelining" lines
            others = [l for l in others if "lost connection" in l or
                      "disconnect from" in l or
                      not OTHER_BANNED.search(l)]
        else:
            others = [l for l in others if not OTHER_BANNED.search(l)]
        assert not others, (mode, others)

    out = pflogsumm(str(log))
    n_reject = sum(1 for e in found.values()
                   if e.kind == "reject" and e.counted)
    n_warn = sum(1 for e in found.values()
                 if e.kind in WARNINGS and e.counted)
    assert pflog_count(out, "rejected") == n_reject, out
    assert pflog_count(out, "reject warnings") == n_warn, out
    detail = pflog_section(out, "message reject detail")
    warn_detail = pflog_section(out, "message reject warning detail")
    for e in found.values():
        if e.counted:
            assert e.detail in (detail if e.kind == "reject"
                                else warn_detail), (e, e.detail, out)
    return found


# --- the families ----------------------------------------------------------

FROM_TO = r"; from=<[^>]*> to=<[^>]*> proto=ESMTP helo=<[^>]*>"


def rcpt_line(client, text):
    return r"RCPT from %s: %s%s" % (re.escape(client), text, FROM_TO)


BUILTIN_MAIN = {
    "smtpd_helo_restrictions": "reject_invalid_helo_hostname, "
    "reject_non_fqdn_helo_hostname",
    "smtpd_sender_restrictions": "reject_non_fqdn_sender, "
    "reject_unlisted_sender",
    "smtpd_recipient_restrictions": "reject_non_fqdn_recipient",
    "smtpd_data_restrictions": "reject_multi_recipient_bounce",
    "disable_vrfy_command": "no",   # Sluice's default is yes
}


def builtin_dialogues(server):
    """The sessions of the built-in family against server (anything with
    raw(source=...)); the lines they must log."""
    out = "unknown[127.0.0.2]"
    expects = []

    refused_rcpt(server, "relay1@elsewhere.example", 554)
    expects.append(Expect("relay1@", rcpt_line(
        out, r"554 5\.7\.1 <relay1@elsewhere\.example>: Relay access "
        r"denied"), True, "Relay access denied"))

    refused_rcpt(server, "nosuch2@example.test", 550)
    expects.append(Expect("nosuch2@", rcpt_line(
        out, r"550 5\.1\.1 <nosuch2@example\.test>: Recipient address "
        r"rejected: User unknown in virtual mailbox table"), True,
        "User unknown in virtual mailbox table"))

    refused_rcpt(server, "user@example.test", 504, sender="bare3@nodots")
    expects.append(Expect("bare3@", rcpt_line(
        out, r"504 5\.5\.2 <bare3@nodots>: Sender address rejected: need "
        r"fully-qualified address"), False,
        "Sender address rejected: need fully-qualified address"))

    refused_rcpt(server, "user@example.test", 550,
                 sender="ghost4@example.test")
    expects.append(Expect("ghost4@", rcpt_line(
        out, r"550 5\.1\.0 <ghost4@example\.test>: Sender address "
        r"rejected: User unknown in virtual mailbox table"), True,
        "Sender address rejected: User unknown in virtual mailbox table"))

    refused_rcpt(server, "user@example.test", 504, helo="nodots5")
    expects.append(Expect("<nodots5>", rcpt_line(
        out, r"504 5\.5\.2 <nodots5>: Helo command rejected: need "
        r"fully-qualified hostname"), True, "need fully-qualified hostname"))

    refused_rcpt(server, "user@example.test", 501, helo="bad..name6")
    expects.append(Expect("<bad..name6>", rcpt_line(
        out, r"501 5\.5\.2 <bad\.\.name6>: Helo command rejected: Invalid "
        r"name"), False, "Invalid name"))

    # relayed for mynetworks, so the recipient list is reached
    refused_rcpt(server, "local7@nodots", 504, source=INSIDE)
    expects.append(Expect("local7@", rcpt_line(
        "localhost[127.0.0.1]", r"504 5\.5\.2 <local7@nodots>: Recipient "
        r"address rejected: need fully-qualified address"), False,
        "Recipient address rejected: need fully-qualified address"))

    c = server.raw(source=INSIDE)
    try:
        assert c.cmd("EHLO bounce8.example").code == 250
        assert c.cmd("MAIL FROM:<>").code == 250
        assert c.cmd("RCPT TO:<user@example.test>").code == 250
        assert c.cmd("RCPT TO:<postmaster@example.test>").code == 250
        r = c.cmd("DATA")
        assert r.code == 550, r
        assert c.cmd("QUIT").code == 221
    finally:
        c.close()
    # two recipients: Postfix names none at DATA
    expects.append(Expect("bounce8.example", r"DATA from localhost"
        r"\[127\.0\.0\.1\]: 550 5\.5\.3 <DATA>: Data command rejected: "
        r"Multi-recipient bounce; from=<> proto=ESMTP "
        r"helo=<bounce8\.example>", True, "Multi-recipient bounce"))

    c = server.raw(source=OUTSIDE)
    try:
        assert c.cmd("EHLO client.example").code == 250
        r = c.cmd("VRFY nosuch9@example.test")
        assert r.code == 550, r
        assert c.cmd("QUIT").code == 221
    finally:
        c.close()
    expects.append(Expect("nosuch9@", r"VRFY from unknown\[127\.0\.0\.2\]: "
        r"550 5\.1\.1 <nosuch9@example\.test>: Recipient address rejected: "
        r"User unknown in virtual mailbox table; to=<nosuch9@example\.test> "
        r"proto=ESMTP helo=<client\.example>", True,
        "User unknown in virtual mailbox table"))

    return expects


def test_smtpd_builtin_rejects(make_instance, tmp_path):
    """Relay access denied, unknown user (at RCPT and VRFY), the sender,
    HELO and DATA restrictions that need no table and no DNS."""
    inst = started(make_instance, BUILTIN_MAIN)
    check_with_tools(tmp_path, [inst], builtin_dialogues(inst))


class PostfixServer:
    """A started PostfixPeer as builtin_dialogues' server."""

    def __init__(self, peer):
        self.peer = peer

    def raw(self, source):
        return si.RawClient(self.peer.port, source=source)


def reject_bodies(text, expects):
    """Each expected line's text after its "reject: ", by tag."""
    out = {}
    for e in expects:
        mine = [l.split(" %s: " % e.kind, 1)[1] for l in text.split("\n")
                if " %s: " % e.kind in l and e.tag in l]
        assert len(mine) == 1, (e, mine)
        out[e.tag] = mine[0]
    return out


def test_client_rejects_and_reject_warning(make_instance, tmp_path):
    """The client restrictions, and warn_if_reject's reject_warning line,
    which fail2ban must not ban and pflogsumm counts apart."""
    inst = started(make_instance, {
        "smtpd_peername_lookup": "no",
        "smtpd_client_restrictions": "permit_mynetworks, warn_if_reject, "
        "reject_unknown_client_hostname, reject",
    })
    refused_rcpt(inst, "client9@example.test", 554)
    client = "unknown[127.0.0.2]"
    expects = [
        Expect("client9@", rcpt_line(
            client, r"450 4\.7\.25 Client host rejected: cannot find your "
            r"hostname, \[127\.0\.0\.2\]"), False,
            "cannot find your hostname", kind="reject_warning"),
        Expect("client9@", rcpt_line(
            client, r"554 5\.7\.1 <unknown\[127\.0\.0\.2\]>: Client host "
            r"rejected: Access denied"), True, "Access denied"),
    ]
    other = started(make_instance, {
        "smtpd_peername_lookup": "no",
        "smtpd_client_restrictions": "permit_mynetworks, "
        "reject_unknown_client_hostname",
    })
    refused_rcpt(other, "client10@example.test", 450)
    expects.append(Expect("client10@", rcpt_line(
        client, r"450 4\.7\.25 Client host rejected: cannot find your "
        r"hostname, \[127\.0\.0\.2\]"), True, "cannot find your hostname"))
    check_with_tools(tmp_path, [inst, other], expects)


@pytest.fixture(scope="module")
def dns():
    if not nsd_available():
        pytest.skip("/usr/sbin/nsd not installed (scripts/install-deps)")
    srv = DNSServer({
        "test": zone("test", [
            "client IN A 127.0.0.2",
            "known IN MX 10 mx.known",
            "mx.known IN A 127.0.0.2",
        ]),
        # the DNSBL: 127.0.0.3 and a sender domain are listed
        "bl.test": zone("bl.test", [
            "3.0.0.127 IN A 127.0.0.2",
            "3.0.0.127 IN TXT \"listed for the test\"",
        ]),
        "rhs.test": zone("rhs.test", [
            "spam.example.rhs.test. IN A 127.0.0.2",
        ]),
    })
    srv.start()
    yield srv
    srv.stop()


def test_dns_rejects(make_instance, tmp_path, dns):
    """reject_unknown_helo_hostname and reject_unknown_sender_domain."""
    inst = started(make_instance, {
        "dns_resolver_address": dns.resolver_address,
        "smtpd_helo_restrictions": "reject_unknown_helo_hostname",
        "smtpd_sender_restrictions": "reject_unknown_sender_domain",
    })
    out = "unknown[127.0.0.2]"
    refused_rcpt(inst, "user@example.test", 450, helo="nohost11.test")
    refused_rcpt(inst, "user@example.test", 450, helo="client.test",
                 sender="a@nodomain12.test")
    expects = [
        Expect("<nohost11.test>", rcpt_line(
            out, r"450 4\.7\.1 <nohost11\.test>: Helo command rejected: "
            r"Host not found"), True, "Host not found"),
        Expect("nodomain12.test", rcpt_line(
            out, r"450 4\.1\.8 <a@nodomain12\.test>: Sender address "
            r"rejected: Domain not found"), True,
            "Sender address rejected: Domain not found"),
    ]
    check_with_tools(tmp_path, [inst], expects)


ACCESS_MAIN = {
    "smtpd_client_restrictions":
        "check_client_access cidr:$config_directory/client.cidr",
    "smtpd_helo_restrictions":
        "check_helo_access texthash:$config_directory/helo",
    "smtpd_sender_restrictions":
        "check_sender_access texthash:$config_directory/senders",
    "smtpd_recipient_restrictions":
        "check_recipient_access texthash:$config_directory/rcpts",
}


def access_tables(target):
    write_file(target, "client.cidr", "127.0.0.3/32 REJECT\n")
    write_file(target, "helo", "evil13.example REJECT go away\n")
    write_file(target, "senders", "spammer14@bad.example REJECT\n")
    write_file(target, "rcpts",
               "blocked15@example.test 550 Mailbox disabled\n")


def access_dialogues(server):
    refused_rcpt(server, "cidr16@example.test", 554, source="127.0.0.3")
    refused_rcpt(server, "user@example.test", 554, helo="evil13.example")
    refused_rcpt(server, "user@example.test", 554,
                 sender="spammer14@bad.example")
    refused_rcpt(server, "blocked15@example.test", 550)
    out = "unknown[127.0.0.2]"
    return [
        Expect("cidr16@", rcpt_line(
            "unknown[127.0.0.3]", r"554 5\.7\.1 <unknown\[127\.0\.0\.3\]>: "
            r"Client host rejected: Access denied"), True, "Access denied"),
        Expect("<evil13.example>", rcpt_line(
            out, r"554 5\.7\.1 <evil13\.example>: Helo command rejected: "
            r"go away"), False, "go away"),
        Expect("spammer14@", rcpt_line(
            out, r"554 5\.7\.1 <spammer14@bad\.example>: Sender address "
            r"rejected: Access denied"), False,
            "Sender address rejected: Access denied"),
        Expect("blocked15@", rcpt_line(
            out, r"550 5\.7\.1 <blocked15@example\.test>: Recipient "
            r"address rejected: Mailbox disabled"), False,
            "Recipient address rejected: Mailbox disabled"),
    ]


def test_access_map_rejects(make_instance, tmp_path):
    """check_client_access, check_helo_access, check_sender_access and
    check_recipient_access with REJECT, REJECT text and 5NN text."""
    inst = started(make_instance, ACCESS_MAIN,
                   what="check_*_access (issue 17's access maps)",
                   before_start=access_tables)
    check_with_tools(tmp_path, [inst], access_dialogues(inst))


def test_rbl_rejects(make_instance, tmp_path, dns):
    """reject_rbl_client and reject_rhsbl_sender: 'Service unavailable;
    ... blocked using', which the filter bans in every mode."""
    inst = started(make_instance, {
        "dns_resolver_address": dns.resolver_address,
        "smtpd_client_restrictions": "reject_rbl_client bl.test, "
        "reject_rhsbl_sender rhs.test",
    }, what="reject_rbl_client (issue 17's DNSBL restrictions)")
    refused_rcpt(inst, "rbl17@example.test", 554, source="127.0.0.3")
    refused_rcpt(inst, "rbl18@example.test", 554,
                 sender="someone@spam.example")
    expects = [
        Expect("rbl17@", rcpt_line(
            "unknown[127.0.0.3]", r"554 5\.7\.1 Service unavailable; "
            r"Client host \[127\.0\.0\.3\] blocked using bl\.test; "
            r"listed for the test"), True, "blocked using bl.test"),
        Expect("rbl18@", rcpt_line(
            "unknown[127.0.0.2]", r"554 5\.7\.1 Service unavailable; "
            r"Sender address \[someone@spam\.example\] blocked using "
            r"rhs\.test"), True, "blocked using rhs.test"),
    ]
    check_with_tools(tmp_path, [inst], expects)


def test_policy_rejects(make_instance, tmp_path):
    """check_policy_service answering REJECT with a text, and a 450
    (greylisting-style DEFER_IF_PERMIT), both in Postfix's words."""
    from policy_peer import FakePolicyServer

    def answer(req):
        rcpt = req.get("recipient", "")
        if rcpt.startswith("policy19@"):
            return b"action=REJECT policy says no\n\n"
        if rcpt.startswith("policy20@"):
            return b"action=DEFER_IF_PERMIT Greylisted, try later\n\n"
        return b"action=DUNNO\n\n"
    srv = FakePolicyServer(answer)
    try:
        inst = started(make_instance, {
            "smtpd_recipient_restrictions": "check_policy_service %s"
            % srv.endpoint,
        }, what="check_policy_service (issue 17's policy delegation)")
        refused_rcpt(inst, "policy19@example.test", 554)
        refused_rcpt(inst, "policy20@example.test", 450)
        out = "unknown[127.0.0.2]"
        expects = [
            Expect("policy19@", rcpt_line(
                out, r"554 5\.7\.1 <policy19@example\.test>: Recipient "
                r"address rejected: policy says no"), False,
                "Recipient address rejected: policy says no"),
            Expect("policy20@", rcpt_line(
                out, r"450 4\.7\.1 <policy20@example\.test>: Recipient "
                r"address rejected: Greylisted, try later"), False,
                "Recipient address rejected: Greylisted"),
        ]
        check_with_tools(tmp_path, [inst], expects)
    finally:
        srv.stop()


CONTENT_MAIN = {
    "header_checks": "pcre:$config_directory/header_checks",
    "body_checks": "pcre:$config_directory/body_checks",
}


def content_tables(target):
    write_file(target, "header_checks",
               "/^Subject:.*hdrtag21/ REJECT spam subject\n"
               "/^Subject:.*warntag23/ WARN suspicious subject\n")
    write_file(target, "body_checks", "/bodytag22/ REJECT spam body\n")


def content_dialogues(server):
    message(server, "h@client.example", ["user@example.test"],
            b"Subject: hello hdrtag21\n\nbody\n", 550)
    message(server, "b@client.example", ["user@example.test"],
            b"Subject: hello\n\nthis has bodytag22 in it\n", 550)
    message(server, "w@client.example", ["user@example.test"],
            b"Subject: hello warntag23\n\nbody\n", 250)
    tail = r" from unknown\[127\.0\.0\.2\]; from=<%s> " \
        r"to=<user@example\.test> proto=ESMTP helo=<client\.example>: "
    return [
        Expect("hdrtag21", r"header Subject: hello hdrtag21"
               + tail % r"h@client\.example" + r"5\.7\.1 spam subject",
               False, "Subject: hello hdrtag21"),
        Expect("bodytag22", r"body this has bodytag22 in it"
               + tail % r"b@client\.example" + r"5\.7\.1 spam body",
               False, "this has bodytag22 in it"),
        Expect("warntag23", r"header Subject: hello warntag23"
               + tail % r"w@client\.example" + r"suspicious subject",
               False, "Subject: hello warntag23", kind="warning"),
    ]


def test_content_check_rejects(make_instance, tmp_path):
    """header_checks and body_checks REJECT, and WARN: cleanup's lines,
    which pflogsumm counts as a header or body reject (or reject warning)
    and fail2ban (as for Postfix) does not ban."""
    inst = started(make_instance, CONTENT_MAIN,
                   what="header_checks/body_checks (issue 17's content "
                   "checks)", before_start=content_tables)
    found = check_with_tools(tmp_path, [inst], content_dialogues(inst))
    # pflogsumm takes header/body rejects only from cleanup
    for line in found:
        assert "sluice/cleanup[" in line, line


def test_protocol_stage_rejects(make_instance, tmp_path):
    """The rejects of the other stages and limits: at CONNECT, EHLO and
    MAIL (smtpd_delay_reject = no), MAIL's SIZE= over the limit,
    reject_unauth_pipelining (and the "improper command pipelining" line
    the filter bans by), a bare
    <LF>, content over message_size_limit, smtpd_end_of_data_restrictions
    and cleanup's hop limit.  Postfix's filter bans only the 4-letter
    stages (EHLO/MAIL/RCPT/DATA) with its known texts.  pflogsumm takes
    the reason of an EHLO or END-OF-MESSAGE line from after its last
    "; " (Postfix's lines alike), so its detail shows the line's tail."""
    early = started(make_instance, {
        "smtpd_delay_reject": "no",
        "smtpd_client_restrictions": "permit_mynetworks, reject",
        "smtpd_helo_restrictions": "reject_non_fqdn_helo_hostname",
    })
    c = early.raw(source="127.0.0.4")
    try:
        assert c.greeting.code == 554, c.greeting
        assert c.cmd("QUIT").code == 221
    finally:
        c.close()
    c = early.raw(source=INSIDE)
    try:
        r = c.cmd("EHLO nodots30")
        assert r.code == 504, r
        assert c.cmd("QUIT").code == 221
    finally:
        c.close()

    late = started(make_instance, {
        "message_size_limit": "20000",
        "hopcount_limit": "5",
        "smtpd_end_of_data_restrictions": "permit_mynetworks, reject",
        "smtpd_client_restrictions": "reject_unauth_pipelining",
    })
    c = late.raw(source=INSIDE)
    try:
        assert c.cmd("EHLO size31.example").code == 250
        r = c.cmd("MAIL FROM:<a@client.example> SIZE=900000")
        assert r.code == 552, r
        assert c.cmd("QUIT").code == 221
    finally:
        c.close()
    c = late.raw(source=INSIDE)
    try:
        assert c.cmd("EHLO barelf32.example").code == 250
        assert c.cmd("MAIL FROM:<lf32@client.example>").code == 250
        assert c.cmd("RCPT TO:<user@example.test>").code == 250
        assert c.cmd("DATA").code == 354
        c.send(b"Subject: x\r\n\r\nbare\nline\r\n.\r\n")
        r = c.reply(timeout=10)
        assert r.code == 521, r
    finally:
        c.close()
    c = late.raw(source=OUTSIDE)
    try:
        # EHLO must end a group: what follows it in the same write is
        # improper pipelining
        c.send(b"EHLO pipe36.example\r\nMAIL FROM:<pipe36@client.example>"
               b"\r\n")
        assert [r.code for r in c.replies(2)] == [250, 250]
        r = c.cmd("RCPT TO:<user@example.test>")
        assert r.code == 503, r
        assert c.cmd("QUIT").code == 221
    finally:
        c.close()
    message(late, "big33@client.example", ["user@example.test"],
            b"Subject: big\n\n" + (b"y" * 70 + b"\n") * 400, 552,
            source=INSIDE)
    message(late, "eod34@client.example", ["user@example.test"],
            b"Subject: eod\n\nbody\n", 554)
    message(late, "hops35@client.example", ["user@example.test"],
            b"".join(b"Received: from h%d.example by h%d.example; "
                     b"Mon, 7 Dec 2026 10:00:00 +0000\n" % (i, i + 1)
                     for i in range(7)) + b"Subject: loop\n\nbody\n",
            554, source=INSIDE)

    tail = r"; from=<%s> proto=ESMTP helo=<%s>"
    expects = [
        Expect("[127.0.0.4]", r"CONNECT from unknown\[127\.0\.0\.4\]: 554 "
               r"5\.7\.1 <unknown\[127\.0\.0\.4\]>: Client host rejected: "
               r"Access denied; proto=SMTP", False, "Access denied"),
        # before EHLO is accepted the session is still SMTP, as Postfix's
        Expect("<nodots30>", r"EHLO from localhost\[127\.0\.0\.1\]: 504 "
               r"5\.5\.2 <nodots30>: Helo command rejected: need "
               r"fully-qualified hostname; proto=SMTP helo=<nodots30>",
               True, "helo=<nodots30>"),
        Expect("<size31.example>", r"MAIL from localhost\[127\.0\.0\.1\]: "
               r"552 5\.3\.4 Message size exceeds fixed limit; proto=ESMTP "
               r"helo=<size31\.example>", False,
               "Message size exceeds fixed limit"),
        Expect("<lf32@", r"(?:DATA|END-OF-MESSAGE) from localhost"
               r"\[127\.0\.0\.1\]: bare <LF> received"
               + tail % (r"lf32@client\.example", r"barelf32\.example"),
               False, "bare <LF> received"),
        # Postfix's smtpd logs no line here (its cleanup refuses the
        # file): Sluice's is a refusal pflogsumm files with MAIL's
        Expect("<big33@", r"END-OF-MESSAGE from localhost\[127\.0\.0\.1\]: "
               r"552 5\.3\.4 Message size exceeds fixed limit"
               + tail % (r"big33@client\.example", r"client\.example"),
               False, "from=<big33@client.example>"),
        Expect("<eod34@", r"END-OF-MESSAGE from unknown\[127\.0\.0\.2\]: 554 "
               r"5\.7\.1 <END-OF-MESSAGE>: End-of-data rejected: Access "
               r"denied; from=<eod34@client\.example> "
               r"to=<user@example\.test> proto=ESMTP helo=<client\.example>",
               False, "from=<eod34@client.example>"),
        Expect("<pipe36@", rcpt_line(
            "unknown[127.0.0.2]", r"503 5\.5\.0 <unknown\[127\.0\.0\.2\]>: "
            r"Client host rejected: Improper use of SMTP command "
            r"pipelining"), False, "Improper use of SMTP command pipelining"),
        # cleanup's own line: Postfix writes none, pflogsumm reads only
        # header/body lines from cleanup, the filter none of cleanup's
        Expect("<hops35@", r"too many hops \(\d+ Received: headers, "
               r"hopcount_limit 5\); from=<hops35@client\.example>", False,
               None, counted=False),
    ]
    # the line the filter bans improper pipelining by (every mode)
    check_with_tools(tmp_path, [early, late], expects, also_banned=[
        r"improper command pipelining after EHLO from unknown"
        r"\[127\.0\.0\.2\]: MAIL FROM:<pipe36@client\.example>"])


# the families Debian's Postfix can be given as they are (no DNS): their
# main.cf settings, tables and sessions
POSTFIX_COMPARED = {
    "builtin": (BUILTIN_MAIN, None, builtin_dialogues),
    "access": (ACCESS_MAIN, access_tables, access_dialogues),
    "content": (CONTENT_MAIN, content_tables, content_dialogues),
}


@pytest.mark.parametrize("family", list(POSTFIX_COMPARED))
def test_lines_are_postfixs(make_instance, instances_root, family):
    """The same sessions against Debian's Postfix with the same settings
    and tables (as root, where the Postfix peer runs): every reject line
    is Postfix's, word for word after "reject: "."""
    import peer_util as pu
    import postfix_peer as pp
    why = pp.skip_reason()
    if why:
        pytest.skip(why)
    main, tables, dialogues = POSTFIX_COMPARED[family]
    inst = started(make_instance, main, before_start=tables)
    expects = dialogues(inst)
    pf_main = dict(main)
    pf_main.update({
        "mynetworks": "127.0.0.1/32",
        "mydestination": "$myhostname, localhost",
        "smtpd_relay_restrictions": "permit_mynetworks, "
        "permit_sasl_authenticated, reject_unauth_destination",
        "virtual_mailbox_maps": "inline:{ {user@example.test = "
        "example.test/user/}, {postmaster@example.test = "
        "example.test/postmaster/} }",
    })
    peer = pp.PostfixPeer(pu.loopback_dir("postfix-", base=instances_root),
                          domain="example.test", main=pf_main)
    try:
        if tables:
            os.makedirs(peer.etc, exist_ok=True)
            tables(peer)
        peer.start()
        dialogues(PostfixServer(peer))
        si.wait_until(lambda: all(e.tag in peer.maillog()
                                  for e in expects), 10.0)
        time.sleep(0.3)     # postlogd writes asynchronously
        postfix = reject_bodies(peer.maillog(), expects)
        ours = reject_bodies(settled_log([inst], expects), expects)
    finally:
        peer.cleanup()
    assert ours == postfix
