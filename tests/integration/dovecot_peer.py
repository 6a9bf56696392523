"""dovecot_peer - a private Dovecot serving only LMTP, for the lmtp tests.

Sluice's smtp agent speaks LMTP (RFC 2033) to Dovecot's dovecot-lmtpd.
This module writes a self-contained dovecot.conf (nothing of
/etc/dovecot is read) in a short temp dir: protocols = lmtp only, an inet
listener on a free loopback port and a unix socket DIR/run/lmtp, a static
userdb/passdb that accepts every user with one fixed uid/gid (nobody),
mail_location = maildir:DIR/mail/%n, and logs in DIR/dovecot.log.  It runs
as root in the foreground (`dovecot -F -c conf`) and is stopped by pid;
DovecotPeer.skip_reason() tells when that is impossible.
"""

import os
import shutil
import signal
import subprocess
import time

import peer_util as pu
import sluice_instance as si

DOVECOT = "/usr/sbin/dovecot"
LMTP_DAEMON = "/usr/lib/dovecot/lmtp"
MAIL_USER = "nobody"
MAIL_GROUP = "nogroup"

CONF = """\
# private test instance (tests/integration/dovecot_peer.py)
protocols = lmtp
listen = {address}
base_dir = {run}
state_dir = {state}
instance_name = sluice-test-{port}
log_path = {log}
info_log_path = {log}
debug_log_path = {log}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:{mail}/%n
mail_uid = {uid}
mail_gid = {gid}
lmtp_rcpt_check_quota = no
passdb {{
  driver = static
  args = nopassword=y
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}/%n
}}
service lmtp {{
  inet_listener lmtp {{
    address = {address}
    port = {port}
  }}
  unix_listener lmtp {{
    mode = 0666
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
"""


def skip_reason():
    if not si.is_root():
        return "the Dovecot peer needs root"
    for prog in (DOVECOT, LMTP_DAEMON):
        if not pu.have_program(prog):
            return "%s missing (scripts/install-deps installs " \
                   "dovecot-core and dovecot-lmtpd)" % prog
    return None


class DovecotPeer:
    """One private dovecot with the LMTP service only.

    Mail for local@anydomain lands in maildir(local) (%n: the local
    part)."""

    def __init__(self, directory=None, port=None, address="127.0.0.1"):
        # unix socket paths must stay short: a dir directly under /tmp
        self.dir = directory or pu.loopback_dir("dcot-")
        self.port = port or si.free_port()
        self.address = address
        self.conf = os.path.join(self.dir, "dovecot.conf")
        self.run = os.path.join(self.dir, "run")
        self.mail = os.path.join(self.dir, "mail")
        self.log_path = os.path.join(self.dir, "dovecot.log")
        self.socket = os.path.join(self.run, "lmtp")
        self.proc = None
        self.pids = pu.Pids()

    def write_config(self):
        import grp
        import pwd
        pw = pwd.getpwnam(MAIL_USER)
        gid = grp.getgrnam(MAIL_GROUP).gr_gid
        state = os.path.join(self.dir, "state")
        home = os.path.join(self.dir, "home")
        for d in (self.run, state, self.mail, home):
            os.makedirs(d, exist_ok=True)
        for d in (self.mail, home):
            os.chown(d, pw.pw_uid, gid)
        os.chmod(self.dir, 0o755)
        text = CONF.format(address=self.address, port=self.port, run=self.run,
                           state=state, log=self.log_path, mail=self.mail,
                           home=home, uid=pw.pw_uid, gid=gid,
                           internal="dovecot", internal_group="dovecot",
                           login="dovenull")
        with open(self.conf, "w") as f:
            f.write(text)

    def start(self, timeout=10.0):
        why = skip_reason()
        if why:
            raise RuntimeError(why)
        self.write_config()
        with open(os.path.join(self.dir, "stderr.log"), "ab") as out:
            self.proc = subprocess.Popen([DOVECOT, "-F", "-c", self.conf],
                                         stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=out,
                                         start_new_session=True)
        self.pids.remember(self.proc.pid)
        ok = si.wait_until(lambda: pu.listening(self.address, self.port)
                           or self.proc.poll() is not None, timeout)
        if not ok or self.proc.poll() is not None:
            text = self.log() + self.stderr_text()
            self.stop()
            raise RuntimeError("dovecot did not start listening on %d:\n%s"
                               % (self.port, text[-3000:]))
        self.pids.remember(self.proc.pid)
        return self

    def stop(self):
        if self.proc is None:
            return True
        self.pids.remember(self.proc.pid)
        clean = True
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            clean = False
            self.proc.kill()
            self.proc.wait(3)
        if not self.pids.finish(3.0):
            clean = False
        self.proc = None
        return clean

    def cleanup(self, keep=False):
        self.stop()
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def stderr_text(self):
        try:
            with open(os.path.join(self.dir, "stderr.log"), "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def maildir(self, local):
        return os.path.join(self.mail, local)

    def wait_maildir(self, local, count, timeout=30.0, exact=True):
        md = self.maildir(local)
        got = si.wait_until(lambda: len(si.maildir_files(md)) >= count,
                            timeout, interval=0.05)
        files = si.maildir_files(md)
        if not got:
            raise si.DeliveryTimeout("%s: %d message(s) after %.0fs, want %d"
                                     "\ndovecot log:\n%s"
                                     % (md, len(files), timeout, count,
                                        self.log()[-3000:]))
        if exact:
            time.sleep(0.2)
            files = si.maildir_files(md)
            if len(files) != count:
                raise AssertionError("%s: %d messages, want exactly %d"
                                     % (md, len(files), count))
        return files

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
