"""One ticket: the drawer's sections, its status, notes and assignees (resources).

``get_ticket_panel`` fetches detail, notes, configuration references and related tickets in one
parallel round; each section carries its value or the PSA error that stopped it, so one failing
call never blanks the drawer. Assignees are enriched with ``is_rf_user`` from the member mappings.

Related tickets: the same company's open tickets and the ConnectWise parent/children, plus the tickets
named by the ticket's spin-off back-link notes (``tickets.service.backlinks``): the original a spin-off came
from, and the spin-offs of an original, first and labelled (``RelatedTicket.relation``). They are read
from the notes the panel already fetches, so they cost no PSA call.
"""

from __future__ import annotations

from dataclasses import dataclass

from psa import concurrency
from psa.providers.base import PSAError
from psa.schemas import (
    NoteKind,
    PSAConfiguration,
    PSANote,
    PSAResource,
    PSATicketDetail,
    PSATicketSearchResult,
    PSATicketStatusUpdate,
)
from psa.tenancy import Tenant
from tickets.service.backlinks import relations_in_notes

MAX_CONFIGURATION_IDS = 50  # configurations attached to one ticket; more is not a drawer request


@dataclass
class Section:
    """One drawer section: a value, or the PSA error that stopped it."""

    value: object = None
    error: PSAError | None = None


class RelatedTicket(PSATicketSearchResult):
    """A row of the drawer's Related list; ``relation`` names a spin-off link ("Spun off from", "Spin-off")."""

    relation: str | None = None


@dataclass
class TicketPanel:
    detail: Section
    notes: Section
    configurations: Section
    related: Section


def _section(call, *args) -> Section:
    try:
        return Section(value=call(*args))
    except PSAError as exc:
        return Section(error=exc)


def fill_member_names(tenant: Tenant, records: list, *, id_field: str, name_field: str, identifier_field: str) -> None:
    """Puts the member's name on each record whose PSA reference lacked it (the name is empty or just the
    identifier), from the account's member directory (cached reference data; read only when a name is
    missing). A member the directory does not have (inactive) keeps the identifier; a directory that
    cannot be read changes nothing."""
    missing = [r for r in records if not getattr(r, name_field) or getattr(r, name_field) == getattr(r, identifier_field)]
    if not missing:
        return
    try:
        members = tenant.reference("members").members
    except PSAError:
        return
    by_id = {m.id: m for m in members}
    by_identifier = {m.identifier.lower(): m for m in members if m.identifier}
    for record in missing:
        identifier = getattr(record, identifier_field)
        member = by_id.get(getattr(record, id_field)) or by_identifier.get((identifier or "").lower())
        if member is not None and member.name:
            setattr(record, name_field, member.name)


def enrich_resources(tenant: Tenant, resources: list[PSAResource]) -> list[PSAResource]:
    """Marks the assignees who are ResolutionFlow users (``is_rf_user``) and names each by the member's
    name (from the member directory when the PSA's reference gave only the identifier)."""
    mapped = tenant.mapped_member_ids
    for resource in resources:
        resource.is_rf_user = resource.member_id in mapped
    fill_member_names(tenant, resources, id_field="member_id", name_field="member_name",
                      identifier_field="member_identifier")
    return resources


def name_note_authors(tenant: Tenant, notes: list[PSANote]) -> list[PSANote]:
    """Each note's author by the member's name, looked up when the note's member reference lacked it."""
    fill_member_names(tenant, [n for n in notes if n.author_member_id is not None or n.author_identifier],
                      id_field="author_member_id", name_field="author", identifier_field="author_identifier")
    return notes


def get_ticket(tenant: Tenant, ticket_id: int) -> PSATicketDetail:
    return tenant.provider.get_ticket(ticket_id)


def get_ticket_panel(tenant: Tenant, ticket_id: int, company_id: int | None) -> TicketPanel:
    """Detail, notes, configurations and related tickets, fetched in parallel; each may fail alone.

    Configurations are the references only (id, name, type: one call); their facts come from
    ``get_configurations`` in a section of their own, so the panel is one round trip.
    """
    provider = tenant.provider
    lane = provider.capacity_key  # the connection's share of the pool (psa.concurrency)
    futures = [
        concurrency.fan_out(_section, provider.get_ticket, ticket_id, key=lane),
        concurrency.fan_out(_section, provider.list_notes, ticket_id, key=lane),
        concurrency.fan_out(_section, provider.list_configuration_refs, ticket_id, key=lane),
        concurrency.fan_out(_section, provider.list_related_tickets, ticket_id, company_id, key=lane),
    ]
    detail, notes, configurations, related = (f.result() for f in futures)
    if notes.value:
        name_note_authors(tenant, notes.value)
    related = _with_spin_offs(related, notes, ticket_id)
    return TicketPanel(detail=detail, notes=notes, configurations=configurations, related=related)


def _with_spin_offs(related: Section, notes: Section, ticket_id: int) -> Section:
    """Related tickets with the ones the spin-off notes name first, labelled; a linked ticket the related
    search did not return (another company, closed) is listed from the note (its number and summary)."""
    if related.error is not None or notes.error is not None or not notes.value:
        return related
    relations = relations_in_notes(notes.value, ticket_id)
    if not relations:
        return related
    rows = {row.id: row for row in related.value or []}
    linked = []
    for relation in relations:
        row = rows.pop(relation.ticket_id, None)
        values = row.model_dump() if row is not None else {"id": relation.ticket_id, "summary": relation.summary}
        linked.append(RelatedTicket(**values, relation=relation.label))
    return Section(value=[*linked, *rows.values()])


def get_configurations(tenant: Tenant, ticket_id: int, config_ids: list[int] | None = None) -> list[PSAConfiguration]:
    """Facts (serial, IP, OS, type, status) of a ticket's configurations.

    ``config_ids`` are the references the drawer already has, checked by the caller (one parallel
    round of reads); without them the ticket's references are read first (two round trips).
    """
    provider = tenant.provider
    if config_ids is None:
        config_ids = [ref.id for ref in provider.list_configuration_refs(ticket_id)][:MAX_CONFIGURATION_IDS]
    return provider.get_configurations(list(config_ids)) if config_ids else []


def add_note(tenant: Tenant, ticket_id: int, text: str, kind: NoteKind = "internal") -> PSANote:
    return name_note_authors(tenant, [tenant.provider.add_note(ticket_id, text, kind)])[0]


def update_status(tenant: Tenant, ticket_id: int, status_id: int) -> PSATicketStatusUpdate:
    return tenant.provider.update_status(ticket_id, status_id)


def list_resources(tenant: Tenant, ticket_id: int) -> list[PSAResource]:
    return enrich_resources(tenant, tenant.provider.list_resources(ticket_id))


def add_resource(tenant: Tenant, ticket_id: int, member_id: int) -> PSAResource:
    return enrich_resources(tenant, [tenant.provider.add_resource(ticket_id, member_id)])[0]


def remove_resource(tenant: Tenant, ticket_id: int, member_id: int, *, new_primary_id: int | None = None) -> None:
    """Unassign a member; on a PSA with one primary resource, removing the primary of a ticket others are
    assigned to raises ``PSAChoosePrimaryError`` (nothing changed) unless ``new_primary_id`` says who takes over."""
    tenant.provider.remove_resource(ticket_id, member_id, new_primary_id=new_primary_id)
