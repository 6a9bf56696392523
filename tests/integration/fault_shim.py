"""fault_shim - drive tests/fault/fault_inject.c from a test.

The shim (built by `make fault-bins` into BUILD/fault/, or named by
$SLUICE_FAULT_SO) is preloaded into the daemons through
import_environment and into the command-line programs through their
environment.  A program whose name has a state file in the test's state
directory maps it at start; FaultState below writes and reads that file
(its layout is struct fault_state in fault_inject.c).  Shared by
test_fault_injection.py (one call fails per run) and test_fault_paths.py
(the programs outside the mail path, reads, failures that last).
"""

import os
import re
import struct
import subprocess

import pytest

KINDS = ("write", "fsync", "rename", "link", "open", "mkdir", "chmod", "read",
         "unlink")
NKINDS = 10
MAGIC = 0x31544c5541464c53
HEADER = struct.Struct("<QqQQqQ%dQ%dQQQQ" % (NKINDS, NKINDS))
SITE = struct.Struct("<QQQ")
NSITES = 1024
OFF_KIND, OFF_NTH, OFF_LEN, OFF_ERR, OFF_KEY, OFF_COUNT = 8, 16, 24, 32, \
    40, 48
OFF_FLAGS = HEADER.size + SITE.size * NSITES
OFF_ALSO = OFF_FLAGS + 8
SIZE = OFF_ALSO + 8
FF_NO_NOREPLACE = 1         # renameat2(RENAME_NOREPLACE) fails EINVAL
FOREVER = 1 << 62           # a length: every call from nth on fails

DEFAULT_IMPORT = "TZ LANG=C SLUICE_CONFIG ASAN_OPTIONS UBSAN_OPTIONS " \
    "LSAN_OPTIONS"


class FaultState:
    """One program's state file: the target and the shared counters."""

    def __init__(self, path):
        self.path = path
        with open(path, "wb") as f:
            f.write(HEADER.pack(MAGIC, -1, 0, 0, 0, 0,
                                *([0] * (2 * NKINDS + 3))))
            f.write(b"\0" * (SIZE - HEADER.size))
        os.chmod(path, 0o666)      # the daemons map it before they drop
        self.fd = os.open(path, os.O_RDWR)

    def close(self):
        os.close(self.fd)

    def _put(self, off, fmt, value):
        os.pwrite(self.fd, struct.pack(fmt, value), off)

    def disarm(self):
        self._put(OFF_KIND, "<q", -1)

    def arm(self, kind, nth, err, key=0, length=1, also=()):
        """Calls nth .. nth+length-1 of kind (of the site key, if not 0)
        fail with err; the kinds in also fail alike, each by its own
        count."""
        self.disarm()
        self._put(OFF_ALSO, "<Q", sum(1 << KINDS.index(k) for k in also))
        self._put(OFF_NTH, "<Q", nth)
        self._put(OFF_LEN, "<Q", length)
        self._put(OFF_ERR, "<q", err)
        self._put(OFF_KEY, "<Q", key)
        self._put(OFF_KIND, "<q", KINDS.index(kind))

    def set_flags(self, flags):
        self._put(OFF_FLAGS, "<Q", flags)

    def reset(self):
        """Target off, counters, sites and flags zero (call while idle)."""
        self.disarm()
        os.pwrite(self.fd, b"\0" * (SIZE - OFF_COUNT), OFF_COUNT)

    def read(self):
        data = os.pread(self.fd, HEADER.size + SITE.size * NSITES, 0)
        h = HEADER.unpack_from(data)
        sites = {}
        for i in range(NSITES):
            key, calls, fired = SITE.unpack_from(data,
                                                 HEADER.size + i * SITE.size)
            if key:
                sites[key] = (calls, fired)
        return {"count": dict(zip(KINDS, h[6:6 + NKINDS])),
                "fired": dict(zip(KINDS, h[6 + NKINDS:6 + 2 * NKINDS])),
                "last_key": h[6 + 2 * NKINDS], "overflow": h[-1],
                "sites": sites}


def site_kind(key):
    return KINDS[(key >> 48) - 1]


def site_offset(key):
    return key & 0xffffffffffff


_names = {}


def site_name(bindir, prog, key):
    """(function, file:line) of a site, from addr2line."""
    k = (prog, key)
    if k not in _names:
        try:
            r = subprocess.run(["addr2line", "-f", "-e",
                                os.path.join(bindir, prog),
                                "0x%x" % site_offset(key)],
                               stdout=subprocess.PIPE, text=True, timeout=10)
            lines = r.stdout.split("\n")
            func = lines[0] if lines and lines[0] else "??"
            where = os.path.basename(lines[1].split(" ")[0]) \
                if len(lines) > 1 else "?"
        except (OSError, subprocess.SubprocessError):
            func, where = "??", "?"
        _names[k] = (func, where)
    return _names[k]


def asan_runtime(binary):
    """The libasan a sanitizer build links, to preload before the shim."""
    r = subprocess.run(["ldd", binary], stdout=subprocess.PIPE, text=True)
    m = re.search(r"(\S*libasan\.so\S*) => (\S+)", r.stdout)
    return m.group(2) if m else None


def shim_path(sluice_bin):
    """The built shim, or fail the test."""
    shim = os.environ.get("SLUICE_FAULT_SO") or os.path.join(
        os.path.dirname(sluice_bin), "fault", "fault_inject.so")
    if not os.path.exists(shim):
        pytest.fail("%s is not built (make fault-bins)" % shim)
    return shim


class Shim:
    """The state files of programs under one instance, and the
    environment that preloads the shim (LD_PRELOAD, state directory,
    the maillog as the one file whose writes never count)."""

    def __init__(self, inst, sluice_bin, programs):
        libasan = asan_runtime(os.path.join(sluice_bin, "cleanup"))
        self.preload = ":".join(([libasan] if libasan else []) +
                                [shim_path(sluice_bin)])
        self.dir = os.path.join(inst.dir, "fault")
        os.mkdir(self.dir)
        os.chmod(self.dir, 0o755)
        self.ignore = inst.maillog_path
        self.states = {p: FaultState(os.path.join(self.dir, p + ".state"))
                       for p in programs}

    def import_environment(self):
        """main.cf's import_environment, so the master passes it on."""
        return "%s LD_PRELOAD=%s SLUICE_FAULT_DIR=%s SLUICE_FAULT_IGNORE=%s" \
            % (DEFAULT_IMPORT, self.preload, self.dir, self.ignore)

    def env(self):
        """For a command-line program run by the test."""
        return {"LD_PRELOAD": self.preload, "SLUICE_FAULT_DIR": self.dir,
                "SLUICE_FAULT_IGNORE": self.ignore}

    def reset(self):
        for fs in self.states.values():
            fs.reset()

    def close(self):
        for fs in self.states.values():
            fs.close()

    def __getitem__(self, prog):
        return self.states[prog]
