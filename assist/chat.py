"""The unified chat service: produces the assistant's reply for a ResolutionAssist session.

Two engines behind one small interface (``engine.reply(session, history) -> str``):

- ``AnthropicChat`` when ``settings.ANTHROPIC_API_KEY`` is set. Its client comes from ``tickets.ai.client``
  (explicit timeout and retries, pooled per configuration); tests inject
  ``httpx2.Client(transport=httpx2.MockTransport(...))``.
- ``OfflineAssistant`` without a key: deterministic, brief troubleshooting playbooks, and it spots a
  second, separate problem so the spin-off flow can be tried without an AI key.

Engines return the raw reply (possibly ending with an [ACTIONS] block); ``assist.services`` stores it
and turns the parsed actions into ``SessionAction`` rows. Every failure surfaces as a ``ChatError``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.conf import settings

from assist.actions import CREATE_SPIN_OFF_TICKET
from psa.providers.base import psa_name
from psa.quoting import quoted
from tickets.ai.client import anthropic_client, note_failure, note_success

log = logging.getLogger(__name__)

MAX_TOKENS = 1024
MAX_RETRIES = 1  # one retry in the SDK, on connection errors / 408 / 429 / 5xx only
HISTORY_MAX_MESSAGES = 40  # most recent messages sent to the model

SPIN_OFF_RULE = (
    "When you identify a second distinct issue that is separate from the primary topic of this session, "
    "suggest creating a spin-off ticket using the [ACTIONS] marker with type create_spin_off_ticket. "
    "Only suggest this when the issue is clearly separate \u2014 do not suggest for every tangential mention."
)

SYSTEM_PROMPT = f"""You are ResolutionAssist, a troubleshooting assistant for engineers at a managed \
service provider (MSP). The engineer is working a support issue for one of their clients (Microsoft 365 \
and Outlook, printers, VPN, accounts and passwords, slow PCs, networks and similar).

Answer briefly and practically: the most likely causes first, then numbered steps the engineer can try \
now, and what to check or ask the end user next. Do not invent ticket numbers, client names or results \
you have not been told. If information is missing, ask one focused question.

{SPIN_OFF_RULE}

Format for suggested actions: put them at the very end of your reply, exactly like this, one action per \
line, the label in double quotes and at most 80 characters:
[ACTIONS]
{CREATE_SPIN_OFF_TICKET}: "Printer offline on 2nd floor"
[/ACTIONS]
Never mention the marker itself in your text and never emit an empty [ACTIONS] block."""


# --- errors -------------------------------------------------------------------------------------


class ChatError(Exception):
    """The assistant could not reply. ``message`` is safe to show; ``retryable`` drives the Retry button."""

    retryable = True
    default_message = "The assistant could not reply."

    def __init__(self, message: str | None = None):
        self.message = message or self.default_message
        super().__init__(self.message)


class ChatUnavailable(ChatError):
    """Temporary: timeout, connection failure, rate limit, server error. Retrying may work."""

    default_message = "The assistant is unavailable right now. Try again in a moment."


class ChatRejected(ChatError):
    """Permanent until configuration changes (bad key, invalid request). Retrying the same will fail."""

    retryable = False
    default_message = "The assistant rejected the request."


# --- conversation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    role: str  # "user" | "assistant"
    content: str


def build_system_prompt(session) -> str:
    if not session.linked_ticket_id:
        return SYSTEM_PROMPT
    summary = session.linked_ticket_summary or "(no summary)"
    connection = getattr(session.account, "psa_connection", None)  # the ticket is in the account's PSA
    return (
        f"{SYSTEM_PROMPT}\n\nThis session is linked to {psa_name(connection.provider if connection else None)} "
        f"ticket #{session.linked_ticket_id}: "
        f"\"{summary}\". That ticket is the primary topic of this session."
    )


def history_for(session, user_text: str | None = None) -> list[Turn]:
    """The conversation as model turns: stored messages (raw text for assistant replies), oldest first.

    Consecutive messages of one role (a user message whose reply failed, then another) are merged,
    and the history starts with a user turn, as the Messages API requires.
    """
    stored = list(session.messages.order_by("-created", "-id")[:HISTORY_MAX_MESSAGES])[::-1]
    turns: list[Turn] = []
    for message in stored:
        content = (message.raw_text or message.text) if message.role == "assistant" else message.text
        _append(turns, message.role, content)
    if user_text is not None:  # a message that is not stored (yet)
        _append(turns, "user", user_text)
    while turns and turns[0].role != "user":
        turns.pop(0)
    return turns


def _append(turns: list[Turn], role: str, content: str) -> None:
    if turns and turns[-1].role == role:
        turns[-1] = Turn(role, f"{turns[-1].content}\n\n{content}")
    else:
        turns.append(Turn(role, content))


# --- engines ------------------------------------------------------------------------------------


class AnthropicChat:
    name = "anthropic"
    label = "Claude"

    def __init__(self, *, api_key: str | None = None, model: str | None = None, timeout: float | None = None,
                 max_retries: int = MAX_RETRIES, http_client=None):
        self.api_key = api_key or settings.ANTHROPIC_API_KEY
        self.model = model or settings.ANTHROPIC_MODEL
        self.timeout = timeout if timeout is not None else settings.ANTHROPIC_TIMEOUT_SECONDS
        self.max_retries = max_retries
        self.http_client = http_client  # tests: httpx2.Client(transport=httpx2.MockTransport(...))

    def _client(self):
        return anthropic_client(api_key=self.api_key, timeout=self.timeout, max_retries=self.max_retries,
                                http_client=self.http_client)

    def reply(self, session, turns: list[Turn]) -> str:
        import anthropic  # about two seconds: only a deployment with a key pays it, on its first reply

        if not turns:
            raise ChatRejected("There is no message to reply to.")
        try:
            response = self._client().messages.create(
                model=self.model,
                max_tokens=MAX_TOKENS,
                system=build_system_prompt(session),
                messages=[{"role": t.role, "content": t.content} for t in turns],
            )
        except (anthropic.AnthropicError, ValueError) as exc:
            note_failure(self.api_key, exc)  # a refused key shows on the Integrations page
            raise _chat_error(exc) from exc
        note_success(self.api_key)

        text = "".join(getattr(block, "text", "") for block in (getattr(response, "content", None) or [])
                       if getattr(block, "type", None) == "text").strip()
        if not text:
            raise ChatUnavailable("The assistant returned an empty reply. Try again.")
        return text


def _chat_error(exc: Exception) -> ChatError:
    import anthropic

    if isinstance(exc, anthropic.APITimeoutError):
        return ChatUnavailable("The assistant took too long to answer. Try again.")
    if isinstance(exc, anthropic.APIConnectionError):
        return ChatUnavailable("Could not reach the AI service. Try again.")
    if isinstance(exc, anthropic.RateLimitError):
        return ChatUnavailable("The AI service is busy (rate limited). Try again in a moment.")
    if isinstance(exc, anthropic.AuthenticationError | anthropic.PermissionDeniedError):
        return ChatRejected("The Anthropic API key was rejected. Ask an admin to check ANTHROPIC_API_KEY.")
    if isinstance(exc, anthropic.APIStatusError):
        if exc.status_code >= 500:
            return ChatUnavailable("The AI service had an error. Try again.")
        log.warning("anthropic rejected a chat request: %s", exc.status_code)
        return ChatRejected(f"The AI service rejected the request ({exc.status_code}).")
    # another SDK error, or a 200 whose body is empty, truncated or not UTF-8 (a JSON / Unicode error)
    log.warning("anthropic error: %s", type(exc).__name__)
    return ChatUnavailable()


class OfflineAssistant:
    """Deterministic replies without an AI key, clearly labelled as offline in the UI."""

    name = "offline"
    label = "Offline assistant"

    def reply(self, session, turns: list[Turn]) -> str:
        latest = turns[-1].content if turns and turns[-1].role == "user" else ""
        earlier_user_text = " ".join(t.content for t in turns[:-1] if t.role == "user")
        primary, second = split_second_problem(latest, has_context=bool(earlier_user_text or session.linked_ticket_id))

        context = " ".join(filter(None, [primary, session.linked_ticket_summary or "", earlier_user_text]))
        topic = topic_for(primary) if primary.strip() else topic_for(context)
        if second is not None and topic_for(second) == topic and topic != "generic":
            second = None  # same subject as the session: a tangent, not a separate issue

        hint = spin_off_summary(second) if second else ""
        already = bool(hint) and _already_suggested(session, hint)
        parts: list[str] = []
        if primary.strip() or not hint:
            parts.append(PLAYBOOKS[topic])
        if already:
            parts.append("That separate problem already has a spin-off suggestion in the task lane.")
        elif hint:
            parts.append(
                "You also mentioned a separate problem. It deserves its own ticket so it is tracked "
                "and billed on its own; I've suggested a spin-off ticket in the task lane."
            )
            parts.append(f"[ACTIONS]\n{CREATE_SPIN_OFF_TICKET}: {quoted(hint)}\n[/ACTIONS]")
        return "\n\n".join(parts)


def _already_suggested(session, hint: str) -> bool:
    if session.pk is None:
        return False
    return session.actions.filter(type=CREATE_SPIN_OFF_TICKET, summary_hint__iexact=hint[:100]).exists()


# --- offline playbooks and second-problem detection ----------------------------------------------

_TOPIC_KEYWORDS: list[tuple[str, re.Pattern]] = [
    ("email", re.compile(r"\b(outlook|e-?mails?|mailbox(es)?|exchange|inbox|calendar|teams)\b", re.I)),
    ("printer", re.compile(r"\b(print(er|ers|ing)?|spooler|toner|scanner|copier|mfp)\b", re.I)),
    ("vpn", re.compile(r"\b(vpn|anyconnect|globalprotect|forticlient|remote access|tunnel)\b", re.I)),
    ("account", re.compile(r"\b(passwords?|locked out|lock(ed|out)?|mfa|2fa|sign[- ]?in|log[- ]?in|credentials?)\b", re.I)),
    ("slow_pc", re.compile(r"\b(slow|sluggish|freez\w*|hang(s|ing)?|high cpu|laggy|takes forever|boot time)\b", re.I)),
    ("network", re.compile(r"\b(network|wi-?fi|wireless|internet|dns|dhcp|ethernet|switch|router|firewall|connectivity|shared drive|mapped drive)\b", re.I)),
]

PLAYBOOKS: dict[str, str] = {
    "email": (
        "Let's start with the mail client:\n"
        "1. Check whether webmail (outlook.office.com) works for the same user - that separates the account from the PC.\n"
        "2. Start Outlook in safe mode (`outlook.exe /safe`) to rule out add-ins.\n"
        "3. If it still fails, create a new Outlook profile and let the OST rebuild.\n"
        "What does the user see in webmail?"
    ),
    "printer": (
        "For the printer:\n"
        "1. Check the printer's own panel for errors (paper, toner, offline) and that it answers a ping.\n"
        "2. Restart the Print Spooler service on the print server or the PC and clear stuck jobs.\n"
        "3. Print a test page from the printer itself, then from the PC, to see which side fails.\n"
        "Is it one user or everyone?"
    ),
    "vpn": (
        "For the VPN:\n"
        "1. Confirm the user's internet works without the VPN and the clock is correct (certificate checks).\n"
        "2. Check the VPN client log for the failing phase (authentication, tunnel, DNS).\n"
        "3. Look for the session on the firewall/concentrator and for expired credentials or MFA prompts.\n"
        "Does it fail for other users too?"
    ),
    "account": (
        "For the sign-in problem:\n"
        "1. Check whether the account is locked or the password expired in AD / Entra ID.\n"
        "2. Look at the sign-in logs for the failure reason (bad password, MFA, conditional access).\n"
        "3. Find the source of repeated lockouts (a phone or mapped drive with an old password).\n"
        "After an unlock, does it lock again?"
    ),
    "slow_pc": (
        "For the slow PC:\n"
        "1. Check Task Manager for CPU, memory or disk at 100% and which process causes it.\n"
        "2. Check free disk space and pending Windows updates; reboot if uptime is long.\n"
        "3. Review startup apps and run a quick malware scan.\n"
        "When did the slowness start?"
    ),
    "network": (
        "For the network problem:\n"
        "1. Find the scope: one device, one room, or the whole site.\n"
        "2. Check IP configuration (`ipconfig /all`): a 169.254 address points at DHCP, good IP but no names at DNS.\n"
        "3. Ping the gateway, then an outside address, then a name, to see where it stops.\n"
        "What is the scope?"
    ),
    "generic": (
        "Let's narrow it down:\n"
        "1. What exactly happens, and is there an error message?\n"
        "2. Since when, and did anything change (updates, new hardware, password change)?\n"
        "3. Is it one user or several?\n"
        "Send me those details and I'll suggest next steps."
    ),
}

# Cues that may introduce a second, separate problem.
_CUES = re.compile(
    r"\b(another (?:issue|problem|thing)|(?:a )?different (?:issue|problem)|separate(?:ly| issue| problem)"
    r"|unrelated(?:ly)?|on top of that|in addition|additionally|also)\b",
    re.I,
)
# "also tried rebooting": the cue introduces something the engineer did, not a problem.
_ATTEMPT = re.compile(
    r"^(?:i |we |they |he |she )?(?:have |had |already )?(tried|checked|restarted|rebooted|cleared|ran|reinstalled|"
    r"updated|confirmed|verified|reset|replaced|rebuilt|removed|disabled|enabled|did|rolled back|looked|tested|"
    r"want|need|thanks|thank)\b",
    re.I,
)
_PROBLEM = re.compile(
    r"\b(not|no|can'?t|cannot|won'?t|doesn'?t|isn'?t|aren'?t|unable|fail\w*|error\w*|broken|down|offline|"
    r"crash\w*|slow|stuck|jamm?\w*|locked|freez\w*|drop\w*|disconnect\w*|missing|dead|issues?|problems?|"
    r"bsod|blue screen|intermittent\w*|keeps|unreachable|expired|corrupt\w*|flicker\w*|noisy|overheat\w*)\b",
    re.I,
)
_LEADING_FILLER = re.compile(
    r"^(?:[\s,:;.\-\u2013\u2014]|(?:but|and|so|that|is that|is|was|:)\b\s*|i (?:just )?noticed(?: that)?\s+|"
    r"noticed(?: that)?\s+|there(?:'s| is| are)\s+|we(?:'ve| have) got\s+|we have\s+)+",
    re.I,
)
_TRAILING_WORDS = {"i", "we", "they", "and", "but", "so"}
MAX_CUES = 10  # bounded work for long messages
_SENTENCE_END = re.compile(r"(?<=[^\d])[.!?](?:\s|$)|\n")
SUMMARY_MAX = 80


def split_second_problem(text: str, *, has_context: bool = False) -> tuple[str, str | None]:
    """Split a message into (primary part, clause describing a second separate problem or None).

    The clause runs from the first qualifying cue to the end of its sentence. A cue qualifies when what
    follows describes a problem (a problem word, at least three words) and is not an attempt ("also
    tried rebooting"). With nothing before the cue and no earlier context, it is the primary topic.
    """
    for index, cue in enumerate(_CUES.finditer(text or "")):
        if index >= MAX_CUES:
            break
        before = text[: cue.start()]
        after = text[cue.end() :]
        end = _SENTENCE_END.search(after)
        clause = after[: end.start()] if end else after
        rest = after[end.end() :] if end else ""
        clause = _LEADING_FILLER.sub("", clause).strip()
        if not clause or _ATTEMPT.match(clause) or not _PROBLEM.search(clause) or len(clause.split()) < 3:
            continue
        if not before.strip(" \t\n,.;:-") and not has_context:
            return text, None
        before = _trim_trailing(before)
        primary = (before + (" " + rest if rest.strip() else "")).strip()
        return primary, clause
    return text or "", None


def _trim_trailing(text: str) -> str:
    while True:
        text = text.rstrip(" \t\r\n,;:-")
        last = text.rsplit(None, 1)[-1] if text.strip() else ""
        if last.lower() not in _TRAILING_WORDS:
            return text
        text = text[: len(text) - len(last)]


def topic_for(text: str) -> str:
    for topic, pattern in _TOPIC_KEYWORDS:
        if pattern.search(text or ""):
            return topic
    return "generic"


def spin_off_summary(clause: str) -> str:
    """A short ticket-prompt summary of a clause: capitalised, one line, at most 80 characters."""
    summary = " ".join(clause.split()).strip(" .,;:!?-")
    if len(summary) > SUMMARY_MAX:
        summary = summary[:SUMMARY_MAX].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return summary[:1].upper() + summary[1:]


# --- entry points -------------------------------------------------------------------------------


def get_engine():
    """The configured engine: Anthropic with a key, otherwise the offline assistant."""
    if settings.ANTHROPIC_API_KEY:
        return AnthropicChat()
    return OfflineAssistant()


def is_offline() -> bool:
    return not settings.ANTHROPIC_API_KEY


def reply(session, user_text: str | None = None, *, engine=None) -> str:
    """The raw reply (possibly with an [ACTIONS] block) to the session's latest user message.

    ``user_text`` is only needed when that message is not stored yet. Raises ``ChatError``.
    """
    engine = engine or get_engine()
    return engine.reply(session, history_for(session, user_text))
