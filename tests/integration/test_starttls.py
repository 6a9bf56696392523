"""STARTTLS (RFC 3207) and wrapper mode in smtpd.

A self-signed certificate is made at test time with openssl req and kept
in the instance's etc/ (key readable by root only when the suite runs as
root: smtpd must read it before the privilege drop).  Checks: TLS 1.2+
only, the plaintext sent with STARTTLS is discarded (CVE-2011-0411), the
session starts over after the handshake, Received: says ESMTPS and the
cipher, level encrypt refuses mail before STARTTLS, and the smtps wrapper
mode speaks TLS from the first byte.
"""

import os
import re
import socket
import ssl
import subprocess

import pytest

import sluice_instance as si


def make_cert(inst):
    cert = os.path.join(inst.etc, "tls-cert.pem")
    key = os.path.join(inst.etc, "tls-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-subj", "/CN=mx.test.example", "-days", "1",
                    "-keyout", key, "-out", cert],
                   check=True, capture_output=True, timeout=30)
    os.chmod(key, 0o600)
    if si.is_root():
        os.chown(key, 0, 0)
        os.chown(cert, 0, 0)
    os.chmod(cert, 0o644)
    return cert, key


def tls_instance(make_instance, level="may", wrapper_port=None):
    def before(inst):
        cert, key = make_cert(inst)
        inst.set_main({"smtpd_tls_cert_file": cert,
                       "smtpd_tls_key_file": key,
                       "smtpd_tls_security_level": level})
        if wrapper_port:
            with open(inst.master_cf_path, "a") as f:
                f.write("\n%d inet n - y - - smtpd\n"
                        "  -o smtpd_tls_wrappermode=yes\n" % wrapper_port)
    return make_instance(before_start=before)


def client_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def s_client(port, *extra):
    return subprocess.run(
        ["openssl", "s_client", "-starttls", "smtp", "-connect",
         "127.0.0.1:%d" % port, "-servername", "mx.test.example"] +
        list(extra), input=b"QUIT\r\n", capture_output=True, timeout=30)


def test_ehlo_offers_starttls_and_s_client_negotiates(make_instance):
    inst = tls_instance(make_instance)
    c = inst.raw()
    r = c.cmd("EHLO client.example")
    assert "STARTTLS" in str(r)
    c.close()
    out = s_client(inst.port)
    text = out.stdout.decode(errors="replace")
    m = re.search(r"Protocol\s*:\s*(TLSv1\.[0-9])", text) or \
        re.search(r"New, (TLSv1\.[0-9])", text)
    assert m, text[-2000:]
    assert m.group(1) in ("TLSv1.2", "TLSv1.3")
    assert inst.wait_log(r"Anonymous TLS connection established from "
                         r"localhost\[127\.0\.0\.1\]: TLSv1\.[23] with "
                         r"cipher"), inst.maillog()[-2000:]


def test_tls11_refused(make_instance):
    inst = tls_instance(make_instance)
    out = s_client(inst.port, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0")
    text = out.stdout.decode(errors="replace")
    assert out.returncode != 0 or "Cipher is (NONE)" in text, text[-2000:]
    assert not re.search(r"Protocol\s*:\s*TLSv1\.1\b", text) or \
        "Cipher is (NONE)" in text
    # the server is still fine afterwards
    c = inst.raw()
    assert c.cmd("EHLO x.example").code == 250
    c.close()


def starttls(c):
    r = c.cmd("STARTTLS")
    assert str(r) == "220 2.0.0 Ready to start TLS"
    c.sock.settimeout(10)
    tls = client_context().wrap_socket(c.sock, server_hostname="mx.test.example")
    assert tls.version() in ("TLSv1.2", "TLSv1.3")
    c.sock = tls
    c.buf = b""
    return c


def swaks_has_tls():
    return subprocess.run(["perl", "-MNet::SSLeay", "-e", "1"],
                          capture_output=True).returncode == 0


@pytest.mark.skipif(not swaks_has_tls(),
                    reason="swaks --tls needs Net::SSLeay (libnet-ssleay-perl)")
def test_swaks_tls_received_header(make_instance):
    inst = tls_instance(make_instance)
    out = subprocess.run(
        ["swaks", "--server", "127.0.0.1", "--port", str(inst.port),
         "--tls", "--from", "sender@client.example", "--to",
         "rcpt@localhost", "--helo", "client.example",
         "--body", "over tls"], capture_output=True, timeout=60)
    assert out.returncode == 0, out.stdout.decode(errors="replace")[-3000:]
    ids = inst.queue_ids()
    assert len(ids) == 1
    msg = inst.read_queue(ids[0])
    received = msg.header_values("Received")[0].decode()
    assert "with ESMTPS" in received, received
    assert re.search(r"\(using TLSv1\.[23] with cipher \S+ \(\d+/\d+ bits\)\)",
                     received), received
    assert msg.attrs.get("protocol", "ESMTPS") in ("ESMTPS", b"ESMTPS")


def test_injected_command_discarded(make_instance):
    inst = tls_instance(make_instance)
    c = inst.raw()
    assert c.cmd("EHLO client.example").code == 250
    c.send(b"STARTTLS\r\nMAIL FROM:<evil@x>\r\n")
    # only the 220: nothing answers the MAIL in plaintext
    assert str(c.reply()) == "220 2.0.0 Ready to start TLS"
    assert c.buf == b""
    tls = client_context().wrap_socket(c.sock, server_hostname="mx.test.example")
    c.sock = tls
    r = c.cmd("EHLO client.example")
    assert r.code == 250 and "STARTTLS" not in str(r)
    # the injected MAIL was never run: no transaction exists
    assert c.cmd("RCPT TO:<rcpt@localhost>").code == 503
    assert c.cmd("QUIT").code == 221
    c.close()
    assert "evil@x" not in inst.maillog()


def test_session_reset_and_second_starttls(make_instance):
    inst = tls_instance(make_instance)
    c = starttls(inst.raw())
    # HELO/EHLO state is gone: MAIL before EHLO behaves as on a new session
    r = c.cmd("STARTTLS")
    assert str(r) == "554 5.5.1 Error: TLS already active"
    assert c.cmd("EHLO client.example").code == 250
    assert c.cmd("MAIL FROM:<a@client.example>").code == 250
    assert c.cmd("RCPT TO:<rcpt@localhost>").code == 250
    assert c.cmd("QUIT").code == 221
    c.close()


def test_starttls_with_argument(make_instance):
    inst = tls_instance(make_instance)
    c = inst.raw()
    assert c.cmd("EHLO client.example").code == 250
    assert str(c.cmd("STARTTLS now")).startswith("501 5.5.4")
    c.close()


def test_handshake_failure_disconnects(make_instance):
    inst = tls_instance(make_instance)
    c = inst.raw()
    assert c.cmd("STARTTLS").code == 220
    c.send(b"this is not a ClientHello\r\n" * 4)
    assert c.closed_by_server(10)
    assert inst.wait_log(r"SSL_accept error from localhost\[127\.0\.0\.1\]"), \
        inst.maillog()[-2000:]


def test_encrypt_requires_starttls(make_instance):
    inst = tls_instance(make_instance, level="encrypt")
    c = inst.raw()
    assert c.cmd("EHLO client.example").code == 250
    r = c.cmd("MAIL FROM:<a@client.example>")
    assert str(r) == "530 5.7.0 Must issue a STARTTLS command first"
    assert c.cmd("DATA").code == 530
    starttls(c)
    assert c.cmd("EHLO client.example").code == 250
    assert c.cmd("MAIL FROM:<a@client.example>").code == 250
    assert c.cmd("QUIT").code == 221
    c.close()


def test_no_starttls_without_level(make_instance):
    inst = make_instance()
    c = inst.raw()
    assert "STARTTLS" not in str(c.cmd("EHLO client.example"))
    assert c.cmd("STARTTLS").code == 502
    c.close()


def test_wrapper_mode(make_instance):
    port = si.free_port()
    inst = tls_instance(make_instance, wrapper_port=port)
    assert si.wait_until(lambda: si.port_listening(port), 10)
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    tls = client_context().wrap_socket(raw, server_hostname="mx.test.example")
    assert tls.version() in ("TLSv1.2", "TLSv1.3")
    f = tls.makefile("rb")
    assert f.readline().startswith(b"220 ")
    tls.sendall(b"EHLO client.example\r\n")
    lines = []
    while True:
        line = f.readline()
        lines.append(line)
        if line[3:4] != b"-":
            break
    assert not any(b"STARTTLS" in l for l in lines), lines
    tls.sendall(b"MAIL FROM:<a@client.example>\r\nRCPT TO:<rcpt@localhost>\r\n"
                b"DATA\r\n")
    assert f.readline().startswith(b"250")
    assert f.readline().startswith(b"250")
    assert f.readline().startswith(b"354")
    tls.sendall(b"Subject: wrapped\r\n\r\nhello\r\n.\r\nQUIT\r\n")
    assert si.queued_id(f.readline().decode())
    assert f.readline().startswith(b"221")
    tls.close()
    ids = inst.queue_ids()
    assert len(ids) == 1
    received = inst.read_queue(ids[0]).header_values("Received")[0].decode()
    assert "with ESMTPS" in received
