"""What ResolutionFlow's ConnectWise API member must be allowed to do, feature by feature.

``REQUIREMENTS`` is the table of the README section "Use with your real ConnectWise": one row per
product feature and security-role permission, with the provider methods behind the feature and the
ConnectWise calls they send (method and path below ``/v4_6_release/apis/3.0``, ids written ``{id}``).

It is checked, not just written down (``tests/psa/test_connectwise_permissions.py``): every provider
method is driven against the sandbox, and every call it sends must be in a row that names the method;
every call in a row must be sent by one of the row's methods; and the README's table must say the same.

Where a module name comes from (``basis``): ConnectWise publishes its security matrix only behind
its developer login, and this project's API reference (``psa/sandbox/connectwise-openapi.json`` and the
notes it came with) lists endpoints, not security modules. So:

* ``GUIDES``: the module and action are named for this kind of call by published integration guides
  (N-able N-central, Commvault, CyberFox AutoElevate), which agree with each other.
* ``ASSUMED``: no source we could read ties this call to a module; the row names the module of the
  record the call touches. Check it against your ConnectWise if a feature answers 403.
* ``UNKNOWN``: no source we could read names a module for this call at all.
* ``NO_LOGIN``: the call is sent without credentials and needs no permission.
"""

from __future__ import annotations

from dataclasses import dataclass

GUIDES = "guides"
ASSUMED = "assumed"
UNKNOWN = "unknown"
NO_LOGIN = "no login"
BASES = (GUIDES, ASSUMED, UNKNOWN, NO_LOGIN)

TICKETS_INQUIRE = "Service Desk > Service Tickets: Inquire"
TICKETS_ADD = "Service Desk > Service Tickets: Add"
TICKETS_EDIT = "Service Desk > Service Tickets: Edit"
CLOSE_TICKETS_EDIT = "Service Desk > Close Service Tickets: Edit"
SCHEDULING_INQUIRE = "Service Desk > Resource Scheduling: Inquire"
SCHEDULING_ADD = "Service Desk > Resource Scheduling: Add"
SCHEDULING_DELETE = "Service Desk > Resource Scheduling: Delete"
TABLE_SETUP_INQUIRE = "System > Table Setup: Inquire"
MEMBERS_INQUIRE = "System > Member Maintenance: Inquire"
COMPANIES_INQUIRE = "Companies > Company Maintenance: Inquire"
CONFIGURATIONS_INQUIRE = "Companies > Configurations: Inquire"
CONTACTS_INQUIRE = "Companies > Contacts: Inquire"
TIME_ENTRY_INQUIRE = "Time & Expense > Time Entry: Inquire"
TIME_ENTRY_ADD = "Time & Expense > Time Entry: Add"
TIME_ENTRY_BILLABLE_ADD = "Time & Expense > Time Entry Billable Option: Add"
NO_MODULE_NAMED = "not documented"
NO_PERMISSION = "none (sent without credentials)"


@dataclass(frozen=True)
class Requirement:
    feature: str  # what a user does in ResolutionFlow
    operations: tuple[str, ...]  # the PSAProvider methods behind it
    calls: tuple[str, ...]  # "METHOD /path/{id}", as the provider sends them
    permission: str  # "Module > Action: Level"
    basis: str  # one of BASES (see the module docstring)


REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement("Ticket list, search and My Queue", ("search_tickets",),
                ("GET /service/tickets", "GET /service/tickets/count"), TICKETS_INQUIRE, GUIDES),
    Requirement("Ticket drawer: details and related tickets", ("get_ticket", "list_related_tickets"),
                ("GET /service/tickets/{id}", "GET /service/tickets"), TICKETS_INQUIRE, GUIDES),
    Requirement("Ticket drawer: read notes", ("list_notes",),
                ("GET /service/tickets/{id}/notes",), TICKETS_INQUIRE, ASSUMED),
    Requirement("Ticket drawer: add a note", ("add_note",),
                ("POST /service/tickets/{id}/notes",), TICKETS_EDIT, ASSUMED),
    Requirement("Ticket drawer: configurations", ("list_configuration_refs", "list_configurations"),
                ("GET /service/tickets/{id}/configurations",), TICKETS_INQUIRE, ASSUMED),
    Requirement("Ticket drawer: configuration details", ("get_configurations", "list_configurations"),
                ("GET /company/configurations/{id}",), CONFIGURATIONS_INQUIRE, GUIDES),
    Requirement("Change a ticket's status", ("update_status",),
                ("GET /service/tickets/{id}",), TICKETS_INQUIRE, GUIDES),
    Requirement("Change a ticket's status", ("update_status",),
                ("PATCH /service/tickets/{id}",), TICKETS_EDIT, GUIDES),
    Requirement("Change a ticket's status to a closed one (Resolved, Closed)", ("update_status",),
                ("PATCH /service/tickets/{id}",), CLOSE_TICKETS_EDIT, GUIDES),
    Requirement("New ticket", ("create_ticket",),
                ("POST /service/tickets",), TICKETS_ADD, GUIDES),
    Requirement("New ticket with an assignee; assign a member", ("create_ticket", "add_resource"),
                ("POST /schedule/entries",), SCHEDULING_ADD, GUIDES),
    Requirement("New ticket with an assignee; assign a member", ("create_ticket", "add_resource"),
                ("GET /schedule/types",), TABLE_SETUP_INQUIRE, ASSUMED),
    Requirement("Retry of a create whose answer was lost (Idempotency-Key)", ("find_ticket_by_external_ref",),
                ("GET /service/tickets",), TICKETS_INQUIRE, GUIDES),
    Requirement("Assignees: list, assign, unassign", ("list_resources", "add_resource", "remove_resource"),
                ("GET /schedule/entries",), SCHEDULING_INQUIRE, GUIDES),
    Requirement("Unassign a member", ("remove_resource",),
                ("DELETE /schedule/entries/{id}",), SCHEDULING_DELETE, GUIDES),
    Requirement("Boards and statuses (filters, New ticket, status menu)", ("list_boards", "get_ticket_statuses"),
                ("GET /service/boards", "GET /service/boards/{id}/statuses"), TABLE_SETUP_INQUIRE, GUIDES),
    Requirement("Priorities (filters, New ticket)", ("list_priorities",),
                ("GET /service/priorities",), TABLE_SETUP_INQUIRE, ASSUMED),
    Requirement("Members (member mappings, assignee picker, Assigned filter)", ("list_members",),
                ("GET /system/members",), MEMBERS_INQUIRE, GUIDES),
    Requirement("Companies (filters, New ticket, AI parse, company picker)",
                ("search_companies", "get_company", "list_companies"),
                ("GET /company/companies",), COMPANIES_INQUIRE, GUIDES),
    Requirement("Contact picker (New ticket)", ("search_contacts",),
                ("GET /company/contacts",), CONTACTS_INQUIRE, ASSUMED),
    Requirement("Configuration picker", ("search_configurations",),
                ("GET /company/configurations",), CONFIGURATIONS_INQUIRE, GUIDES),
    Requirement("Ticket drawer: time entries", ("list_time_entries",),
                ("GET /time/entries",), TIME_ENTRY_INQUIRE, GUIDES),
    Requirement("Log time", ("add_time_entry",),
                ("POST /time/entries",), TIME_ENTRY_ADD, GUIDES),
    Requirement("Log time with a chosen billable option", ("add_time_entry",),
                ("POST /time/entries",), TIME_ENTRY_BILLABLE_ADD, GUIDES),
    Requirement("Work types and work roles (Log time)", ("list_work_types", "list_work_roles"),
                ("GET /time/workTypes", "GET /time/workRoles"), TABLE_SETUP_INQUIRE, ASSUMED),
    Requirement("Edit a ticket (summary, priority, type, required date, board)", ("update_ticket",),
                ("GET /service/tickets/{id}",), TICKETS_INQUIRE, GUIDES),
    Requirement("Edit a ticket (summary, priority, type, required date, board)", ("update_ticket",),
                ("PATCH /service/tickets/{id}",), TICKETS_EDIT, GUIDES),
    Requirement("Move a ticket to another board in a closed status", ("update_ticket",),
                ("PATCH /service/tickets/{id}",), CLOSE_TICKETS_EDIT, GUIDES),
    Requirement("Ticket types, subtypes and items (edit a ticket)",
                ("list_board_types", "list_board_subtypes", "list_board_items"),
                ("GET /service/boards/{id}/types", "GET /service/boards/{id}/subtypes", "GET /service/boards/{id}/items"),
                TABLE_SETUP_INQUIRE, GUIDES),
    Requirement("Saved views: open-ticket counts", ("count_tickets",),
                ("GET /service/tickets/count",), TICKETS_INQUIRE, GUIDES),
    Requirement("Live updates: what changed in the queue", ("changed_tickets",),
                ("GET /service/tickets", "GET /service/tickets/count"), TICKETS_INQUIRE, GUIDES),
    Requirement("Live updates: has the open ticket changed", ("ticket_stamp",),
                ("GET /service/tickets/{id}",), TICKETS_INQUIRE, GUIDES),
    Requirement("Test connection", ("system_info",),
                ("GET /system/info",), NO_MODULE_NAMED, UNKNOWN),
    Requirement("Test connection, after a 401: is the company id known?", ("system_info",),
                ("GET /login/companyinfo/{companyId}",), NO_PERMISSION, NO_LOGIN),
)

LEVELS = ("Add", "Edit", "Delete", "Inquire")  # the order of ConnectWise's security-module columns


def role() -> dict[str, list[str]]:
    """The whole security role, one entry per "Module > Action": its levels in ConnectWise's column order."""
    levels: dict[str, set[str]] = {}
    for row in REQUIREMENTS:
        if row.basis in (GUIDES, ASSUMED):
            action, level = row.permission.rsplit(": ", 1)
            levels.setdefault(action, set()).add(level)
    return {action: [level for level in LEVELS if level in found] for action, found in sorted(levels.items())}
