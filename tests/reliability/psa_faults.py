"""Where each PSA's sandbox serves what the reliability tests break, and which failures they inject there.

The reliability suites assert what a user (or an API client) notices, the same on both PSAs; only the place
a fault is injected and the failures that PSA can produce differ. ``where(kind, op)`` is ``(method, path
regex)`` of the call ``op`` makes in that PSA's sandbox (the regex is searched in the sandbox's logged path:
after ``/v4_6_release/apis/3.0`` for ConnectWise, after ``/ATServicesRest`` for Autotask), or None when the
PSA's provider makes no call for it (``PSANotSupportedError``, the API's 501; or an answer it knows without one).
"""

from __future__ import annotations

import base64

NAMES = {"connectwise": "ConnectWise", "autotask": "Autotask"}

_AT_TICKETS = r"^/V1\.0/Tickets"
_AT_PICKLISTS = (r"GET", r"^/V1\.0/Tickets/entityInformation/fields$")

PATHS: dict[str, dict[str, tuple[str, str | None] | None]] = {
    "connectwise": {
        "tickets": ("GET", r"^/service/tickets$"),
        "tickets and counts": ("GET", r"^/service/tickets(/count)?$"),
        "any read": ("GET", None),
        "version": ("GET", r"^/system/info$"),
        "add note": ("POST", r"^/service/tickets/\d+/notes$"),
        "ticket": ("GET", r"^/service/tickets/\d+$"),
        "create": ("POST", r"^/service/tickets$"),
        "update": ("PATCH", r"^/service/tickets/\d+$"),
        "resources": ("GET", r"^/schedule/entries$"),
        "add resource": ("POST", r"^/schedule/entries$"),
        "remove resource": ("DELETE", r"^/schedule/entries/\d+$"),
        "boards": ("GET", r"^/service/boards$"),
        "statuses": ("GET", r"^/service/boards/\d+/statuses$"),
        "priorities": ("GET", r"^/service/priorities$"),
        "members": ("GET", r"^/system/members$"),
        "companies": ("GET", r"^/company/companies$"),
        "notes": ("GET", r"^/service/tickets/\d+/notes$"),
        "time entries": ("GET", r"^/time/entries$"),
        "log time": ("POST", r"^/time/entries$"),
        "work types": ("GET", r"^/time/workTypes$"),
        "work roles": ("GET", r"^/time/workRoles$"),
        "edit": ("PATCH", r"^/service/tickets/\d+$"),
        "board types": ("GET", r"^/service/boards/\d+/types$"),
        "board subtypes": ("GET", r"^/service/boards/\d+/subtypes$"),
        "board items": ("GET", r"^/service/boards/\d+/items$"),
    },
    "autotask": {
        # The page fetch (the bucket counts before it are /query/count, and succeed).
        "tickets": ("GET", _AT_TICKETS + r"/query$"),
        "tickets and counts": ("GET", _AT_TICKETS + r"/query(/count)?$"),
        "any read": ("GET", None),
        "version": ("GET", r"^/V1\.0/Version$"),
        "add note": ("POST", _AT_TICKETS + r"/\d+/Notes$"),
        "ticket": ("GET", _AT_TICKETS + r"/\d+$"),
        "create": ("POST", _AT_TICKETS + r"$"),
        "update": ("PATCH", _AT_TICKETS + r"$"),  # PATCH /Tickets with the id in the body
        "resources": ("GET", r"^/V1\.0/TicketSecondaryResources/query$"),
        "add resource": ("POST", _AT_TICKETS + r"/\d+/SecondaryResources$"),
        # The tests' ticket has a primary and no secondaries: removing the primary is a PATCH of the ticket.
        "remove resource": ("PATCH", _AT_TICKETS + r"$"),
        # Queues, statuses and priorities are picklists of one call.
        "boards": _AT_PICKLISTS,
        "statuses": _AT_PICKLISTS,
        "priorities": _AT_PICKLISTS,
        "members": ("GET", r"^/V1\.0/Resources/query$"),
        "companies": ("GET", r"^/V1\.0/Companies/query$"),
        "notes": ("GET", r"^/V1\.0/TicketNotes/query$"),
        # Time entries are not in the Autotask reference: AutotaskProvider raises PSANotSupportedError (501).
        "time entries": None,
        "log time": None,
        "work types": None,
        "work roles": None,
        "edit": ("PATCH", _AT_TICKETS + r"$"),
        "board types": _AT_PICKLISTS,  # the issueType picklist
        "board subtypes": _AT_PICKLISTS,  # the subIssueType picklist
        "board items": None,  # no third level under issue type / sub-issue type: [] without a call
    },
}

# Each PSA's failures, as the sandbox's fault kind -> the API's status. ConnectWise's are HTTP statuses and
# broken answers; Autotask's add what it says in an HTTP 500 body (a validation or permission text) and its
# two limits, and leave out 409, which Autotask's API does not answer.
OUTCOMES: dict[str, dict[str, int]] = {
    "connectwise": {
        "400": 422,  # validation, with field errors when ConnectWise names fields
        "401": 502,  # our stored PSA credentials failed: not the caller's 401
        "403": 403,  # the PSA's API member lacks a security role: retrying cannot help
        "404": 404,
        "409": 409,
        "429": 429,  # with Retry-After
        "500": 502,
        "503": 503,
        "refused": 503,
        "timeout": 504,
        "malformed": 503,  # no usable answer: like unavailable
        "truncated": 503,
    },
    "autotask": {
        "validation": 422,  # HTTP 500 {"errors": ["Value does not reference an existing entity for priority . "]}
        "401": 502,
        "403": 403,
        "permission": 403,  # HTTP 500 "...does not have the adequate permissions..."
        "404": 404,
        "429": 429,
        "thread": 429,  # Itgenatr005: 3 requests at a time per integration code and endpoint
        "hourly": 429,  # 10,000 requests an hour per database
        "500": 502,  # an HTML 500: an outage, not a validation answer
        "503": 503,
        "refused": 503,
        "timeout": 504,
        "malformed": 503,
        "truncated": 503,
    },
}
# Faults the client retries on a read (a 429 only when its Retry-After is at most 5 s).
RETRIED_ON_READ = {"500", "503", "refused", "timeout", "thread"}
# Faults after which the PSA has done the work (the answer broke on the way back).
PROCESSED = {"malformed", "truncated"}


def where(kind: str, op: str) -> tuple[str, str | None] | None:
    return PATHS[kind][op]


def secrets(kind: str) -> list[str]:
    """The sandbox credentials of ``kind`` that must never appear in a response body or a log line."""
    if kind == "autotask":
        from psa.autotask_sandbox import API_INTEGRATION_CODE, API_SECRET

        return [API_SECRET, API_INTEGRATION_CODE]
    return ["sandbox-private", base64.b64encode(b"sandbox+sandbox-public:sandbox-private").decode()]
