"""The /tickets filter bar, declared once.

``FILTER_CONFIG`` drives everything: the django-filter ``TicketFilterSet`` (validation and
normalisation of the URL parameters), the template loop that renders the bar, and the option
lists. Adding a filter is one ``FilterSpec`` entry here (plus the matching field on
``tickets.service.TicketFilters``); the template never changes.

Option loaders are ``callable(reference, board) -> list[(value, label)]``, where ``board`` is the
chosen board when it is valid (the status loader lists that board's statuses). Options load only
when something needs them: checking a chosen value, or rendering the bar. A request that chooses
nothing from the reference data and renders only the results (the usual htmx list request) reads
no reference data at all.

Cost per request: django-filter deep-copies every filter, builds a form class and deep-copies its
fields for each filter set; here the filters and the form class are built once and shared, and a
form copies only its selects (the one thing a request changes: their options). Validation is
django's, unchanged (same fields, same messages): ~0.08 ms per request instead of ~0.37 ms.

Company and Assigned are typeahead pickers (widget "picker": ``tickets/combobox.html`` asking
``tickets/pickers.py``), so the page ships no list of companies or members at all, only the chosen value (the
hidden input's id, the visible input's label). A company id in the URL is checked with ``Reference.company``
(one small cached look-up, started with the rest of the request's loads), never against a list of all
companies; its name is the visible label, so reload, back and a shared link show it. Assigned takes "all",
"me", "unassigned" or any member id (checked against the cached member list, which also names it).

Status without a board: the options are the statuses of all boards, one per unique name, and the
value of each option is the id of the *first* status with that name (in ``Reference.all_statuses`` order:
boards by name, then status order). The service searches such a status by name across boards. When a board is then chosen, a
status of another board with the same name is carried over to that board's status of that name.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import django_filters as df
from django import forms
from django.http import QueryDict
from django.urls import reverse

from psa.reference import Reference
from psa.web import to_int
from tickets.service import MAX_PAGE, SEARCH_MAX, TicketFilters

ASSIGNED_FIXED = [("all", "All"), ("me", "Me"), ("unassigned", "Unassigned")]


@dataclass(frozen=True)
class FilterSpec:
    key: str  # URL parameter and form field name
    label: str  # visible label (also the accessible name)
    widget: str  # "text" | "select" | "picker" | "toggle"
    options: Callable[[Reference, int | None], list[tuple[str, str]]] | None = None
    empty_label: str = ""  # first option of a select ("Any board")
    part: str | None = None  # the reference data part its options come from
    source: str = ""  # a picker's items: the URL name of its endpoint (tickets/pickers.py), with its query
    noun: str = ""  # a picker's listbox name ("Companies")


def board_options(reference: Reference, board: int | None):
    return [(str(b.id), b.name) for b in reference.boards]


def status_options(reference: Reference, board: int | None):
    """The chosen board's statuses; without a board, one option per status name (see the module doc)."""
    if board is not None:
        return [(str(s.id), s.name) for s in reference.statuses(board)]
    seen: dict[str, str] = {}
    for status in reference.all_statuses:
        seen.setdefault(status.name, str(status.id))
    return [(value, name) for name, value in seen.items()]


def priority_options(reference: Reference, board: int | None):
    return [(str(p.id), p.name) for p in reference.priorities]


def assigned_options(reference: Reference, board: int | None):
    """Every valid value (the field checks a member id against them); the page never lists them (a picker)."""
    members = [(str(m.id), m.name + (" (ResolutionFlow)" if m.is_rf_user else "")) for m in reference.members]
    return ASSIGNED_FIXED + members


FILTER_CONFIG: list[FilterSpec] = [
    FilterSpec("search", "Search", "text"),
    FilterSpec("board", "Board", "select", board_options, "Any board", "boards"),
    FilterSpec("status", "Status", "select", status_options, "Any status", "boards"),
    FilterSpec("priority", "Priority", "select", priority_options, "Any priority", "priorities"),
    FilterSpec("company", "Company", "picker", empty_label="Any company", source="pick_company", noun="Companies"),
    FilterSpec("assigned", "Assigned", "picker", assigned_options, "All", "members", source="pick_member?fixed=assigned",
               noun="Members"),
    FilterSpec("closed", "Include closed", "toggle"),
]


@dataclass
class BoundFilter:
    spec: FilterSpec
    value: str | bool
    options: list[tuple[str, str]]
    display: str = ""  # a picker's visible input shows the label; its hidden input carries the id

    @property
    def id(self) -> str:
        return f"id_{self.spec.key}"

    @property
    def picker_id(self) -> str:
        return f"id_{self.spec.key}_name"

    @property
    def picker_value(self) -> str:
        """What a picker's hidden input submits: "all" is no filter at all, so nothing."""
        return "" if self.value == "all" else str(self.value)

    @property
    def picker_label(self) -> str:
        return self.spec.noun

    @property
    def source(self) -> str:
        name, _, query = self.spec.source.partition("?")
        return reverse(name) + (f"?{query}" if query else "")


class _IntegerFilter(df.NumberFilter):
    field_class = forms.IntegerField


class _AssignedField(df.fields.ChoiceField):
    def valid_value(self, value):
        """"me", "all" and "unassigned" are valid without the member list (no reference data read)."""
        return value in _ASSIGNED_VALUES or super().valid_value(value)


class _AssignedFilter(df.ChoiceFilter):
    field_class = _AssignedField


_ASSIGNED_VALUES = {value for value, _ in ASSIGNED_FIXED}


_FILTER_CLASSES = {
    "text": lambda spec: df.CharFilter(label=spec.label, max_length=SEARCH_MAX),
    "select": lambda spec: (_AssignedFilter if spec.key == "assigned" else df.ChoiceFilter)(label=spec.label),
    "picker": lambda spec: _AssignedFilter(label=spec.label) if spec.key == "assigned" else _IntegerFilter(label=spec.label),
    "toggle": lambda spec: df.BooleanFilter(label=spec.label),
}
_SPECS = {spec.key: spec for spec in FILTER_CONFIG}


_SELECTS = tuple(spec.key for spec in FILTER_CONFIG if spec.widget == "select" or spec.key == "assigned")  # choices


class _LazyOptions:
    """A select's choices, read from the filter set when first needed (the filter set holds the
    request's reference data and its loads)."""

    def __init__(self, filterset, key: str):
        self.filterset, self.key = filterset, key

    def __call__(self):
        return self.filterset.options(self.key)

    def __deepcopy__(self, memo):
        return self


class _SharedFields(dict):
    """A form class's fields, which a form deep-copies for each instance. Only the selects get something
    of the request, their choices (on the field and its widget), so only a select and its widget are
    copied; the other fields (search, company, include closed, page) hold nothing a form changes, and
    every form shares them."""

    def __deepcopy__(self, memo):
        return {name: _copy_select(field) if name in _SELECTS else field for name, field in self.items()}


def _copy_select(field):
    copied = copy.copy(field)
    copied.widget = copy.copy(field.widget)
    copied.widget.attrs = dict(field.widget.attrs)
    return copied


class _NoQueryset(list):
    """django-filter wants a queryset; the PSA is not the ORM, so only the form is used."""

    model = None


def parts_to_check(data) -> list[str]:
    """The reference data parts needed to check the values chosen in ``data`` (start them together)."""
    parts = []
    for spec in FILTER_CONFIG:
        value = data.get(spec.key)
        if spec.key == "company":
            continue  # checked by one look-up of that company, which the filter set starts (``want_company``)
        if spec.part and value not in (None, "") and not (spec.key == "assigned" and value in _ASSIGNED_VALUES):
            parts.append(spec.part)
    return list(dict.fromkeys(parts))


class BaseTicketFilterSet(df.FilterSet):
    page = _IntegerFilter(label="Page", min_value=1, max_value=MAX_PAGE)

    def __init__(self, data, *, reference: Reference):
        # Not django-filter's __init__, which deep-copies every filter for each request so that a request
        # may change them. Nothing of a request lives in these filters (a select's options go to the
        # request's form, see ``form``), so every request shares the class's filters and one form class.
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = _NoQueryset()
        self.request = None
        self.form_prefix = None
        self.filters = self.base_filters
        self.reference = reference
        reference.want_company(to_int((data or {}).get("company")))  # its look-up runs beside the other loads
        self._options: dict[str, list[tuple[str, str]]] = {}
        self.problems: list[str] = []
        self.data = self._carry_status_over(self.data)

    @property
    def form(self):
        """The request's form: the shared form class, bound to the URL parameters, each select's choices
        this request's options (read only when a value is chosen or the select is rendered)."""
        if not hasattr(self, "_form"):
            form_class = self._shared_form_class()
            form = form_class(self.data) if self.is_bound else form_class()
            for key in _SELECTS:
                form.fields[key].choices = _LazyOptions(self, key)
            self._form = form
        return self._form

    @classmethod
    def _shared_form_class(cls):
        """django-filter's form class for these filters, built once per filter set class, not per request."""
        if "_form_class" not in cls.__dict__:  # (two first requests at once may both build it: same result)
            fields = {name: filter_.field for name, filter_ in cls.base_filters.items()}
            form_class = type(f"{cls.__name__}Form", (cls._meta.form,), fields)
            form_class.base_fields = _SharedFields(form_class.base_fields)
            cls._form_class = form_class
        return cls._form_class

    def get_form_class(self):
        return self._shared_form_class()

    def options(self, key: str) -> list[tuple[str, str]]:
        """The options of filter ``key`` (loaded from the reference data once per request)."""
        if key not in self._options:
            spec = _SPECS[key]
            board = self._valid_board() if key == "status" else None
            self._options[key] = spec.options(self.reference, board)
        return self._options[key]

    def _valid_board(self) -> int | None:
        board = (self.data or {}).get("board")
        if board in (None, "") or board not in {v for v, _ in self.options("board")}:
            return None
        return to_int(board)

    def _carry_status_over(self, data):
        """A status picked before the board changed maps to the new board's status of the same name."""
        status = (data or {}).get("status")
        if status in (None, "") or self._valid_board() is None or status in {v for v, _ in self.options("status")}:
            return data
        names = {str(s.id): s.name for s in self.reference.all_statuses}
        same_name = [value for value, label in self.options("status") if label == names.get(status)]
        if same_name:
            data = data.copy()
            data["status"] = same_name[0]
        return data

    def cleaned(self) -> tuple[TicketFilters, int]:
        """Valid values as ``TicketFilters`` and a page; every invalid value is ignored and reported."""
        form = self.form
        form.is_valid()
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else name
            self.problems.append(f"Ignored {label.lower()} “{self._raw(name)}”: {' '.join(errors)}")
        values = {name: form.cleaned_data.get(name) for name in form.fields}
        assigned = values.get("assigned") or "all"
        filters = TicketFilters(
            search=(values.get("search") or "").strip(),
            board=to_int(values.get("board")),
            status=to_int(values.get("status")),
            priority=to_int(values.get("priority")),
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
        if self.reference.company(company_id) is not None:
            return True
        if report:
            self.problems.append(f"Ignored company “{company_id}”: no such company.")
        return False

    def bound_fields(self) -> list[BoundFilter]:
        """What the template loop renders: each spec with its valid current value and options."""
        cleaned = getattr(self.form, "cleaned_data", {})
        fields = []
        for spec in FILTER_CONFIG:
            fields.append(self._bound(spec, cleaned))
        return fields

    def bound_field(self, key: str) -> BoundFilter:
        return self._bound(_SPECS[key], getattr(self.form, "cleaned_data", {}))

    def _bound(self, spec: FilterSpec, cleaned) -> BoundFilter:
        value = cleaned.get(spec.key)
        if spec.key == "company" and not self._known_company(value, report=False):
            value = None
        if spec.key == "assigned" and not value:
            value = "all"
        value = "" if value is None else str(value) if spec.widget != "toggle" else bool(value)
        options = self.options(spec.key) if spec.options is not None and spec.widget != "picker" else []
        display = ""
        if spec.key == "company" and value:
            chosen = self.reference.company(to_int(value))
            display = chosen.name if chosen else ""
        elif spec.key == "assigned" and value != "all":
            member = self.reference.member(to_int(value)) if value not in _ASSIGNED_VALUES else None
            display = member.name if member else dict(ASSIGNED_FIXED).get(value, "")
        return BoundFilter(spec, value, options, display)


def _filterset_class():
    attrs = {spec.key: _FILTER_CLASSES[spec.widget](spec) for spec in FILTER_CONFIG}
    attrs["Meta"] = type("Meta", (), {"fields": []})
    return type("TicketFilterSet", (BaseTicketFilterSet,), attrs)


TicketFilterSet = _filterset_class()
