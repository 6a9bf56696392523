"""mtas - the two MTAs under test, set up alike for one scenario.

Both get: a durable queue in a fresh directory under the same /tmp
filesystem, no content filters, logging to a file (Sluice's
maillog_file, Postfix's maillog_file through postlogd), loopback only.
Postfix keeps its built-in defaults except what a private instance
needs (directories, ports, relayhost, transport_maps, the virtual
mailbox domain): the test fixture's speed-ups (smtpd_error_sleep_time=0,
in_flow_delay=0, short backoff times) are put back to the defaults here.
Sluice keeps its defaults too.

Scenario routing:
  relay   relayhost = [127.0.0.1]:SINK
  fanout  transport_maps: dN.bench.test -> smtp:[127.0.0.1]:SINK_N (5 sinks)
  local   the virtual mailbox domain, Maildir user@DOMAIN
  idle    nothing is delivered
  restrict, nocheck
          relay_domains = relay.bench.test, transport_maps: it ->
          smtp:[127.0.0.1]:SINK, mynetworks = 127.0.0.1/32 and the load
          from 127.0.0.2, outside it (run.py turns both round for
          smtp-source, which cannot bind 127.0.0.2: mynetworks =
          127.0.0.2/32, the load from 127.0.0.1); restrict adds the restriction list,
          access tables and header/body checks of restrict_tables.py,
          nocheck is the same relay without them (issue 17's "without")
"""

import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
BINDIR = os.path.abspath(os.environ.get("SLUICE_BIN")
                         or os.path.join(REPO, "build", "bin"))

import postfix_peer as pp     # noqa: E402
import restrict_tables        # noqa: E402
import sluice_instance as si  # noqa: E402

# Postfix built-in defaults the test fixture overrides for speed.
POSTFIX_DEFAULTS_BACK = {
    "smtpd_error_sleep_time": "1s",
    "in_flow_delay": "1s",
    "queue_run_delay": "300s",
    "minimal_backoff_time": "300s",
    "maximal_backoff_time": "4000s",
    "smtp_connect_timeout": "30s",
    "smtp_tls_security_level": "",
    "smtp_tls_loglevel": "0",
}

FANOUT_DOMAINS = ["d%d.bench.test" % i for i in range(5)]


def transport_inline(sink_ports, domains=FANOUT_DOMAINS):
    return "inline:{ %s }" % ", ".join(
        "{%s = smtp:[127.0.0.1]:%d}" % (d, p)
        for d, p in zip(domains, sink_ports))


# The relay domain of restrict and nocheck; the load's client address,
# outside mynetworks.
RELAY_DOMAIN = "relay.bench.test"
OUTSIDE_CLIENT = "127.0.0.2"
RESTRICTED = ("restrict", "nocheck")


def relay_domain_params(sink_ports):
    """restrict's and nocheck's routing and relay control, alike for both
    MTAs: the relay list of Postfix 2.10+, the recipient list of
    restrict_tables (restrict) or Postfix's default, none (nocheck)."""
    return {
        "mynetworks": "127.0.0.1/32",
        "relay_domains": RELAY_DOMAIN,
        "transport_maps": transport_inline(sink_ports, [RELAY_DOMAIN]),
        "smtpd_relay_restrictions": "permit_mynetworks, "
                                    "reject_unauth_destination",
        "smtpd_recipient_restrictions": "",
        # 127.0.0.2 has no name, and this machine's resolver does not
        # answer: Postfix's reverse lookup (glibc) then stalls 5 s now
        # and then (14 msg/s in the first runs), Sluice's (libunbound)
        # does not.  Neither looks it up, as neither could on a server
        # whose DNS is down; the checks measured need no client name.
        "smtpd_peername_lookup": "no",
    }


class SluiceMTA:
    name = "sluice"

    def __init__(self, workdir, scenario, sink_ports, extra=None):
        if si.is_root():
            si.ensure_system_account()
        self.dir = os.path.join(workdir, "sluice")
        self.inst = si.Instance(BINDIR, self.dir,
                                hostname="mx.sluice.test")
        self.inst.init()
        os.chmod(self.dir, 0o755)
        params = {}
        if scenario == "relay":
            params["relayhost"] = "[127.0.0.1]:%d" % sink_ports[0]
        elif scenario == "fanout":
            params["transport_maps"] = transport_inline(sink_ports)
        elif scenario in RESTRICTED:
            params.update(relay_domain_params(sink_ports))
        if scenario == "restrict":
            paths = restrict_tables.write(self.inst.etc)
            self.inst.compile_table("sender_access")
            params.update(restrict_tables.restrictions(paths, "lmdb"))
        params.update(extra or {})
        self.inst.set_main(params)
        if scenario == "restrict":
            # refused settings (a restriction not built yet) say why here
            r = self.inst.sluice("check")
            if r.returncode != 0:
                raise RuntimeError("sluice check refuses the restrict "
                                   "settings: %s" % (r.stdout + r.stderr))
        self.domain = si.VIRTUAL_DOMAIN
        self.port = self.inst.port

    def start(self):
        self.inst.start()
        self.pid = self.inst.master_pid

    def queue_empty(self):
        return not self.inst.queue_files()

    def maildir_count(self):
        return len(si.maildir_files(self.inst.vmaildir("user")))

    def log_tail(self):
        return "\n".join(self.inst.maillog().split("\n")[-15:])

    def stop(self):
        self.inst.stop()

    def cleanup(self, keep=False):
        self.stop()
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)


class PostfixMTA:
    name = "postfix"

    def __init__(self, workdir, scenario, sink_ports, extra=None):
        self.dir = os.path.join(workdir, "postfix")
        os.makedirs(self.dir)
        main = dict(POSTFIX_DEFAULTS_BACK)
        relayhost = ""
        if scenario == "relay":
            relayhost = "[127.0.0.1]:%d" % sink_ports[0]
        elif scenario == "fanout":
            main["transport_maps"] = transport_inline(sink_ports)
        elif scenario in RESTRICTED:
            main.update(relay_domain_params(sink_ports))
        if scenario == "restrict":
            tables = os.path.join(self.dir, "tables")
            os.makedirs(tables)
            os.chmod(tables, 0o755)
            paths = restrict_tables.write(tables)
            main.update(restrict_tables.restrictions(paths, "hash"))
        main.update(extra or {})
        self.peer = pp.PostfixPeer(self.dir, relayhost=relayhost, main=main,
                                   domain="bench.postfix.test",
                                   hostname="mx.postfix.test")
        if scenario == "restrict":
            # postmap reads the instance's main.cf
            self.peer.write_config()
            subprocess.run(["/usr/sbin/postmap", "-c", self.peer.etc,
                            "hash:%s" % paths["sender_access"]], check=True,
                           stdin=subprocess.DEVNULL, timeout=60)
        self.domain = self.peer.domain
        self.port = self.peer.port

    def start(self):
        self.peer.start()
        self.pid = self.peer.master_pid

    def queue_empty(self):
        return self.peer.queue_empty()

    def maildir_count(self):
        return len(si.maildir_files(self.peer.maildir("user")))

    def log_tail(self):
        return "\n".join(self.peer.maillog().split("\n")[-15:])

    def stop(self):
        self.peer.stop()

    def cleanup(self, keep=False):
        self.stop()
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)


MTAS = {"sluice": SluiceMTA, "postfix": PostfixMTA}


def refuse_reason():
    """Why the benchmark cannot run here, or None."""
    if not si.is_root():
        return "the benchmark needs root (Postfix's master and privilege drop)"
    why = pp.skip_reason()
    if why:
        return why
    for prog in ("master", "smtpd", "cleanup", "qmgr", "smtp", "local",
                 "sluice"):
        if not os.access(os.path.join(BINDIR, prog), os.X_OK):
            return "%s/%s missing (run make)" % (BINDIR, prog)
    return None
