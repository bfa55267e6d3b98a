"""Throwaway certificates for the TLS tests, made with the openssl command line as an operator would make them."""
import subprocess
from dataclasses import dataclass
from pathlib import Path


def openssl(*args, stdin=None):
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True, check=True, timeout=30).stdout


@dataclass
class Certificate:
    cert: Path
    key: Path

    @property
    def pair(self):
        return (self.cert, self.key)

    def read(self, *what):
        return openssl("x509", "-in", str(self.cert), "-noout", *what).decode().strip()

    @property
    def serial(self):
        return self.read("-serial").split("=", 1)[1]

    @property
    def sha256(self):
        """As `openssl x509 -fingerprint -sha256` prints it: colon-separated upper-case hex."""
        return self.read("-fingerprint", "-sha256").split("=", 1)[1]

    @property
    def subject(self):
        """As RFC 4514 writes it, the form `client_cert_subjects` takes."""
        return self.read("-subject", "-nameopt", "RFC2253").split("=", 1)[1]


class PKI:
    """A private CA with the server and client certificates it signs, and certificates it does not."""

    def __init__(self, directory):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ca = self._make("ca", "/CN=coregate test CA", extensions=None)

    def _key_and_request(self, name, subject):
        key = self.dir / f"{name}.key"
        request = openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                          "-keyout", str(key), "-subj", subject)
        return key, request

    def _make(self, name, subject, extensions, serial=None, signed=True):
        cert = self.dir / f"{name}.pem"
        if extensions is None:  # the CA itself
            key = self.dir / f"{name}.key"
            openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                    "-keyout", str(key), "-out", str(cert), "-subj", subject,
                    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
            return Certificate(cert, key)
        key, request = self._key_and_request(name, subject)
        extfile = self.dir / f"{name}.ext"
        extfile.write_text("\n".join(extensions) + "\n")
        signer = ["-CA", str(self.ca.cert), "-CAkey", str(self.ca.key)] if signed else ["-signkey", str(key)]
        openssl("x509", "-req", "-days", "2", "-set_serial", str(serial or 1), *signer, "-extfile", str(extfile),
                "-out", str(cert), stdin=request)
        return Certificate(cert, key)

    def server(self, name, serial):
        return self._make(name, "/CN=localhost", serial=serial, extensions=[
            "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1", "extendedKeyUsage=serverAuth"])

    def client(self, name, subject, serial, signed=True):
        """A client certificate; `signed=False` makes it self-signed, so the CA never vouched for it."""
        return self._make(name, subject, serial=serial, signed=signed, extensions=["extendedKeyUsage=clientAuth"])
