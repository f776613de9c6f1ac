"""Presentation helpers for ticket rows and the drawer (URLs, ages, SLA clocks, badge classes)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString

from tickets import rows

register = template.Library()


# --- queue rows (tickets/rows.py builds and writes them; the list's rows come from the view, these tags write one
# row or cell for the templates that swap it on its own) --------------------------------------------------------


@register.simple_tag
def ticket_row(ticket, list_query="", oob=False) -> SafeString:
    """One row (``tickets/list.html#row``), e.g. swapped out of band after a status change."""
    return SafeString(rows.row_html(rows.rows_for([ticket], list_query or "")[0], oob=bool(oob)))


@register.simple_tag
def assignees_cell(ticket_id, assignees, oob=False) -> SafeString:
    """A row's Assignees cell (``tickets/list.html#assignees_cell``)."""
    return SafeString(rows.assignees_cell(ticket_id, assignees, oob=bool(oob)))


@register.simple_tag
def panel_url(ticket) -> str:
    """The drawer URL carrying the row's data, so opening the drawer needs no PSA call."""
    return rows.RowUrls.reverse().panel(ticket)


@register.simple_tag
def ticket_href(ticket_id, list_query="") -> str:
    """The /tickets deep link that shows the queue with this ticket's drawer open."""
    return rows.RowUrls.reverse().href(ticket_id, list_query)


_compact = rows.compact


@register.filter
def age(moment: datetime | None) -> str:
    """``3d``, ``5h``, ``12m`` since ``moment``."""
    if moment is None:
        return ""
    return rows.compact(timezone.now() - moment)


@register.filter
def priority_class(ticket_or_name) -> str:
    """``p1``..``p4`` from a ticket (its priority name, else its sort order) or a priority name."""
    name = getattr(ticket_or_name, "priority_name", ticket_or_name)
    return rows.priority_css(name, getattr(ticket_or_name, "priority_sort", None))


@register.filter
def status_class(name) -> str:
    return rows.status_css(name)


@register.simple_tag
def sla_targets(detail) -> list[dict]:
    """The SLA made readable: stages done ("Responded … in 2h 5m"), the next stage's target with the
    time left or how long it is overdue, the PSA's own wording when it gave no readable target, and a
    breach. (The provider turns the PSA's SLA fields into ``sla_stage``/``sla_due``/``sla_text``.)
    """
    if detail is None:
        return []
    targets = []
    for label, done, minutes in (
        ("Responded", detail.date_responded, detail.respond_minutes),
        ("Resolved", detail.date_resolved, detail.resolve_minutes),
    ):
        if done is not None:
            done = timezone.localtime(done) if timezone.is_aware(done) else done  # in the viewer's zone
            took = f" in {_compact(timedelta(minutes=minutes))}" if minutes else ""
            targets.append({"label": label, "due": done, "state": "met", "text": f"{done:%b} {done.day}, {done:%H:%M}{took}"})
    if detail.sla_stage and detail.sla_due is not None:
        now = timezone.now()
        late = detail.sla_due < now
        targets.append({
            "label": detail.sla_stage,
            "due": detail.sla_due,
            "state": "overdue" if late else "left",
            "text": f"overdue {_compact(now - detail.sla_due)}" if late else f"{_compact(detail.sla_due - now)} left",
        })
    elif detail.sla_stage:
        targets.append({"label": detail.sla_stage, "due": None, "state": "left", "text": f"by {detail.sla_text}"})
    elif detail.sla_text and not targets:
        targets.append({"label": "Status", "due": None, "state": "met", "text": detail.sla_text})
    if detail.is_in_sla is False:
        targets.append({"label": "SLA", "due": None, "state": "late", "text": "breached"})
    return targets


@register.filter
def psa_word(label: str, words) -> str:
    """``label`` in the connection's PSA vocabulary ("Board" is "Queue" on Autotask; ``psa.vocabulary``)."""
    return words.get(label, label) if words else label
