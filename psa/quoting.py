"""Quoted string literals with backslash escapes: one writer, one reader.

``quoted`` writes what ConnectWise ``conditions`` and the assistant's ``[ACTIONS]`` lines expect (a backslash
before ``\\`` and ``"``); ``read_quoted`` reads such a literal back (the sandbox's conditions parser, the
``[ACTIONS]`` parser). ``read_quoted(quoted(s), 0) == (s, len(quoted(s)))`` for every string.
"""

from __future__ import annotations

from collections.abc import Callable


def quoted(text: str) -> str:
    """``text`` as a double-quoted literal, backslash and double quote escaped with a backslash."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def read_quoted(text: str, start: int = 0, *, closing: str | None = None,
                ends_here: Callable[[str, int], bool] | None = None) -> tuple[str, int | None]:
    """The literal whose opening quote is ``text[start]``: its text with backslash escapes resolved, and
    the index just past its closing quote, or ``None`` when it is unterminated (the text then runs to the end).

    ``closing`` is the closing quote (default: the opening one); ``ends_here(text, i)`` may decline a
    closing quote at ``i``, which is then part of the text.
    """
    closing = closing or text[start]
    out: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if char == closing and (ends_here is None or ends_here(text, i)):
            return "".join(out), i + 1
        out.append(char)
        i += 1
    return "".join(out), None
