"""ConnectWise-compatible sandbox: a plain WSGI app serving a subset of ConnectWise's REST API.

    from psa.sandbox import CWSandbox, default_sandbox
    sb = CWSandbox(seed=7)            # WSGI app; use with httpx.WSGITransport(app=sb)
    sb.remember_in("cw-sandbox.json")  # opt-in: state kept across restarts (the demo does this; tests do not)
    CWSandbox(scale="large")          # an MSP of 5,000 companies and 200,000 tickets (scale.py, store.py)

No Django imports in this package (only the ``cw_sandbox`` management command uses Django).
"""

from .app import API_PREFIX, FAULT_KINDS, CWSandbox, DropConnection, LoggedRequest, default_sandbox
from .conditions import QueryError, parse_conditions
from .scale import SCALE_NAMES, Scale

__all__ = ["API_PREFIX", "FAULT_KINDS", "SCALE_NAMES", "CWSandbox", "DropConnection", "LoggedRequest", "QueryError",
           "Scale", "default_sandbox", "parse_conditions"]
