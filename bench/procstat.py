"""procstat - CPU time and memory of an MTA's whole process tree.

CPU: utime+stime of the master and every live descendant, plus the
master's cutime+cstime (children it has reaped) and each live
descendant's cutime+cstime (its own reaped children), all from
/proc/PID/stat.  Sampled before and after a run; the difference is the
CPU the MTA spent.  (A process alive at the first sample that exits
before the second moves its whole life into its parent's cutime: the
error is the little it ran before the first sample.)

Memory: the sum of Pss over the tree from /proc/PID/smaps_rollup,
sampled every 100 ms by a thread; the peak is kept.
"""

import os
import threading

TICK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()


def process_tree(root):
    """[root] + its live descendants, found in one scan of /proc."""
    kids = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            ppid = int(_stat_fields(int(name))[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(name))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, ()))
    return out


def tree_cpu_seconds(root):
    """user+sys seconds of root's tree, reaped children included."""
    total = 0
    for pid in process_tree(root):
        try:
            f = _stat_fields(pid)
        except (OSError, IndexError):
            continue
        # fields after ")": state=0 ... utime=11 stime=12 cutime=13 cstime=14
        total += int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
    return total / TICK


def tree_pss_kib(root):
    total = 0
    for pid in process_tree(root):
        try:
            with open("/proc/%d/smaps_rollup" % pid) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


class PssSampler:
    """Peak PSS of a process tree, sampled every interval seconds."""

    def __init__(self, root, interval=0.25):
        self.root = root
        self.interval = interval
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_pss_kib(self.root))
            self.samples += 1
            self._stop.wait(self.interval)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        self.peak = max(self.peak, tree_pss_kib(self.root))
        return self.peak
