"""Configuration that fails before it hurts (issue 16, item 2).

The issue's bad days, each refused by `sluice check` (exit 1, the problem
on its own line with its file and line) and by `sluice reload` (exit non-zero, the
refusal on the terminal and in the maillog, the running configuration
still serving), and by the master itself when it gets a SIGHUP without
sluice reload.  sluice stop, status and mailq work while main.cf is
broken; an unknown parameter is warned about once per start and reload;
a Postfix security setting Sluice lacks is an error, not a warning; the
master refuses to start what check refuses; a daemon that meets a bad
value anyway (a table gone since the start) answers 4xx instead of dying.
"""

import os
import re
import signal
import subprocess
import time

import pytest

import sluice_instance as si


def send_one(inst, rcpt="r@localhost"):
    with inst.smtp() as s:
        s.ehlo("client.example")
        assert s.mail("a@client.example")[0] == 250
        assert s.rcpt(rcpt)[0] == 250
        code, text = s.data(b"Subject: t\r\n\r\nbody\r\n")
        assert code == 250, text
        return si.queued_id(text)


def main_cf_line(inst, name):
    """The line number of name's definition in main.cf."""
    for n, line in enumerate(inst.main_cf().split("\n"), 1):
        if re.match(r"^%s\s*=" % re.escape(name), line):
            return n
    raise AssertionError("%s not in main.cf" % name)


def break_hash_table(inst):
    # a Postfix admin's virtual table, source written but never built
    path = os.path.join(inst.etc, "virtual")
    with open(path, "w") as f:
        f.write("info@example.com someone\n")
    inst.set_main({"virtual_alias_maps": "hash:" + path})
    return "virtual_alias_maps"


def break_mynetworks(inst):
    inst.set_main({"mynetworks": "127.0.0.1/33"})
    return "mynetworks"


def break_message_size_limit(inst):
    inst.set_main({"message_size_limit": "abc"})
    return "message_size_limit"


def break_header_checks(inst):
    inst.set_main({"header_checks": "regexp:/etc/postfix/header_checks"})
    return "header_checks"


def break_master_cf(inst):
    inst.write_master_cf(inst.master_cf() + "\nbogus unix - - n\n")
    return None


BREAKAGES = [break_hash_table, break_mynetworks, break_message_size_limit,
             break_header_checks, break_master_cf]


def expected_line(inst, param):
    if param is None:
        n = len(inst.master_cf().rstrip("\n").split("\n"))
        return re.escape("%s:%d: " % (inst.master_cf_path, n))
    return re.escape("%s:%d: parameter %s: " % (
        inst.main_cf_path, main_cf_line(inst, param), param))


@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda f: f.__name__)
def test_check_refuses(make_instance, breakage):
    inst = make_instance(start=False)
    r = inst.sluice("check")
    assert r.returncode == 0, r.stdout + r.stderr
    param = breakage(inst)
    r = inst.sluice("check")
    assert r.returncode == 1, r.stdout + r.stderr
    want = expected_line(inst, param)
    lines = [l for l in r.stdout.split("\n") if re.search(want, l)]
    # on its own line, once
    assert len(lines) == 1, (want, r.stdout)
    assert lines[0].startswith("sluice check: "), lines


@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda f: f.__name__)
def test_reload_refuses_and_old_config_serves(make_instance, breakage):
    inst = make_instance(main={"smtpd_banner": "$myhostname ESMTP before"})
    master = inst.master_pid
    send_one(inst)
    param = breakage(inst)
    inst.set_main({"smtpd_banner": "$myhostname ESMTP after"})
    r = inst.sluice("reload")
    assert r.returncode != 0, r.stdout + r.stderr
    assert "refreshing" not in r.stdout
    want = expected_line(inst, param)
    assert re.search(want, r.stderr), (want, r.stderr)
    assert inst.wait_log(r"sluice/sluice\[\d+\]: error: reload refused: "
                         + want)
    # the master was not even signalled: no reload in the log
    time.sleep(0.5)
    assert not re.search(r"master\[\d+\]: reload", inst.maillog())
    assert inst.pid_from_file() == master
    c = inst.raw()
    assert c.greeting.code == 220 and c.greeting.text.endswith("before"), \
        c.greeting
    c.close()
    send_one(inst)


@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda f: f.__name__)
def test_master_refuses_sighup(make_instance, breakage):
    """The master checks again: a SIGHUP from anyone but sluice reload."""
    inst = make_instance(main={"smtpd_banner": "$myhostname ESMTP before"})
    master = inst.master_pid
    param = breakage(inst)
    inst.set_main({"smtpd_banner": "$myhostname ESMTP after"})
    os.kill(master, signal.SIGHUP)
    want = expected_line(inst, param)
    assert inst.wait_log(r"master\[%d\]: error: reload refused: %s"
                         % (master, want)), inst.maillog()[-2000:]
    assert inst.wait_log(r"master\[%d\]: error: reload refused; keeping the "
                         r"old configuration" % master)
    c = inst.raw()
    assert c.greeting.code == 220 and c.greeting.text.endswith("before")
    c.close()
    send_one(inst)


def test_good_reload_still_works(make_instance):
    inst = make_instance(main={"smtpd_banner": "$myhostname ESMTP before"})
    inst.set_main({"smtpd_banner": "$myhostname ESMTP after"})
    r = inst.sluice("reload")
    assert r.returncode == 0, r.stderr
    assert "refreshing" in r.stdout

    def banner():
        c = inst.raw()
        text = c.greeting.text
        c.close()
        return text.endswith("after")
    assert si.wait_until(banner, 10.0)


def test_stop_status_mailq_with_broken_main_cf(make_instance):
    inst = make_instance(delivery=True)
    master = inst.master_pid
    send_one(inst)
    with open(inst.main_cf_path, "a") as f:
        f.write("message_size_limit = abc\nthis line has no equals sign\n")
    assert inst.sluice("check").returncode == 1
    r = inst.sluice("status")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "is running: PID: %d" % master in r.stdout
    env = dict(inst.env(), SLUICE_CONFIG=inst.etc)
    for cmd in ([inst.prog("sluice-queue"), "-c", inst.etc, "-p"],
                [inst.prog("mailq")]):
        q = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=30, env=env)
        assert q.returncode == 0, (cmd, q.stderr)
        assert re.search(r"in \d+ Requests?\.$|^Mail queue is empty$",
                         q.stdout, re.M), q.stdout
    r = inst.sluice("stop")
    assert r.returncode == 0, r.stdout + r.stderr
    assert si.wait_until(lambda: not si.pid_alive(master), 10.0)
    assert inst.sluice("status").returncode == 1


def test_unknown_parameter_warned_once(make_instance):
    inst = make_instance(main={"my_custom_setting": "1"}, start=False)
    warning = r"warning: %s:%d: unknown parameter my_custom_setting" % (
        re.escape(inst.main_cf_path), main_cf_line(inst, "my_custom_setting"))
    r = inst.sluice("check")
    assert r.returncode == 0, r.stdout
    assert re.search("sluice check: " + warning, r.stdout), r.stdout
    inst.start()
    send_one(inst)
    assert inst.wait_log(warning)
    env = dict(inst.env(), SLUICE_CONFIG=inst.etc)
    for cmd in ([inst.prog("sluice"), "-c", inst.etc, "status"],
                [inst.prog("mailq")],
                [inst.prog("sluice-queue"), "-c", inst.etc, "-p"]):
        q = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=30, env=env)
        assert "my_custom_setting" not in q.stderr + q.stdout, (cmd, q)
    send_one(inst)
    time.sleep(0.5)
    # the master said it once; no daemon and no command repeated it
    assert len(re.findall(warning, inst.maillog())) == 1, inst.maillog()
    assert inst.sluice("reload").returncode == 0
    assert inst.wait_log(r"master\[\d+\]: reload")
    assert si.wait_until(
        lambda: len(re.findall(warning, inst.maillog())) == 2, 5.0)


def test_unsupported_security_setting_is_an_error(make_instance):
    inst = make_instance(start=False)
    inst.set_main({"smtpd_sasl_auth_enable": "yes",
                   "smtpd_recipient_restrictions":
                   "permit_mynetworks, reject_unauth_destination"})
    r = inst.sluice("check")
    assert r.returncode == 1
    assert re.search(r"main\.cf:%d: parameter smtpd_sasl_auth_enable: not "
                     r"supported yet" % main_cf_line(inst,
                                                     "smtpd_sasl_auth_enable"),
                     r.stdout), r.stdout
    # the usual relay rule is what Sluice does: harmless, not an error
    assert "smtpd_recipient_restrictions" not in r.stdout
    inst.set_main({"smtpd_sasl_auth_enable": "no"})
    r = inst.sluice("check")
    assert r.returncode == 0, r.stdout


@pytest.mark.parametrize("foreground", [False, True], ids=["bg", "fg"])
@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda f: f.__name__)
def test_start_refuses(make_instance, breakage, foreground):
    """What check refuses is not started (as postfix start runs postfix
    check first): exit 1, each problem on the terminal and in the maillog,
    nothing listening, and status says so."""
    inst = make_instance(start=False)
    param = breakage(inst)
    args = ["start", "-f"] if foreground else ["start"]
    r = inst.sluice(*args)
    assert r.returncode == 1, r.stdout + r.stderr
    want = expected_line(inst, param)
    assert re.search(r"error: configuration error: " + want, r.stderr), \
        (want, r.stderr)
    assert "refusing to start" in r.stderr, r.stderr
    assert re.search(r"master\[\d+\]: error: configuration error: " + want,
                     inst.maillog()), inst.maillog()[-2000:]
    assert re.search(r"master\[\d+\]: fatal: refusing to start",
                     inst.maillog())
    assert not si.port_listening(inst.port)
    assert inst.sluice("status").returncode == 1
    assert inst.pid_from_file() is None


def test_daemon_answers_4xx_when_a_table_goes(make_instance):
    """A value that was good at start and breaks later (a table removed
    behind the master's back): smtpd answers every client 421 4.3.5 and
    says why, instead of dying and leaving a listener that greets nobody."""
    inst = make_instance(start=False)
    path = os.path.join(inst.etc, "recipients")
    with open(path, "w") as f:
        f.write("r@localhost ok\n")
    inst.compile_table("recipients")
    inst.set_main({"local_recipient_maps": "lmdb:" + path})
    inst.start()
    os.unlink(path + ".lmdb")
    for _ in range(3):
        c = inst.raw()
        assert c.greeting.code == 421, c.greeting
        assert c.greeting.text.startswith("4.3.5 "), c.greeting
        c.close()
    assert inst.wait_log(r"smtpd\[\d+\]: error: .*parameter "
                         r"local_recipient_maps: .*answering every client "
                         r"with 421 4\.3\.5")




def hand_over(inst):
    """One message; the reply that ends the attempt, and how long it took."""
    begun = time.monotonic()
    c = inst.raw()
    assert c.greeting.code == 220, c.greeting
    for line in ("EHLO client.example", "MAIL FROM:<a@client.example>",
                 "RCPT TO:<r@localhost>"):
        r = c.cmd(line, timeout=120)
        if r.code >= 400:
            break
    else:
        r = c.cmd("DATA", timeout=120)
        if r.code == 354:
            c.send(b"Subject: t\r\n\r\nbody\r\n.\r\n")
            r = c.reply(timeout=120)
    c.close()
    return r, time.monotonic() - begun


def test_cleanup_that_cannot_start_costs_a_4xx(make_instance):
    """cleanup meets a value it cannot use (its header_checks table gone
    since the start) and exits at once: it says why in the maillog, one
    problem a line, and smtpd answers 4xx, never 250, within the master's
    throttle, not after ipc_timeout (a cleanup dying before it accepts
    never takes the waiting connection): the client keeps the message."""
    inst = make_instance(start=False, main={"service_throttle_time": "5s"})
    path = os.path.join(inst.etc, "header_checks")
    with open(path, "w") as f:
        f.write("/^X-Spam: yes/ REJECT spam\n")
    inst.set_main({"header_checks": "regexp:" + path})
    inst.start()
    os.unlink(path)
    # the first attempt meets a cleanup that dies; while cleanup is
    # throttled for refusing to start, the master turns its clients away
    for _ in range(3):
        r, took = hand_over(inst)
        assert 400 <= r.code < 500, r
        assert took < 30, took
    assert inst.wait_log(r"cleanup\[\d+\]: error: \S+main\.cf:\d+: "
                         r"parameter header_checks: .*" + re.escape(path))
    assert inst.wait_log(r"cleanup\[\d+\]: fatal: \d+ parameter values? "
                         r"cannot be used \(see sluice check\)")
    assert inst.wait_log(r"master\[\d+\]: warning: \S+cleanup: throttled: "
                         r"turning clients of service cleanup away")
    assert inst.queue_files() == [], inst.queue_listing()
