"""The /tickets filter bar, declared once.

``FILTER_CONFIG`` drives everything: the django-filter ``TicketFilterSet`` (validation and
normalisation of the URL parameters), the template loop that renders the bar, and the option
lists. Adding a filter is one ``FilterSpec`` entry here (plus the matching field on
``tickets.service.TicketFilters``); the template never changes.

Option loaders are ``callable(account, data) -> list[(value, label)]``. ``data`` holds the URL
parameters already validated by earlier entries (the status loader sees a known board or none).

Status without a board: the options are the statuses of all boards, one per unique name, and the
value of each option is the id of the *first* status with that name (in ``list_all_statuses`` order:
boards by name, then status order). The service searches such a status by name across boards. When a board is then chosen, a
status of another board with the same name is carried over to that board's status of that name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import django_filters as df
from django import forms

from tickets import service

ASSIGNED_FIXED = [("all", "All"), ("me", "Me"), ("unassigned", "Unassigned")]


@dataclass(frozen=True)
class FilterSpec:
    key: str  # URL parameter and form field name
    label: str  # visible label (also the accessible name)
    widget: str  # "text" | "select" | "company" | "toggle"
    options: Callable[[Any, dict], list[tuple[str, str]]] | None = None
    empty_label: str = ""  # first option of a select ("Any board")


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def board_options(account, data):
    return [(str(b.id), b.name) for b in service.list_boards(account)]


def status_options(account, data):
    board = _int(data.get("board"))
    if board is not None:
        return [(str(s.id), s.name) for s in service.list_statuses(account, board)]
    seen: dict[str, str] = {}
    for status in service.list_all_statuses(account):
        seen.setdefault(status.name, str(status.id))
    return [(value, name) for name, value in seen.items()]


def priority_options(account, data):
    return [(str(p.id), p.name) for p in sorted(service.list_priorities(account), key=lambda p: p.sort)]


def company_options(account, data):
    return [(str(c.id), c.name) for c in service.list_all_companies(account)]


def assigned_options(account, data):
    members = [(str(m.id), m.name + (" (ResolutionFlow)" if m.is_rf_user else "")) for m in service.list_members(account)]
    return ASSIGNED_FIXED + members


FILTER_CONFIG: list[FilterSpec] = [
    FilterSpec("search", "Search", "text"),
    FilterSpec("board", "Board", "select", board_options, "Any board"),
    FilterSpec("status", "Status", "select", status_options, "Any status"),
    FilterSpec("priority", "Priority", "select", priority_options, "Any priority"),
    FilterSpec("company", "Company", "company", company_options),
    FilterSpec("assigned", "Assigned", "select", assigned_options),
    FilterSpec("closed", "Include closed", "toggle"),
]


@dataclass
class BoundFilter:
    spec: FilterSpec
    value: str | bool
    options: list[tuple[str, str]]
    display: str = ""  # the company input shows the name; the hidden field carries the id

    @property
    def id(self) -> str:
        return f"id_{self.spec.key}"


class _IntegerFilter(df.NumberFilter):
    field_class = forms.IntegerField


_FILTER_CLASSES = {
    "text": lambda spec: df.CharFilter(label=spec.label, max_length=200),
    "select": lambda spec: df.ChoiceFilter(label=spec.label),
    "company": lambda spec: _IntegerFilter(label=spec.label),
    "toggle": lambda spec: df.BooleanFilter(label=spec.label),
}


class _NoQueryset(list):
    """django-filter wants a queryset; the PSA is not the ORM, so only the form is used."""

    model = None


def needs_reference(data) -> bool:
    """Whether these URL parameters need PSA reference data to be validated: a board, status,
    priority, company or member is chosen. Without any, the filters are known before the filter
    bar's options are (see ``BaseTicketFilterSet(load_options=False)``)."""
    fixed = {value for value, _ in ASSIGNED_FIXED}
    for spec in FILTER_CONFIG:
        value = data.get(spec.key)
        if spec.options is None or value in (None, ""):
            continue
        if spec.key == "assigned" and value in fixed:
            continue
        return True
    return False


class BaseTicketFilterSet(df.FilterSet):
    page = _IntegerFilter(label="Page", min_value=1)

    def __init__(self, data, *, account, load_options=True):
        """``load_options=False``: no reference data (no PSA call); only for parameters that do not
        ``needs_reference``, whose filters then come out the same as with the options."""
        self.account = account
        super().__init__(data, queryset=_NoQueryset())
        self.options: dict[str, list[tuple[str, str]]] = {}
        self.problems: list[str] = []
        if load_options:
            self._load_options()
        else:
            self.filters["assigned"].extra["choices"] = ASSIGNED_FIXED

    def _load_options(self):
        """Fill each select's choices in order. Later loaders see earlier values only when valid;
        the form itself still validates the original values, so invalid ones are reported."""
        seen = self.data.copy() if self.data is not None else {}
        for spec in FILTER_CONFIG:
            if spec.options is None:
                continue
            options = spec.options(self.account, seen)
            if spec.key == "status":
                self.data = self._carry_status_over(self.data, options)
                seen = seen.copy()
                seen["status"] = self.data.get("status", "")
            self.options[spec.key] = options
            if spec.widget == "select":
                self.filters[spec.key].extra["choices"] = options
            value = seen.get(spec.key)
            if value not in (None, "") and value not in {v for v, _ in options}:
                seen = seen.copy()
                seen.pop(spec.key)

    def _carry_status_over(self, data, options):
        """A status picked before the board changed maps to the new board's status of the same name."""
        status = data.get("status")
        if status in (None, "") or status in {v for v, _ in options}:
            return data
        names = {str(s.id): s.name for s in service.list_all_statuses(self.account)}
        same_name = [value for value, label in options if label == names.get(status)]
        if same_name:
            data = data.copy()
            data["status"] = same_name[0]
        return data

    def cleaned(self) -> tuple[service.TicketFilters, int]:
        """Valid values as ``TicketFilters`` and a page; every invalid value is ignored and reported."""
        form = self.form
        form.is_valid()
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else name
            self.problems.append(f"Ignored {label.lower()} “{self._raw(name)}”: {' '.join(errors)}")
        values = {name: form.cleaned_data.get(name) for name in form.fields}
        assigned = values.get("assigned") or "all"
        filters = service.TicketFilters(
            search=(values.get("search") or "").strip(),
            board=_int(values.get("board")),
            status=_int(values.get("status")),
            priority=_int(values.get("priority")),
            company=values.get("company") if self._known_company(values.get("company")) else None,
            assigned=assigned,
            closed=bool(values.get("closed")),
        )
        return filters, values.get("page") or 1

    def _raw(self, name):
        raw = self.form.data.get(name, "")
        return raw if len(raw) <= 40 else raw[:40] + "…"

    def _known_company(self, company_id, report=True) -> bool:
        if company_id is None:
            return False
        if str(company_id) in {v for v, _ in self.options.get("company", [])}:
            return True
        if report:
            self.problems.append(f"Ignored company “{company_id}”: no such company.")
        return False

    def bound_fields(self) -> list[BoundFilter]:
        """What the template loop renders: each spec with its valid current value and options."""
        cleaned = getattr(self.form, "cleaned_data", {})
        fields = []
        for spec in FILTER_CONFIG:
            value = cleaned.get(spec.key)
            if spec.key == "company" and not self._known_company(value, report=False):
                value = None
            if spec.key == "assigned" and not value:
                value = "all"
            value = "" if value is None else str(value) if spec.widget != "toggle" else bool(value)
            options = self.options.get(spec.key, [])
            display = dict(options).get(value, "") if spec.widget == "company" else ""
            fields.append(BoundFilter(spec, value, options, display))
        return fields

    def bound_field(self, key: str) -> BoundFilter:
        return next(field for field in self.bound_fields() if field.spec.key == key)


def _filterset_class():
    attrs = {spec.key: _FILTER_CLASSES[spec.widget](spec) for spec in FILTER_CONFIG}
    attrs["Meta"] = type("Meta", (), {"fields": []})
    return type("TicketFilterSet", (BaseTicketFilterSet,), attrs)


TicketFilterSet = _filterset_class()
