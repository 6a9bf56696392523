#!/usr/bin/python3
"""run - Sluice against Postfix, side by side, on this machine.

`make bench` runs this (BENCH_ARGS passes options).  For every scenario
it alternates the two MTAs run by run (S P, then P S, ...), each run on a
fresh instance with fresh sinks, and prints per scenario and MTA:
messages/s, CPU ms per message over the MTA's whole process tree, peak
PSS, the end-of-data -> 250 latency (median, p99) and Sluice/Postfix.

Drivers: --driver smtp-source (default) pushes the timed messages with
Postfix's smtp-source (relay and local; fan-out needs 20 recipients over
5 domains, which smtp-source cannot generate, so it uses the Python
generator), then a shorter Python phase (--latency-fraction of the
count, same sessions, not in the throughput/CPU figures) measures the
latency.  --driver python uses bench/loadgen.py for everything.
"restrict" (relay with issue 17's restrictions) and "nocheck" (the same
relay without them) need clients outside mynetworks: smtp-source cannot
bind a source address, so by default mynetworks is 127.0.0.2/32 and
smtp-source connects from 127.0.0.1; --restrict-driver python keeps
mynetworks = 127.0.0.1/32 and sends with the Python generator from
127.0.0.2 (which, one process, sets the pace: 284 against smtp-source's
801 msg/s for the same Sluice in stop 17's smoke runs).  With restrict, the table is followed by Sluice's
rate with the restrictions as a share of its rate without them.

Deliveries are counted at smtp-sink (-c counters) or in the Maildir,
and the clock stops only when they are all there and the queue is
empty.  Between two runs the file system is synced and left alone for
--quiet seconds (60): on ext4 without a journal, inodes freed in the last
minute make every file creation slower (see README.md), so without the
pause each run would pay for the file churn of the one before it.
Needs root (Postfix); refuses otherwise.
"""

import argparse
import datetime
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import benchfs    # noqa: E402
import loadgen    # noqa: E402
import mtas       # noqa: E402
import procstat   # noqa: E402
import peer_util as pu        # noqa: E402  (path set up by mtas)
import sluice_instance as si  # noqa: E402
import smtp_sink              # noqa: E402

FULL = {"relay": 20000, "local": 10000, "fanout": 2000, "idle": 500,
        "nocheck": 20000, "restrict": 20000}
QUICK = {"relay": 400, "local": 300, "fanout": 40, "idle": 500,
         "nocheck": 400, "restrict": 400}
FANOUT_RCPTS = 20
RESTRICT_SESSIONS = 10      # issue 17: with/without and S/P at 10 sessions
RESTRICT_SHARE_MIN = 0.85   # issue 17: with >= 85% of without


LEFTOVERS = []   # run directories, removed when the bench ends


class BenchError(RuntimeError):
    pass


def recipients(scenario, mta):
    if scenario in ("relay",) + mtas.RESTRICTED:
        return lambda n: ["rcpt@" + mtas.RELAY_DOMAIN]
    if scenario == "local":
        return lambda n: ["user@" + mta.domain]
    return lambda n: ["u%d@%s" % (j, mtas.FANOUT_DOMAINS[j % 5])
                      for j in range(FANOUT_RCPTS)]


def delivered(scenario, mta, sinks):
    if scenario == "local":
        return mta.maildir_count()
    return sum(s.messages() for s in sinks)


def wanted(scenario, count):
    # fan-out: at least one transaction per destination and message
    return count * 5 if scenario == "fanout" else count


def wait_drained(scenario, mta, sinks, count, timeout):
    want = wanted(scenario, count)
    ok = si.wait_until(lambda: delivered(scenario, mta, sinks) >= want
                       and mta.queue_empty(), timeout, interval=0.02)
    if not ok:
        raise BenchError("%s/%s: %d of %d delivered after %.0fs (queue %s)"
                         "\n%s" % (mta.name, scenario,
                                   delivered(scenario, mta, sinks), want,
                                   timeout, "empty" if mta.queue_empty()
                                   else "not empty", mta.log_tail()))


def uses_smtp_source(args, scenario):
    """smtp-source drives relay and local (fan-out needs 20 recipients),
    and restrict and nocheck only with --restrict-driver smtp-source."""
    if scenario in mtas.RESTRICTED:
        return args.restrict_driver == "smtp-source"
    return args.driver == "smtp-source" and scenario != "fanout"


def client_source(args, scenario):
    """The local address the Python driver connects from.  restrict's and
    nocheck's clients are outside mynetworks: with smtp-source, which
    cannot bind an address, mynetworks is 127.0.0.2/32 and every client
    (the latency phase's too) comes from 127.0.0.1 (restricted_params);
    with --restrict-driver python, mynetworks stays 127.0.0.1/32 and the
    clients come from 127.0.0.2."""
    if scenario in mtas.RESTRICTED and args.restrict_driver == "python":
        return mtas.OUTSIDE_CLIENT
    return None


def restricted_params(args, scenario):
    if scenario in mtas.RESTRICTED and args.restrict_driver == "smtp-source":
        return {"mynetworks": "127.0.0.2/32"}
    return {}


def smtp_source(mta, scenario, count, sessions, timeout):
    rcpt = recipients(scenario, mta)(0)[0]
    cmd = [smtp_sink.SMTP_SOURCE, "-s", str(sessions), "-m", str(count),
           "-l", "4096", "-f", "bench@source.test", "-t", rcpt,
           "-M", "client.source.test", "127.0.0.1:%d" % mta.port]
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout)
    if r.returncode != 0:
        raise BenchError("smtp-source exit %d: %s"
                         % (r.returncode, r.stdout[-2000:].decode(
                             errors="replace")))


def python_load(mta, scenario, count, sessions, timeout, source=None):
    stats = {}
    lat, errors, _ = loadgen.run_load("127.0.0.1", mta.port, count, sessions,
                                      recipients(scenario, mta),
                                      timeout=timeout, stats=stats,
                                      source=source)
    if stats["reconnects"]:
        print("    (%s: %d connect/greeting timeout(s) retried)"
              % (mta.name, stats["reconnects"]), flush=True)
    if errors:
        raise BenchError("%d session error(s), first: %s"
                         % (len(errors), errors[0]))
    return lat


def warmup(args, mta, scenario, sessions, sinks, count):
    """Unmeasured messages first, so both MTAs are in their steady state
    (processes started, caches and queue directories warm, and whatever
    a running MTA's file churn does to the file system).  Returns the
    number of messages sent."""
    if scenario == "idle" or args.warmup <= 0:
        return 0
    n = max(sessions, int(args.warmup * count))
    if uses_smtp_source(args, scenario):
        smtp_source(mta, scenario, n, sessions, args.timeout)
    else:
        python_load(mta, scenario, n, sessions, args.timeout,
                    client_source(args, scenario))
    wait_drained(scenario, mta, sinks, n, args.timeout)
    return n


def start_profile(args, mta_name, scenario, sessions):
    """perf record -a -g over the throughput phase, with --profile DIR."""
    if not args.profile:
        return None
    os.makedirs(args.profile, exist_ok=True)
    out = os.path.join(args.profile, "%s-%s-s%d.data"
                       % (mta_name, scenario, sessions))
    p = subprocess.Popen(["perf", "record", "-q", "-a", "-g", "-F", "999",
                          "-o", out], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return p


def stop_profile(p):
    if p is None:
        return
    p.send_signal(2)
    try:
        p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def run_one(args, mta_name, scenario, sessions, count):
    """One run on a fresh instance; a dict of measurements."""
    fs = benchfs.FreshFS().create() if args.fs == "fresh" else None
    if fs is not None:
        base = fs.mountpoint
    elif args.fs == "spread":
        base = benchfs.spread_base()
    else:
        base = None     # shared: under /tmp
    try:
        workdir = pu.loopback_dir("sluice-bench-", base=base)
    except OSError:
        if fs is not None:
            fs.destroy()
        raise
    sinks, mta = [], None
    try:
        for _ in range(5 if scenario == "fanout" else
                       1 if scenario in ("relay",) + mtas.RESTRICTED else 0):
            sinks.append(smtp_sink.SmtpSink(workdir, backlog=1024).start())
        extra = restricted_params(args, scenario)
        extra.update(x.split("=", 1) for x in args.set)
        mta = mtas.MTAS[mta_name](workdir, scenario, [s.port for s in sinks],
                                  extra)
        mta.start()
        time.sleep(args.settle)
        pid = mta.pid
        res = {"mta": mta_name, "scenario": scenario, "sessions": sessions,
               "count": count}
        sampler = procstat.PssSampler(pid).start()
        if scenario == "idle":
            greeted, pss = loadgen.hold_idle(
                "127.0.0.1", mta.port, count, args.idle_hold,
                lambda: procstat.tree_pss_kib(pid))
            res.update(greeted=greeted, idle_pss_kib=pss,
                       peak_pss_kib=sampler.stop(),
                       procs=len(procstat.process_tree(pid)))
            return res
        warm = warmup(args, mta, scenario, sessions, sinks, count)
        cpu0 = procstat.tree_cpu_seconds(pid)
        perf = start_profile(args, mta_name, scenario, sessions)
        t0 = time.monotonic()
        lat = []
        try:
            if uses_smtp_source(args, scenario):
                smtp_source(mta, scenario, count, sessions, args.timeout)
            else:
                lat = python_load(mta, scenario, count, sessions,
                                  args.timeout, client_source(args, scenario))
            wait_drained(scenario, mta, sinks, count + warm, args.timeout)
        finally:
            stop_profile(perf)
        elapsed = time.monotonic() - t0
        cpu = procstat.tree_cpu_seconds(pid) - cpu0
        res.update(elapsed=elapsed, rate=count / elapsed,
                   cpu_ms_per_msg=1000.0 * cpu / count,
                   peak_pss_kib=sampler.stop())
        if not lat and args.latency_fraction > 0:
            n = max(sessions, int(count * args.latency_fraction))
            before = delivered(scenario, mta, sinks)
            lat = python_load(mta, scenario, n, sessions, args.timeout,
                              client_source(args, scenario))
            wait_drained(scenario, mta, sinks, n + before // (
                5 if scenario == "fanout" else 1), args.timeout)
        if lat:
            lat.sort()
            res.update(lat_median_ms=1000 * statistics.median(lat),
                       lat_p99_ms=1000 * lat[min(len(lat) - 1,
                                                 int(len(lat) * 0.99))],
                       lat_samples=len(lat))
        return res
    finally:
        if mta is not None:
            mta.stop()
        for s in sinks:
            s.stop()
        if args.keep:
            print("    kept %s" % workdir, flush=True)
        elif fs is not None:
            fs.destroy()
        elif args.fs == "spread":
            # its inodes are in block groups the next run will not use
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            # removed after the last run: ext4 without a journal skips
            # recently freed inodes when it allocates, so deleting the
            # thousands of files of one run would slow down the next
            LEFTOVERS.append(workdir)


def median_of(runs, key):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def fmt(v, spec):
    return "-" if v is None else spec % v


def print_table(results, out=sys.stdout):
    cols = ("scenario", "mta", "msg/s", "cpu ms/msg", "peak PSS MiB",
            "lat p50 ms", "lat p99 ms")
    rows = []
    keys = []
    for r in results:
        k = (r["scenario"], r["sessions"])
        if k not in keys:
            keys.append(k)
    for scen, sess in keys:
        label = "%s s=%d" % (scen, sess) if scen != "idle" else \
            "idle %d sess" % sess
        agg = {}
        for m in ("sluice", "postfix"):
            runs = [r for r in results if r["scenario"] == scen and
                    r["sessions"] == sess and r["mta"] == m]
            if scen == "idle":
                agg[m] = {"rate": None, "cpu": None,
                          "pss": median_of(runs, "idle_pss_kib"),
                          "p50": None, "p99": None,
                          "note": "greeted %s" % fmt(median_of(runs, "greeted"),
                                                     "%d")}
            else:
                agg[m] = {"rate": median_of(runs, "rate"),
                          "cpu": median_of(runs, "cpu_ms_per_msg"),
                          "pss": median_of(runs, "peak_pss_kib"),
                          "p50": median_of(runs, "lat_median_ms"),
                          "p99": median_of(runs, "lat_p99_ms"),
                          "note": "%d run(s)" % len(runs)}
        for m in ("sluice", "postfix"):
            a = agg[m]
            rows.append((label, m, fmt(a["rate"], "%.0f"),
                         fmt(a["cpu"], "%.2f"),
                         fmt(a["pss"] and a["pss"] / 1024.0, "%.1f"),
                         fmt(a["p50"], "%.1f"), fmt(a["p99"], "%.1f")))

        def ratio(k):
            s, p = agg["sluice"][k], agg["postfix"][k]
            return "-" if not s or not p else "%.2fx" % (s / p)
        rows.append((label, "S/P", ratio("rate"), ratio("cpu"), ratio("pss"),
                     ratio("p50"), ratio("p99")))
    widths = [max(len(str(x)) for x in col) for col in zip(cols, *rows)]
    line = "| " + " | ".join("%-*s" % (w, c) for w, c in zip(widths, cols)) \
        + " |"
    print(line, file=out)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|", file=out)
    for row in rows:
        print("| " + " | ".join("%-*s" % (w, c) for w, c in zip(widths, row))
              + " |", file=out)


def print_restrict_share(results, out=sys.stdout):
    """Sluice with issue 17's restrictions against itself without them
    (restrict against nocheck: same relay, driver and sessions)."""
    def sluice(scen, key):
        return median_of([r for r in results if r["mta"] == "sluice" and
                          r["scenario"] == scen], key)
    with_rate, without_rate = sluice("restrict", "rate"), \
        sluice("nocheck", "rate")
    if not with_rate or not without_rate:
        return
    share = with_rate / without_rate
    with_cpu, without_cpu = sluice("restrict", "cpu_ms_per_msg"), \
        sluice("nocheck", "cpu_ms_per_msg")
    print("\nSluice with the restrictions / without (restrict / nocheck, "
          "s=%d): msg/s %.0f%% (%.0f vs %.0f), cpu ms/msg %s; issue 17 "
          "wants >= %.0f%%: %s"
          % (RESTRICT_SESSIONS, 100 * share, with_rate, without_rate,
             "%.2fx" % (with_cpu / without_cpu)
             if with_cpu and without_cpu else "-",
             100 * RESTRICT_SHARE_MIN,
             "met" if share >= RESTRICT_SHARE_MIN else "NOT met"), file=out)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="small counts for a smoke run")
    p.add_argument("--scale", type=float, default=1.0,
                   help="multiply every message count by this")
    p.add_argument("--scenarios",
                   default="relay,local,fanout,idle,restrict",
                   help="relay, local, fanout, idle, restrict (relay "
                   "with issue 17's restrictions; brings nocheck, the "
                   "same relay without them, along), nocheck")
    p.add_argument("--relay-sessions", default="1,10,50,500")
    p.add_argument("--runs", type=int, default=1,
                   help="runs per MTA and scenario (alternating)")
    p.add_argument("--driver", choices=("smtp-source", "python"),
                   default="smtp-source")
    p.add_argument("--restrict-driver", choices=("smtp-source", "python"),
                   default="smtp-source",
                   help="restrict and nocheck: smtp-source from 127.0.0.1 "
                   "with mynetworks 127.0.0.2/32 (default), or the Python "
                   "driver from 127.0.0.2 with mynetworks 127.0.0.1/32")
    p.add_argument("--latency-fraction", type=float, default=0.25,
                   help="with smtp-source: size of the latency phase")
    p.add_argument("--timeout", type=float, default=300.0,
                   help="bound on each load and drain phase (s)")
    p.add_argument("--settle", type=float, default=1.0)
    p.add_argument("--fs", choices=("spread", "fresh", "shared"),
                   default="spread",
                   help="spread: each run in block groups of its own on "
                   "the root file system; fresh: each run on a new ext4 "
                   "file system of its own (loop device); shared: every "
                   "run under /tmp (benchfs.py)")
    p.add_argument("--quiet", type=float,
                   help="seconds between runs after a sync (default 5; 60 "
                   "with --fs shared, where it keeps a run from paying for "
                   "the previous run's freed inodes)")
    p.add_argument("--warmup", type=float, default=0.1,
                   help="unmeasured messages first, as a fraction of the "
                   "count (at least one per session; 0: none)")
    p.add_argument("--idle-hold", type=float, default=2.0)
    p.add_argument("--json", help="also write the raw results here")
    p.add_argument("--set", action="append", default=[],
                   metavar="NAME=VALUE",
                   help="main.cf parameter for BOTH MTAs (repeatable), "
                   "e.g. smtpd_peername_lookup=no")
    p.add_argument("--mtas", default="sluice,postfix",
                   help="which MTAs to run (e.g. sluice alone to profile)")
    p.add_argument("--profile", metavar="DIR",
                   help="perf record -a -g each throughput phase into DIR")
    p.add_argument("--keep", action="store_true",
                   help="keep the instance directories")
    for s in FULL:
        p.add_argument("--%s-count" % s, type=int)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.quiet is None:
        args.quiet = 60.0 if args.fs == "shared" else 5.0
    why = mtas.refuse_reason()
    if not why and args.fs == "fresh":
        try:
            benchfs.FreshFS().create().destroy()
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            why = "cannot make a file system for the runs (%s); " \
                "--fs shared runs them under /tmp" % e
    if why:
        print("bench: refusing to run: %s" % why, file=sys.stderr)
        return 2
    base = QUICK if args.quick else FULL
    counts = {}
    for s in FULL:
        c = getattr(args, "%s_count" % s)
        counts[s] = c if c else max(1, int(base[s] * (args.scale
                                                       if s != "idle" else 1)))
    max_sess = max(int(x) for x in args.relay_sessions.split(","))
    plan = []
    scenarios = args.scenarios.split(",")
    if "restrict" in scenarios and "nocheck" not in scenarios:
        # the share "with / without" needs its "without"
        scenarios.insert(scenarios.index("restrict"), "nocheck")
    for scen in scenarios:
        if scen not in FULL:
            raise SystemExit("unknown scenario %s" % scen)
        sess_list = [int(x) for x in args.relay_sessions.split(",")] \
            if scen == "relay" else [10] if scen in ("local", "fanout") \
            else [RESTRICT_SESSIONS] if scen in mtas.RESTRICTED \
            else [counts["idle"]]
        for sess in sess_list:
            plan.append((scen, sess))
    if args.quick:
        # every relay session should carry at least two messages
        counts["relay"] = max(counts["relay"], 2 * max_sess)
    print("bench: %s, counts %s, driver %s (restrict/nocheck: %s), "
          "%d run(s) each, %s%s"
          % (datetime.datetime.now().isoformat(timespec="seconds"), counts,
             args.driver, args.restrict_driver, args.runs,
             benchfs.describe(args.fs),
             ", both with " + " ".join(args.set) if args.set else ""),
          flush=True)
    results, failures = [], []
    last_end = None
    for scen, sess in plan:
        for run in range(args.runs):
            order = ("sluice", "postfix") if run % 2 == 0 else \
                ("postfix", "sluice")
            for m in order:
                if m not in args.mtas.split(","):
                    continue
                if last_end is not None and args.quiet > 0:
                    os.sync()
                    left = last_end + args.quiet - time.monotonic()
                    if left > 0:
                        time.sleep(left)
                t = time.monotonic()
                try:
                    r = run_one(args, m, scen, sess, counts[scen])
                except (BenchError, subprocess.TimeoutExpired,
                        RuntimeError, OSError) as e:
                    failures.append("%s %s s=%d: %s" % (m, scen, sess, e))
                    print("  FAILED %s %s s=%d: %s" % (m, scen, sess, e),
                          flush=True)
                    last_end = time.monotonic()
                    continue
                last_end = time.monotonic()
                results.append(r)
                print("  %-7s %-6s s=%-3d %s (%.0fs)"
                      % (m, scen, sess, json.dumps(
                          {k: round(v, 3) if isinstance(v, float) else v
                           for k, v in r.items()
                           if k not in ("mta", "scenario", "sessions")}),
                         time.monotonic() - t), flush=True)
    print()
    print_table(results)
    print_restrict_share(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": results, "failures": failures}, f, indent=1)
    if failures:
        print("\n%d failure(s):" % len(failures))
        for f in failures:
            print("  " + f.split("\n")[0])
        return 1
    return 0


def main_and_clean(argv=None):
    try:
        return main(argv)
    finally:
        for d in LEFTOVERS:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    # a stop by SIGTERM or SIGHUP still runs every finally: the MTAs, the
    # sinks and the file systems of the run in progress are torn down
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))
    sys.exit(main_and_clean())
