"""Root never follows a symbolic link that mail_owner planted.

private/ and public/ belong to mail_owner, so a compromised daemon (or any
process running as the sluice user) can replace a service socket there by
a symbolic link at any moment.  The master binds those sockets, removes
stale ones and pokes services through them; if it did any of that as root
by path, the link would make root change (chmod/chown) or connect to
whatever the link names.  These tests run a racer as the sluice user that
keeps swapping every socket of private/ and public/ for a link to a
root-owned 0600 file in a directory the racer cannot enter, while the
master starts, stops, reloads and adds and retires services; the file must
keep its owner and mode, and the instance must work again once the racer
is gone (or refuse to start with a clear reason while a link is in the
way).  Root only: without privilege separation there is no boundary.
"""

import os
import pwd
import signal
import socket
import subprocess
import sys
import time

import pytest

import sluice_instance as si

pytestmark = pytest.mark.skipif(not si.is_root(),
                                reason="needs root (privilege separation)")

# The racer, run as the sluice user: argv = victim path, stop file, then
# the directories to watch.  Every socket it sees that it has not swapped
# yet is replaced at once (rename of a prepared link over it: atomic) by a
# link to the victim; a link of its own older than LINGER seconds is
# removed again, so that the next start of the master finds no obstacle
# and binds afresh (each bind is one more chance for the race).  It spins
# instead of waiting for inotify: the window between bind() and a chmod()
# by path is a few microseconds.  Prints the number of swaps at the end.
RACER = r"""
import os, stat, sys, time
victim, stop_file, dirs = sys.argv[1], sys.argv[2], sys.argv[3:]
LINGER = 0.05
swapped, planted, swaps = set(), {}, 0
deadline = time.monotonic() + 120
n = 0
while time.monotonic() < deadline:
    n += 1
    if n % 256 == 0 and os.path.exists(stop_file):
        break
    for d in dirs:
        try:
            names = os.listdir(d)
        except OSError:
            continue
        for name in names:
            if name.startswith(".race"):
                continue
            path = os.path.join(d, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISSOCK(st.st_mode):
                key = (st.st_dev, st.st_ino)
                if key in swapped:
                    continue
                tmp = os.path.join(d, ".race%d" % os.getpid())
                try:
                    os.symlink(victim, tmp)
                    os.rename(tmp, path)
                    swaps += 1
                    swapped.add(key)
                    planted[path] = time.monotonic()
                except OSError:
                    try:
                        os.unlink(tmp)
                    except OSError:
                        pass
            elif stat.S_ISLNK(st.st_mode) and path in planted and \
                    time.monotonic() - planted[path] > LINGER:
                try:
                    os.unlink(path)
                except OSError:
                    pass
                del planted[path]
for path in planted:
    try:
        os.unlink(path)
    except OSError:
        pass
print(swaps)
"""


def victim_file(inst):
    """A root-owned 0600 file in a root-only directory."""
    d = os.path.join(inst.dir, "victim")
    os.mkdir(d, 0o700)
    os.chmod(d, 0o700)
    path = os.path.join(d, "secret")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, b"root only\n")
    os.close(fd)
    os.chmod(path, 0o600)
    return path


def victim_state(path):
    st = os.stat(path)
    return st.st_uid, st.st_gid, st.st_mode & 0o7777


def start_racer(inst, victim, stop_file):
    pw = pwd.getpwnam("sluice")

    def become_sluice():
        os.setgroups([])
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)

    dirs = [os.path.join(inst.queue, d) for d in ("private", "public")]
    return subprocess.Popen([sys.executable, "-c", RACER, victim, stop_file]
                            + dirs, stdout=subprocess.PIPE, text=True,
                            preexec_fn=become_sluice, start_new_session=True)


def stop_racer(racer, stop_file):
    """Ask the racer to stop (it cleans its links up); its swap count."""
    with open(stop_file, "w"):
        pass
    try:
        out, _ = racer.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        os.kill(racer.pid, signal.SIGKILL)
        out, _ = racer.communicate()
    try:
        return int(out.strip() or 0)
    except ValueError:
        return 0


def try_start(inst):
    """Start; True when it runs, False when it refused (logged why)."""
    try:
        inst.start(timeout=10.0)
        return True
    except RuntimeError:
        inst.stop()
        return False


def leftover_links(inst):
    found = []
    for d in ("private", "public"):
        dd = os.path.join(inst.queue, d)
        for name in os.listdir(dd):
            if os.path.islink(os.path.join(dd, name)):
                found.append(os.path.join(dd, name))
    return found


def send_one(inst):
    with inst.smtp() as s:
        s.ehlo("client.example")
        assert s.mail("a@client.example")[0] == 250
        assert s.rcpt("postmaster@example.test")[0] == 250
        code, text = s.data(b"Subject: after the race\r\n\r\nbody\r\n")
        assert code == 250, text
        return si.queued_id(text)


def extra_service(inst, n):
    """master.cf with one more unix service (a new bind at each reload)."""
    text = inst.master_cf().rstrip("\n") + "\n"
    text = "\n".join(l for l in text.split("\n")
                     if not l.startswith("race")) + "\n"
    text += "race%d   unix  n       -       n      -       1       showq\n" % n
    inst.write_master_cf(text)


def reload_count(inst):
    return inst.maillog().count("master[%d]: reload -- " % inst.master_pid)


RACE_SECONDS = 8.0


def test_socket_setup_never_follows_links(make_instance):
    inst = make_instance(delivery=True, start=False)
    victim = victim_file(inst)
    before = victim_state(victim)
    stop_file = os.path.join(inst.dir, "racer.stop")
    racer = start_racer(inst, victim, stop_file)
    starts = refused = reloads = 0
    try:
        deadline = time.monotonic() + RACE_SECONDS
        while time.monotonic() < deadline and \
                victim_state(victim) == before:
            if try_start(inst):
                starts += 1
                done = reload_count(inst)
                for n in range(3):
                    extra_service(inst, starts * 10 + n)
                    if n % 2:
                        os.kill(inst.master_pid, signal.SIGHUP)
                    else:
                        inst.sluice("reload")
                    reloads += 1
                    done += 1
                    si.wait_until(lambda: reload_count(inst) >= done,
                                  2.0)
                inst.stop()
            else:
                refused += 1
                time.sleep(0.06)    # the racer removes its old links
    finally:
        swaps = stop_racer(racer, stop_file)
        inst.stop()
    after = victim_state(victim)
    print("racer swapped %d sockets; %d starts, %d refused, %d reloads"
          % (swaps, starts, refused, reloads))
    assert after == before, \
        "root followed a planted link: victim owner/mode %r -> %r" % (
            before, after)
    assert swaps > 0, "the racer never got to swap a socket"
    # A refused start said why.
    if refused:
        assert "not a socket" in inst.stderr_text() + inst.maillog()
    # Without the racer the instance works again.
    assert leftover_links(inst) == []
    inst.write_master_cf("\n".join(
        l for l in inst.master_cf().split("\n") if not l.startswith("race")))
    inst.start()
    assert send_one(inst)
    assert si.wait_until(lambda: not any(
        inst.queue_ids(q) for q in si.LIVE_QUEUES), 10.0)
    assert victim_state(victim) == before


@pytest.mark.parametrize("where", ["queue", "pid"])
def test_master_refuses_directories_others_can_write(make_instance, where):
    """Root creates and removes queue/pid/master.pid by name and works in
    the queue directory by name: both must be root's alone."""
    inst = make_instance(start=False)
    if where == "queue":
        os.chmod(inst.queue, 0o777)
    else:
        pw = pwd.getpwnam("sluice")
        os.chown(os.path.join(inst.queue, "pid"), pw.pw_uid, pw.pw_gid)
    with pytest.raises(RuntimeError):
        inst.start(timeout=5.0)
    assert "must be a directory owned by root and writable only by root" \
        in inst.stderr_text()
    assert inst.pid_from_file() is None
    # put right, it starts
    if where == "queue":
        os.chmod(inst.queue, 0o755)
    else:
        os.chown(os.path.join(inst.queue, "pid"), 0, 0)
    inst.start()
    assert send_one(inst)


def root_only_listener(inst):
    """A UNIX socket in a directory only root may enter."""
    d = os.path.join(inst.dir, "root-only")
    os.mkdir(d, 0o700)
    os.chmod(d, 0o700)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(os.path.join(d, "sock"))
    s.listen(5)
    s.settimeout(0.5)
    return s, os.path.join(d, "sock")


def plant_link(inst, path, target):
    """What a process running as mail_owner can do in its directories."""
    pw = pwd.getpwnam("sluice")
    if os.path.lexists(path):
        os.unlink(path)
    os.symlink(target, path)
    os.lchown(path, pw.pw_uid, pw.pw_gid)


def test_sluice_super_pokes_qmgr_as_mail_owner(make_instance):
    """sluice-super pokes qmgr through public/qmgr: as root, connect()
    would follow a link planted there to any socket of the system."""
    inst = make_instance()
    qid = send_one(inst)
    inst.stop()
    listener, target = root_only_listener(inst)
    try:
        plant_link(inst, os.path.join(inst.queue, "public", "qmgr"), target)
        r = subprocess.run([inst.prog("sluice-super"), "-c", inst.etc,
                            "-d", qid], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=30,
                           env=inst.env())
        assert r.returncode == 0, r.stderr
        assert "Deleted: 1 message" in r.stderr, r.stderr
        try:
            conn, _ = listener.accept()
            conn.close()
            reached = True
        except socket.timeout:
            reached = False
        assert not reached, "sluice-super connected through the link as root"
    finally:
        listener.close()


def test_init_never_follows_links_in_the_instance(make_instance, tmp_path):
    """sluice init into an existing directory another user owns: that
    user's link at DIR/log must not make root chmod what it names."""
    victim = os.path.join(str(tmp_path), "victim-dir")
    os.mkdir(victim, 0o700)
    os.chmod(victim, 0o700)
    pw = pwd.getpwnam("sluice")
    inst = make_instance(start=False)
    top = os.path.join(inst.dir, "other")
    os.mkdir(top, 0o755)
    os.chown(top, pw.pw_uid, pw.pw_gid)
    plant_link(inst, os.path.join(top, "log"), victim)
    r = subprocess.run([inst.prog("sluice"), "init", top, "--port",
                        str(si.free_port())], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=30,
                       env=inst.env())
    st = os.stat(victim)
    assert (st.st_uid, st.st_mode & 0o7777) == (0, 0o700), \
        "root followed the link: %o" % (st.st_mode & 0o7777)
    assert r.returncode != 0
    assert "must be owned by root and writable only by root" in r.stderr
    # a root-owned directory with the link in it: refused, not followed
    os.chown(top, 0, 0)
    r = subprocess.run([inst.prog("sluice"), "init", top, "--port",
                        str(si.free_port())], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=30,
                       env=inst.env())
    st = os.stat(victim)
    assert (st.st_uid, st.st_mode & 0o7777) == (0, 0o700)
    assert r.returncode != 0 and "symbolic link" in r.stderr, r.stderr
