"""The New Ticket modal's draft and the form that validates it on Create.

The server owns the draft: every value lives in the modal's own ``<form>`` (visible fields for the
active tab, hidden inputs for the other one), so each round trip (switch tab, parse, change board,
create) rebuilds the same ``Draft`` from the POST and never loses anything.

* ``Draft`` is lenient: it keeps whatever was typed (even invalid values) so it can be re-rendered.
* ``NewTicketForm`` is strict: it runs only on Create, checks the required fields and the ids against
  the account's PSA reference data, takes the company chosen in the typeahead picker by its id (one cached
  look-up of that company) or else resolves the typed name to an id (one search of the PSA's companies
  by that name: an MSP has thousands, so no list of them all is read), and maps PSA validation
  errors (``PSAValidationError.field_errors`` / ``service.InvalidInput``) onto its fields.
* ``merge_parsed`` folds an ``AiParseResponse`` into the draft: parsed values only fill EMPTY fields;
  a field the engineer already filled is kept and listed in ``draft.kept``; a "could not determine
  X" warning is dropped when the draft already has X.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django import forms

from psa.providers.base import PSAValidationError
from psa.reference import Reference
from psa.schemas import (
    CONTROL_CHARACTERS,
    CONTROL_CHARACTERS_MESSAGE,
    NOTE_MAX,
    PROMPT_MAX,
    SUMMARY_MAX,
    AiParseResponse,
    PSACompany,
    TicketCreatePayload,
)
from psa.web import to_int
from tickets.ai.resolve import NO_BOARD_WARNING, NO_COMPANY_WARNING, NO_SUMMARY_WARNING

TABS = ("quick", "full")
FIELDS = ("summary", "company", "contact_id", "board_id", "status_id", "priority_id", "description", "assigned_member_id")
REQUIRED = ("summary", "company", "board_id", "status_id", "priority_id")
LABELS = {
    "summary": "Summary", "company": "Company", "contact_id": "Contact", "board_id": "Board", "status_id": "Status",
    "priority_id": "Priority", "description": "Description", "assigned_member_id": "Assigned member",
}
COMPANY_TEXT_MAX = 200
COMPANY_MATCHES = 1000  # one page: the companies a typed name is resolved among (its exact match is among them)
TOKEN_MAX = 64
LIST_MAX = 20  # missing fields / warnings / kept notes carried in the draft
TEXT_ITEM_MAX = 300


def form_field(name: str | None) -> str | None:
    """The modal's field for a DTO field name (``TicketCreatePayload``, the parse's ``missing_fields``,
    ``InvalidInput`` and the provider's validation errors all use those names)."""
    name = (name or "").strip().lower()
    if name == "company_id":
        return "company"
    if name in ("contact", "contactid"):
        return "contact_id"
    return name if name in FIELDS else None


def _id(value) -> int | None:
    """A positive id from form data, or None."""
    number = to_int(value)
    return number if number is not None and number > 0 else None


def _name(item) -> str:
    return item.name if item is not None else ""


def new_token() -> str:
    return uuid.uuid4().hex


def resolve_company(companies: list[PSACompany], text: str) -> tuple[PSACompany | None, str | None]:
    """The company named ``text`` (exact name or identifier, any case), or an error message."""
    wanted = " ".join((text or "").split()).casefold()
    if not wanted:
        return None, "Company is required"
    for company in companies:
        if company.name.casefold() == wanted or company.identifier.casefold() == wanted:
            return company, None
    candidates = [c.name for c in companies if wanted in c.name.casefold() or wanted in c.identifier.casefold()]
    if len(candidates) > 1:
        shown = ", ".join(candidates[:5]) + (", …" if len(candidates) > 5 else "")
        return None, f'"{text.strip()}" matches {len(candidates)} companies: {shown}. Choose one from the list.'
    if len(candidates) == 1:
        return None, f'No company is named "{text.strip()}". Did you mean {candidates[0]}?'
    return None, f'No company named "{text.strip()}" in ConnectWise. Choose one from the list.'


@dataclass
class Draft:
    """Everything the modal holds. Built from the GET params (opening) or the POST (every round trip)."""

    summary: str = ""
    company: str = ""  # the company name as chosen or typed; resolved to an id on Create
    company_id: int | None = None  # the company chosen in the picker (its name is ``company``)
    contact_id: int | None = None  # the company's contact chosen in the picker (its name is ``contact``)
    contact: str = ""
    board_id: int | None = None
    status_id: int | None = None
    priority_id: int | None = None
    description: str = ""
    assigned_member_id: int | None = None
    prompt: str = ""
    token: str = ""
    tab: str = "full"
    parsed: bool = False  # Quick Create shows the review fields once a parse has run
    missing: list[str] = field(default_factory=list)  # form field names the parse could not fill
    warnings: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # "kept your value" notes from the last parse
    action_id: int | None = None  # ResolutionAssist SessionAction that opened the modal
    session_id: int | None = None

    @classmethod
    def opening(cls, params, reference: Reference | None) -> Draft:
        """A fresh draft from the opening URL: ``tab, prompt, company, board, action, session``.

        ``company`` and ``board`` are ids (the linked ticket's); unknown ids are dropped, never guessed.
        """
        tab = params.get("tab", "")
        company_id = _id(params.get("company"))
        board_id = _id(params.get("board"))
        company = reference.company(company_id) if reference and company_id else None
        return cls(
            tab=tab if tab in TABS else "full",
            prompt=params.get("prompt", "")[:PROMPT_MAX],
            company=_name(company),
            company_id=company.id if company else None,
            board_id=board_id if reference and board_id and reference.board(board_id) else None,
            token=new_token(),
            action_id=_id(params.get("action")),
            session_id=_id(params.get("session")),
        )

    @classmethod
    def from_post(cls, data) -> Draft:
        tab = data.get("tab", "")
        token = data.get("token", "").strip()[:TOKEN_MAX]
        return cls(
            summary=data.get("summary", "")[: SUMMARY_MAX * 2],
            company=data.get("company", "")[:COMPANY_TEXT_MAX],
            company_id=_id(data.get("company_id")),
            contact_id=_id(data.get("contact_id")),
            contact=data.get("contact", "")[:COMPANY_TEXT_MAX],
            board_id=_id(data.get("board_id")),
            status_id=_id(data.get("status_id")),
            priority_id=_id(data.get("priority_id")),
            description=data.get("description", "")[: NOTE_MAX + 1],
            assigned_member_id=_id(data.get("assigned_member_id")),
            prompt=data.get("prompt", "")[: PROMPT_MAX + 1],
            token=token or new_token(),
            tab=tab if tab in TABS else "full",
            parsed=data.get("parsed") == "1",
            missing=[f for f in data.getlist("missing")[:LIST_MAX] if f in FIELDS],
            warnings=[w[:TEXT_ITEM_MAX] for w in data.getlist("warning")[:LIST_MAX] if w.strip()],
            kept=[k[:TEXT_ITEM_MAX] for k in data.getlist("kept")[:LIST_MAX] if k.strip()],
            action_id=_id(data.get("action_id")),
            session_id=_id(data.get("session_id")),
        )

    def value(self, name: str):
        return getattr(self, name)

    def is_missing(self, name: str) -> bool:
        """Flagged by the parse and still empty (filling the field clears the marker)."""
        return name in self.missing and self.value(name) in ("", None)


def merge_parsed(draft: Draft, parsed: AiParseResponse, reference: Reference) -> Draft:
    """Fold a parse result into the draft: fill empty fields only, list what was kept.

    The engineer's own values win: a parse never silently overwrites something already typed or
    pre-filled (e.g. a linked ticket's company and board). A parsed status that does not belong to the
    draft's (possibly kept) board is dropped. Returns the same draft, updated.
    """
    parsed_values = {
        "summary": (parsed.summary or "").strip(),
        "company": _name(reference.company(parsed.company_id)) if parsed.company_id else "",
        "board_id": parsed.board_id,
        "priority_id": parsed.priority_id,
        "assigned_member_id": parsed.assigned_member_id,
        "description": (parsed.description or "").strip(),
    }
    shown = {
        "company": lambda v: v, "summary": lambda v: v, "description": lambda v: "the parsed description",
        "board_id": lambda v: _name(reference.board(v)), "priority_id": lambda v: _name(reference.priority(v)),
        "assigned_member_id": lambda v: _name(reference.member(v)),
    }
    kept = []
    for name, new in parsed_values.items():
        if new in ("", None):
            continue
        current = draft.value(name)
        if current in ("", None):
            setattr(draft, name, new)
            if name == "company":
                draft.company_id = parsed.company_id
        elif str(current).casefold() != str(new).casefold():
            kept.append(f"Kept your {LABELS[name].lower()}; the prompt suggested {shown[name](new) or new}.")
    if parsed.status_id is not None and draft.status_id is None and draft.board_id == parsed.board_id:
        draft.status_id = parsed.status_id
    draft.missing = [f for f in (form_field(m) for m in parsed.missing_fields) if f and draft.value(f) in ("", None)]
    # "Could not determine X" is moot when the draft already has X (e.g. the linked ticket's company).
    moot = {NO_COMPANY_WARNING: "company", NO_BOARD_WARNING: "board_id", NO_SUMMARY_WARNING: "summary"}
    draft.warnings = [w for w in parsed.warnings if not (w in moot and draft.value(moot[w]) not in ("", None))][:LIST_MAX]
    draft.kept = kept
    draft.parsed = True
    return draft


class NewTicketForm(forms.Form):
    """Create-time validation of a draft (required fields, ids against PSA reference data)."""

    summary = forms.CharField(max_length=SUMMARY_MAX, error_messages={"required": "Summary is required"})
    company = forms.CharField(max_length=COMPANY_TEXT_MAX, error_messages={"required": "Company is required"})
    board_id = forms.TypedChoiceField(coerce=int, error_messages={"required": "Board is required"})
    status_id = forms.TypedChoiceField(coerce=int, error_messages={"required": "Status is required"})
    priority_id = forms.TypedChoiceField(coerce=int, error_messages={"required": "Priority is required"})
    description = forms.CharField(max_length=NOTE_MAX, required=False)
    assigned_member_id = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    # A contact of the company, chosen in its picker (the PSA checks that it is one: no look-up here)
    contact_id = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)

    def __init__(self, data, *, reference: Reference):
        super().__init__(data)
        self.reference = reference
        invalid = "Choose one from the list"
        self.fields["board_id"].choices = [(b.id, b.name) for b in reference.boards]
        self.fields["board_id"].error_messages["invalid_choice"] = "Choose a board from the list"
        self.fields["status_id"].choices = [(s.id, s.name) for s in reference.statuses(_id(data.get("board_id")))]
        self.fields["status_id"].error_messages["invalid_choice"] = "Choose one of this board's statuses"
        self.fields["priority_id"].choices = [(p.id, p.name) for p in reference.priorities]
        self.fields["priority_id"].error_messages["invalid_choice"] = invalid
        self.fields["assigned_member_id"].choices = [("", "Unassigned")] + [(m.id, m.name) for m in reference.members]
        self.fields["assigned_member_id"].error_messages["invalid_choice"] = invalid
        self.company_obj: PSACompany | None = None

    def clean_summary(self):
        if CONTROL_CHARACTERS.search(self.cleaned_data["summary"]):  # as the API refuses them
            raise forms.ValidationError(CONTROL_CHARACTERS_MESSAGE)
        summary = " ".join(self.cleaned_data["summary"].split())
        if not summary:
            raise forms.ValidationError("Summary is required")
        return summary

    def clean_description(self):
        if CONTROL_CHARACTERS.search(self.cleaned_data["description"]):
            raise forms.ValidationError(CONTROL_CHARACTERS_MESSAGE)
        return self.cleaned_data["description"]

    def clean_company(self):
        text = " ".join(self.cleaned_data["company"].split())
        chosen = _id(self.data.get("company_id"))
        if chosen is not None:  # picked in the typeahead: one cached look-up by id
            company = self.reference.company(chosen)
            if company is not None and " ".join(company.name.split()).casefold() == text.casefold():
                self.company_obj = company
                return company.name
        found = self.reference.companies_named(text, limit=COMPANY_MATCHES) if text else []
        company, error = resolve_company(found, text)
        if error:
            raise forms.ValidationError(error)
        self.company_obj = company
        return company.name

    def payload(self) -> TicketCreatePayload:
        data = self.cleaned_data
        return TicketCreatePayload(
            summary=data["summary"], company_id=self.company_obj.id, board_id=data["board_id"],
            status_id=data["status_id"], priority_id=data["priority_id"],
            description=data["description"].strip() or None, assigned_member_id=data["assigned_member_id"],
            contact_id=data.get("contact_id"),
        )

    def add_psa_error(self, error: PSAValidationError) -> None:
        """Put the PSA's (or the service's) field errors next to the fields; the rest on the form."""
        mapped = False
        for item in error.field_errors:
            name = form_field(item.field)
            if name:
                self.add_error(name, item.message)
                mapped = True
            elif item.field and item.message:
                self.add_error(None, f"{item.field}: {item.message}")
                mapped = True
        if not mapped:
            self.add_error(None, error.message)
