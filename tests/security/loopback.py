"""Test doubles for the site-policy tests: a fake resolver and real servers on loopback addresses.

* ``FakeDNS`` replaces ``socket.getaddrinfo`` (the one patch point): names answer from a table, one
  answer per lookup (the last one repeats), so a test can make DNS change between two lookups. Numeric
  hosts pass through as the real resolver does (``socket.create_connection`` looks them up too).
* ``LoopbackServer`` is a real HTTP(S) server on 127.0.0.x that counts the TCP connections it accepts
  and records each request's ``Host`` header and TLS SNI: "nothing reached it" is a fact, not a guess.
* ``self_signed`` makes a certificate for a name (fixed validity dates: no clock is read).
"""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PUBLIC_V4 = "93.184.216.34"  # a globally routed address; tests never connect to it (the network guard refuses)
PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946"


class FakeDNS:
    def __init__(self):
        self.table: dict[str, list[list[str]]] = {}
        self.lookups: list[str] = []

    def answer(self, host: str, *answers) -> None:
        """``host`` resolves to ``answers[0]`` first, then ``answers[1]``, ...; each an address or a list."""
        self.table[host] = [list(a) if isinstance(a, list | tuple) else [a] for a in answers]

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        host = host.decode() if isinstance(host, bytes) else host
        port = int(port or 0)
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            self.lookups.append(host)
            answers = self.table.get(host)
            if not answers:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
            addresses = answers.pop(0) if len(answers) > 1 else answers[0]
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, port, 0, 0)) if ":" in a
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]


@pytest.fixture
def dns(monkeypatch):
    fake = FakeDNS()
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake


@pytest.fixture
def connect_attempts(monkeypatch):
    """Every ``(address, port)`` a socket tries to connect to (the network guard still decides)."""
    attempts: list[tuple[str, int]] = []
    guarded = socket.socket.connect

    def recording_connect(sock, address):
        attempts.append(tuple(address[:2]))
        return guarded(sock, address)

    monkeypatch.setattr(socket.socket, "connect", recording_connect)
    return attempts


class LoopbackServer:
    """An HTTP server on ``address`` answering every request with ``status`` and ``body`` (+ ``headers``)."""

    def __init__(self, address: str = "127.0.0.1", port: int = 0, *, status: int = 200, body=None, headers=None,
                 tls: ssl.SSLContext | None = None):
        self.connections = 0
        self.requests: list[dict] = []
        self.sni: list[str | None] = []
        if tls is not None:
            tls.sni_callback = lambda _sock, name, _ctx: self.sni.append(name)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                server.requests.append({"method": self.command, "path": self.path, "host": self.headers["Host"]})
                payload = json.dumps({} if body is None else body).encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_DELETE = _answer

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self):
                sock, client = self.socket.accept()
                server.connections += 1
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # headers and body: no Nagle wait
                if tls is not None:
                    sock = tls.wrap_socket(sock, server_side=True)
                return sock, client

        self._server = Server((address, port), Handler)
        self.address = address
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self):
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def loopback_server():
    servers: list[LoopbackServer] = []

    def start(**kwargs) -> LoopbackServer:
        servers.append(LoopbackServer(**kwargs))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def self_signed(name: str, tmp_path) -> tuple[str, str]:
    """(certificate file, key file) of a self-signed certificate for DNS name ``name``."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2099, 1, 1, tzinfo=UTC))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / f"{name}.crt", tmp_path / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)
