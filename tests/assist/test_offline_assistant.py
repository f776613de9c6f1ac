"""The offline assistant answers briefly and suggests a spin-off only for a clearly separate problem."""

import pytest

from assist import services
from assist.actions import parse_actions
from assist.chat import OfflineAssistant, Turn

CASES = [
    # (message, expected spin-off summary hint or None)
    ("Outlook keeps crashing for the CFO. Also, the printer on the 2nd floor is offline.",
     "The printer on the 2nd floor is offline"),
    ("VPN drops every hour. Another issue: Sarah is locked out of her account.", "Sarah is locked out of her account"),
    ("User's PC is slow. Separately, the Wi-Fi in the conference room keeps dropping.",
     "The Wi-Fi in the conference room keeps dropping"),
    ("Outlook crashes. Unrelated, but the scanner at reception won't turn on.", "The scanner at reception won't turn on"),
    ("Outlook crashes. On top of that, the shared drive is not mapping for accounting!",
     "The shared drive is not mapping for accounting"),
    ("The printer jams. In addition, the CEO's phone can't sync email.", "The CEO's phone can't sync email"),
    ("Slow laptop. Different problem: the door badge reader is broken.", "The door badge reader is broken"),
    ('Outlook hangs. Also the "Sales" share is missing.', 'The "Sales" share is missing'),
    ("Outlook keeps crashing. I also tried rebooting the PC.", None),
    ("The printer is offline. I also restarted the spooler but it's still offline.", None),
    ("VPN won't connect for the remote team.", None),
    ("Outlook is slow and I also noticed it happens in the morning.", None),
    ("Outlook crashes on start. Also Outlook search doesn't work.", None),  # same subject: a tangent
    ("Also, thanks for the help!", None),
    ("The printer is also offline.", None),
    ("Also the printer is offline and nobody can print.", None),  # the first message's only topic
]


def offline_reply(session, text):
    return OfflineAssistant().reply(session, [Turn("user", text)])


@pytest.mark.parametrize(("message", "hint"), CASES, ids=[c[0][:40] for c in CASES])
def test_it_suggests_a_spin_off_only_for_a_separate_problem(session, message, hint):
    display, actions = parse_actions(offline_reply(session, message))
    assert [a.summary_hint for a in actions] == ([hint] if hint else [])
    assert display  # always a brief troubleshooting answer


@pytest.mark.parametrize(("message", "words"), [
    ("Outlook keeps asking for the password", "safe mode"),
    ("The printer on floor 2 is offline", "Print Spooler"),
    ("VPN fails at 9am", "VPN client log"),
    ("User locked out again", "locked"),
    ("Laptop is really sluggish", "Task Manager"),
    ("No internet in the warehouse", "ipconfig"),
    ("Something odd is happening", "narrow it down"),
])
def test_it_picks_a_playbook_by_keyword(session, message, words):
    assert words in offline_reply(session, message)


def test_a_cue_in_a_follow_up_message_counts_when_the_session_has_a_topic(session):
    services.post_message(session, "Outlook crashes for the CFO")
    _, reply = services.post_message(session, "Also, the label printer in shipping is jammed.")
    assert [a.summary_hint for a in reply.actions.all()] == ["The label printer in shipping is jammed"]


def test_it_does_not_suggest_the_same_spin_off_twice(session):
    services.post_message(session, "Outlook crashes. Also the fax machine is dead.")
    _, again = services.post_message(session, "Outlook still crashes. Also the fax machine is dead.")
    assert again.actions.count() == 0
    assert session.actions.count() == 1


def test_it_is_deterministic(session):
    message = CASES[0][0]
    assert offline_reply(session, message) == offline_reply(session, message)
