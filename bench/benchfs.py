"""benchfs - where a benchmark run keeps its files (run.py --fs).

On ext4 without a journal (this machine's root file system) the inode
allocator skips every free inode whose deletion is recent and reads its
deletion time to find out: "recent" is 60 s, and 360 s while the inode
table block holding it is dirty, which it is again as soon as anyone
allocates a neighbour.  So files that one run (or anything else on the
machine) deleted in the last six minutes make every file creation of the
next run slower, by up to a factor of two in the local scenario; a quiet
minute between runs did not remove that (README.md, "The file system").

spread (the default): every run directory is made under a directory
with the "top of a hierarchy" flag (chattr +T), so ext4's Orlov
allocator puts it, and the files under it, in block groups of its own
rather than next to the previous runs'; the run directory is removed
right after the run.  Nothing else changes between the MTA and the disk.

fresh: every run gets a file system of its own: a sparse image file on
the same disk (under /tmp), formatted like the root file system (ext4,
without a journal when the root has none, inode tables written at mkfs
time so no background initialisation runs during the measurement),
attached to a loop device in direct-I/O mode and mounted with the root's
discard option; torn down after the run.  Fully isolated, but every
cache flush also writes the image file's inode and goes through the loop
driver's worker: a cost per flush, so larger for the MTA that flushes
more often (about 10% of Sluice's rate, README.md).

shared: every run directory under /tmp, removed only when the bench ends.
"""

import fcntl
import os
import struct
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
    """(device name, type, mount options) of the root file system."""
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


SPREAD_BASE = "/tmp/sluice-bench.d"
FS_IOC_GETFLAGS = 0x80086601
FS_IOC_SETFLAGS = 0x40086602
FS_TOPDIR_FL = 0x00020000


def spread_base():
    """The parent of the --fs spread run directories: a directory with
    ext2/3/4's "top of a directory hierarchy" flag (chattr +T), so that
    the Orlov allocator puts each new run directory, and so the files
    under it, in block groups of its own instead of next to its
    siblings.  A run then does not scan past the inodes that earlier runs
    freed, without any extra layer between the MTA and the disk."""
    os.makedirs(SPREAD_BASE, mode=0o755, exist_ok=True)
    os.chmod(SPREAD_BASE, 0o755)
    fd = os.open(SPREAD_BASE, os.O_RDONLY | os.O_DIRECTORY)
    try:
        buf = fcntl.ioctl(fd, FS_IOC_GETFLAGS, struct.pack("l", 0))
        flags = struct.unpack("l", buf)[0]
        if not flags & FS_TOPDIR_FL:
            fcntl.ioctl(fd, FS_IOC_SETFLAGS,
                        struct.pack("l", flags | FS_TOPDIR_FL))
    except OSError:
        pass    # not ext2/3/4: the runs are only in fresh directories
    finally:
        os.close(fd)
    return SPREAD_BASE


def describe(mode="spread"):
    """One line for the bench header."""
    if mode == "spread":
        return "each run in block groups of its own under %s" % SPREAD_BASE
    if mode == "shared":
        return "all runs under /tmp"
    return "fresh ext4%s per run (loop, direct I/O)" % (
        "" if root_has_journal() else " without a journal")


class FreshFS:
    def __init__(self, size_gib=4):
        self.size = size_gib
        self.image = self.loop = self.mountpoint = None

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
            for _ in range(50):
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
