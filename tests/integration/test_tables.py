"""Postfix's table types in a running instance (issue 16, item 3).

  - hash: as a Debian admin has it: virtual_alias_maps = hash:FILE works
    after `sluice-map hash:FILE`;
  - pcre: virtual aliases, asked with the whole address only (a rule
    that would match a partial key "@domain" never sees one);
  - cidr: in mynetworks: the clients it lists may relay, the others not;
  - a table rebuilt again and again while clients keep sending: no
    RCPT refused, no message lost, no smtpd restart;
  - sluice-map's failures are error: lines with exit 2, an aliases(5)
    file is compiled with -a and refused without it.
"""

import os
import re
import threading
import time

import pytest

import sluice_instance as si

SENDER = "sender@client.example"
DOMAIN = si.VIRTUAL_DOMAIN
MESSAGE = (b"From: Sender <sender@client.example>\r\n"
           b"Subject: tables %d\r\n"
           b"\r\n"
           b"body %d\r\n")


def message(n):
    return MESSAGE.replace(b"%d", str(n).encode())


def write(inst, name, text):
    path = os.path.join(inst.etc, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def sluice_map(inst, *args):
    return inst.tool("sluice-map", "-c", inst.etc, *args, text=True)


def rcpt_codes(inst, rcpts, source="127.0.0.1", data=None):
    """One session: the RCPT codes, then DATA if every one got 250."""
    with inst.smtp(source=source, timeout=10) as s:
        s.ehlo("client.example")
        code, resp = s.mail(SENDER)
        assert code == 250, resp
        codes = [s.rcpt(r)[0] for r in rcpts]
        if data is not None and all(c == 250 for c in codes):
            code, resp = s.data(data)
            assert code == 250, resp
        else:
            s.rset()
    return codes


@pytest.fixture
def need_sluice_map(sluice_bin):
    if not os.access(os.path.join(sluice_bin, "sluice-map"), os.X_OK):
        pytest.skip("sluice-map not built")


def test_hash_virtual_alias_table_after_sluice_map(make_instance,
                                                   need_sluice_map):
    def tables(inst):
        path = write(inst, "virtual",
                     "# a Postfix virtual(5) table\n"
                     "Sales@%s  user@%s\n" % (DOMAIN, DOMAIN))
        r = sluice_map(inst, "hash:" + path)
        assert r.returncode == 0, r.stderr
        inst.set_main({"virtual_alias_maps": "hash:" + path})

    inst = make_instance(delivery=True, before_start=tables)
    assert rcpt_codes(inst, ["sales@" + DOMAIN], data=message(1)) == [250]
    [path] = inst.wait_maildir(inst.vmaildir("user"), 1)
    assert b"body 1" in si.read_bytes(path)
    assert rcpt_codes(inst, ["nosuch@" + DOMAIN]) == [550]
    inst.wait_queue_empty()


def test_pcre_virtual_alias_maps(make_instance, need_sluice_map):
    def tables(inst):
        path = write(inst, "virtual.pcre",
                     "# sales-anything goes to user\n"
                     "/^sales-[a-z]+@example\\.test$/   user@example.test\n"
                     "if /^boss/\n"
                     "/^boss@(example)\\.test$/        postmaster@$1.test\n"
                     "endif\n"
                     "# a partial key would hit this; they are not asked\n"
                     "/^@/                             user@example.test\n")
        r = sluice_map(inst, "pcre:" + path)      # parsed, nothing to build
        assert r.returncode == 0, r.stderr
        inst.set_main({"virtual_alias_maps": "pcre:" + path})

    inst = make_instance(delivery=True, before_start=tables)
    assert rcpt_codes(inst, ["Sales-East@example.test"],
                      data=message(2)) == [250]
    [path] = inst.wait_maildir(inst.vmaildir("user"), 1)
    assert b"body 2" in si.read_bytes(path)
    assert rcpt_codes(inst, ["boss@example.test"], data=message(3)) == [250]
    [path] = inst.wait_maildir(inst.vmaildir("postmaster"), 1)
    assert b"body 3" in si.read_bytes(path)
    assert rcpt_codes(inst, ["sales-9@example.test", "nobody@example.test"]) \
        == [550, 550]
    inst.wait_queue_empty()


def test_broken_pcre_table_is_an_error_with_its_line(make_instance,
                                                      need_sluice_map):
    inst = make_instance(delivery=False, start=False)
    path = write(inst, "bad.pcre", "/^ok@/ fine\nif /^a/\n/^(b@/ x\nendif\n")
    r = sluice_map(inst, "pcre:" + path)
    assert r.returncode == 2
    assert "error: %s:3: bad pattern" % path in r.stderr, r.stderr
    assert "warning:" not in r.stderr


def test_cidr_table_in_mynetworks(make_instance, need_sluice_map):
    def tables(inst):
        path = write(inst, "clients",
                     "# who may relay (the result is not used)\n"
                     "127.0.0.2        OK\n"
                     "127.0.0.4/30     OK\n")
        inst.set_main({"mynetworks": "!127.0.0.5 cidr:" + path})

    inst = make_instance(before_start=tables)
    remote = "someone@remote.example"
    got = {n: rcpt_codes(inst, [remote], source="127.0.0.%d" % n)[0]
           for n in (2, 3, 4, 5, 6, 9)}
    assert got == {2: 250, 3: 554, 4: 250, 5: 554, 6: 250, 9: 554}, got
    assert "Relay access denied" in inst.maillog()


def test_cidr_table_replaced_under_chrooted_smtpd(make_instance,
                                                  need_sluice_map):
    """A text table edited in place is read again at the next lookup,
    through the open file also in a chroot.  A table replaced (a new file,
    as editors write it) is read again at once where smtpd can see its
    path; a chrooted smtpd cannot, so the session that notices it is the
    last one of that process, as in Postfix, and the next smtpd has the
    new rules."""
    def tables(inst):
        write(inst, "clients", "127.0.0.2 OK\n")
        inst.set_main({"mynetworks": "cidr:" + os.path.join(inst.etc,
                                                            "clients")})

    inst = make_instance(before_start=tables)
    remote = "someone@remote.example"
    path = os.path.join(inst.etc, "clients")
    assert rcpt_codes(inst, [remote], source="127.0.0.3") == [554]
    # edited in place (same file): the next lookup has it
    with open(path, "w") as f:
        f.write("127.0.0.2 OK\n127.0.0.3 OK\n")
    assert rcpt_codes(inst, [remote], source="127.0.0.3") == [250]
    assert inst.wait_log(r"cidr:%s: read again after a change"
                         % re.escape(path))
    # replaced
    write(inst, "clients.new", "127.0.0.4 OK\n")
    os.rename(path + ".new", path)
    codes = [rcpt_codes(inst, [remote], source="127.0.0.4")[0]
             for _ in range(3)]
    if si.is_root():        # smtpd is chrooted: one more session at most
        assert codes[1:] == [250, 250], codes
        assert inst.wait_log(r"lookup table has changed -- restarting")
    else:                   # not chrooted: the path is read again
        assert codes == [250, 250, 250], codes
        assert "lookup table has changed" not in inst.maillog()


def test_table_rebuilt_under_load_refuses_nothing(make_instance,
                                                   need_sluice_map):
    """sluice-map rebuilds virtual_mailbox_maps 30 times while a client
    keeps sending to the address the last finished rebuild added: every
    RCPT gets 250 (before: a session that began after a rebuild, in an
    smtpd that had opened the table before it, was answered from the old
    table, 550, and that smtpd restarted after the session)."""
    inst = make_instance(delivery=True)
    lock = threading.Lock()
    added = ["user@" + DOMAIN]        # in the table for sure
    errors = []
    done = threading.Event()

    def rebuild():
        try:
            for n in range(30):
                address = "new%d@%s" % (n, DOMAIN)
                inst.add_vmailbox(address, "%s/new%d/" % (DOMAIN, n))
                with lock:
                    added.append(address)
                time.sleep(0.05)
        except Exception as e:            # reported by the main thread
            errors.append(e)
        finally:
            done.set()

    t = threading.Thread(target=rebuild)
    t.start()
    refused, sessions = [], 0
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            finished = done.is_set()
            with lock:
                rcpt = added[-1]
            codes = rcpt_codes(inst, [rcpt, "user@" + DOMAIN],
                               data=message(sessions) if sessions % 3 == 0
                               else None)
            sessions += 1
            if codes != [250, 250]:
                refused.append((rcpt, codes))
            if finished:
                break
            # an idle moment, as between real clients: a rebuild that
            # lands here used to meet the old table in the next session
            time.sleep(0.03)
    finally:
        t.join(timeout=60)
    assert not errors, errors
    assert done.is_set()
    assert refused == [], refused[:5]
    assert sessions >= 30, sessions
    assert "lookup table has changed" not in inst.maillog()
    inst.wait_queue_empty(timeout=60)


def test_sluice_map_aliases(make_instance, need_sluice_map):
    inst = make_instance(delivery=False, start=False)
    path = write(inst, "more-aliases",
                 "# aliases(5)\n"
                 "Root:  admin\n"
                 "team:  alice,\n"
                 "       bob\n")
    r = sluice_map(inst, "hash:" + path)
    assert r.returncode == 2
    assert "error:" in r.stderr and "sluice-map -a" in r.stderr, r.stderr
    assert "warning:" not in r.stderr
    assert not os.path.exists(path + ".lmdb")
    r = sluice_map(inst, "-a", "hash:" + path)
    assert r.returncode == 0, r.stderr
    r = sluice_map(inst, "-q", "root", "hash:" + path)
    assert (r.returncode, r.stdout) == (0, "admin\n")
    r = sluice_map(inst, "-q", "TEAM", "lmdb:" + path)
    assert (r.returncode, r.stdout) == (0, "alice, bob\n")
    r = sluice_map(inst, "-q", "root:", "lmdb:" + path)
    assert r.returncode == 1
    r = sluice_map(inst, "-q", "x", "nosuchtype:" + path)
    assert r.returncode == 2 and "error:" in r.stderr, r.stderr


def test_newaliases_compiles_hash_alias_maps(make_instance, need_sluice_map):
    """alias_maps = hash:FILE as in a Debian main.cf: newaliases
    (sluice-map -N, what sendmail -bi runs) compiles it."""
    inst = make_instance(delivery=False, start=False)
    path = write(inst, "debian-aliases", "postmaster: root\nRoot: admin\n")
    inst.set_main({"alias_maps": "hash:%s, inline:{x=y}" % path})
    r = sluice_map(inst, "-N")
    assert r.returncode == 0, r.stderr
    r = sluice_map(inst, "-q", "ROOT", "hash:" + path)
    assert (r.returncode, r.stdout) == (0, "admin\n")
    write(inst, "debian-aliases", "postmaster root\n")
    r = sluice_map(inst, "-N")
    assert r.returncode == 2
    assert "error: %s:1: expected format: name: value" % path \
        in r.stderr, r.stderr
    r = sluice_map(inst, "-q", "root", "hash:" + path)
    assert (r.returncode, r.stdout) == (0, "admin\n")   # the old table


def test_pcre_transport_maps(make_instance, need_sluice_map):
    """transport_maps = pcre:FILE routes by the whole recipient address
    (the error transport here, so no peer is needed); the domain and its
    parents are partial keys, which a pattern table is never asked."""
    def tables(inst):
        path = write(inst, "transport.pcre",
                     "/^bob@fail\\.example$/    error:5.1.1 bob left\n"
                     "/@fail\\.example$/        error:5.1.2 $$ no one here\n"
                     "/^fail\\.example$/        error:5.4.4 a partial key\n")
        inst.set_main({"transport_maps": "pcre:" + path})

    inst = make_instance(delivery=True, before_start=tables)
    with inst.smtp(timeout=10) as s:
        s.ehlo("client.example")
        assert s.mail("")[0] == 250          # no bounces to chase
        assert s.rcpt("Bob@fail.example")[0] == 250
        assert s.rcpt("ann@fail.example")[0] == 250
        code, resp = s.data(message(9))
        assert code == 250, resp
    qid = si.queued_id(resp)
    inst.wait_queue_empty()
    log = inst.maillog()
    assert inst.wait_log(r"%s: to=<Bob@fail\.example>, .*dsn=5\.1\.1, "
                         r"status=bounced \(bob left\)" % qid)
    assert inst.wait_log(r"%s: to=<ann@fail\.example>, .*dsn=5\.1\.2, "
                         r"status=bounced \(\$ no one here\)" % qid)
    assert "a partial key" not in log
