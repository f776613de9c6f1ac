"""The drawer's SLA line: the next stage's target with time left or overdue, stages done, breaches.

How ConnectWise's ``slaStatus`` text becomes ``sla_stage``/``sla_due``/``sla_text`` is tested with
the provider's mapping (tests/psa/test_sla_mapping.py).
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from psa.schemas import PSATicketDetail
from tickets.templatetags.tickets_ui import sla_targets

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def _detail(**fields):
    return PSATicketDetail(id=1042, summary="Printer offline", date_entered=NOW - timedelta(hours=5), **fields)


def test_a_target_in_the_future_shows_the_time_left():
    due = NOW + timedelta(hours=2, minutes=30)
    [target] = sla_targets(_detail(sla_stage="Respond", sla_due=due))
    assert target == {"label": "Respond", "due": due, "state": "left", "text": "2h 30m left"}


def test_a_target_in_the_past_is_overdue():
    due = NOW - timedelta(days=3)
    [target] = sla_targets(_detail(sla_stage="Resolve", sla_due=due))
    assert target == {"label": "Resolve", "due": due, "state": "overdue", "text": "overdue 3d"}


def test_a_target_the_psa_wrote_in_its_own_format_is_shown_as_written():
    [target] = sla_targets(_detail(sla_stage="Plan", sla_text="Tue 11/24 3:32 PM"))
    assert target["text"] == "by Tue 11/24 3:32 PM" and target["due"] is None


def test_a_stage_already_done_says_when_and_how_long_it_took():
    responded = NOW - timedelta(hours=4)
    targets = sla_targets(_detail(date_responded=responded, respond_minutes=65, sla_stage="Resolve",
                                  sla_due=NOW + timedelta(hours=1)))
    assert [t["label"] for t in targets] == ["Responded", "Resolve"]
    assert targets[0] == {"label": "Responded", "due": responded, "state": "met", "text": "Nov 24, 08:00 in 1h 5m"}


def test_a_breached_sla_is_flagged_and_a_plain_status_is_kept():
    targets = sla_targets(_detail(sla_text="Waiting", is_in_sla=False))
    assert [(t["label"], t["text"]) for t in targets] == [("Status", "Waiting"), ("SLA", "breached")]


def test_no_sla_data_means_no_targets():
    assert sla_targets(_detail()) == []
    assert sla_targets(None) == []
