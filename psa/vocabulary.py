"""The words the UI uses for PSA concepts, per provider.

Autotask calls a board a *queue* and a member a *resource*; an engineer on Autotask should read their
own PSA's words. Templates pass a label through ``|psa_word:psa_words`` (``tickets_ui``); a word not
listed here is shown as it is, so ConnectWise (the product's own vocabulary) needs no table.
"""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "autotask": {
        "Board": "Queue", "Boards": "Queues", "board": "queue", "boards": "queues", "Any board": "Any queue",
        "Member": "Resource", "Members": "Resources", "member": "resource", "members": "resources",
        "ConnectWise": "Autotask",
    },
}


def words_for(provider: str | None) -> dict[str, str]:
    """Label -> this provider's word for it (empty for ConnectWise and for no connection)."""
    return WORDS.get(provider or "", {})
