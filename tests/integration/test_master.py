"""The master and the sluice control command: privileges, chroot, reload,
status/check/start/stop, start-up clean-up of unfinished queue files."""

import os
import pwd
import re
import signal
import struct
import subprocess
import time

import pytest

import sluice_instance as si

needs_root = pytest.mark.skipif(not si.is_root(),
                                reason="needs root (privilege separation)")


def send_one(inst, i=0, source="127.0.0.1"):
    with inst.smtp(source=source) as s:
        s.ehlo("client.example")
        assert s.mail("a@client.example")[0] == 250
        assert s.rcpt("r%d@localhost" % i)[0] == 250
        code, text = s.data(b"Subject: m%d\r\n\r\nbody\r\n" % i)
        assert code == 250, text
        return si.queued_id(text)


@needs_root
def test_processes_run_as_designed(instance):
    inst = instance
    sluice_uid = pwd.getpwnam("sluice").pw_uid
    assert si.proc_uids(inst.master_pid) == (0, 0)
    c = inst.raw()
    assert c.cmd("EHLO client.example").code == 250
    send_one(inst)
    smtpd = inst.session_pid(c)
    assert smtpd, inst.children()
    cleanups = inst.children("cleanup")
    assert cleanups, [si.proc_argv(p) for p in inst.children()]
    for pid in [smtpd] + cleanups:
        assert si.proc_uids(pid) == (sluice_uid, sluice_uid), \
            (si.proc_argv(pid), si.proc_uids(pid))
    # ps agrees (the issue's own check)
    ps = subprocess.run(["ps", "-o", "user=,pid=,args=", "-p",
                         ",".join(str(p) for p in
                                  [inst.master_pid, smtpd] + cleanups)],
                        stdout=subprocess.PIPE, text=True, check=True).stdout
    users = {int(l.split()[1]): l.split()[0] for l in ps.splitlines()}
    assert users[inst.master_pid] == "root", ps
    assert users[smtpd] == "sluice", ps
    assert all(users[p] == "sluice" for p in cleanups), ps
    # smtpd is chrooted to the queue directory (master.cf chroot = y),
    # cleanup is not (chroot = n)
    assert os.path.realpath("/proc/%d/root" % smtpd) == \
        os.path.realpath(inst.queue)
    for pid in cleanups:
        assert os.path.realpath("/proc/%d/root" % pid) == "/"
    # no supplementary groups left from root
    with open("/proc/%d/status" % smtpd) as f:
        groups = [l for l in f if l.startswith("Groups:")][0].split()[1:]
    assert "0" not in groups, groups
    c.close()


@pytest.mark.skipif(si.is_root(), reason="the unprivileged case")
def test_unprivileged_instance_runs_as_current_user(instance):
    c = instance.raw()
    assert c.cmd("EHLO client.example").code == 250
    pid = instance.session_pid(c)
    assert si.proc_uids(pid)[1] == os.geteuid()
    c.close()


@pytest.mark.parametrize("how", ["sluice-reload", "sighup"])
def test_reload_keeps_open_sessions(instance, how):
    inst = instance
    old = inst.raw()
    assert old.cmd("EHLO client.example").code == 250
    assert old.cmd("MAIL FROM:<before-reload@client.example>").code == 250
    inst.set_main({"smtpd_banner": "$myhostname ESMTP after-reload"})
    if how == "sighup":
        os.kill(inst.master_pid, signal.SIGHUP)
    else:
        r = inst.sluice("reload")
        assert r.returncode == 0, r.stderr
    assert inst.wait_log(r"sluice/master\[%d\]: .*reload" % inst.master_pid)
    # the open session completes a message after the reload
    assert old.cmd("RCPT TO:<someone@localhost>").code == 250
    assert old.cmd("DATA").code == 354
    r = old.cmd(b"Subject: across reload\r\n\r\nbody\r\n.")
    qid = si.queued_id(str(r))
    assert r.code == 250 and qid, r
    assert old.cmd("QUIT").code == 221
    old.close()
    assert inst.read_queue(qid).sender == "before-reload@client.example"
    # new sessions work and see the new configuration
    new = inst.raw()
    assert "after-reload" in new.greeting.lines[0], new.greeting
    new.close()
    assert send_one(inst, 1)
    assert inst.running()
    assert inst.pid_from_file() == inst.master_pid


def test_reload_adds_a_listener(instance):
    inst = instance
    port2 = si.free_port()
    with open(inst.master_cf_path, "a") as f:
        f.write("%d inet n - y - - smtpd\n" % port2)
    assert inst.sluice("reload").returncode == 0
    assert si.wait_until(lambda: si.port_listening(port2), 10.0)
    c = si.RawClient(port2)
    assert c.greeting.code == 220
    assert c.cmd("EHLO client.example").code == 250
    c.close()
    # the first listener still works
    assert send_one(inst)


def test_status_check_start_stop(make_instance):
    inst = make_instance(start=False)
    r = inst.sluice("check")
    assert r.returncode == 0, r.stdout + r.stderr
    r = inst.sluice("status")
    assert r.returncode != 0, r
    inst.start()
    master = inst.master_pid
    r = inst.sluice("status")
    assert r.returncode == 0, r.stdout + r.stderr
    r = inst.sluice("check")
    assert r.returncode == 0, r.stdout + r.stderr
    # a second master on the same queue refuses to start
    second = subprocess.Popen([inst.prog("sluice"), "-c", inst.etc,
                               "start", "-f"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, env=inst.env(),
                              start_new_session=True)
    try:
        out, _ = second.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(second.pid, signal.SIGKILL)
        second.wait()
        pytest.fail("second start did not fail: still running")
    assert second.returncode != 0, out
    assert si.pid_alive(master)
    assert inst.pid_from_file() == master
    assert send_one(inst)
    # a plain (backgrounding) start fails the same way
    r = inst.sluice("start")
    assert r.returncode != 0, r.stdout + r.stderr
    assert inst.pid_from_file() == master
    kids = inst.children()
    assert kids
    # stop
    r = inst.sluice("stop")
    assert r.returncode == 0, r.stdout + r.stderr
    assert si.wait_until(lambda: not si.pid_alive(master), 10.0)
    assert si.wait_until(lambda: not any(inst.still_ours(p) for p in kids),
                         10.0), [si.proc_argv(p) for p in kids
                                 if si.pid_alive(p)]
    assert not si.port_listening(inst.port)
    assert inst.sluice("status").returncode != 0
    assert inst.wait_log(r"sluice/master\[%d\]: .*(stop|terminat)" % master)


def test_check_reports_broken_config(make_instance):
    inst = make_instance(start=False)
    inst.set_main({"smtpd_recipient_limit": "not-a-number"})
    r = inst.sluice("check")
    assert r.returncode != 0
    assert "smtpd_recipient_limit" in r.stdout + r.stderr


def test_check_reports_qmgr_without_bounce_service(make_instance):
    """An upgraded master.cf without the bounce service would keep every
    bounce owed for good: check says so (and is fine with the line)."""
    inst = make_instance(start=False, delivery=True)
    r = inst.sluice("check")
    assert r.returncode == 0, r.stdout + r.stderr
    inst.write_master_cf("\n".join(
        line for line in inst.master_cf().split("\n")
        if not line.startswith("bounce ")))
    r = inst.sluice("check")
    assert r.returncode != 0
    assert re.search(r"master\.cf:\d+: qmgr runs without a \"bounce\" "
                     r"service", r.stdout + r.stderr), r.stdout + r.stderr


def test_check_reports_bad_queue_permissions(make_instance):
    inst = make_instance(start=False)
    os.chmod(inst.incoming, 0o777)
    r = inst.sluice("check")
    assert r.returncode != 0
    assert "incoming" in r.stdout + r.stderr


def record(rtype, data=b""):
    return rtype.encode() + struct.pack(">I", len(data)) + data


def write_queue_file(inst, name, mode, end):
    data = (record("V", b"1") + record("T", b"1700000000.000000") +
            record("Z", b"%020d" % 5) + record("S", b"a@client.example") +
            record("R", b"r@localhost\0\0" + b"0") + record("M") +
            record("C", b"x: y\n"))
    if end:
        data += record("E")
    path = inst.queue_path(name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, data)
    os.close(fd)
    os.chmod(path, mode)
    st = os.stat(inst.incoming)
    os.chown(path, st.st_uid, st.st_gid)
    assert si.parse_queue_file(path).complete == (end and mode == 0o700)


def test_startup_removes_unfinished_queue_files(make_instance):
    inst = make_instance(start=False)
    write_queue_file(inst, "00000001000000001", 0o600, end=False)
    write_queue_file(inst, "00000001000000002", 0o700, end=False)
    write_queue_file(inst, "00000001000000003", 0o600, end=True)
    write_queue_file(inst, "00000001000000004", 0o700, end=True)
    inst.start()
    assert si.wait_until(lambda: inst.queue_ids() == ["00000001000000004"],
                         5.0), inst.queue_ids()
    assert inst.read_queue("00000001000000004").complete


def test_idle_children_are_reused(instance):
    c = instance.raw()
    assert c.cmd("EHLO client.example").code == 250
    pid = instance.session_pid(c)
    assert c.cmd("QUIT").code == 221
    c.close()
    # the child survives its session (max_use > 1) and serves again
    time.sleep(0.2)
    assert si.pid_alive(pid)
    assert pid in instance.children("smtpd")
    seen = set()
    for _ in range(5):
        c = instance.raw()
        assert c.cmd("EHLO client.example").code == 250
        seen.add(instance.session_pid(c))
        c.cmd("QUIT")
        c.close()
    assert pid in seen or len(seen) < 5, (pid, seen)


@pytest.mark.parametrize("limit", ["1", "100"])
def test_many_concurrent_sessions(make_instance, limit):
    """8 sessions at once: with smtpd_process_session_limit = 1 (Postfix's
    model) the master runs 8 smtpd processes; with 100 one process holds
    them all (tests/integration/test_sessions.py has more)."""
    instance = make_instance(main={"smtpd_process_session_limit": limit})
    clients = [instance.raw() for _ in range(8)]
    for i, c in enumerate(clients):
        assert c.cmd("EHLO c%d.example" % i).code == 250
        assert c.cmd("MAIL FROM:<c%d@client.example>" % i).code == 250
    for i, c in enumerate(clients):
        assert c.cmd("RCPT TO:<r%d@localhost>" % i).code == 250
        assert c.cmd("DATA").code == 354
    ids = []
    for i, c in enumerate(clients):
        r = c.cmd(b"Subject: concurrent %d\r\n\r\nbody\r\n." % i)
        assert r.code == 250, r
        ids.append(si.queued_id(str(r)))
        c.close()
    assert len(set(ids)) == 8
    assert set(ids) <= set(instance.complete_ids())
    smtpds = instance.children("smtpd")
    if limit == "1":
        assert len(smtpds) >= 8
    else:
        assert len(smtpds) == 1, smtpds
