"""The [ACTIONS] marker: structured suggestions at the end of an assistant reply.

An assistant reply may carry a block such as::

    [ACTIONS]
    create_spin_off_ticket: "Printer offline on 2nd floor"
    [/ACTIONS]

``parse_actions(text)`` splits a reply into the text the engineer sees and the recognised actions.
It is deliberately forgiving, because the text comes from a language model: several blocks, blocks in
the middle, lowercase or spaced markers, an unterminated block (everything from the marker on is
dropped), unknown types, malformed lines and odd quoting are all handled, and it never raises.
Whatever happens, the display text never contains a marker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from psa.quoting import read_quoted

# Mirrors the recognised action types of the spec's ``flowpilot_engine.py``; the spec adds
# ``create_spin_off_ticket`` to that list. Types outside this list are dropped silently (never shown).
CREATE_SPIN_OFF_TICKET = "create_spin_off_ticket"
RECOGNIZED_ACTION_TYPES: tuple[str, ...] = (
    "suggest_runbook",
    "request_info",
    "escalate_ticket",
    CREATE_SPIN_OFF_TICKET,
)

LABEL_MAX = 100
ELLIPSIS = "\u2026"

# "[ACTIONS]", "[ actions ]", "[/ACTIONS]", "[ / Actions ]" ...
_OPEN = re.compile(r"\[\s*actions\s*\]", re.IGNORECASE)
_CLOSE = re.compile(r"\[\s*/\s*actions\s*\]", re.IGNORECASE)
_ANY_MARKER = re.compile(r"\[\s*/?\s*actions\s*\]", re.IGNORECASE)
# "create_spin_off_ticket: label", optionally bulleted ("- ", "* ", "1. ") and with "=" instead of ":".
_LINE = re.compile(r"^(?:[-*\u2022]\s*|\d+[.)]\s*)?([A-Za-z][\w-]*)\s*[:=]\s*(.*)$")
_QUOTES = {'"': '"', "\u201c": "\u201d", "'": "'"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class ParsedAction:
    type: str
    label: str
    summary_hint: str | None = None


def parse_actions(text: str) -> tuple[str, list[ParsedAction]]:
    """Return ``(display_text, actions)`` for an assistant reply. Never raises."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)

    kept: list[str] = []
    actions: list[ParsedAction] = []
    pos = 0
    while True:
        opening = _OPEN.search(text, pos)
        if opening is None:
            kept.append(text[pos:])
            break
        kept.append(text[pos : opening.start()])
        closing = _CLOSE.search(text, opening.end())
        if closing is None:  # unterminated: drop everything from the marker on
            _parse_block(text[opening.end() :], actions)
            break
        _parse_block(text[opening.end() : closing.start()], actions)
        pos = closing.end()

    return _clean_display("".join(kept)), actions


def _parse_block(block: str, into: list[ParsedAction]) -> None:
    for line in block.splitlines():
        action = _parse_line(line.strip())
        if action is not None and action not in into:
            into.append(action)


def _parse_line(line: str) -> ParsedAction | None:
    match = _LINE.match(line)
    if match is None:
        return None
    action_type = match.group(1).lower().replace("-", "_")
    if action_type not in RECOGNIZED_ACTION_TYPES:
        return None
    label = _clean_label(_unquote(match.group(2).strip()))
    if not label:
        return None
    hint = label if action_type == CREATE_SPIN_OFF_TICKET else None
    return ParsedAction(type=action_type, label=label, summary_hint=hint)


def _unquote(value: str) -> str:
    """The text inside a leading quote (honouring \\" escapes), or the whole value if unquoted.

    An unbalanced opening quote takes the rest of the line.
    """
    if not value or value[0] not in _QUOTES:
        return value
    return read_quoted(value, 0, closing=_QUOTES[value[0]], ends_here=_ends_label)[0]


def _ends_label(value: str, i: int) -> bool:
    # Apostrophes inside a single-quoted label ("'Bob's PC'") would end it early: only a
    # quote followed by the end of the line or a separator ends the label.
    rest = value[i + 1 :].lstrip()
    return value[i] != "'" or not rest or rest[0] in ",;#)"


def _clean_label(label: str) -> str:
    label = _CONTROL.sub(" ", label)
    while _ANY_MARKER.search(label):  # a label is displayed too: no markers there either
        label = _ANY_MARKER.sub("", label)
    label = " ".join(label.split())
    if len(label) > LABEL_MAX:
        label = label[: LABEL_MAX - 1].rstrip() + ELLIPSIS
    return label


def _clean_display(text: str) -> str:
    # Stray closing markers, and markers formed by joining the pieces around a removed block.
    while _ANY_MARKER.search(text):
        text = _ANY_MARKER.sub("", text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()
