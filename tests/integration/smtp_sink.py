"""smtp_sink - Postfix's smtp-sink(1) on a free loopback port.

The smtp client tests point Sluice at a sink that answers what the test
asks for (4xx/5xx per command, a custom reply text, a disconnect), and
the benchmark counts deliveries with its -c counters.  Options map to
smtp-sink's own (see `man smtp-sink`):

    hard=("RCPT",)     -f: reject these commands with the hard reply (5xx)
    soft=("DATA",)     -r: reject them with the soft reply (4xx)
    disconnect=(...)   -q: hang up without a reply after these
    reply_421=(...)    -Q: reply 421 and hang up after these
    hard_reply, soft_reply   -B / -b: the reply texts ("550 5.1.1 gone")
    dump_dir           -d DIR/%Y%m%d%H%M%S.: one file per transaction
    lmtp               -L: speak LMTP
    no_pipelining, no_esmtp, no_8bitmime, no_dsn, no_enhanced  -p -e -8 -N -E
    hostname           -h
    max_connections    -m
    extra              more arguments, as is

It runs as nobody when started by root (smtp-sink requires -u then) and
is stopped by pid.  counters() parses the -c output (sess, quit, mesg).
"""

import os
import re
import signal
import subprocess

import peer_util as pu
import sluice_instance as si

SMTP_SINK = "/usr/sbin/smtp-sink"
SMTP_SOURCE = "/usr/sbin/smtp-source"
RUN_AS = "nobody"


def skip_reason():
    if not pu.have_program(SMTP_SINK):
        return "smtp-sink missing (scripts/install-deps installs postfix)"
    return None


class SmtpSink:
    def __init__(self, directory, port=None, address="127.0.0.1",
                 hard=(), soft=(), disconnect=(), reply_421=(),
                 hard_reply=None, soft_reply=None, dump_dir=None,
                 lmtp=False, no_pipelining=False, no_esmtp=False,
                 no_8bitmime=False, no_dsn=False, no_enhanced=False,
                 hostname=None, max_connections=None, backlog=1024,
                 count=True, extra=()):
        self.dir = directory
        self.port = port or si.free_port()
        self.address = address
        self.out_path = os.path.join(directory, "smtp-sink-%d.out" % self.port)
        self.dump_dir = dump_dir
        args = [SMTP_SINK]
        if count:
            args.append("-c")
        for flag, commands in (("-f", hard), ("-r", soft),
                               ("-q", disconnect), ("-Q", reply_421)):
            if commands:
                args += [flag, ",".join(commands)]
        if hard_reply:
            args += ["-B", hard_reply]
        if soft_reply:
            args += ["-b", soft_reply]
        for flag, on in (("-L", lmtp), ("-p", no_pipelining),
                         ("-e", no_esmtp), ("-8", no_8bitmime),
                         ("-N", no_dsn), ("-E", no_enhanced)):
            if on:
                args.append(flag)
        if hostname:
            args += ["-h", hostname]
        if max_connections:
            args += ["-m", str(max_connections)]
        if dump_dir:
            os.makedirs(dump_dir, exist_ok=True)
            args += ["-d", os.path.join(dump_dir, "%Y%m%d%H%M%S.")]
        if si.is_root():
            args += ["-u", RUN_AS]
            if dump_dir:
                import pwd
                pw = pwd.getpwnam(RUN_AS)
                os.chown(dump_dir, pw.pw_uid, pw.pw_gid)
        args += list(extra)
        args += ["inet:%s:%d" % (address, self.port), str(backlog)]
        self.args = args
        self.proc = None
        self.pids = pu.Pids()

    def start(self, timeout=5.0):
        why = skip_reason()
        if why:
            raise RuntimeError(why)
        with open(self.out_path, "wb") as out:
            self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=out,
                                         start_new_session=True)
        self.pids.remember(self.proc.pid)
        ok = si.wait_until(lambda: pu.listening(self.address, self.port)
                           or self.proc.poll() is not None, timeout)
        if not ok or self.proc.poll() is not None:
            self.stop()
            raise RuntimeError("smtp-sink did not start (%s): %s"
                               % (" ".join(self.args), self.output()))
        return self

    def stop(self):
        if self.proc is None:
            return True
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(3)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(3)
        clean = self.pids.finish(1.0)
        self.proc = None
        return clean

    def output(self):
        try:
            with open(self.out_path, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def counters(self):
        """The last -c line as a dict: {"sess": n, "quit": n, "mesg": n}."""
        lines = [x for x in re.split(r"[\r\n]", self.output()) if "=" in x]
        if not lines:
            return {"sess": 0, "quit": 0, "mesg": 0}
        return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", lines[-1])}

    def messages(self):
        return self.counters().get("mesg", 0)

    def wait_messages(self, count, timeout=30.0):
        return si.wait_until(lambda: self.messages() >= count, timeout,
                             interval=0.05)

    def dumps(self):
        """The captured transactions (with -d), oldest first, as bytes."""
        if not self.dump_dir:
            return []
        names = sorted(os.listdir(self.dump_dir))
        out = []
        for n in names:
            with open(os.path.join(self.dump_dir, n), "rb") as f:
                out.append(f.read())
        return out

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
