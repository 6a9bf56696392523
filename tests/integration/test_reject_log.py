"""smtpd's reject lines are Postfix's, so that the tools admins run on
Postfix logs keep working: Debian's fail2ban `postfix` filter (modes
normal and aggressive) bans the client of every kind of reject it knows,
and pflogsumm counts them (issue 17, item 7)."""

import os
import re
import shutil
import subprocess

import pytest

import sluice_instance as si

pytestmark = pytest.mark.skipif(
    shutil.which("fail2ban-regex") is None or
    not os.path.exists("/usr/sbin/pflogsumm"),
    reason="fail2ban or pflogsumm not installed (scripts/install-deps)")


def reject_lines(inst, count):
    """The smtpd reject lines of inst's log, once there are count."""
    pattern = re.compile(r"sluice/smtpd\[\d+\]: NOQUEUE: reject: ")
    found = []

    def enough():
        found[:] = [l for l in inst.maillog().splitlines()
                    if pattern.search(l)]
        return len(found) >= count
    si.wait_until(enough, 5.0)
    assert len(found) == count, found
    return list(found)


def rejects_of_every_kind(make_instance):
    """Relay access denied, User unknown, need fully-qualified hostname
    and Client host rejected: the reject lines, each with its client."""
    inst = make_instance(main={
        "mynetworks": "127.0.0.1/32",
        "smtpd_helo_restrictions": "reject_non_fqdn_helo_hostname"})
    c = inst.raw(source="127.0.0.2")
    assert c.cmd("EHLO client.example").code == 250
    assert c.cmd("MAIL FROM:<a@client.example>").code == 250
    assert c.cmd("RCPT TO:<victim@elsewhere.example>").code == 554
    assert c.cmd("RCPT TO:<nobody@example.test>").code == 550
    c.close()
    c = inst.raw(source="127.0.0.3")
    assert c.cmd("EHLO client").code == 250
    assert c.cmd("MAIL FROM:<a@client.example>").code == 250
    assert c.cmd("RCPT TO:<someone@localhost>").code == 504
    c.close()
    lines = reject_lines(inst, 3)
    other = make_instance(main={
        "mynetworks": "127.0.0.1/32", "smtpd_peername_lookup": "no",
        "smtpd_client_restrictions": "permit_mynetworks, "
        "reject_unknown_client_hostname"})
    c = other.raw(source="127.0.0.4")
    assert c.cmd("EHLO client.example").code == 250
    assert c.cmd("MAIL FROM:<a@client.example>").code == 250
    assert c.cmd("RCPT TO:<someone@localhost>").code == 450
    c.close()
    return lines + reject_lines(other, 1)


def fail2ban(path, mode):
    """fail2ban-regex's counts: lines, ignored, matched, missed; output"""
    r = subprocess.run(
        ["fail2ban-regex", "--print-all-matched", "--print-all-missed",
         path, "postfix[mode=%s, _daemon=\"sluice/\\w+\"]" % mode],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=120)
    assert r.returncode == 0, r.stdout
    m = re.search(r"Lines: (\d+) lines, (\d+) ignored, (\d+) matched, "
                  r"(\d+) missed", r.stdout)
    assert m, r.stdout
    return [int(x) for x in m.groups()], r.stdout


def test_log_tools_read_every_reject(make_instance, tmp_path):
    lines = rejects_of_every_kind(make_instance)
    assert any("Relay access denied" in l for l in lines)
    assert any("User unknown in virtual mailbox table" in l for l in lines)
    assert any("need fully-qualified hostname" in l for l in lines)
    assert any("Client host rejected" in l for l in lines)
    log = tmp_path / "maillog"
    log.write_text("\n".join(lines) + "\n")
    for mode in ("normal", "aggressive"):
        counts, out = fail2ban(str(log), mode)
        assert counts == [4, 0, 4, 0], out
    r = subprocess.run(["/usr/sbin/pflogsumm", "--syslog-name=sluice",
                        "--smtpd-stats", str(log)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout
    assert re.search(r"^\s*4\s+rejected", r.stdout, re.M), r.stdout
    detail = r.stdout[r.stdout.index("message reject detail"):]
    for what in ("Relay access denied", "User unknown",
                 "need fully-qualified hostname", "cannot find your hostname"):
        assert what in detail, detail
