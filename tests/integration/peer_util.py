"""peer_util - shared pieces of the fixtures that run third-party peers.

The interop tests and the benchmark run Debian's Postfix, Dovecot and
smtp-sink as private instances on loopback ports.  Those daemons detach or
fork children, so each fixture records every pid it sees (with its start
time, so a recycled pid is never signalled) and kills what is left by pid
after the orderly stop.  Also here: a LISTEN check for any loopback
address, a short-path temp dir for daemons with UNIX sockets, the
self-signed certificates the TLS tests generate at test time, and the
comparison of delivered messages that ignores the trace fields each hop
adds.  Only the standard library is used.
"""

import os
import shutil
import signal
import subprocess
import tempfile

import sluice_instance as si

# Header fields a hop or a delivery agent adds in front of a message.
TRACE_FIELDS = ("received", "return-path", "delivered-to", "x-original-to")


def have_program(path):
    return os.access(path, os.X_OK)


def listening(address, port):
    """A TCP LISTEN socket on address:port (or the wildcard) exists."""
    want = set()
    for addr in (address, "0.0.0.0"):
        octets = [int(x) for x in addr.split(".")]
        want.add("%02X%02X%02X%02X:%04X" % (octets[3], octets[2], octets[1],
                                            octets[0], port))
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


def loopback_dir(prefix, base=None):
    """A 0755 temp dir (the peers' unprivileged users must traverse it).
    Under /tmp directly unless base is given: UNIX socket paths must stay
    short."""
    d = tempfile.mkdtemp(prefix=prefix, dir=base or "/tmp")
    os.chmod(d, 0o755)
    return d


class Pids:
    """Processes of one peer, remembered with their start times."""

    def __init__(self):
        self.known = {}

    def remember(self, pid, with_descendants=True):
        if pid is None:
            return
        pids = [pid] + (si.descendants_of(pid) if with_descendants else [])
        for p in pids:
            start = si.proc_starttime(p)
            if start is not None:
                self.known.setdefault(p, start)

    def ours(self, pid):
        return si.pid_alive(pid) and \
            si.proc_starttime(pid) == self.known.get(pid)

    def alive(self):
        return [p for p in self.known if self.ours(p)]

    def wait_gone(self, timeout):
        return si.wait_until(lambda: not self.alive(), timeout)

    def kill(self, sig=signal.SIGKILL):
        for p in self.alive():
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass

    def finish(self, timeout=3.0):
        """Wait for the remembered processes, SIGKILL the stragglers.
        True when nothing needed killing."""
        clean = bool(self.wait_gone(timeout))
        if not clean:
            self.kill()
            self.wait_gone(2.0)
        self.known.clear()
        return clean


def make_test_cert(directory, hostname, names=(), owner=None):
    """A self-signed certificate for hostname (and names) in directory:
    (cert_path, key_path).  Made at test time with openssl req, never
    committed.  The key is 0600 (chowned to owner, a user name, if given:
    for daemons that read it after dropping privileges)."""
    if shutil.which("openssl") is None:
        raise RuntimeError("openssl missing (scripts/install-deps)")
    os.makedirs(directory, exist_ok=True)
    cert = os.path.join(directory, hostname + ".crt")
    key = os.path.join(directory, hostname + ".key")
    san = ",".join("DNS:" + n for n in (hostname,) + tuple(names))
    r = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec",
         "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", "2", "-subj", "/CN=" + hostname,
         "-addext", "subjectAltName=" + san,
         "-keyout", key, "-out", cert],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    if r.returncode != 0:
        raise RuntimeError("openssl req failed: %s" % r.stderr.decode())
    os.chmod(key, 0o600)
    os.chmod(cert, 0o644)
    if owner is not None and si.is_root():
        import pwd
        pw = pwd.getpwnam(owner)
        os.chown(key, pw.pw_uid, pw.pw_gid)
    return cert, key


def without_trace(data):
    """The message with the trace fields (Received:, Return-Path:,
    Delivered-To:, folded lines included) removed from its header, and
    CRLF turned into LF: what must survive a hop byte for byte."""
    data = data.replace(b"\r\n", b"\n")
    head, sep, body = data.partition(b"\n\n")
    out, skipping = [], False
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            if not skipping:
                out.append(line)
            continue
        name = line.split(b":", 1)[0].strip().lower().decode("latin-1")
        skipping = name in TRACE_FIELDS
        if not skipping:
            out.append(line)
    return b"\n".join(out) + sep + body
