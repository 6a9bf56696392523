"""Fixtures for the integration suite: a real Sluice instance per test.

The programs come from $SLUICE_BIN (the Makefile's integration target
points it at the sanitizer build), default <repo>/build/bin.  Run as root,
the suite creates the sluice user and sluicedrop group and the instance
runs with real privilege separation; otherwise everything runs as the
current user and the tests that need root are skipped.

Every instance is stopped by pid at teardown, and a test fails when a
daemon's stderr or the maillog shows a sanitizer report or a panic.

An instance is inbound-only unless a test asks for delivery: its
master.cf loses the qmgr, pickup, showq, local and virtual lines that
`sluice init` writes, so accepted mail stays in incoming/ where the
inbound tests read it.  make_instance(delivery=True) keeps the whole
mail system (and fails early when its programs are not built).
"""

import os
import re
import shutil
import tempfile

import pytest

import sluice_instance as si

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINDIR = os.path.abspath(os.environ.get("SLUICE_BIN")
                         or os.path.join(REPO, "build", "bin"))

# Every test instance gets these unless it overrides them: no tar-pit
# delays in tests, and a short idle timeout so a stuck session ends.
DEFAULT_MAIN = {
    "smtpd_error_sleep_time": "0",
    "smtpd_timeout": "30s",
}

@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # keep each phase's report on the item: teardown keeps failed dirs
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture(scope="session")
def sluice_bin():
    missing = [p for p in ("master", "smtpd", "cleanup", "sluice")
               if not os.access(os.path.join(BINDIR, p), os.X_OK)]
    if missing:
        pytest.fail("programs missing in %s: %s (run make)"
                    % (BINDIR, ", ".join(missing)))
    if si.is_root():
        si.ensure_system_account()
    return BINDIR


@pytest.fixture(scope="session")
def instances_root():
    # tmp_path parents are 0700: the sluice user could not reach the queue
    base = tempfile.mkdtemp(prefix="sluice-tests-", dir="/tmp")
    os.chmod(base, 0o755)
    yield base
    if not os.listdir(base):
        os.rmdir(base)


@pytest.fixture
def make_instance(request, sluice_bin, instances_root):
    """Factory: make_instance(main={...}, master=callable, start=True,
    delivery=False, before_start=callable).

    main: main.cf parameters set on top of DEFAULT_MAIN.
    master: a function called with the Instance before start, to edit
    master.cf (Instance.edit_master_line, write_master_cf).
    delivery: keep qmgr, pickup, showq, local and virtual in master.cf.
    before_start: a function called with the Instance last before start
    (to add aliases, mailboxes, files).
    """
    created = []

    def factory(main=None, master=None, start=True, hostname=si.HOSTNAME,
                delivery=False, before_start=None):
        if delivery:
            missing = [p for p in si.DELIVERY_PROGRAMS
                       if not os.access(os.path.join(sluice_bin, p), os.X_OK)]
            if missing:
                pytest.fail("delivery programs missing in %s: %s (run make)"
                            % (sluice_bin, ", ".join(missing)))
        # table specs in main.cf cannot hold blanks or commas
        name = "%s-%d" % (re.sub(r"[^A-Za-z0-9_.-]", "_",
                                 request.node.name[:40]), len(created))
        directory = tempfile.mkdtemp(prefix=name + "-", dir=instances_root)
        os.chmod(directory, 0o755)
        os.rmdir(directory)        # sluice init creates it
        inst = si.Instance(sluice_bin, directory, hostname=hostname)
        created.append(inst)
        inst.init()
        os.chmod(directory, 0o755)  # traversable by the sluice user
        params = dict(DEFAULT_MAIN)
        params.update(main or {})
        inst.set_main(params)
        if not delivery:
            inbound_only(inst)
        if master:
            master(inst)
        if before_start:
            before_start(inst)
        if start:
            inst.start()
        return inst

    yield factory

    problems = []
    for inst in created:
        if not inst.stop():
            print("note: instance %s needed SIGKILL to stop" % inst.dir)
        problems += inst.sanitizer_reports()
    failed = any(getattr(request.node, "rep_" + w, None) is not None and
                 getattr(request.node, "rep_" + w).failed
                 for w in ("setup", "call"))
    if problems or failed:
        for inst in created:
            print("kept instance directory %s" % inst.dir)
            print("last maillog lines:\n" +
                  "\n".join(inst.maillog().rstrip("\n").split("\n")[-25:]))
    else:
        for inst in created:
            shutil.rmtree(inst.dir, ignore_errors=True)
    if problems:
        pytest.fail("sanitizer report or panic:\n" + "\n".join(problems[:40]),
                    pytrace=False)


def inbound_only(inst):
    """Drop the delivery services from master.cf."""
    out = []
    for line in inst.master_cf().split("\n"):
        fields = line.split()
        if fields and not line.startswith("#") and \
                fields[0] in si.DELIVERY_SERVICES:
            continue
        out.append(line)
    inst.write_master_cf("\n".join(out))


@pytest.fixture
def instance(make_instance):
    """A started inbound-only instance with the default test configuration."""
    return make_instance()


@pytest.fixture
def delivering(make_instance):
    """A started instance with the whole mail system: mail is delivered."""
    return make_instance(delivery=True)
