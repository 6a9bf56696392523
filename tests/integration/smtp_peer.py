"""A small scriptable SMTP/LMTP server for testing the smtp client.

It listens on a free loopback port in a thread, speaks just enough of
RFC 5321 / RFC 2033, and records what it got: every received segment (to
tell whether the client pipelined), each transaction's MAIL and RCPT
lines and the DATA/BDAT bytes exactly as they came over the wire.
Answers can be set per command ("MAIL", "RCPT", "DATA", "DOT") or per
recipient address (rcpt_replies, and lmtp_replies for the per-recipient
replies after the final dot in LMTP mode).
"""

import socket
import threading

import sluice_instance as si


class Transaction:
    def __init__(self, mail):
        self.mail = mail            # the MAIL FROM line (str, no CRLF)
        self.rcpts = []             # accepted RCPT lines
        self.refused = []           # refused RCPT lines
        self.data = None            # raw DATA bytes up to and with ".\r\n"
        self.bdat = None            # BDAT payload, concatenated
        self.bdat_commands = []


class Peer:
    def __init__(self, features=("PIPELINING", "SIZE 10000000", "8BITMIME",
                                 "DSN", "ENHANCEDSTATUSCODES"),
                 lmtp=False, answers=None, rcpt_replies=None,
                 lmtp_replies=None, port=None, tls_context=None,
                 starttls_break=False, address="127.0.0.1",
                 hangup_after_data=False):
        self.features = list(features)
        self.lmtp = lmtp
        self.answers = dict(answers or {})
        self.rcpt_replies = dict(rcpt_replies or {})
        self.lmtp_replies = dict(lmtp_replies or {})
        self.port = port or si.free_port()
        # STARTTLS: an ssl.SSLContext (server side); starttls_break answers
        # 220 and hangs up instead of the handshake
        self.tls_context = tls_context
        self.starttls_break = starttls_break
        # hangup_after_data: close without a word after each message, as a
        # server that timed the idle session out would
        self.hangup_after_data = hangup_after_data
        if tls_context is not None or starttls_break:
            self.features.append("STARTTLS")
        self.tls_sessions = 0
        self.auth = []              # decoded AUTH credentials
        self.segments = []          # every recv() chunk, per connection
        self.transactions = []
        self.commands = []          # command lines in order
        self.connections = 0
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((address, self.port))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.stopping = False
        self.threads = []
        self.acceptor = threading.Thread(target=self._accept, daemon=True)
        self.acceptor.start()

    def stop(self):
        self.stopping = True
        self.acceptor.join(5)
        self.sock.close()
        for t in self.threads:
            t.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.connections += 1
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self.threads.append(t)
            t.start()

    def _answer(self, cmd, default):
        return self.answers.get(cmd, default)

    def _serve(self, sock):
        box = [sock]
        features = list(self.features)
        sock.settimeout(0.5)
        buf = bytearray()
        idle = 0

        def send(text):
            # surrogateescape: "\udcff" in an answer goes out as byte 0xff
            box[0].sendall(text.encode("utf-8", "surrogateescape") + b"\r\n")

        def fill():
            nonlocal idle
            while not self.stopping:
                try:
                    chunk = box[0].recv(65536)
                except socket.timeout:
                    idle += 1
                    if idle > 60:
                        return False
                    continue
                except OSError:
                    return False
                if not chunk:
                    return False
                idle = 0
                with self.lock:
                    self.segments.append(bytes(chunk))
                buf.extend(chunk)
                return True
            return False

        def line():
            while b"\n" not in buf:
                if not fill():
                    return None
            i = buf.index(b"\n") + 1
            out = bytes(buf[:i])
            del buf[:i]
            return out

        def exact(n):
            while len(buf) < n:
                if not fill():
                    return None
            out = bytes(buf[:n])
            del buf[:n]
            return out

        txn = None
        try:
            send("220 peer.test ESMTP test peer")
            while True:
                raw = line()
                if raw is None:
                    return
                text = raw.decode("utf-8", "replace").rstrip("\r\n")
                verb = text.split(" ", 1)[0].upper()
                with self.lock:
                    self.commands.append(text)
                if verb in ("EHLO", "LHLO"):
                    code = self._answer("EHLO", None)
                    if code:
                        send(code)
                        continue
                    lines = ["peer.test"] + features
                    for i, f in enumerate(lines):
                        send("250%s%s" % ("-" if i < len(lines) - 1 else " ", f))
                elif verb == "HELO":
                    send("250 peer.test")
                elif verb == "MAIL":
                    reply = self._answer("MAIL", "250 2.1.0 Ok")
                    if reply.startswith("2"):
                        txn = Transaction(text)
                        with self.lock:
                            self.transactions.append(txn)
                    send(reply)
                elif verb == "RCPT":
                    addr = text.split("<", 1)[1].split(">", 1)[0] \
                        if "<" in text else ""
                    reply = self.rcpt_replies.get(
                        addr, self._answer("RCPT", "250 2.1.5 Ok"))
                    if txn is None:
                        send("503 5.5.1 Error: need MAIL command")
                    elif reply.startswith("2"):
                        txn.rcpts.append(text)
                        send(reply)
                    else:
                        txn.refused.append(text)
                        send(reply)
                elif verb == "DATA":
                    if txn is None or not txn.rcpts:
                        send("554 5.5.1 Error: no valid recipients")
                        continue
                    reply = self._answer("DATA", "354 End data with <CR><LF>.<CR><LF>")
                    send(reply)
                    if not reply.startswith("354"):
                        continue
                    data = bytearray()
                    while True:
                        l = line()
                        if l is None:
                            return
                        data.extend(l)
                        if l == b".\r\n":
                            break
                    txn.data = bytes(data)
                    self._finish(txn, send)
                    txn = None
                    if self.hangup_after_data:
                        return
                elif verb == "BDAT":
                    parts = text.split()
                    size = int(parts[1])
                    last = len(parts) > 2 and parts[2].upper() == "LAST"
                    chunk = exact(size)
                    if chunk is None:
                        return
                    if txn is None:
                        send("503 5.5.1 no transaction")
                        continue
                    txn.bdat = (txn.bdat or b"") + chunk
                    txn.bdat_commands.append(text)
                    if last:
                        self._finish(txn, send)
                        txn = None
                    else:
                        send("250 2.0.0 %d octets received" % size)
                elif verb == "STARTTLS" and "STARTTLS" in features:
                    send("220 2.0.0 Ready to start TLS")
                    if self.starttls_break:
                        return
                    del buf[:]
                    box[0] = self.tls_context.wrap_socket(box[0],
                                                          server_side=True)
                    with self.lock:
                        self.tls_sessions += 1
                    features.remove("STARTTLS")
                elif verb == "AUTH":
                    import base64
                    parts = text.split()
                    if len(parts) == 3 and parts[1].upper() == "PLAIN":
                        raw = base64.b64decode(parts[2])
                        with self.lock:
                            self.auth.append(raw.split(b"\0"))
                    send(self._answer("AUTH", "235 2.7.0 Authentication "
                                      "successful"))
                elif verb == "RSET":
                    txn = None
                    send("250 2.0.0 Ok")
                elif verb == "NOOP":
                    send("250 2.0.0 Ok")
                elif verb == "QUIT":
                    send("221 2.0.0 Bye")
                    return
                else:
                    send("502 5.5.2 Error: command not recognized")
        except OSError:
            return
        finally:
            box[0].close()

    def _finish(self, txn, send):
        if self.lmtp:
            for r in txn.rcpts:
                addr = r.split("<", 1)[1].split(">", 1)[0]
                send(self.lmtp_replies.get(addr, "250 2.0.0 <%s> delivered"
                                           % addr))
        else:
            send(self._answer("DOT", "250 2.0.0 Ok: queued as PEER%d"
                              % len(self.transactions)))
