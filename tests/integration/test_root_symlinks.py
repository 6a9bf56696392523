"""Root never follows a symbolic link that mail_owner planted.

private/ and public/ belong to mail_owner, so a compromised daemon (or any
process running as the sluice user) can replace a service socket there by
a symbolic link at any moment.  The master binds those sockets, removes
stale ones and pokes services through them; if it did any of that as root
by path, the link would make root change (chmod/chown) or connect to
whatever the link names.  These tests run a racer as the sluice user that
keeps swapping every socket of private/ and public/ for a link to a
root-owned 0600 file in a directory the racer cannot enter (or, for the
services the master pokes, to a socket there), while the master starts,
stops, reloads and adds and retires services; the file must keep its
owner and mode, nobody may connect to that socket, and the instance must
work again once the racer is gone (or refuse to start with a clear reason
while a link is in the way).  The same for sluice-super's poke of qmgr and
for sluice init, and the master refuses a queue or pid directory that
someone else can write.  Root only: without privilege separation there is
no boundary.
"""

import os
import pwd
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

import sluice_instance as si

pytestmark = pytest.mark.skipif(not si.is_root(),
                                reason="needs root (privilege separation)")

# The racer, run as the sluice user: argv = victim file, victim socket,
# stop file, the names of the services the master pokes (comma-separated),
# then the directories to watch.  Every socket it sees is replaced at once
# by a link (a rename of a link made in
# advance over it: one atomic system call): to the victim socket for the
# poked services (the master's wakeup connect), to the victim file for the
# others (the chmod/chown after bind).  A link of its own older than
# LINGER seconds is removed again, so that the next start of the master
# finds no obstacle and binds afresh (each bind is one more chance).  It
# spins on getdents (scandir gives type and inode without a stat) instead
# of waiting for inotify: the window between bind() and a chmod() by path
# is a few microseconds.  Prints the number of swaps at the end.
RACER = r"""
import os, sys, time
victim, victim_sock, stop_file, wake = sys.argv[1:5]
dirs = sys.argv[5:]
wake = set(wake.split(","))
LINGER = 0.05
planted, swaps, n = {}, 0, 0

def prepared(d, target):
    tmp = os.path.join(d, ".race-%s" % ("s" if target == victim_sock else "f"))
    if not os.path.lexists(tmp):
        os.symlink(target, tmp)
    return tmp

for d in dirs:
    prepared(d, victim)
    prepared(d, victim_sock)
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    n += 1
    if n % 512 == 0 and os.path.exists(stop_file):
        break
    for d in dirs:
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue
        for e in entries:
            if e.name.startswith(".race"):
                continue
            try:
                if not (e.is_symlink() or e.is_dir(follow_symlinks=False)
                        or e.is_file(follow_symlinks=False)):
                    # a socket: d_type says so, no stat needed
                    target = victim_sock if e.name in wake else victim
                    os.rename(prepared(d, target), e.path)
                    swaps += 1
                    planted[e.path] = time.monotonic()
                    prepared(d, target)
                elif e.is_symlink() and e.path in planted and \
                        time.monotonic() - planted[e.path] > LINGER:
                    os.unlink(e.path)
                    del planted[e.path]
            except OSError:
                pass
for path in list(planted) + [os.path.join(d, ".race-" + k)
                             for d in dirs for k in "sf"]:
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


def start_racer(inst, victim, victim_sock, stop_file):
    pw = pwd.getpwnam("sluice")

    def become_sluice():
        os.setgroups([])
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)

    dirs = [os.path.join(inst.queue, d) for d in ("private", "public")]
    return subprocess.Popen([sys.executable, "-c", RACER, victim,
                             victim_sock, stop_file, ",".join(WAKE)] + dirs,
                            stdout=subprocess.PIPE, text=True,
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


RACE_SECONDS = 6.0
# services of sluice init's master.cf with a wakeup: the master connects
WAKE = ("qmgr", "pickup")


class RootOnlySocket:
    """A listening UNIX socket in a directory only root may enter, and a
    thread that counts who connects to it: a connection can only come
    from root following a planted link."""

    def __init__(self, inst):
        d = os.path.join(inst.dir, "root-only")
        os.mkdir(d, 0o700)
        os.chmod(d, 0o700)
        self.path = os.path.join(d, "sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self.running = False
        self.thread.join(5)
        self.sock.close()


def test_socket_setup_never_follows_links(make_instance):
    inst = make_instance(delivery=True, start=False)
    victim = victim_file(inst)
    before = victim_state(victim)
    stop_file = os.path.join(inst.dir, "racer.stop")
    listener = RootOnlySocket(inst)
    racer = start_racer(inst, victim, listener.path, stop_file)
    starts = refused = reloads = 0
    try:
        deadline = time.monotonic() + RACE_SECONDS
        while time.monotonic() < deadline and \
                victim_state(victim) == before and listener.connections == 0:
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
        listener.close()
    after = victim_state(victim)
    print("racer swapped %d sockets; %d starts, %d refused, %d reloads; "
          "victim %r -> %r; %d connections to the root-only socket"
          % (swaps, starts, refused, reloads, before, after,
             listener.connections))
    assert after == before, \
        "root followed a planted link: victim owner/mode %r -> %r" % (
            before, after)
    assert listener.connections == 0, \
        "root connected through a planted link to a root-only socket"
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
    if where == "queue":
        # sluice-super opens and repairs subdir/name as root there too
        r = subprocess.run([inst.prog("sluice-super"), "-c", inst.etc, "-s"],
                           env=inst.env(),
                           capture_output=True, text=True, timeout=30)
        assert r.returncode != 0
        assert "must be a directory owned by root and writable only by " \
            "root" in r.stderr, r.stderr
    # put right, it starts
    if where == "queue":
        os.chmod(inst.queue, 0o755)
    else:
        os.chown(os.path.join(inst.queue, "pid"), 0, 0)
    inst.start()
    assert send_one(inst)


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
    listener = RootOnlySocket(inst)
    try:
        plant_link(inst, os.path.join(inst.queue, "public", "qmgr"),
                   listener.path)
        r = subprocess.run([inst.prog("sluice-super"), "-c", inst.etc,
                            "-d", qid], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=30,
                           env=inst.env())
        assert r.returncode == 0, r.stderr
        assert "Deleted: 1 message" in r.stderr, r.stderr
        time.sleep(0.3)     # the listener's thread accepts within 0.2 s
    finally:
        listener.close()
    assert listener.connections == 0, \
        "sluice-super connected through the link as root"


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
    assert "must be a directory owned by root and writable only by " \
        "root" in r.stderr
    # a root-owned directory with the link in it: refused, not followed
    os.chown(top, 0, 0)
    r = subprocess.run([inst.prog("sluice"), "init", top, "--port",
                        str(si.free_port())], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=30,
                       env=inst.env())
    st = os.stat(victim)
    assert (st.st_uid, st.st_mode & 0o7777) == (0, 0o700)
    assert r.returncode != 0 and "symbolic link" in r.stderr, r.stderr
