from assist.chat import SPIN_OFF_RULE, SYSTEM_PROMPT, build_system_prompt

SPEC_RULE = (
    "When you identify a second distinct issue that is separate from the primary topic of this session, "
    "suggest creating a spin-off ticket using the [ACTIONS] marker with type create_spin_off_ticket. "
    "Only suggest this when the issue is clearly separate \u2014 do not suggest for every tangential mention."
)


def test_the_system_prompt_contains_the_spin_off_rule_verbatim():
    assert SPIN_OFF_RULE == SPEC_RULE
    assert SPEC_RULE in SYSTEM_PROMPT


def test_the_system_prompt_shows_the_exact_marker_format():
    assert '[ACTIONS]\ncreate_spin_off_ticket: "Printer offline on 2nd floor"\n[/ACTIONS]' in SYSTEM_PROMPT


def test_it_names_the_linked_ticket_as_the_primary_topic(linked_session):
    prompt = build_system_prompt(linked_session)
    assert prompt.startswith(SYSTEM_PROMPT)
    assert '#1042: "Outlook crashes on launch"' in prompt


def test_an_unlinked_session_gets_the_plain_prompt(session):
    assert build_system_prompt(session) == SYSTEM_PROMPT


def test_the_linked_ticket_is_named_in_the_accounts_psa(linked_session, connection, psa_kind):
    psa = {"connectwise": "ConnectWise", "autotask": "Autotask"}[psa_kind]
    assert f"This session is linked to {psa} ticket #1042: " in build_system_prompt(linked_session)
