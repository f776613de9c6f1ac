"""What a typeahead picker offers (issue 17): a few matches for the typed text, never a whole list.

An MSP has thousands of companies and contacts and hundreds of members, so a page cannot ship them all in a
``<select>``. Each picker asks for one small page instead (``PICK_LIMIT`` items):

* companies, contacts, configurations: one PSA search with the text (the provider escapes it:
  ``C.like_text`` for ConnectWise), by name;
* members: the cached member list (``tenant.reference()``: no PSA call once cached), filtered here,
  ResolutionFlow users first.

Text is trimmed, whitespace collapsed and cut at ``SEARCH_MAX``; empty text gives the first page.
"""

from __future__ import annotations

from dataclasses import dataclass

from psa.schemas import PSACompany, PSAConfiguration, PSAContact, PSAMember
from psa.tenancy import Tenant
from tickets.service.queue import SEARCH_MAX

PICK_LIMIT = 20  # items a picker shows (a PSA page of at most 25)
WORDS_MAX = 3


@dataclass(frozen=True)
class Choice:
    """One item of a picker: the value a form submits, the label it shows, a detail beside it."""

    value: str
    label: str
    detail: str = ""
    key: str = ""  # the option's DOM id suffix when the value cannot be one (the empty value)

    @property
    def dom_key(self) -> str:
        return self.key or self.value


# The Assigned filter's values that are not members (``tickets.filters.ASSIGNED_FIXED``); "All" submits nothing.
ASSIGNED_CHOICES = (Choice("", "All", "every ticket", key="all"), Choice("me", "Me", "assigned to you"),
                    Choice("unassigned", "Unassigned", "nobody assigned"))


def assigned_choices(text: str = "") -> list[Choice]:
    """The Assigned filter's fixed values whose label starts with the typed text (all of them without text)."""
    wanted = _key(clean_text(text))
    return [choice for choice in ASSIGNED_CHOICES if choice.label.casefold().startswith(wanted)]


def clean_text(text: str | None) -> str:
    return " ".join((text or "").split())[:SEARCH_MAX]


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def companies(tenant: Tenant, text: str = "", limit: int = PICK_LIMIT) -> list[PSACompany]:
    return tenant.provider.search_companies(clean_text(text) or None, limit=limit)


def contacts(tenant: Tenant, company_id: int | None, text: str = "", limit: int = PICK_LIMIT) -> list[PSAContact]:
    return tenant.provider.search_contacts(company_id, clean_text(text) or None, limit=limit)


def configurations(tenant: Tenant, company_id: int | None, text: str = "",
                   limit: int = PICK_LIMIT) -> list[PSAConfiguration]:
    return tenant.provider.search_configurations(company_id, clean_text(text) or None, limit=limit)


def members(tenant: Tenant, text: str = "", limit: int = PICK_LIMIT, exclude=frozenset()) -> list[PSAMember]:
    """Members whose name or identifier contains every typed word (ResolutionFlow users first), but ``exclude``."""
    words = _key(clean_text(text)).split(" ")[:WORDS_MAX] if clean_text(text) else []
    found = []
    for member in tenant.reference("members").members:
        if member.id in exclude:
            continue
        haystack = _key(f"{member.name} {member.identifier}")
        if all(word in haystack for word in words):
            found.append(member)
            if len(found) >= limit:
                break
    return found


# --- as a picker shows them --------------------------------------------------------------------------------


def company_choices(items: list[PSACompany]) -> list[Choice]:
    return [Choice(str(c.id), c.name, c.identifier) for c in items]


def contact_choices(items: list[PSAContact]) -> list[Choice]:
    return [Choice(str(c.id), c.name, c.title or "") for c in items]


def member_choices(items: list[PSAMember]) -> list[Choice]:
    return [Choice(str(m.id), m.name, m.identifier + (" · ResolutionFlow" if m.is_rf_user else "")) for m in items]


def configuration_choices(items: list[PSAConfiguration]) -> list[Choice]:
    return [Choice(str(c.id), c.name, " · ".join(x for x in (c.type_name, c.serial_number) if x)) for c in items]
