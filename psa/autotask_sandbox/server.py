"""Serve an ``ATSandbox`` over HTTP: the ConnectWise sandbox's threaded server (``psa.sandbox.server``), whose
``refused`` fault resets the connection and ``timeout`` hangs and then drops it. Used by ``manage.py at_sandbox``."""

from __future__ import annotations

from psa.sandbox.server import make_sandbox_server as _make_server

from .app import ATSandbox


def make_sandbox_server(sandbox: ATSandbox, host: str = "127.0.0.1", port: int = 8766, *, quiet: bool = False):
    """A threaded HTTP server for ``sandbox`` (call ``serve_forever()``); ``port`` 0 picks a free one."""
    return _make_server(sandbox, host, port, quiet=quiet)
