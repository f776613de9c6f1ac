"""The drawer's SLA line: ConnectWise's slaStatus target with time left or overdue, and stages done."""

from datetime import timedelta

from django.utils import timezone

from psa.schemas import PSATicketDetail
from tickets.templatetags.tickets_ui import sla_targets


def _detail(**fields):
    return PSATicketDetail(id=1042, summary="Printer offline", date_entered=timezone.now() - timedelta(hours=5), **fields)


def _iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_target_in_the_future_shows_the_time_left():
    due = timezone.now() + timedelta(hours=2, minutes=30)
    [target] = sla_targets(_detail(sla_status=f"Respond by {_iso(due)}"))
    assert target["label"] == "Respond" and target["state"] == "left"
    assert target["text"] in ("2h 29m left", "2h 30m left")


def test_a_target_in_the_past_is_overdue():
    due = timezone.now() - timedelta(days=3)
    [target] = sla_targets(_detail(sla_status=f"Resolve by {_iso(due)}"))
    assert target == {"label": "Resolve", "due": target["due"], "state": "overdue", "text": "overdue 3d"}


def test_a_target_connectwise_writes_in_its_own_format_is_shown_as_written():
    [target] = sla_targets(_detail(sla_status="Plan by Tue 11/24 3:32 PM"))
    assert target["text"] == "by Tue 11/24 3:32 PM" and target["due"] is None


def test_a_stage_already_done_says_when_and_how_long_it_took():
    responded = timezone.now() - timedelta(hours=4)
    targets = sla_targets(_detail(date_responded=responded, respond_minutes=65, sla_status=f"Resolve by {_iso(timezone.now() + timedelta(hours=1))}"))
    assert [t["label"] for t in targets] == ["Responded", "Resolve"]
    assert targets[0]["text"].endswith(" in 1h 5m") and targets[0]["state"] == "met"


def test_a_breached_sla_is_flagged_and_a_plain_status_is_kept():
    targets = sla_targets(_detail(sla_status="Waiting", is_in_sla=False))
    assert [(t["label"], t["text"]) for t in targets] == [("Status", "Waiting"), ("SLA", "breached")]


def test_no_sla_data_means_no_targets():
    assert sla_targets(_detail()) == []
    assert sla_targets(None) == []
