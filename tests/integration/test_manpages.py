"""A man page for every program, rendering cleanly, and sluice.conf(5)
documenting every parameter."""

import os
import re
import shutil
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MAN = os.path.join(REPO, "man")

# Every program directory of the Makefile gets a page: daemons in section
# 8 (and the sluice control command), user commands in section 1.
SECTION8 = {"master", "smtpd", "cleanup", "qmgr", "local", "pickup", "showq", "smtp",
            "anvil", "bounce", "sluice"}


def program_pages():
    with open(os.path.join(REPO, "Makefile")) as f:
        text = f.read()
    block = re.search(r"ALL_PROGRAMS\s*=((?:.*\\\n)*.*)", text).group(1)
    pages = []
    for entry in block.replace("\\\n", " ").split():
        name, directory = entry.split(":")
        path = os.path.join(REPO, directory)
        if os.path.isdir(path) and any(n.endswith(".c") for n in os.listdir(path)):
            pages.append("%s.%s" % (name, "8" if name in SECTION8 else "1"))
    return pages


PAGES = program_pages() + ["sluice.conf.5", "sluice_table.5", "sluice_access.5"]

# The parameters of the team contract (lib/config/config_params.c).
PARAMETERS = """
alias_maps always_add_missing_headers cleanup_service_name config_directory
daemon_directory default_process_limit disable_vrfy_command
header_size_limit hopcount_limit import_environment inet_interfaces
inet_protocols ipc_timeout line_length_limit listen_backlog
local_recipient_maps mail_name mail_owner maillog_file max_idle max_use
message_size_limit mydestination mydomain myhostname mynetworks myorigin
qmgr_service_name queue_directory relay_domains service_throttle_time
setgid_group smtpd_banner smtpd_discard_ehlo_keywords
smtpd_error_sleep_time smtpd_forbid_bare_newline
smtpd_forbid_bare_newline_exclusions smtpd_greet_pause
smtpd_hard_error_limit smtpd_helo_required smtpd_peername_lookup
smtpd_recipient_limit smtpd_reject_unlisted_recipient
smtpd_soft_error_limit smtpd_timeout smtputf8_enable
strict_rfc821_envelopes syslog_facility syslog_name
unknown_local_recipient_reject_code virtual_alias_domains
virtual_alias_maps virtual_mailbox_domains virtual_mailbox_maps
""".split()


def page_path(page):
    return os.path.join(MAN, page)


@pytest.mark.parametrize("page", PAGES)
def test_page_exists_with_standard_sections(page):
    path = page_path(page)
    assert os.path.isfile(path), "missing man page %s" % path
    with open(path, encoding="utf-8") as f:
        text = f.read()
    name, section = page.rsplit(".", 1)
    m = re.search(r'(?m)^\.TH\s+"?([^\s"]+)"?\s+"?(\d)', text)
    assert m, "no .TH line in %s" % page
    assert m.group(1).lower() == name.lower()
    assert m.group(2) == section
    for sect in ("NAME", "DESCRIPTION"):
        assert re.search(r'(?m)^\.SH\s+"?%s"?\s*$' % sect, text), (page, sect)
    # NAME line in the "name \- summary" form apropos/mandb expect
    after = text.split(".SH NAME", 1)[-1].lstrip().split("\n", 1)[0]
    assert re.match(r"^%s(,.*)? \\-\s\S" % re.escape(name), after), after


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff not installed")
@pytest.mark.parametrize("page", PAGES)
def test_page_renders_without_warnings(page):
    path = page_path(page)
    if not os.path.isfile(path):
        pytest.fail("missing man page %s" % path)
    r = subprocess.run(["groff", "-t", "-man", "-Tutf8", "-ww", "-z", path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=60,
                       env=dict(os.environ, LC_ALL="C.UTF-8"))
    assert r.returncode == 0, r.stderr
    assert r.stderr == "", r.stderr


@pytest.mark.skipif(shutil.which("man") is None, reason="man not installed")
@pytest.mark.parametrize("page", PAGES)
def test_page_renders_with_man(page):
    path = page_path(page)
    if not os.path.isfile(path):
        pytest.fail("missing man page %s" % path)
    r = subprocess.run(["man", "--warnings", "-l", path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=60,
                       env=dict(os.environ, MANPAGER="cat", PAGER="cat",
                                MANWIDTH="80", LC_ALL="C.UTF-8"))
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == "", r.stderr
    assert len(r.stdout) > 200


def test_sluice_conf_documents_every_parameter():
    path = page_path("sluice.conf.5")
    assert os.path.isfile(path)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    missing = [p for p in PARAMETERS
               if not re.search(r"(?<![A-Za-z0-9_])%s(?![A-Za-z0-9_])"
                                % re.escape(p).replace("_", r"\\?_"), text)]
    assert missing == [], missing


def test_every_table_parameter_documented():
    """Parameters added to the table later must be documented too."""
    src = os.path.join(REPO, "lib", "config", "config_params.c")
    if not os.path.isfile(src):
        pytest.skip("lib/config/config_params.c not there")
    with open(src) as f:
        names = re.findall(r'^\t\{ "([a-z0-9_]+)", PARAM_', f.read(), re.M)
    assert set(PARAMETERS) <= set(names), set(PARAMETERS) - set(names)
    with open(page_path("sluice.conf.5"), encoding="utf-8") as f:
        text = f.read().replace("\\_", "_")
    missing = [n for n in names if n not in text]
    assert missing == [], missing
