"""postfix_peer - a private Debian Postfix instance as the interop peer.

The network tests relay mail Sluice -> Postfix and Postfix -> Sluice, and
the benchmark (bench/) runs Postfix side by side with Sluice, so this
module builds a complete Postfix instance in a temp dir of its own: its
config_directory (DIR/etc), queue_directory (DIR/queue), data_directory
(DIR/data), a maillog (DIR/maillog, through postlogd) and Maildirs under
DIR/mail for one virtual mailbox domain, delivered with a fixed uid
(nobody).  It listens only on loopback addresses, on a free port, never
on 25, and nothing of the system's /etc/postfix is used.

Start is `postfix -c DIR/etc start` (about a second), stop is `postfix
stop` and then SIGKILL by pid to whatever of the master's process tree is
left.  Postfix needs root (its master, postdrop and the privilege drop);
PostfixPeer.skip_reason() says why a test cannot run.
"""

import os
import shutil
import smtplib
import subprocess
import time

import peer_util as pu
import sluice_instance as si

POSTFIX = "/usr/sbin/postfix"
POSTCONF = "/usr/sbin/postconf"
SENDMAIL = "/usr/sbin/sendmail"
DAEMON_DIRECTORY = "/usr/lib/postfix/sbin"

DOMAIN = "peer.test"
HOSTNAME = "postfix.peer.test"
MAILBOX_USER = "nobody"           # owner of the Maildirs (virtual_uid_maps)
DEFAULT_USERS = ("user", "postmaster")

# master.cf without the chroot the Debian default uses (a chroot would need
# copies of /etc files in every test queue) and with the postlog service
# that maillog_file needs.  The smtpd lines are added per address.
MASTER_SERVICES = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


# The queue layout `postfix check` (post-install) would create: made here
# directly, so a start only verifies it (0.3 s instead of 1.7 s).
QUEUE_LAYOUT = (
    # name, mode, owner, group
    ("active", 0o700, "postfix", "root"),
    ("bounce", 0o700, "postfix", "root"),
    ("corrupt", 0o700, "postfix", "root"),
    ("defer", 0o700, "postfix", "root"),
    ("deferred", 0o700, "postfix", "root"),
    ("flush", 0o700, "postfix", "root"),
    ("hold", 0o700, "postfix", "root"),
    ("incoming", 0o700, "postfix", "root"),
    ("private", 0o700, "postfix", "root"),
    ("saved", 0o700, "postfix", "root"),
    ("trace", 0o700, "postfix", "root"),
    ("maildrop", 0o730, "postfix", "postdrop"),
    ("public", 0o710, "postfix", "postdrop"),
    ("pid", 0o755, "root", "root"),
)


def skip_reason():
    """Why a Postfix peer cannot run here, or None."""
    if not si.is_root():
        return "the Postfix peer needs root"
    for prog in (POSTFIX, POSTCONF, os.path.join(DAEMON_DIRECTORY, "master")):
        if not pu.have_program(prog):
            return "%s missing (scripts/install-deps installs postfix)" % prog
    return None


class PostfixError(RuntimeError):
    pass


class PostfixPeer:
    """One private Postfix instance.

    addresses: loopback addresses smtpd listens on (same port on each).
    relayhost: Postfix's relayhost ("[127.0.0.1]:PORT" relays INTO Sluice).
    main: more main.cf parameters (override the defaults below).
    tls: (cert, key) for smtpd_tls_* (security level may), or None.
    users: local parts with a Maildir in the virtual domain; every other
    local part of the domain lands in the "catchall" Maildir.
    """

    def __init__(self, directory, port=None, addresses=("127.0.0.1",),
                 domain=DOMAIN, hostname=HOSTNAME, relayhost="", main=None,
                 tls=None, users=DEFAULT_USERS, smtpd_args=()):
        self.dir = directory
        self.port = port or si.free_port()
        self.addresses = tuple(addresses)
        self.domain = domain
        self.hostname = hostname
        self.users = tuple(users)
        self.etc = os.path.join(directory, "etc")
        self.queue = os.path.join(directory, "queue")
        self.data = os.path.join(directory, "data")
        self.mail = os.path.join(directory, "mail")
        self.maillog_path = os.path.join(directory, "maillog")
        self.smtpd_args = tuple(smtpd_args)
        self.pids = pu.Pids()
        self.master_pid = None
        self.params = self.default_params(relayhost)
        if tls is not None:
            cert, key = tls
            self.params.update({
                "smtpd_tls_cert_file": cert,
                "smtpd_tls_key_file": key,
                "smtpd_tls_security_level": "may",
                "smtpd_tls_loglevel": "1",
                "smtpd_tls_received_header": "yes",
            })
        self.params.update(main or {})

    # configuration
    def default_params(self, relayhost):
        import pwd
        pw = pwd.getpwnam(MAILBOX_USER)
        vmap = ", ".join("{%s@%s = %s/%s/}" % (u, self.domain, self.domain, u)
                         for u in self.users)
        vmap += ", {@%s = %s/catchall/}" % (self.domain, self.domain)
        return {
            "compatibility_level": "3.6",
            "config_directory": self.etc,
            "queue_directory": self.queue,
            "data_directory": self.data,
            "command_directory": "/usr/sbin",
            "daemon_directory": DAEMON_DIRECTORY,
            "meta_directory": "/etc/postfix",
            "shlib_directory": "/usr/lib/postfix",
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "myhostname": self.hostname,
            "mydomain": self.domain,
            "myorigin": "$myhostname",
            # Postfix refuses inet_interfaces that no interface carries
            # (127.0.0.2 is routed to lo, not assigned): the master.cf
            # lines name the listening addresses instead.
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "mydestination": "",
            "local_recipient_maps": "",
            "local_transport": "error:local delivery is disabled",
            "alias_maps": "",
            "alias_database": "",
            "relayhost": relayhost,
            "relay_domains": "",
            "virtual_mailbox_domains": self.domain,
            "virtual_mailbox_base": self.mail,
            "virtual_mailbox_maps": "inline:{ %s }" % vmap,
            "virtual_uid_maps": "static:%d" % pw.pw_uid,
            "virtual_gid_maps": "static:%d" % pw.pw_gid,
            "virtual_minimum_uid": "1",
            "maillog_file": self.maillog_path,
            "maillog_file_prefixes": self.dir,
            "smtputf8_enable": "yes",
            "biff": "no",
            "append_dot_mydomain": "no",
            "smtpd_banner": "$myhostname ESMTP Postfix (peer)",
            # tests want every message out at once, and no tar pits
            "smtpd_error_sleep_time": "0",
            "in_flow_delay": "0",
            "queue_run_delay": "10s",
            "minimal_backoff_time": "10s",
            "maximal_backoff_time": "20s",
            "smtp_connect_timeout": "5s",
            "smtp_tls_loglevel": "1",
            "smtp_tls_security_level": "may",
            "smtp_host_lookup": "native",
            "smtp_dns_support_level": "disabled",
            "import_environment": "MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ "
                                  "LANG=C",
        }

    def master_cf_text(self):
        smtpd = "".join(
            "%s:%d inet n - n - - smtpd%s\n"
            % (a, self.port, "".join(" " + x for x in self.smtpd_args))
            for a in self.addresses)
        return smtpd + MASTER_SERVICES

    def write_config(self):
        # postfix start creates the queue's subdirectories, not the queue
        for d in (self.etc, self.mail, self.queue):
            os.makedirs(d, exist_ok=True)
        os.chmod(self.dir, 0o755)
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            for name, value in self.params.items():
                f.write("%s = %s\n" % (name, value))
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write(self.master_cf_text())
        # Postfix commands wait (up to 2 s, in 0.3 s naps) while main.cf
        # looks freshly written; a back-dated mtime starts it at once.
        past = time.time() - 10
        for name in ("main.cf", "master.cf"):
            os.utime(os.path.join(self.etc, name), (past, past))
        import grp
        import pwd
        pw = pwd.getpwnam(MAILBOX_USER)
        for path in (self.mail, os.path.join(self.mail, self.domain)):
            os.makedirs(path, exist_ok=True)
            os.chown(path, pw.pw_uid, pw.pw_gid)
        for name, mode, owner, group in QUEUE_LAYOUT + \
                (("../data", 0o700, "postfix", "root"),):  # data_directory
            path = os.path.normpath(os.path.join(self.queue, name))
            os.makedirs(path, exist_ok=True)
            os.chown(path, pwd.getpwnam(owner).pw_uid,
                     grp.getgrnam(group).gr_gid)
            os.chmod(path, mode)

    def set_main(self, params):
        """Change main.cf parameters (postfix reload to apply them while
        running)."""
        self.params.update(params)
        self.write_config()

    def postconf(self, *args):
        r = subprocess.run([POSTCONF, "-c", self.etc] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=30)
        if r.returncode != 0:
            raise PostfixError("postconf %s: %s" % (" ".join(args), r.stderr))
        return r.stdout

    # process control
    def _postfix(self, command, timeout=30):
        return subprocess.run([POSTFIX, "-c", self.etc, command],
                              stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=timeout)

    def pid_from_file(self):
        try:
            with open(os.path.join(self.queue, "pid", "master.pid")) as f:
                pid = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if si.pid_alive(pid) else None

    def listening(self):
        return all(pu.listening(a, self.port) for a in self.addresses)

    def start(self, timeout=15.0):
        """Write the configuration and start; waits until every smtpd
        address listens.  Raises PostfixError (after cleaning up)."""
        why = skip_reason()
        if why:
            raise PostfixError(why)
        self.write_config()
        r = self._postfix("start")
        pid = si.wait_until(self.pid_from_file, timeout) \
            if r.returncode == 0 else self.pid_from_file()
        self.master_pid = pid
        self.pids.remember(pid)
        if r.returncode != 0 or not pid or \
                not si.wait_until(self.listening, timeout):
            log = self.maillog()[-3000:]
            self.stop()
            raise PostfixError("postfix start failed (exit %d): %s%s\n"
                               "maillog:\n%s" % (r.returncode, r.stdout,
                                                 r.stderr, log))
        self.pids.remember(pid)

    def running(self):
        return self.master_pid is not None and si.pid_alive(self.master_pid)

    def reload(self):
        r = self._postfix("reload")
        if r.returncode != 0:
            raise PostfixError("postfix reload: %s" % r.stderr)

    def flush(self):
        """Attempt delivery of everything deferred now (postqueue -f)."""
        self._postfix("flush")

    def stop(self, timeout=10.0):
        """postfix stop, then SIGKILL by pid what is left (also when
        start failed half-way).  True when the orderly stop sufficed."""
        pid = self.master_pid or self.pid_from_file()
        self.pids.remember(pid)
        clean = True
        if pid is not None and si.pid_alive(pid):
            try:
                self._postfix("stop", timeout=timeout)
            except subprocess.TimeoutExpired:
                clean = False
            if not si.wait_until(lambda: not si.pid_alive(pid), timeout):
                clean = False
        if not self.pids.finish(3.0):
            clean = False
        self.master_pid = None
        return clean

    def children(self):
        if not self.master_pid:
            return []
        kids = si.descendants_of(self.master_pid)
        self.pids.remember(self.master_pid)
        return kids

    def cleanup(self, keep=False):
        self.stop()
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    # observations
    def maillog(self):
        try:
            with open(self.maillog_path, "rb") as f:
                return f.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, pattern, timeout=10.0):
        import re
        rx = re.compile(pattern, re.M)
        return si.wait_until(lambda: rx.search(self.maillog()), timeout,
                             interval=0.05)

    def maildir(self, local="user"):
        """The Maildir of local@domain (catchall for unlisted users)."""
        return os.path.join(self.mail, self.domain,
                            local if local in self.users else "catchall")

    def wait_maildir(self, local, count, timeout=30.0, exact=True):
        """Paths of the count messages in local's Maildir new/ (bounded
        wait; with exact, a surplus is a failure too)."""
        md = self.maildir(local)
        got = si.wait_until(lambda: len(si.maildir_files(md)) >= count,
                            timeout, interval=0.05)
        files = si.maildir_files(md)
        if not got:
            raise si.DeliveryTimeout(
                "%s: %d message(s) after %.0fs, want %d\npostfix queue:\n%s"
                "\npostfix maillog:\n%s" % (md, len(files), timeout, count,
                                            self.queue_listing(),
                                            self.maillog()[-3000:]))
        if exact:
            time.sleep(0.2)
            files = si.maildir_files(md)
            if len(files) != count:
                raise AssertionError("%s: %d messages, want exactly %d"
                                     % (md, len(files), count))
        return files

    def queue_listing(self):
        r = subprocess.run(["/usr/sbin/postqueue", "-c", self.etc, "-p"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=30)
        return r.stdout

    def queue_empty(self):
        for sub in ("maildrop", "incoming", "active", "deferred"):
            for _root, _dirs, files in os.walk(os.path.join(self.queue, sub)):
                if files:
                    return False
        return True

    def wait_queue_empty(self, timeout=30.0):
        if not si.wait_until(self.queue_empty, timeout, interval=0.05):
            raise si.DeliveryTimeout("postfix queue not empty after %.0fs:"
                                     "\n%s\nmaillog:\n%s"
                                     % (timeout, self.queue_listing(),
                                        self.maillog()[-3000:]))

    # clients
    def smtp(self, address=None, timeout=10.0):
        return smtplib.SMTP(address or self.addresses[0], self.port,
                            timeout=timeout)

    def send(self, sender, recipients, message, address=None):
        """Inject message (bytes, sent as is) over SMTP; the reply text."""
        with self.smtp(address) as s:
            s.ehlo("client.test")
            refused = s.sendmail(sender, recipients, message)
            if refused:
                raise AssertionError("postfix refused %r" % refused)
        return True

    def sendmail(self, sender, recipients, message, timeout=30):
        """Postfix's sendmail -C DIR (postdrop + pickup)."""
        return subprocess.run([SENDMAIL, "-C", self.etc, "-i", "-f", sender,
                               "--"] + list(recipients), input=message,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout)
