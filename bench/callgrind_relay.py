#!/usr/bin/python3
"""callgrind_relay - instructions per relayed message, by program.

Wall-clock A/B runs of two builds need a quiet machine, and differences
of a few percent drown in the noise of a shared one.  Instruction counts
do not: this script runs one Sluice build under valgrind's callgrind
(every daemon, following the master's execs), relays N messages of
4 KiB over S sessions to smtp-sink, waits for the queue to drain, stops
the instance and sums the instructions of each program's processes.
The counts repeat to within the few percent that process start-ups
(how many cleanup/smtp processes the load made) move them; compare two
builds by alternating them (A B A B).

It runs the instance unprivileged (callgrind opens its output file at
start, before a root daemon drops privileges, and could not write it
after), so run it as an ordinary user, e.g.
    runuser -u sluice -- /usr/bin/python3 bench/callgrind_relay.py \\
        BINDIR 1000 10 TAG
Prints one line of totals per program and the sum of smtpd, cleanup,
qmgr and smtp per message.  CALLGRIND_KEEP=1 keeps the callgrind files
(for callgrind_annotate).
"""
import glob
import os
import re
import shutil
import signal
import smtplib
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import sluice_instance as si    # noqa: E402

PIPELINE = ("smtpd", "cleanup", "qmgr", "smtp")


def totals(outdir):
    """{program: instructions} over the callgrind files of outdir."""
    tot = {}
    for path in glob.glob(os.path.join(outdir, "cg.*")):
        cmd = events = None
        with open(path, errors="replace") as f:
            for line in f:
                if line.startswith("cmd:"):
                    cmd = os.path.basename(line.split()[1])
                elif line.startswith("totals:"):
                    events = int(line.split()[1])
        if cmd and events:
            tot[cmd] = tot.get(cmd, 0) + events
    return tot


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: callgrind_relay.py BINDIR MESSAGES SESSIONS TAG")
    bindir, count, sessions, tag = sys.argv[1], int(sys.argv[2]), \
        int(sys.argv[3]), sys.argv[4]
    if si.is_root():
        sys.exit("run it as an ordinary user (see the comment at the top)")
    work = os.path.join(os.environ.get("TMPDIR", "/tmp"), "cg-relay-" + tag)
    shutil.rmtree(work, ignore_errors=True)
    outdir = os.path.join(work, "cg")
    os.makedirs(outdir)
    sink_port = si.free_port()
    sink = subprocess.Popen(["smtp-sink", "127.0.0.1:%d" % sink_port, "1000"],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    inst = si.Instance(bindir, os.path.join(work, "inst"),
                       hostname="mx.sluice.test")
    proc = None
    try:
        inst.init()
        inst.set_main({"relayhost": "[127.0.0.1]:%d" % sink_port,
                       "smtp_tls_security_level": "",
                       "smtpd_tls_security_level": ""})
        # no chroot column: callgrind's output path must stay reachable
        inst.write_master_cf(re.sub(r"^(\S+\s+\S+\s+\S+\s+\S+\s+)y(\s)",
                                    r"\1n\2", inst.master_cf(), flags=re.M))
        with open(os.path.join(work, "valgrind.log"), "ab") as log:
            proc = subprocess.Popen(
                ["valgrind", "--tool=callgrind", "--trace-children=yes",
                 "--callgrind-out-file=%s/cg.%%p" % outdir,
                 inst.prog("sluice"), "-c", inst.etc, "start", "-f"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                env=inst.env(), start_new_session=True)
        if not si.wait_until(lambda: si.port_listening(inst.port), 120):
            sys.exit("the instance did not start; see %s" % work)
        body = "Subject: bench\r\n\r\n" + ("x" * 76 + "\r\n") * 52

        def session(k):
            with smtplib.SMTP("127.0.0.1", inst.port, timeout=300) as c:
                c.ehlo("client.test")
                for i in range(count // sessions):
                    c.sendmail("s%d@client.test" % k,
                               ["r%d@relay.test" % i], body)
        threads = [threading.Thread(target=session, args=(k,))
                   for k in range(sessions)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if not si.wait_until(lambda: not inst.queue_files(), 600):
            sys.exit("the queue did not drain; see %s" % work)
    finally:
        if proc is not None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(120)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        sink.terminate()
        sink.wait()
    tot = totals(outdir)
    print(tag, " ".join("%s=%d" % kv for kv in sorted(tot.items())))
    print(tag, "per message, %s: %.0f" % ("+".join(PIPELINE),
          sum(tot.get(p, 0) for p in PIPELINE) / count))
    if os.environ.get("CALLGRIND_KEEP"):
        print(tag, "callgrind files kept in", outdir)
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
