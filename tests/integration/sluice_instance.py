"""sluice_instance - run a real Sluice instance on loopback for the tests.

An Instance is one directory made by `sluice init`, with its own port, its
own queue and its own maillog.  The tests start it with `sluice start -f`,
talk SMTP to it (smtplib or a raw socket for byte-exact sessions), inspect
the queue files it wrote (the record format of lib/queue/queue_file.h, ported
below) and stop it by pid.  For the delivery side it finds mailboxes
(Maildir, mbox), waits for them and for an empty queue with bounded
polling, splits off what delivery put in front of a message, finds the
children serving a master.cf service, and edits the instance's tables
(aliases, vmailbox) with sluice-map.  Only the standard library is used.
"""

import contextlib
import os
import re
import shutil
import signal
import socket
import stat
import struct
import subprocess
import time

HOSTNAME = "mx.test.example"

# Anything of these in a daemon's stderr or the maillog fails the test.
SANITIZER_MARKERS = ("AddressSanitizer", "runtime error:", "LeakSanitizer",
                     "panic:")

DAEMON_ENV = {
    # Daemons drop privileges: LeakSanitizer cannot ptrace them there.
    "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}

QUEUE_MODE_COMPLETE = 0o700

VIRTUAL_DOMAIN = "example.test"
# The queues a message passes through before it is delivered or bounced
# (hold/ is left alone: nothing schedules it).
LIVE_QUEUES = ("maildrop", "incoming", "active", "deferred")
# Delivery services of an instance's master.cf (sluice init writes them).
DELIVERY_SERVICES = ("qmgr", "bounce", "pickup", "showq", "local",
                     "virtual")
DELIVERY_PROGRAMS = ("qmgr", "bounce", "local")


def is_root():
    return os.geteuid() == 0


def free_port():
    """A port nobody listens on right now (bind 0, close, reuse)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


@contextlib.contextmanager
def tmpfs(path, size):
    """A tmpfs of size on path (made if missing), unmounted on the way
    out, also after a failure (root only)."""
    os.makedirs(path, exist_ok=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o",
                       "size=%s,mode=0755" % size, "tmpfs", path]).returncode:
        raise RuntimeError("cannot mount a tmpfs on %s" % path)
    try:
        yield path
    finally:
        if subprocess.run(["umount", path]).returncode:
            subprocess.run(["umount", "-l", path])


@contextlib.contextmanager
def queue_on_tmpfs(inst, size="12m"):
    """The (stopped) instance's queue on a tmpfs of its own; on the way
    out stop the instance, then unmount, also after a failure."""
    disk = inst.queue + ".disk"
    os.rename(inst.queue, disk)
    try:
        with tmpfs(inst.queue, size):
            try:
                subprocess.run(["cp", "-a", disk + "/.", inst.queue],
                               check=True)
                yield
            finally:
                inst.stop()
    finally:
        shutil.rmtree(disk, ignore_errors=True)


def wait_until(predicate, timeout, interval=0.02):
    """Poll predicate until it is true or timeout seconds passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def ensure_system_account():
    """As root: the sluicedrop group and the sluice user (idempotent)."""
    if subprocess.run(["getent", "group", "sluicedrop"],
                      stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["groupadd", "--system", "sluicedrop"], check=True)
    if subprocess.run(["getent", "passwd", "sluice"],
                      stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["useradd", "--system", "--no-create-home",
                        "--shell", "/usr/sbin/nologin", "sluice"], check=True)


# --- /proc helpers ------------------------------------------------------

def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return fields[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def proc_ppid(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def proc_starttime(pid):
    """Start time in clock ticks: tells a pid from a later reuse of it."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def proc_argv(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return [a.decode(errors="replace")
                    for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def proc_uids(pid):
    """(real, effective) uid of a process."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                parts = line.split()
                return int(parts[1]), int(parts[2])
    raise RuntimeError("no Uid line for pid %d" % pid)


def all_pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def children_of(pid):
    return [p for p in all_pids() if proc_ppid(p) == pid]


def descendants_of(pid):
    found, todo = [], [pid]
    while todo:
        kids = children_of(todo.pop())
        found.extend(kids)
        todo.extend(kids)
    return found


def socket_inodes_for(local_port, remote_port):
    """Inodes of the TCP sockets 127.0.0.1:local_port <-> *:remote_port."""
    inodes = []
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            lport = int(fields[1].split(":")[1], 16)
            rport = int(fields[2].split(":")[1], 16)
            if lport == local_port and rport == remote_port:
                inodes.append(fields[9])
    return inodes


def pid_has_fd_target(pid, predicate):
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return False
    for fd in fds:
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if predicate(target):
            return True
    return False


def port_listening(port):
    """A LISTEN socket on 127.0.0.1:port (or any address) exists."""
    want = ("0100007F:%04X" % port, "00000000:%04X" % port)
    try:
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                fields = line.split()
                if fields[1] in want and fields[3] == "0A":
                    return True
    except OSError:
        pass
    return False


# --- queue files (lib/queue/queue_file.h) -------------------------------------

class QueueFileError(Exception):
    pass


class QueueMessage:
    """A parsed queue file: the envelope, the content, completeness."""

    def __init__(self):
        self.records = []          # (type, bytes) in file order
        self.version = None
        self.arrival = None
        self.size = None
        self.sender = None
        self.attrs = {}
        # dicts: address, orcpt, notify, done, original (None: a record
        # without the field, not expanded by cleanup; "" the address itself)
        self.recipients = []
        self.content = b""
        self.extracted = False      # an X record: A/R after the content
        self.has_end = False
        self.mode = None

    @property
    def complete(self):
        return self.has_end and self.mode == QUEUE_MODE_COMPLETE

    @property
    def recipient_addresses(self):
        return [r["address"] for r in self.recipients]

    def headers(self):
        """The header section of the content, unfolded: [(name, value)]."""
        head = self.content.split(b"\n\n", 1)[0]
        out = []
        for line in head.split(b"\n"):
            if line[:1] in (b" ", b"\t") and out:
                name, value = out[-1]
                out[-1] = (name, value + b"\n" + line)
            elif b":" in line:
                name, value = line.split(b":", 1)
                out.append((name.decode("latin-1"), value))
        return out

    def header_values(self, name):
        return [v for n, v in self.headers() if n.lower() == name.lower()]


def parse_queue_bytes(data, mode=None):
    msg = QueueMessage()
    msg.mode = mode
    pos = 0
    in_content = False
    while pos < len(data):
        if len(data) - pos < 5:
            raise QueueFileError("truncated record header at %d" % pos)
        rtype = chr(data[pos])
        (length,) = struct.unpack(">I", data[pos + 1:pos + 5])
        if pos + 5 + length > len(data):
            raise QueueFileError("record %r at %d runs past EOF" % (rtype, pos))
        body = data[pos + 5:pos + 5 + length]
        pos += 5 + length
        msg.records.append((rtype, body))
        if msg.has_end:
            raise QueueFileError("record %r after the end marker" % rtype)
        if rtype == "V":
            msg.version = body.decode()
        elif rtype == "T":
            msg.arrival = body.decode()
        elif rtype == "Z":
            msg.size = int(body.decode().strip() or "0")
        elif rtype == "S":
            msg.sender = body.decode("utf-8", errors="surrogateescape")
        elif rtype == "A":
            name, _, value = body.partition(b"=")
            msg.attrs[name.decode()] = value.decode("utf-8", "surrogateescape")
        elif rtype in ("R", "D"):
            parts = body.split(b"\0")
            if len(parts) not in (3, 4):
                raise QueueFileError("recipient record with %d fields"
                                     % len(parts))
            msg.recipients.append({
                "address": parts[0].decode("utf-8", "surrogateescape"),
                "orcpt": parts[1].decode("utf-8", "surrogateescape"),
                "notify": int(parts[2].decode() or "0"),
                "done": rtype == "D",
                "original": parts[3].decode("utf-8", "surrogateescape")
                if len(parts) == 4 else None,
            })
        elif rtype == "M":
            in_content = True
        elif rtype == "C":
            if not in_content or msg.extracted:
                raise QueueFileError("content record outside the content")
            msg.content += body
        elif rtype == "X":
            if not in_content or msg.extracted or length != 0:
                raise QueueFileError("misplaced or non-empty X record")
            msg.extracted = True
        elif rtype == "E":
            if length != 0:
                raise QueueFileError("non-empty end marker")
            msg.has_end = True
        else:
            raise QueueFileError("unknown record type %r" % rtype)
    return msg


def old_format_queue_file(rcpts, content, sender="sender@client.example"):
    """The bytes of a complete queue file as Sluice wrote it before issue
    16: recipient records of address NUL orcpt NUL notify, without the
    original-recipient field (not expanded: qmgr expands them)."""
    def record(rtype, data):
        return rtype.encode() + struct.pack(">I", len(data)) + data
    out = record("V", b"1") + record("T", b"%d.000000" % time.time()) + \
        record("Z", b"%020d" % len(content)) + \
        record("S", sender.encode()) + record("A", b"protocol=ESMTP")
    for r in rcpts:
        out += record("R", r.encode() + b"\0\0" + b"0")
    return out + record("M", b"") + record("C", content) + record("E", b"")


def plant_queue_file(inst, data, seq=0):
    """Put a finished queue file with data into incoming/ (owned as
    cleanup would own it, mode 0700, renamed into place); its ID."""
    qid = "%08X%05X%04X" % (int(time.time()) - 60, 0xFFFFF - seq, 0xFFFF)
    incoming = os.path.join(inst.queue, "incoming")
    tmp = os.path.join(incoming, ".planted-" + qid)
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, QUEUE_MODE_COMPLETE)
    if os.geteuid() == 0:
        st = os.stat(incoming)
        os.chown(tmp, st.st_uid, st.st_gid)
    os.rename(tmp, os.path.join(incoming, qid))
    return qid


def parse_queue_file(path):
    with open(path, "rb") as f:
        mode = stat.S_IMODE(os.fstat(f.fileno()).st_mode)
        data = f.read()
    return parse_queue_bytes(data, mode)


# --- SMTP over a raw socket ---------------------------------------------

class SMTPReply:
    def __init__(self, lines):
        self.lines = lines                      # without CRLF
        self.code = int(lines[-1][:3])
        self.text = "\n".join(l[4:] for l in lines)

    def __repr__(self):
        return "<%s>" % " | ".join(self.lines)

    def __str__(self):
        return "\n".join(self.lines)


class RawClient:
    """Byte-exact SMTP: send what we say, parse replies as they come."""

    def __init__(self, port, source="127.0.0.1", timeout=5.0,
                 read_greeting=True):
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=timeout,
                                             source_address=(source, 0))
        self.timeout = timeout
        self.buf = b""
        self.greeting = self.reply() if read_greeting else None

    @property
    def local_port(self):
        return self.sock.getsockname()[1]

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self, timeout):
        self.sock.settimeout(timeout)
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed by server; pending %r" % self.buf)
        self.buf += chunk

    def _line(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("no complete reply line; have %r"
                                     % self.buf)
            self._fill(left)
        line, self.buf = self.buf.split(b"\n", 1)
        if not line.endswith(b"\r"):
            raise AssertionError("reply line without CRLF: %r" % line)
        return line[:-1].decode("utf-8", errors="replace")

    def reply(self, timeout=None):
        """One (possibly multi-line) reply."""
        timeout = self.timeout if timeout is None else timeout
        lines = []
        while True:
            line = self._line(timeout)
            if not re.match(r"^[2-5][0-9][0-9]([ -]|$)", line):
                raise AssertionError("malformed reply line %r" % line)
            lines.append(line)
            if len(line) < 4 or line[3] == " ":
                return SMTPReply(lines)

    def replies(self, count, timeout=None):
        return [self.reply(timeout) for _ in range(count)]

    def cmd(self, line, timeout=None):
        """Send one command line (CRLF added) and read its reply."""
        self.send(line.encode() + b"\r\n" if isinstance(line, str)
                  else line + b"\r\n")
        return self.reply(timeout)

    def drain(self, quiet=1.0, limit=10.0):
        """Every reply until the server is quiet for `quiet` seconds or
        closes.  Returns (replies, closed)."""
        out = []
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            try:
                out.append(self.reply(timeout=quiet))
            except (socket.timeout, TimeoutError):
                return out, False
            except (EOFError, ConnectionResetError):
                return out, True
        return out, False

    def closed_by_server(self, timeout=5.0):
        """True when the server closes the connection within timeout
        (anything it still sends is discarded)."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self.sock.settimeout(max(0.01, deadline - time.monotonic()))
                if not self.sock.recv(65536):
                    return True
        except (socket.timeout, TimeoutError):
            return False
        except ConnectionResetError:
            return True
        return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


QUEUED_RE = re.compile(r"^250 2\.0\.0 Ok: queued as ([0-9A-F]+)$")


def queued_id(reply_text):
    """The queue ID from "250 2.0.0 Ok: queued as ID", else None."""
    if isinstance(reply_text, bytes):
        reply_text = reply_text.decode(errors="replace")
    m = re.search(r"queued as ([0-9A-F]+)", reply_text)
    return m.group(1) if m else None


# --- the instance -------------------------------------------------------

class Instance:
    def __init__(self, bindir, directory, port=None, hostname=HOSTNAME):
        self.bindir = bindir
        self.dir = directory
        self.port = port or free_port()
        self.hostname = hostname
        self.etc = os.path.join(directory, "etc")
        self.queue = os.path.join(directory, "queue")
        self.incoming = os.path.join(self.queue, "incoming")
        self.maillog_path = os.path.join(directory, "log", "maillog")
        self.stderr_path = os.path.join(directory, "daemon-stderr.log")
        self.proc = None
        self.master_pid = None
        self.known_pids = {}       # pid -> start time
        self.stderr_files = []
        self.starts = 0

    # programs
    def prog(self, name):
        return os.path.join(self.bindir, name)

    def env(self):
        env = dict(os.environ)
        env.update(DAEMON_ENV)
        return env

    def sluice(self, *args, timeout=30, check=False):
        """Run the sluice CLI on this instance; CompletedProcess."""
        return subprocess.run([self.prog("sluice"), "-c", self.etc] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=self.env(), timeout=timeout, check=check,
                              text=True)

    # configuration
    def init(self):
        r = subprocess.run([self.prog("sluice"), "init", self.dir,
                            "--port", str(self.port),
                            "--hostname", self.hostname],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=self.env(), timeout=30, text=True)
        if r.returncode != 0:
            raise RuntimeError("sluice init failed (%d): %s%s"
                               % (r.returncode, r.stdout, r.stderr))
        for f in ("main.cf", "master.cf"):
            if not os.path.exists(os.path.join(self.etc, f)):
                raise RuntimeError("sluice init wrote no etc/%s" % f)

    @property
    def main_cf_path(self):
        return os.path.join(self.etc, "main.cf")

    @property
    def master_cf_path(self):
        return os.path.join(self.etc, "master.cf")

    def set_main(self, params):
        """Set main.cf parameters: existing definitions (and their
        continuation lines) are removed, the new ones appended."""
        with open(self.main_cf_path) as f:
            lines = f.read().split("\n")
        out, skipping = [], False
        for line in lines:
            if skipping and line[:1] in (" ", "\t") and line.strip():
                continue
            skipping = False
            m = re.match(r"^([A-Za-z0-9_]+)\s*=", line)
            if m and m.group(1) in params:
                skipping = True
                continue
            out.append(line)
        text = "\n".join(out).rstrip("\n") + "\n"
        for name, value in params.items():
            text += "%s = %s\n" % (name, value)
        with open(self.main_cf_path, "w") as f:
            f.write(text)

    def main_cf(self):
        with open(self.main_cf_path) as f:
            return f.read()

    def master_cf(self):
        with open(self.master_cf_path) as f:
            return f.read()

    def write_master_cf(self, text):
        with open(self.master_cf_path, "w") as f:
            f.write(text)

    def edit_master_line(self, service, new_line):
        """Replace the master.cf line of one service (first column)."""
        out, found = [], False
        for line in self.master_cf().split("\n"):
            fields = line.split()
            if fields and not line.startswith("#") and \
                    (fields[0] == service or fields[0].endswith(":" + service)):
                out.append(new_line)
                found = True
            else:
                out.append(line)
        if not found:
            raise RuntimeError("no master.cf line for %s" % service)
        self.write_master_cf("\n".join(out))

    def smtpd_service_name(self):
        for line in self.master_cf().split("\n"):
            fields = line.split()
            if len(fields) >= 8 and not line.startswith("#") and \
                    fields[1] == "inet":
                return fields[0]
        raise RuntimeError("no inet service in master.cf")

    # process control
    def start(self, timeout=10.0):
        self.starts += 1
        path = self.stderr_path if self.starts == 1 else \
            "%s.%d" % (self.stderr_path, self.starts)
        self.stderr_files.append(path)
        out = open(path, "ab")
        try:
            self.proc = subprocess.Popen(
                [self.prog("sluice"), "-c", self.etc, "start", "-f"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                env=self.env(), start_new_session=True)
        finally:
            out.close()
        self.remember(self.proc.pid)
        ok = wait_until(lambda: port_listening(self.port)
                        or self.proc.poll() is not None, timeout)
        if not ok or self.proc.poll() is not None:
            code = self.proc.poll()
            self.kill_everything()
            raise RuntimeError("instance did not start listening on %d "
                               "(exit %s); stderr:\n%s"
                               % (self.port, code, self.stderr_text()[-3000:]))
        pid = wait_until(self.pid_from_file, 5.0)
        self.master_pid = pid or self.proc.pid
        self.remember(self.master_pid)
        self.remember_children()

    def pid_from_file(self):
        try:
            with open(os.path.join(self.queue, "pid", "master.pid")) as f:
                pid = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if pid_alive(pid) else None

    def remember(self, pid):
        start = proc_starttime(pid)
        if start is not None:
            self.known_pids.setdefault(pid, start)

    def still_ours(self, pid):
        return pid_alive(pid) and \
            proc_starttime(pid) == self.known_pids.get(pid)

    def remember_children(self):
        if self.master_pid:
            for p in descendants_of(self.master_pid):
                self.remember(p)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def children(self, program=None):
        """Live child processes of the master, optionally only those
        whose argv[0] is (a path to) program."""
        if not self.master_pid:
            return []
        kids = children_of(self.master_pid)
        for p in kids:
            self.remember(p)
        if program is None:
            return kids
        return [p for p in kids
                if proc_argv(p)[:1] and
                os.path.basename(proc_argv(p)[0]) == program]

    def stop(self, timeout=10.0):
        """SIGTERM to the master, wait, then SIGKILL what is left.
        Returns True when the orderly stop was enough."""
        if self.proc is None:
            return True
        self.remember_children()
        orderly = True
        pid = self.master_pid or self.proc.pid
        if pid_alive(pid):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            orderly = False
        if not wait_until(lambda: not pid_alive(pid), 2.0):
            orderly = False
        kids_gone = wait_until(
            lambda: not any(self.still_ours(p) for p in self.known_pids), 3.0)
        if not kids_gone:
            orderly = False
        self.kill_everything()
        self.proc = None
        self.master_pid = None
        return orderly

    def kill_everything(self):
        if self.proc is not None and self.proc.poll() is None:
            # not reaped yet, so the group id cannot have been reused
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for p in list(self.known_pids):
            if self.still_ours(p):
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self.proc is not None:
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        self.known_pids.clear()

    def restart(self):
        self.stop()
        self.start()

    # observations
    def maillog(self):
        try:
            with open(self.maillog_path, "rb") as f:
                return f.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, pattern, timeout=5.0):
        """The first regex match of pattern in the maillog, or None."""
        rx = re.compile(pattern, re.M)
        return wait_until(lambda: rx.search(self.maillog()), timeout)

    def stderr_text(self):
        text = ""
        for p in self.stderr_files:
            try:
                with open(p, "rb") as f:
                    text += f.read().decode("utf-8", errors="replace")
            except FileNotFoundError:
                pass
        return text

    def sanitizer_reports(self):
        found = []
        for name, text in (("stderr", self.stderr_text()),
                           ("maillog", self.maillog())):
            for line in text.split("\n"):
                if any(m in line for m in SANITIZER_MARKERS):
                    found.append("%s: %s" % (name, line))
        return found

    def queue_ids(self, subdir="incoming"):
        d = os.path.join(self.queue, subdir)
        return sorted(n for n in os.listdir(d) if not n.startswith("."))

    def queue_path(self, qid, subdir="incoming"):
        return os.path.join(self.queue, subdir, qid)

    def is_complete(self, qid, subdir="incoming"):
        st = os.stat(self.queue_path(qid, subdir))
        return stat.S_IMODE(st.st_mode) == QUEUE_MODE_COMPLETE

    def _completeness(self, subdir):
        """{qid: complete?} of the files that still exist (the master
        and qmgr remove and move files while we look)."""
        out = {}
        for q in self.queue_ids(subdir):
            try:
                out[q] = self.is_complete(q, subdir)
            except FileNotFoundError:
                continue
        return out

    def complete_ids(self, subdir="incoming"):
        return [q for q, c in self._completeness(subdir).items() if c]

    def incomplete_ids(self, subdir="incoming"):
        return [q for q, c in self._completeness(subdir).items() if not c]

    def read_queue(self, qid, subdir="incoming"):
        return parse_queue_file(self.queue_path(qid, subdir))

    def queued_messages(self, subdir="incoming"):
        return {q: self.read_queue(q, subdir) for q in self.queue_ids(subdir)}

    # clients
    def smtp(self, source="127.0.0.1", timeout=5.0):
        import smtplib
        return smtplib.SMTP("127.0.0.1", self.port, timeout=timeout,
                            source_address=(source, 0))

    def raw(self, source="127.0.0.1", timeout=5.0, read_greeting=True):
        return RawClient(self.port, source=source, timeout=timeout,
                         read_greeting=read_greeting)

    def session_pid(self, client, program="smtpd", timeout=5.0):
        """The pid of the smtpd child serving this RawClient/socket."""
        local = client.local_port if isinstance(client, RawClient) \
            else client.getsockname()[1]

        def find():
            inodes = socket_inodes_for(self.port, local)
            targets = {"socket:[%s]" % i for i in inodes}
            for p in self.children(program):
                if pid_has_fd_target(p, lambda t: t in targets):
                    return p
            return None
        return wait_until(find, timeout)

    # --- delivery side: mailboxes, queue draining, agents, tables ---

    def mail_dir(self, *parts):
        return os.path.join(self.dir, "mail", *parts)

    def vmaildir(self, local, domain=VIRTUAL_DOMAIN):
        """The Maildir of a virtual mailbox of the demo layout."""
        return os.path.join(self.dir, "mail", domain, local)

    def virtual_ids(self):
        """(uid, gid) of the virtual mailboxes: mail_owner's."""
        if not is_root():
            return os.getuid(), os.getgid()
        import pwd
        pw = pwd.getpwnam("sluice")
        return pw.pw_uid, pw.pw_gid

    def wait_maildir(self, maildir, count, timeout=30.0,
                     subdirs=("new",), exact=True):
        """Wait (bounded) until maildir holds count messages; returns
        their paths.  With exact, more than count is a failure too (it
        waits a moment for extra copies before it says yes)."""
        got = wait_until(lambda: len(maildir_files(maildir, subdirs))
                         >= count, timeout, interval=0.05)
        files = maildir_files(maildir, subdirs)
        if not got:
            raise DeliveryTimeout(
                "%s: %d message(s) after %.0fs, want %d\n%s"
                % (maildir, len(files), timeout, count,
                   _instance_diagnostics(self)))
        if exact:
            time.sleep(0.2)
            files = maildir_files(maildir, subdirs)
            if len(files) != count:
                raise AssertionError("%s: %d messages, want exactly %d: %s"
                                     % (maildir, len(files), count, files))
        return files

    def wait_file(self, path, predicate=None, timeout=30.0):
        """Wait until path exists (and predicate(bytes) holds)."""
        def ready():
            try:
                data = read_bytes(path)
            except FileNotFoundError:
                return None
            return data if predicate is None or predicate(data) else None
        data = wait_until(ready, timeout, interval=0.05)
        if data is None:
            raise DeliveryTimeout("%s did not appear (or not as expected) "
                                  "in %.0fs\n%s" % (path, timeout,
                                                    _instance_diagnostics(self)))
        return data

    def queue_files(self, queues=LIVE_QUEUES):
        """[(queue, id)] of every message file in the given queues."""
        out = []
        for q in queues:
            d = os.path.join(self.queue, q)
            try:
                names = os.listdir(d)
            except FileNotFoundError:
                continue
            out.extend((q, n) for n in sorted(names) if not n.startswith("."))
        return out

    def queue_listing(self, limit=5):
        """A short account of the live queues: counts, a few IDs."""
        files = self.queue_files()
        if not files:
            return "empty"
        by_queue = {}
        for q, i in files:
            by_queue.setdefault(q, []).append(i)
        return "; ".join("%s/: %d (%s%s)" % (q, len(ids), " ".join(ids[:limit]),
                                            " ..." if len(ids) > limit else "")
                         for q, ids in by_queue.items())

    def wait_queue_empty(self, timeout=30.0, queues=LIVE_QUEUES):
        """Wait (bounded) until no message is left to deliver."""
        if not wait_until(lambda: not self.queue_files(queues), timeout,
                          interval=0.05):
            raise DeliveryTimeout("queue not empty after %.0fs\n%s"
                                  % (timeout, _instance_diagnostics(self)))

    def wait_queue(self, queue, qid=None, timeout=30.0):
        """Wait until a message (qid, or any) is in queue; its id."""
        def find():
            for q, i in self.queue_files((queue,)):
                if qid is None or i == qid:
                    return i
            return None
        found = wait_until(find, timeout, interval=0.05)
        if not found:
            raise DeliveryTimeout("no message%s in %s/ after %.0fs\n%s"
                                  % (" " + qid if qid else "", queue,
                                     timeout, _instance_diagnostics(self)))
        return found

    def service_pids(self, service):
        """Live children of the master serving one master.cf service
        (local and virtual run the same program)."""
        return [p for p in self.children() if service_of(p) == service]

    def wait_service_pid(self, service, timeout=10.0, exclude=()):
        pid = wait_until(lambda: next((p for p in self.service_pids(service)
                                       if p not in exclude), None), timeout)
        return pid

    # tables and tools
    def tool(self, prog, *args, stdin=None, env=None, user=None,
             timeout=30, text=False):
        """Run build/bin/prog with args; CompletedProcess (bytes unless
        text).  user: run as that system user (as root)."""
        kwargs = {}
        if user is not None:
            kwargs["preexec_fn"] = _demote(user)
        return subprocess.run([self.prog(prog)] + list(args), input=stdin,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=_tool_env(self, env), timeout=timeout,
                              text=text, **kwargs)

    def have(self, prog):
        return os.access(self.prog(prog), os.X_OK)

    def compile_table(self, name, aliases=False):
        """Compile DIR/etc/name into name.lmdb with sluice-map."""
        if not self.have("sluice-map"):
            raise RuntimeError("sluice-map missing in %s" % self.bindir)
        args = ["-c", self.etc] + (["-a"] if aliases else []) + \
            ["lmdb:" + os.path.join(self.etc, name)]
        r = self.tool("sluice-map", *args, text=True)
        if r.returncode != 0:
            raise RuntimeError("sluice-map %s failed (%d): %s"
                               % (name, r.returncode, r.stderr))

    def add_aliases(self, text):
        """Append aliases(5) lines to DIR/etc/aliases and recompile."""
        with open(os.path.join(self.etc, "aliases"), "a") as f:
            f.write(text if text.endswith("\n") else text + "\n")
        self.compile_table("aliases", aliases=True)

    def add_vmailbox(self, address, path):
        """A virtual mailbox (path under DIR/mail, '/' = Maildir)."""
        with open(os.path.join(self.etc, "vmailbox"), "a") as f:
            f.write("%s\t%s\n" % (address, path))
        self.compile_table("vmailbox")

    def sendmail(self, *args, stdin=b"", env=None, user=None, timeout=30):
        """The instance's sendmail (-C DIR/etc first)."""
        return self.tool("sendmail", "-C", self.etc, *args, stdin=stdin,
                         env=env, user=user, timeout=timeout)


# --- delivery helpers (used by the Instance methods above) -------------

def maildir_files(maildir, subdirs=("new",)):
    """Paths of the messages in a Maildir (new/ by default), sorted."""
    found = []
    for sub in subdirs:
        d = os.path.join(maildir, sub)
        try:
            names = os.listdir(d)
        except FileNotFoundError:
            continue
        found.extend(os.path.join(d, n) for n in names
                     if not n.startswith("."))
    return sorted(found)


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def split_header_field(data):
    """(first header field with its folded lines, the rest) of bytes."""
    lines = data.split(b"\n")
    i = 1
    while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
        i += 1
    return b"\n".join(lines[:i]) + b"\n", b"\n".join(lines[i:])


def delivery_prefix(data):
    """Split what delivery added in front of a message: the Return-Path:
    and Delivered-To: lines local(8) writes, then the Received: headers
    of the trip.  Returns (return_path, delivered_to, [received...],
    rest) with the values as str (Received: as raw bytes)."""
    first, data = split_header_field(data)
    if not first.startswith(b"Return-Path: "):
        raise AssertionError("delivered message does not start with "
                             "Return-Path: %r" % first[:200])
    second, data = split_header_field(data)
    if not second.startswith(b"Delivered-To: "):
        raise AssertionError("second line is not Delivered-To: %r"
                             % second[:200])
    received = []
    while data.startswith(b"Received: "):
        field, data = split_header_field(data)
        received.append(field)
    return (first[len(b"Return-Path: "):].rstrip(b"\n").decode(),
            second[len(b"Delivered-To: "):].rstrip(b"\n").decode(),
            received, data)


def header_section(data):
    """[(name, raw field bytes incl. folds and LF)] of a message."""
    out = []
    while data and not data.startswith(b"\n"):
        field, data = split_header_field(data)
        out.append((field.split(b":", 1)[0].decode("latin-1"), field))
    return out


def message_id_of(data):
    """The Message-ID value (stripped) of a message, or None."""
    for name, field in header_section(data):
        if name.lower() == "message-id":
            return field.split(b":", 1)[1].strip().decode("latin-1")
    return None


def service_of(pid):
    """The master.cf service a child serves (its -n argument)."""
    argv = proc_argv(pid)
    for i, a in enumerate(argv[:-1]):
        if a == "-n":
            return argv[i + 1]
    return None


class DeliveryTimeout(AssertionError):
    pass


def _instance_diagnostics(inst):
    lines = inst.maillog().rstrip("\n").split("\n")[-30:]
    return ("queue: %s\nlast maillog lines:\n%s"
            % (inst.queue_listing(), "\n".join(lines)))


def _tool_env(inst, env):
    e = inst.env()
    e.update(env or {})
    return e


def _demote(user):
    import pwd
    pw = pwd.getpwnam(user)

    def demote():
        os.setgroups([])
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)
    return demote
