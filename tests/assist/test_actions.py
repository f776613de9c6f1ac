"""The [ACTIONS] marker parser: a table of replies, then properties that hold for any string."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assist.actions import CREATE_SPIN_OFF_TICKET, LABEL_MAX, RECOGNIZED_ACTION_TYPES, ParsedAction, parse_actions

SPIN = CREATE_SPIN_OFF_TICKET


def spin(label):
    return ParsedAction(SPIN, label, label)


LONG = "x" * 150

CASES = [
    # (id, reply, expected display text, expected actions)
    ("spec example", 'Check the cable.\n[ACTIONS]\ncreate_spin_off_ticket: "Printer offline on 2nd floor"\n[/ACTIONS]',
     "Check the cable.", [spin("Printer offline on 2nd floor")]),
    ("no block", "Just restart the spooler.", "Just restart the spooler.", []),
    ("empty string", "", "", []),
    ("several actions", '[ACTIONS]\ncreate_spin_off_ticket: "A broken"\nescalate_ticket: "Call vendor"\n[/ACTIONS]',
     "", [spin("A broken"), ParsedAction("escalate_ticket", "Call vendor", None)]),
    ("unknown type is dropped", 'Hi\n[ACTIONS]\nlaunch_missiles: "now"\ncreate_spin_off_ticket: "VPN down"\n[/ACTIONS]',
     "Hi", [spin("VPN down")]),
    ("only unknown types", '[ACTIONS]\nreboot_everything: "x"\n[/ACTIONS]\nDone.', "Done.", []),
    ("malformed line without colon", '[ACTIONS]\ncreate_spin_off_ticket "VPN down"\n[/ACTIONS]', "", []),
    ("garbage lines around a good one", '[ACTIONS]\n:::\n"just a quote"\ncreate_spin_off_ticket: "Fax dead"\n}{\n[/ACTIONS]',
     "", [spin("Fax dead")]),
    ("escaped quotes in label", '[ACTIONS]\ncreate_spin_off_ticket: "The \\"Sales\\" share is gone"\n[/ACTIONS]',
     "", [spin('The "Sales" share is gone')]),
    ("unbalanced opening quote", '[ACTIONS]\ncreate_spin_off_ticket: "Scanner jams\n[/ACTIONS]', "", [spin("Scanner jams")]),
    ("unquoted label", "[ACTIONS]\ncreate_spin_off_ticket: Badge reader broken\n[/ACTIONS]", "", [spin("Badge reader broken")]),
    ("curly quotes", "[ACTIONS]\ncreate_spin_off_ticket: \u201cWi-Fi drops\u201d\n[/ACTIONS]", "", [spin("Wi-Fi drops")]),
    ("apostrophe in single quotes", "[ACTIONS]\ncreate_spin_off_ticket: 'Bob's PC is slow'\n[/ACTIONS]", "", [spin("Bob's PC is slow")]),
    ("unterminated block", 'Try this.\n[ACTIONS]\ncreate_spin_off_ticket: "Printer offline"\nmore text',
     "Try this.", [spin("Printer offline")]),
    ("unterminated empty block", "Try this. [ACTIONS]", "Try this.", []),
    ("block not at the end", 'Before.\n[ACTIONS]\ncreate_spin_off_ticket: "Toner"\n[/ACTIONS]\nAfter.',
     "Before.\n\nAfter.", [spin("Toner")]),
    ("lowercase markers", '[actions]\ncreate_spin_off_ticket: "Mail loop"\n[/actions]', "", [spin("Mail loop")]),
    ("whitespace inside markers", 'Ok [ Actions ]\n   create_spin_off_ticket :  "DNS slow"  \n[ / ACTIONS ] ', "Ok", [spin("DNS slow")]),
    ("inline block on one line", 'Ok. [ACTIONS] create_spin_off_ticket: "x" [/ACTIONS]', "Ok.", [spin("x")]),
    ("empty label dropped", '[ACTIONS]\ncreate_spin_off_ticket: ""\ncreate_spin_off_ticket:   \n[/ACTIONS]', "", []),
    ("very long label truncated", f'[ACTIONS]\ncreate_spin_off_ticket: "{LONG}"\n[/ACTIONS]', "", [spin("x" * 99 + "\u2026")]),
    ("markers several times", '[ACTIONS]\ncreate_spin_off_ticket: "A"\n[/ACTIONS] mid [ACTIONS]\nrequest_info: "Serial"\n[/ACTIONS]',
     "mid", [spin("A"), ParsedAction("request_info", "Serial", None)]),
    ("duplicate actions collapse", '[ACTIONS]\ncreate_spin_off_ticket: "A"\ncreate_spin_off_ticket: "A"\n[/ACTIONS]', "", [spin("A")]),
    ("stray closing marker", "Done [/ACTIONS] here", "Done  here", []),
    ("marker formed by removal", 'a [ACT[ACTIONS]\n[/ACTIONS]IONS] b', "a  b", []),
    ("marker inside a label", '[ACTIONS]\ncreate_spin_off_ticket: "x [ACTIONS] y"\n[/ACTIONS]', "", [spin("x y")]),
    ("bulleted and mixed-case type", '[ACTIONS]\n- Create_Spin_Off_Ticket: "Laptop fan"\n[/ACTIONS]', "", [spin("Laptop fan")]),
    ("double open before close", '[ACTIONS]\n[ACTIONS]\ncreate_spin_off_ticket: "Z"\n[/ACTIONS]', "", [spin("Z")]),
    ("label with colon", '[ACTIONS]\ncreate_spin_off_ticket: "VPN: drops hourly"\n[/ACTIONS]', "", [spin("VPN: drops hourly")]),
]


@pytest.mark.parametrize(("reply", "display", "actions"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_it_parses_the_marker_table(reply, display, actions):
    got_display, got_actions = parse_actions(reply)
    assert got_display == display
    assert got_actions == actions


def test_the_table_is_big_enough():
    assert len(CASES) >= 20


def test_create_spin_off_ticket_is_a_recognized_type():
    assert "create_spin_off_ticket" in RECOGNIZED_ACTION_TYPES


def test_only_spin_offs_carry_a_summary_hint():
    _, actions = parse_actions('[ACTIONS]\nsuggest_runbook: "Outlook profile rebuild"\n[/ACTIONS]')
    assert actions == [ParsedAction("suggest_runbook", "Outlook profile rebuild", None)]


def test_it_tolerates_non_strings():
    assert parse_actions(None) == ("", [])


_MARKER_PIECES = st.sampled_from(
    ["[ACTIONS]", "[/ACTIONS]", "[actions]", "[/actions]", "[ Actions ]", "[ / ACTIONS ]", "[", "]", "/", "ACT", "IONS",
     "\n", " ", '"', "\\", ":", "create_spin_off_ticket", "request_info", "unknown_type", "x" * 120, "\u201c", "'"]
)
_REPLIES = st.one_of(st.text(), st.lists(st.one_of(_MARKER_PIECES, st.text(max_size=5)), max_size=30).map("".join))
_MARKER_TEXT = re.compile(r"\[\s*/?\s*actions\s*\]", re.I)


@settings(max_examples=400, deadline=None)
@given(_REPLIES)
def test_it_never_raises_and_never_leaks_markers(reply):
    display, actions = parse_actions(reply)
    for shown in [display, *(a.label for a in actions)]:
        assert "[actions]" not in shown.lower()
        assert "[/actions]" not in shown.lower()
        assert not _MARKER_TEXT.search(shown)
    for action in actions:
        assert action.type in RECOGNIZED_ACTION_TYPES
        assert 0 < len(action.label) <= LABEL_MAX
        assert action.summary_hint == (action.label if action.type == CREATE_SPIN_OFF_TICKET else None)
