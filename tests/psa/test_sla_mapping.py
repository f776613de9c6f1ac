"""ConnectWise's ``slaStatus`` ("Respond by <date>") becomes the DTO's SLA stage, target and text."""

from datetime import UTC, datetime

from psa.connectwise.mapping import ticket_detail, ticket_row


def _ticket(**fields):
    return {"id": 1042, "summary": "Printer offline", **fields}


def test_a_stage_with_an_iso_target_becomes_stage_and_due():
    row = ticket_row(_ticket(slaStatus="Respond by 2026-11-24T21:32:00Z"))
    assert (row.sla_stage, row.sla_due, row.sla_text) == ("Respond", datetime(2026, 11, 24, 21, 32, tzinfo=UTC), None)


def test_the_stage_name_is_read_in_any_case():
    assert ticket_detail(_ticket(slaStatus="  resolve BY 2026-11-24T21:32:00Z ")).sla_stage == "Resolve"


def test_a_target_in_connectwise_s_own_format_keeps_its_text():
    detail = ticket_detail(_ticket(slaStatus="Plan by Tue 11/24 3:32 PM"))
    assert (detail.sla_stage, detail.sla_due, detail.sla_text) == ("Plan", None, "Tue 11/24 3:32 PM")


def test_any_other_status_is_kept_as_text():
    detail = ticket_detail(_ticket(slaStatus="Waiting", isInSla=False))
    assert (detail.sla_stage, detail.sla_due, detail.sla_text, detail.is_in_sla) == (None, None, "Waiting", False)


def test_no_sla_status_means_no_sla_fields():
    row = ticket_row(_ticket())
    assert (row.sla_stage, row.sla_due, row.sla_text) == (None, None, None)


def test_a_status_seen_again_maps_the_same_and_one_tickets_fields_never_reach_anothers():
    first = ticket_row(_ticket(slaStatus="Respond by 2026-11-24T21:32:00Z"))
    first.sla_text = "changed on one row"  # a DTO is the caller's: the remembered target is not
    again = ticket_row(_ticket(slaStatus="Respond by 2026-11-24T21:32:00Z"))
    waiting = ticket_row(_ticket(slaStatus="Waiting"))
    assert (again.sla_stage, again.sla_due, again.sla_text) == ("Respond", datetime(2026, 11, 24, 21, 32, tzinfo=UTC), None)
    assert (waiting.sla_stage, waiting.sla_due, waiting.sla_text) == (None, None, "Waiting")
