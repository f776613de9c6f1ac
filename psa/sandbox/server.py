"""Serve a sandbox (ConnectWise's or Autotask's WSGI app) over HTTP: a threaded ``wsgiref`` server with the faults
that need a socket. A ``refused`` fault resets the connection and a ``timeout`` hangs and then drops it: the app
raises :class:`~psa.sandbox.faults.DropConnection` and the request handler answers nothing."""

from __future__ import annotations

import socket
import struct
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer, make_server

from .faults import DropConnection


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class _Handler(ServerHandler):
    dropped = False

    def handle_error(self):
        if isinstance(sys.exc_info()[1], DropConnection):
            self.dropped = True  # answer nothing; the request handler resets the connection
            return
        super().handle_error()


class _RequestHandler(WSGIRequestHandler):
    quiet = False

    def handle(self):
        # wsgiref's handle(), with a handler that can drop the connection (fault "refused"/"timeout").
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.requestline = self.request_version = self.command = ""
            self.send_error(414)
            return
        if not self.parse_request():
            return
        handler = _Handler(self.rfile, self.wfile, self.get_stderr(), self.get_environ(), multithread=True)
        handler.request_handler = self
        handler.run(self.server.get_app())
        if handler.dropped:
            self.close_connection = True
            try:  # RST instead of FIN: the client sees "connection reset"
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass

    def log_message(self, format, *args):
        if not self.quiet:
            super().log_message(format, *args)


def make_sandbox_server(sandbox, host: str = "127.0.0.1", port: int = 0, *, quiet: bool = False):
    """A threaded HTTP server for ``sandbox`` (call ``serve_forever()``); ``port`` 0 picks a free one. The
    sandbox is put in server mode (its transport faults drop the socket instead of raising httpx errors)."""
    sandbox.serving = True
    _RequestHandler.quiet = quiet
    return make_server(host, port, sandbox, server_class=_ThreadingWSGIServer, handler_class=_RequestHandler)
