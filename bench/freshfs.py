"""freshfs - a new, empty ext4 file system for each benchmark run.

On ext4 without a journal (this machine's root file system) the inode
allocator skips every free inode whose deletion is recent and reads its
deletion time to find out: "recent" is 60 s, and 360 s while the inode
table block holding it is dirty, which it is again as soon as anyone
allocates a neighbour.  So files that one run (or anything else on the
machine) deleted in the last six minutes make every file creation of the
next run slower, by up to a factor of two in the local scenario; a quiet
minute between runs did not remove that (README.md, "The file system").

Each run therefore gets a file system of its own: a sparse image file on
the same disk (under /tmp), formatted like the root file system (ext4,
without a journal when the root has none, inode tables written at mkfs
time so no background initialisation runs during the measurement),
attached to a loop device in direct-I/O mode (no second page cache; a
cache flush still reaches the disk) and mounted with the root's discard
option.  Both MTAs pay only for their own file churn, as on a server of
their own.  Torn down (unmount, detach, image removed) after the run.
"""

import os
import subprocess
import tempfile
import time


def _run(*cmd):
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), r.returncode,
                                                r.stdout.decode(
                                                    errors="replace")[-500:]))
    return r.stdout.decode(errors="replace").strip()


def root_fs():
    """(device name, mount options) of the root file system."""
    with open("/proc/mounts") as f:
        for line in f:
            dev, mnt, fstype, opts = line.split()[:4]
            if mnt == "/":
                return os.path.basename(dev), fstype, opts.split(",")
    return None, None, []


def root_has_journal():
    dev, fstype, _ = root_fs()
    if fstype != "ext4":
        return True
    try:
        with open("/sys/fs/ext4/%s/journal_task" % dev) as f:
            return f.read().strip() not in ("", "<none>")
    except OSError:
        return True


def describe():
    """One line for the bench header."""
    return "fresh ext4%s per run (loop, direct I/O)" % (
        "" if root_has_journal() else " without a journal")


class FreshFS:
    def __init__(self, size_gib=4):
        self.size = size_gib
        self.image = self.loop = self.mountpoint = None

    def __enter__(self):
        return self.create()

    def __exit__(self, *exc):
        self.destroy()

    def create(self):
        fd, self.image = tempfile.mkstemp(prefix="sluice-bench-fs-",
                                          suffix=".img", dir="/tmp")
        os.close(fd)
        try:
            os.truncate(self.image, self.size << 30)
            features = [] if root_has_journal() else ["-O", "^has_journal"]
            _run("mkfs.ext4", "-q", "-F", *features, "-E",
                 "lazy_itable_init=0,lazy_journal_init=0,nodiscard",
                 self.image)
            self.loop = _run("losetup", "--direct-io=on", "-f", "--show",
                             self.image)
            self.mountpoint = tempfile.mkdtemp(prefix="sbfs", dir="/tmp")
            opts = ["discard"] if "discard" in root_fs()[2] else []
            _run("mount", "-t", "ext4", *(["-o", ",".join(opts)] if opts
                                          else []),
                 self.loop, self.mountpoint)
            os.chmod(self.mountpoint, 0o755)
        except BaseException:
            self.destroy()
            raise
        return self

    def destroy(self):
        if self.mountpoint:
            for attempt in range(50):
                r = subprocess.run(["umount", self.mountpoint],
                                   stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
                if r.returncode == 0 or not os.path.ismount(self.mountpoint):
                    break
                time.sleep(0.2)
            else:
                subprocess.run(["umount", "-l", self.mountpoint])
            try:
                os.rmdir(self.mountpoint)
            except OSError:
                pass
            self.mountpoint = None
        if self.loop:
            subprocess.run(["losetup", "-d", self.loop],
                           stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            self.loop = None
        if self.image:
            try:
                os.unlink(self.image)
            except OSError:
                pass
            self.image = None
