"""Spin-off back-links: the two notes that tie a ticket spun off from ResolutionAssist to its original.

When a ticket #M is created from an Assist session linked to ticket #N (``tickets.signals.spin_off_created``;
``assist.receivers`` calls :func:`record_spin_off`):

* #M gets an internal note "Spun off from #N — <N's summary>" and, on its next line, the Assist session's
  absolute link;
* #N gets an internal note "Spin-off #M created: <M's summary>".

Both are internal: the session link leads into ResolutionFlow, which the client cannot open, and a
discussion note may be mailed to the client. The drawer of each ticket lists the other under Related
(``tickets.service.drawer`` reads these notes: no ConnectWise parent/child bundle, which would close the
spin-off with its original and roll its time up into it).

A back-link that cannot be written never fails the creation: :class:`BackLinks` says which ticket's note is
missing, the page offers Retry, and :func:`retry_back_links` writes only the missing notes. Each written
note's id is kept on the :class:`~tickets.models.SpinOffLink`, and a retry first looks for the note an
unanswered attempt may have written, so neither ticket ever gets a second note.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import IntegrityError, transaction

from psa.providers.base import PSAError
from psa.schemas import PSANote
from psa.tenancy import Tenant
from tickets.models import SpinOffLink

logger = logging.getLogger(__name__)

SUMMARY_MAX = 200
LOCK_SECONDS = 60  # one writer of a link's notes at a time; a writer that died frees it after this long

_SPUN_OFF_FROM = re.compile(r"Spun off from #(\d+)(?: — (.*))?")
_SPIN_OFF_CREATED = re.compile(r"Spin-off #(\d+) created(?:: (.*))?")


class SpinOffLinkNotFound(Exception):
    """No spin-off of this account has that ticket number (API: 404)."""

    def __init__(self, message: str = "No spin-off back-links are recorded for that ticket"):
        self.message = message
        super().__init__(message)


# --- the notes' text, written and read in one place ----------------------------------------------


def spun_off_from_text(link: SpinOffLink) -> str:
    """The note on the spin-off: "Spun off from #N — <summary>", then the session's link."""
    head = f"Spun off from #{link.original_ticket_id}"
    if link.original_summary:
        head += f" — {link.original_summary}"
    return f"{head}\nResolutionAssist session: {link.origin_url}" if link.origin_url else head


def spin_off_created_text(link: SpinOffLink) -> str:
    """The internal note on the original: "Spin-off #M created: <summary>"."""
    head = f"Spin-off #{link.spin_off_ticket_id} created"
    return f"{head}: {link.spin_off_summary}" if link.spin_off_summary else head


@dataclass(frozen=True)
class SpinOffRelation:
    """A ticket a back-link note names: the original a spin-off came from, or a spin-off of this ticket."""

    ticket_id: int
    kind: str  # "original" (this ticket was spun off from it) | "spin_off" (it was spun off from this ticket)
    summary: str

    @property
    def label(self) -> str:
        return "Spun off from" if self.kind == "original" else "Spin-off"


def _first_line(note: PSANote) -> str:
    return (note.text or "").strip().split("\n", 1)[0].strip()


def relations_in_notes(notes: list[PSANote], ticket_id: int | None = None) -> list[SpinOffRelation]:
    """The tickets the back-link notes among ``notes`` name (each once, in note order)."""
    found: dict[int, SpinOffRelation] = {}
    for note in notes:
        line = _first_line(note)
        for pattern, kind in ((_SPUN_OFF_FROM, "original"), (_SPIN_OFF_CREATED, "spin_off")):
            match = pattern.fullmatch(line)
            if match and len(match.group(1)) <= 10:
                other = int(match.group(1))
                if other != ticket_id and other not in found:
                    found[other] = SpinOffRelation(other, kind, (match.group(2) or "").strip())
    return list(found.values())


def _find_note(notes: list[PSANote], pattern: re.Pattern, ticket_id: int) -> PSANote | None:
    for note in notes:
        match = pattern.fullmatch(_first_line(note))
        if match and match.group(1) == str(ticket_id):
            return note
    return None


# --- writing them -------------------------------------------------------------------------------


@dataclass
class BackLinks:
    """The outcome of writing a spin-off's back-link notes."""

    link: SpinOffLink
    failed_ticket_ids: list[int] = field(default_factory=list)  # tickets whose note is still missing
    error: PSAError | None = None  # the PSA's failure (the first one)
    busy: bool = False  # another request is writing these notes right now

    @property
    def ok(self) -> bool:
        return not self.failed_ticket_ids and not self.busy

    @property
    def spin_off_ticket_id(self) -> int:
        return self.link.spin_off_ticket_id

    @property
    def original_ticket_id(self) -> int:
        return self.link.original_ticket_id


def record_spin_off(tenant: Tenant, *, original_ticket_id: int, spin_off_ticket_id: int, original_summary: str = "",
                    spin_off_summary: str = "", origin_url: str = "") -> BackLinks:
    """Record that #``spin_off_ticket_id`` was spun off from #``original_ticket_id`` and write both notes.

    Never raises a PSA error (the ticket exists: its creation must not fail); the result says what is missing.
    Recording the same spin-off again (a replayed create) writes nothing twice."""
    account = tenant.account
    try:
        with transaction.atomic():
            link, created = SpinOffLink.objects.get_or_create(
                account=account, spin_off_ticket_id=int(spin_off_ticket_id),
                defaults={
                    "created_by": tenant.user if getattr(tenant.user, "pk", None) else None,
                    "original_ticket_id": int(original_ticket_id),
                    "original_summary": (original_summary or "")[:SUMMARY_MAX],
                    "spin_off_summary": (spin_off_summary or "")[:SUMMARY_MAX],
                    "origin_url": (origin_url or "")[:500],
                },
            )
    except IntegrityError:  # recorded by a concurrent request a moment ago
        link, created = SpinOffLink.objects.get(account=account, spin_off_ticket_id=int(spin_off_ticket_id)), False
    return write_back_links(tenant, link, look_first=not created)


def retry_back_links(tenant: Tenant, spin_off_ticket_id: int) -> BackLinks:
    """Write the notes still missing for spin-off #``spin_off_ticket_id`` (none missing: nothing is written)."""
    if tenant.account is None:
        raise SpinOffLinkNotFound()
    link = SpinOffLink.objects.filter(account_id=tenant.account.pk, spin_off_ticket_id=int(spin_off_ticket_id)).first()
    if link is None:
        raise SpinOffLinkNotFound()
    return write_back_links(tenant, link, look_first=True)


def back_links_of(tenant: Tenant, spin_off_ticket_id: int) -> SpinOffLink | None:
    if tenant.account is None:
        return None
    return SpinOffLink.objects.filter(account_id=tenant.account.pk, spin_off_ticket_id=int(spin_off_ticket_id)).first()


def write_back_links(tenant: Tenant, link: SpinOffLink, *, look_first: bool = True) -> BackLinks:
    """Write each missing note of ``link``. With ``look_first`` (any attempt but a link's first), the ticket's
    notes are read first and a note found there (an earlier attempt that got no answer) is kept instead."""
    result = BackLinks(link)
    if link.complete:
        return result
    lock = f"rf-spin-off-links:{link.pk}"
    if not cache.add(lock, 1, LOCK_SECONDS):
        result.busy = True
        return result
    try:
        provider = tenant.provider
        targets = (
            ("spin_off_note_id", link.spin_off_ticket_id, _SPUN_OFF_FROM, link.original_ticket_id, spun_off_from_text(link)),
            ("original_note_id", link.original_ticket_id, _SPIN_OFF_CREATED, link.spin_off_ticket_id,
             spin_off_created_text(link)),
        )
        for note_field, ticket_id, pattern, names, text in targets:
            if getattr(link, note_field) is not None:
                continue
            try:
                note = _find_note(provider.list_notes(ticket_id), pattern, names) if look_first else None
                if note is None:
                    note = provider.add_note(ticket_id, text, "internal")
            except PSAError as error:
                logger.warning("spin-off back-link note on #%s not written: %s", ticket_id, type(error).__name__)
                result.failed_ticket_ids.append(ticket_id)
                result.error = result.error or error
                continue
            setattr(link, note_field, note.id)
            SpinOffLink.objects.filter(pk=link.pk).update(**{note_field: note.id})
    except PSAError as error:  # no provider at all (the connection went away)
        result.failed_ticket_ids = [t for t, f in ((link.spin_off_ticket_id, link.spin_off_note_id),
                                                   (link.original_ticket_id, link.original_note_id)) if f is None]
        result.error = error
    finally:
        cache.delete(lock)
    return result
