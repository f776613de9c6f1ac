"""Faithful names (issue 19, part 5): ConnectWise payloads as real instances send them -> what the drawer
shows. Each case is a shape found by replaying captured payloads: references without ``name``, a ticket
whose contact fields and contact record disagree, priorities ordered by ``sort`` or ``sortOrder`` or not
at all, ``isInSla`` without an ``slaStatus``."""

from __future__ import annotations

import httpx
import pytest

from psa.connectwise import mapping
from psa.connectwise.client import base_url_for_site
from psa.providers.connectwise import ConnectWiseProvider
from psa.schemas import PRIORITY_SORT_LAST


def ticket(**fields) -> dict:
    return {"id": 1234, "summary": "Printer offline", "_info": {"lastUpdated": "2025-05-01T10:00:00Z"}, **fields}


# --- the ticket's contact ------------------------------------------------------------------------------


def test_the_contact_is_the_tickets_own_name_email_and_phone_together():
    detail = mapping.ticket_detail(ticket(
        contact={"id": 7, "name": "John Smith"},  # the contact record: someone else than the ticket's caller
        contactName="Jane Doe", contactEmailAddress="jane@acme.example", contactPhoneNumber="555-0100",
    ))
    assert (detail.contact_name, detail.contact_email, detail.contact_phone) == (
        "Jane Doe", "jane@acme.example", "555-0100")
    assert detail.contact_id == 7


def test_an_email_without_a_contact_name_is_not_paired_with_the_contact_records_name():
    detail = mapping.ticket_detail(ticket(contact={"id": 7, "name": "John Smith"},
                                          contactEmailAddress="helpdesk@acme.example"))
    assert detail.contact_name is None and detail.contact_email == "helpdesk@acme.example"


def test_a_ticket_with_only_a_contact_record_shows_its_name_and_nothing_else():
    detail = mapping.ticket_detail(ticket(contact={"id": 7, "name": "John Smith"}))
    assert (detail.contact_name, detail.contact_email, detail.contact_phone) == ("John Smith", None, None)


def test_a_queue_row_asks_only_for_the_contact_records_name_and_shows_it():
    row = mapping.ticket_row(ticket(contact={"id": 7, "name": "John Smith"}))
    assert row.contact_name == "John Smith"


# --- note authors --------------------------------------------------------------------------------------


def note(**fields) -> dict:
    return {"id": 9, "ticketId": 1234, "text": "Rebooted", "internalAnalysisFlag": True,
            "dateCreated": "2025-05-01T10:00:00Z", "createdBy": "APIMember", **fields}


def test_a_notes_author_is_its_members_name_not_who_saved_it():
    written = mapping.note(note(member={"id": 101, "identifier": "jsmith", "name": "John Smith"}), 1234)
    assert written.author == "John Smith"
    assert (written.author_member_id, written.author_identifier) == (101, "jsmith")


def test_a_member_reference_without_a_name_leaves_the_identifier_for_the_directory_lookup():
    written = mapping.note(note(member={"id": 102, "identifier": "agarcia"}), 1234)
    assert written.author == "agarcia" and written.author != "APIMember"
    assert (written.author_member_id, written.author_identifier) == (102, "agarcia")


def test_a_member_reference_with_only_an_id_has_no_author_until_it_is_looked_up():
    written = mapping.note(note(member={"id": 102}), 1234)
    assert written.author is None and written.author_member_id == 102


def test_a_customers_note_is_by_its_contact():
    written = mapping.note(note(contact={"id": 7, "name": "Jane Doe"}, createdBy="template1"), 1234)
    assert written.author == "Jane Doe" and written.author_member_id is None


def test_only_a_note_with_neither_member_nor_contact_falls_back_to_who_saved_it():
    assert mapping.note(note(createdBy="helpdesk2"), 1234).author == "helpdesk2"


# --- assignees -----------------------------------------------------------------------------------------


def test_an_assignee_reference_without_a_name_keeps_the_identifier_for_the_directory_lookup():
    resource = mapping.resource_from_entry({"id": 5, "member": {"id": 102, "identifier": "agarcia"}})
    assert (resource.member_id, resource.member_name, resource.member_identifier) == (102, "agarcia", "agarcia")


# --- priority urgency ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("reference", "sort"), [
    ({"id": 1, "name": "Priority 1", "sort": 1}, 1),  # a PriorityReference on a ticket
    ({"id": 1, "name": "Priority 1", "sortOrder": 1}, 1),  # a full Priority object
    ({"id": 1, "name": "Priority 1", "sort": 0}, 0),  # zero is an order, not a missing one
    ({"id": 1, "name": "Priority 1"}, None),  # no order at all
])
def test_a_tickets_priority_urgency_comes_from_sort_or_sort_order(reference, sort):
    assert mapping.ticket_row(ticket(priority=reference)).priority_sort == sort


def test_a_priority_without_an_order_is_never_the_most_urgent():
    unordered = mapping.priority({"id": 9, "name": "Whenever"})
    assert unordered.sort == PRIORITY_SORT_LAST
    assert mapping.priority({"id": 1, "name": "Emergency", "sort": 1}).sort == 1
    assert mapping.priority({"id": 2, "name": "Quick", "sortOrder": 2}).sort == 2


@pytest.fixture
def provider(sandbox):
    p = ConnectWiseProvider(base_url=base_url_for_site("sandbox"), company_id="sandbox", public_key="sandbox-public",
                            private_key="sandbox-private", client_id="rf-tests",
                            transport=httpx.WSGITransport(app=sandbox), sleep=lambda seconds: None)
    yield p
    p.close()


def test_the_priority_list_puts_a_priority_without_an_order_last(provider, sandbox):
    del sandbox.state["priorities"][1]["sortOrder"]  # "Priority 1 - Emergency Response" loses its order
    names = [p.name for p in provider.list_priorities()]
    assert names[-1] == "Priority 1 - Emergency Response"
    assert names[0] == "Priority 2 - Quick Response"


# --- SLA -----------------------------------------------------------------------------------------------


def test_isinsla_false_without_an_sla_status_is_unknown_not_breached():
    row = mapping.ticket_row(ticket(isInSla=False))
    assert row.is_in_sla is None and row.sla_stage is None and row.sla_text is None


def test_isinsla_false_with_an_sla_status_is_breached():
    row = mapping.ticket_row(ticket(isInSla=False, slaStatus="Resolve by 2025-05-01T12:00:00Z"))
    assert row.is_in_sla is False and row.sla_stage == "Resolve"
