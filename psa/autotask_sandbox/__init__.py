"""Autotask-compatible sandbox: a plain WSGI app serving the Autotask REST API subset the product uses.

    from psa.autotask_sandbox import ATSandbox, default_at_sandbox
    sb = ATSandbox(seed=7)   # WSGI app; use with httpx.WSGITransport(app=sb)

Beside ``psa.sandbox`` (ConnectWise), not inside it, so neither package's changes can break the other.
No Django imports in this package (only the ``at_sandbox`` management command uses Django).
"""

from .app import API_ROOT, FAULT_KINDS, ATSandbox, DropConnection, LoggedRequest, default_at_sandbox
from .filters import QueryError
from .seed import API_INTEGRATION_CODE, API_RESOURCE_ID, API_SECRET, API_USERNAME

__all__ = ["API_INTEGRATION_CODE", "API_RESOURCE_ID", "API_ROOT", "API_SECRET", "API_USERNAME", "ATSandbox",
           "DropConnection", "FAULT_KINDS", "LoggedRequest", "QueryError", "default_at_sandbox"]
