"""Presentation helpers for ticket rows and the drawer (URLs, ages, SLA clocks, badge classes)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime

register = template.Library()


@register.simple_tag
def panel_url(ticket) -> str:
    """The drawer URL carrying the row's data, so opening the drawer needs no PSA call."""
    params = {
        "summary": ticket.summary,
        "company": ticket.company_name or "",
        "company_id": ticket.company_id or "",
        "board": ticket.board_name or "",
        "board_id": ticket.board_id or "",
        "status": ticket.status_name or "",
        "status_id": ticket.status_id or "",
        "priority": ticket.priority_name or "",
        "priority_id": ticket.priority_id or "",
    }
    return f"/tickets/{ticket.id}/panel?{urlencode(params)}"


@register.simple_tag
def ticket_href(ticket_id, list_query="") -> str:
    """The /tickets deep link that shows the queue with this ticket's drawer open."""
    query = urlencode({"ticket": ticket_id})
    return f"/tickets?{query}&{list_query}" if list_query else f"/tickets?{query}"


@register.simple_tag
def page_query(list_query, page) -> str:
    pairs = [pair for pair in list_query.split("&") if pair and not pair.startswith("page=")]
    return "&".join([*pairs, f"page={page}"])


def _compact(delta: timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 48 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours}h {rest}m" if rest and hours < 10 else f"{hours}h"
    return f"{minutes // (24 * 60)}d"


@register.filter
def age(moment: datetime | None) -> str:
    """``3d``, ``5h``, ``12m`` since ``moment``."""
    if moment is None:
        return ""
    return _compact(timezone.now() - moment)


_PRIORITY_NUMBER = re.compile(r"priority\s*(\d)", re.IGNORECASE)


@register.filter
def priority_class(ticket_or_name) -> str:
    """``p1``..``p4`` from the ConnectWise convention "Priority N - ...", else from the sort order."""
    name = getattr(ticket_or_name, "priority_name", ticket_or_name) or ""
    match = _PRIORITY_NUMBER.search(str(name))
    if match:
        return f"p{min(int(match.group(1)), 4)}"
    sort = getattr(ticket_or_name, "priority_sort", None)
    if sort is None:
        return "p0"
    return "p1" if sort <= 1 else "p2" if sort <= 2 else "p3" if sort <= 6 else "p4"


_STATUS_CLASSES = [
    ("escalat", "st-red"),
    ("progress", "st-amber"),
    ("waiting", "st-purple"),
    ("schedul", "st-teal"),
    ("resolved", "st-green"),
    ("closed", "st-grey"),
    ("complete", "st-green"),
    ("new", "st-blue"),
]


@register.filter
def status_class(name) -> str:
    lowered = (name or "").lower()
    for fragment, css in _STATUS_CLASSES:
        if fragment in lowered:
            return css
    return "st-grey"


# ConnectWise's slaStatus names the next SLA stage and when it is due ("Respond by 2026-11-24T21:32:00Z").
_SLA_STAGE = re.compile(r"^\s*(Respond|Plan|Resolve)\s+by\s+(.+?)\s*$", re.IGNORECASE)


@register.simple_tag
def sla_targets(detail) -> list[dict]:
    """The SLA as ConnectWise reports it, made readable.

    ``slaStatus`` carries the next stage's target ("Respond by <date>"): shown with the time left or
    how long it is overdue. ``respondMinutes``/``resolveMinutes`` are the SLA minutes a stage took
    (with ``dateResponded``/``dateResolved``), shown as "Responded in 2h 5m". A target whose date
    cannot be read is shown as ConnectWise wrote it.
    """
    if detail is None:
        return []
    targets = []
    for label, done, minutes in (
        ("Responded", detail.date_responded, detail.respond_minutes),
        ("Resolved", detail.date_resolved, detail.resolve_minutes),
    ):
        if done is not None:
            took = f" in {_compact(timedelta(minutes=minutes))}" if minutes else ""
            targets.append({"label": label, "due": done, "state": "met", "text": f"{done:%b} {done.day}, {done:%H:%M}{took}"})
    stage = _SLA_STAGE.match(detail.sla_status or "")
    if stage:
        label, raw = stage.group(1).capitalize(), stage.group(2)
        due = parse_datetime(raw)
        if due is None:
            targets.append({"label": label, "due": None, "state": "left", "text": f"by {raw}"})
        else:
            if timezone.is_naive(due):
                due = timezone.make_aware(due, UTC)
            now = timezone.now()
            late = due < now
            targets.append({
                "label": label,
                "due": due,
                "state": "overdue" if late else "left",
                "text": f"overdue {_compact(now - due)}" if late else f"{_compact(due - now)} left",
            })
    elif detail.sla_status and not targets:
        targets.append({"label": "Status", "due": None, "state": "met", "text": detail.sla_status})
    if detail.is_in_sla is False:
        targets.append({"label": "SLA", "due": None, "state": "late", "text": "breached"})
    return targets
