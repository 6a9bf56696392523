"""Policy servers for check_policy_service tests, on loopback.

FakePolicyServer speaks the SMTPD_POLICY_README protocol itself and can
misbehave on purpose (hang, close, garbage, a megabyte, answer slowly);
it records every request and counts connections.  Postgrey and
SpfPolicyServer run Debian's real servers (postgrey; policyd-spf behind
socat, with its DNS from a dnslib zone on a free port) and stop them by
pid.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import sluice_instance as si


class FakePolicyServer:
    """answer(request_dict) -> the bytes to send, or None to say nothing
    and keep reading; b"" closes the connection"""

    def __init__(self, answer=None, unix_path=None):
        self.answer = answer or (lambda req: b"action=DUNNO\n\n")
        self.requests = []
        self.connections = 0
        self.unix_path = unix_path
        if unix_path:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.bind(unix_path)
            os.chmod(unix_path, 0o666)
            self.port = None
            self.endpoint = "unix:" + unix_path
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind(("127.0.0.1", 0))
            self.port = self.sock.getsockname()[1]
            self.endpoint = "inet:127.0.0.1:%d" % self.port
        self.sock.listen(16)
        self.stopping = False
        self.conns = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,),
                             daemon=True).start()

    def _serve(self, conn):
        buf = b""
        try:
            while not self.stopping:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
                while b"\n\n" in buf:
                    raw, buf = buf.split(b"\n\n", 1)
                    req = {}
                    for line in raw.decode("utf-8", "replace").split("\n"):
                        name, _, value = line.partition("=")
                        req[name] = value
                    req["_order"] = [l.partition("=")[0] for l in
                                     raw.decode("utf-8", "replace").split("\n")]
                    with self.lock:
                        self.requests.append(req)
                    out = self.answer(req)
                    if out is None:
                        continue
                    if out == b"":
                        return
                    conn.sendall(out)
        except OSError:
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def stop(self):
        self.stopping = True
        try:
            self.sock.close()
        except OSError:
            pass
        if self.unix_path:
            try:
                os.unlink(self.unix_path)
            except OSError:
                pass
        with self.lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def wait_port(port, timeout=10.0):
    def up():
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            return False
    return si.wait_until(up, timeout)


def stop_pid(proc):
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except OSError:
        proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def postgrey_available():
    return os.path.exists("/usr/sbin/postgrey")


class Postgrey:
    """Debian's postgrey on a free loopback port with a private database
    and the given greylisting delay (seconds)"""

    def __init__(self, directory, delay=2):
        self.port = si.free_port()
        self.endpoint = "inet:127.0.0.1:%d" % self.port
        self.dbdir = os.path.join(directory, "postgrey-db")
        os.makedirs(self.dbdir, exist_ok=True)
        empty = os.path.join(directory, "postgrey-empty")
        open(empty, "w").close()
        args = ["/usr/sbin/postgrey", "--inet=127.0.0.1:%d" % self.port,
                "--dbdir=" + self.dbdir, "--delay=%d" % delay,
                "--whitelist-clients=" + empty,
                "--whitelist-recipients=" + empty]
        if si.is_root():
            shutil.chown(self.dbdir, "postgrey", "postgrey")
        else:
            import pwd
            import grp
            args += ["--user=" + pwd.getpwuid(os.getuid()).pw_name,
                     "--group=" + grp.getgrgid(os.getgid()).gr_name]
        self.log = open(os.path.join(directory, "postgrey.log"), "wb")
        self.proc = subprocess.Popen(args, stdout=self.log,
                                     stderr=subprocess.STDOUT,
                                     start_new_session=True)
        if not wait_port(self.port):
            self.stop()
            raise RuntimeError("postgrey did not start")

    def stop(self):
        stop_pid(self.proc)
        self.log.close()


def spf_available():
    if not (os.path.exists("/usr/bin/policyd-spf") and shutil.which("socat")):
        return False
    try:
        import dnslib  # noqa: F401
    except ImportError:
        return False
    return True


# policyd-spf asks pydns (python3-dns) through spf.py, which reads
# /etc/resolv.conf once at import; point its defaults at our zone instead
SPF_WRAPPER = """
import sys
import spf
import DNS
DNS.defaults["server"] = ["127.0.0.1"]
DNS.defaults["port"] = int(sys.argv[1])
sys.argv = ["policyd-spf", sys.argv[2]]
from spf_engine.policyd_spf import main
sys.exit(main())
"""

SPF_CONF = """debugLevel = 1
TestOnly = 1
HELO_reject = Fail
Mail_From_reject = Fail
PermError_reject = False
TempError_Defer = False
skip_addresses = 192.0.2.254/32
"""


class SpfPolicyServer:
    """policyd-spf (stdin/stdout, the spawn(8) model) behind socat on a
    free loopback port; zone_text is a dnslib zone file for its DNS"""

    def __init__(self, directory, zone_text):
        self.dir = directory
        zone = os.path.join(directory, "spf.zone")
        with open(zone, "w") as f:
            f.write(zone_text)
        conf = os.path.join(directory, "policyd-spf.conf")
        with open(conf, "w") as f:
            f.write(SPF_CONF)
        wrapper = os.path.join(directory, "policyd_spf_here.py")
        with open(wrapper, "w") as f:
            f.write(SPF_WRAPPER)
        self.dns_port = si.free_port()
        self.dns_log = open(os.path.join(directory, "dnslib.log"), "wb")
        self.dns = subprocess.Popen(
            ["/usr/bin/python3", "-m", "dnslib.zoneresolver", "--zone", zone,
             "--address", "127.0.0.1", "--port", str(self.dns_port)],
            stdout=self.dns_log, stderr=subprocess.STDOUT,
            start_new_session=True)
        self.port = si.free_port()
        self.endpoint = "inet:127.0.0.1:%d" % self.port
        self.log = open(os.path.join(directory, "policyd-spf.log"), "wb")
        self.proc = subprocess.Popen(
            ["socat", "-t", "30",
             "TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork" % self.port,
             "EXEC:/usr/bin/python3 %s %d %s" % (wrapper, self.dns_port, conf)],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        if not wait_port(self.port):
            self.stop()
            raise RuntimeError("socat for policyd-spf did not start")

    def stop(self):
        stop_pid(self.proc)
        stop_pid(self.dns)
        self.log.close()
        self.dns_log.close()
