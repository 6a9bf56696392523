"""Certificates for the TLS tests, made at test time with the openssl CLI.

    from tls_certs import CertMaker
    certs = CertMaker(directory)
    ca = certs.ca("Test CA")                 # (cert path, key path)
    sub = certs.intermediate("Sub CA", ca)   # signed by ca
    cert, key = certs.leaf("right", ["mx.test", "a.test"], sub)
    cert, key = certs.self_signed("self", ["mx.test"])

Keys are P-256 (fast to make), certificates live two days, leaves carry
subjectAltName DNS names (the first is also the CommonName) and
serverAuth; a leaf of an intermediate CA is written with that CA's
certificate after it, as a server sends its chain.  Every file is world-readable, so that the unprivileged smtp
process of a root-run instance can read a CAfile made here; the keys are
test keys of throw-away peers.
"""

import os
import subprocess


class CertMaker:
    def __init__(self, directory):
        self.dir = directory
        self.issuers = {}       # intermediate cert -> its issuer's cert

    def _path(self, name):
        return os.path.join(self.dir, name)

    def _run(self, args):
        r = subprocess.run(["openssl"] + args, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise RuntimeError("openssl %s: %s" % (" ".join(args), r.stdout))

    def _readable(self, *paths):
        for p in paths:
            os.chmod(p, 0o644)

    def _key(self, name):
        key = self._path(name + ".key")
        self._run(["genpkey", "-algorithm", "EC", "-pkeyopt",
                   "ec_paramgen_curve:P-256", "-out", key])
        return key

    def ca(self, name):
        """A self-signed CA: (cert, key)."""
        key = self._key(name)
        cert = self._path(name + ".pem")
        self._run(["req", "-x509", "-new", "-key", key, "-out", cert,
                   "-days", "2", "-subj", "/CN=%s" % name,
                   "-addext", "basicConstraints=critical,CA:TRUE",
                   "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        self._readable(cert, key)
        return cert, key

    def intermediate(self, name, ca):
        """A CA certificate signed by ca: (cert, key)."""
        key = self._key(name)
        csr, cert = self._path(name + ".csr"), self._path(name + ".pem")
        ext = self._path(name + ".ext")
        with open(ext, "w") as f:
            f.write("basicConstraints=critical,CA:TRUE\n"
                    "keyUsage=critical,keyCertSign,cRLSign\n")
        self._run(["req", "-new", "-key", key, "-out", csr,
                   "-subj", "/CN=%s" % name])
        self._run(["x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1],
                   "-set_serial", "1", "-days", "2", "-out", cert,
                   "-extfile", ext])
        self._readable(cert, key)
        self.issuers[cert] = ca[0]
        return cert, key

    def _ext(self, name, names):
        ext = self._path(name + ".ext")
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\n"
                    "extendedKeyUsage=serverAuth\n"
                    "subjectAltName=%s\n"
                    % ",".join("DNS:" + n for n in names))
        return ext

    def leaf(self, name, names, ca):
        """A server certificate for names, signed by ca: (cert, key)."""
        key = self._key(name)
        csr, cert = self._path(name + ".csr"), self._path(name + ".pem")
        self._run(["req", "-new", "-key", key, "-out", csr,
                   "-subj", "/CN=%s" % names[0]])
        self._run(["x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1],
                   "-set_serial", str(abs(hash(name)) % 100000 + 2),
                   "-days", "2", "-out", cert,
                   "-extfile", self._ext(name, names)])
        if ca[0] in self.issuers:
            with open(ca[0]) as f:
                sub = f.read()
            with open(cert, "a") as f:
                f.write(sub)
        self._readable(cert, key)
        return cert, key

    def self_signed(self, name, names):
        """A self-signed server certificate for names: (cert, key)."""
        key = self._key(name)
        cert = self._path(name + ".pem")
        self._run(["req", "-x509", "-new", "-key", key, "-out", cert,
                   "-days", "2", "-subj", "/CN=%s" % names[0],
                   "-addext", "subjectAltName=%s"
                   % ",".join("DNS:" + n for n in names),
                   "-addext", "extendedKeyUsage=serverAuth"])
        self._readable(cert, key)
        return cert, key
