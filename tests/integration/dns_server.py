"""A private authoritative DNS server (Debian's nsd) for the tests.

    from dns_server import DNSServer, nsd_available, zone
    srv = DNSServer({"test": zone("test", ["mx IN MX 10 mx1.mx",
                                           "mx1.mx IN A 127.0.0.2"])})
    srv.start()          # free loopback port, waits until it answers
    main = {"dns_resolver_address": srv.resolver_address}
    ...
    srv.stop()           # by pid, also safe when start() failed

Sluice's resolver (libunbound) forwards to it with recursion desired; nsd
answers authoritatively for its zones, and REFUSED (a temporary failure
for Sluice) for anything else.  Zone text is passed as-is; zone() adds the
SOA and NS records so that a test only lists what it is about.  Skip
tests with `pytest.mark.skipif(not nsd_available(), ...)` or call
require_nsd() (pytest.skip with the reason).
"""

import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

NSD = "/usr/sbin/nsd"


def nsd_available():
    return os.access(NSD, os.X_OK)


def require_nsd():
    import pytest
    if not nsd_available():
        pytest.skip("%s not installed (apt-get install nsd)" % NSD)


def zone(origin, records, ttl=60):
    """Zone file text for origin with SOA and NS added."""
    origin = origin.rstrip(".") + "."
    head = [
        "$ORIGIN %s" % origin,
        "$TTL %d" % ttl,
        "@ IN SOA ns.%s admin.%s 1 3600 600 86400 %d" % (origin, origin, ttl),
        "@ IN NS ns.%s" % origin,
        "ns.%s IN A 127.0.0.1" % origin,
    ]
    return "\n".join(head + list(records)) + "\n"


def _free_udp_tcp_port(address):
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            u.bind((address, 0))
            port = u.getsockname()[1]
            try:
                t.bind((address, port))
            except OSError:
                continue
            return port
        finally:
            u.close()
            t.close()
    raise RuntimeError("no free UDP+TCP port on %s" % address)


def query_soa(address, port, name, timeout=0.2):
    """True when a server at address:port answers an SOA query for name."""
    qname = b"".join(bytes([len(p)]) + p.encode()
                     for p in name.rstrip(".").split(".") if p) + b"\0"
    packet = struct.pack(">HHHHHH", 0x5a5a, 0, 1, 0, 0, 0) + qname + \
        struct.pack(">HH", 6, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(packet, (address, port))
        data = s.recv(512)
        return len(data) >= 12 and data[:2] == b"\x5a\x5a"
    except OSError:
        return False
    finally:
        s.close()


class DNSServer:
    def __init__(self, zones, address="127.0.0.1", port=None):
        self.zones = dict(zones)            # name -> zone file text
        self.address = address
        self.port = port
        self.proc = None
        self.directory = None

    @property
    def resolver_address(self):
        return "%s:%d" % (self.address, self.port)

    def _write_config(self):
        d = self.directory
        lines = [
            "server:",
            "\tip-address: %s" % self.address,
            "\tport: %d" % self.port,
            '\tzonesdir: "%s"' % d,
            '\tpidfile: "%s/nsd.pid"' % d,
            '\tusername: ""',
            '\tchroot: ""',
            '\tdatabase: ""',
            '\tzonelistfile: "%s/zone.list"' % d,
            '\txfrdfile: "%s/xfrd.state"' % d,
            '\txfrdir: "%s"' % d,
            '\tlogfile: "%s/nsd.log"' % d,
            "\tverbosity: 0",
            "\tserver-count: 1",
            "remote-control:",
            "\tcontrol-enable: no",
        ]
        for i, (name, text) in enumerate(sorted(self.zones.items())):
            fname = "zone%d.zone" % i
            with open(os.path.join(d, fname), "x") as f:
                f.write(text)
            lines += ["zone:", '\tname: "%s"' % name.rstrip("."),
                      '\tzonefile: "%s"' % fname]
        path = os.path.join(d, "nsd.conf")
        with open(path, "x") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def log(self):
        try:
            with open(os.path.join(self.directory, "nsd.log")) as f:
                return f.read()
        except OSError:
            return ""

    def start(self, timeout=10.0):
        require_nsd()
        self.directory = tempfile.mkdtemp(prefix="sluice-nsd-")
        os.chmod(self.directory, 0o755)
        if self.port is None:
            self.port = _free_udp_tcp_port(self.address)
        conf = self._write_config()
        probe = next(iter(self.zones), "test")
        self.proc = subprocess.Popen([NSD, "-d", "-c", conf],
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log = self.log()
                self.stop()
                raise RuntimeError("nsd exited: %s" % log)
            if query_soa(self.address, self.port, probe):
                return self
            time.sleep(0.05)
        log = self.log()
        self.stop()
        raise RuntimeError("nsd did not answer within %ss: %s" % (timeout, log))

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=5)
            self.proc = None
        if self.directory:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
