"""Small request/response helpers shared by every app's views (the lowest app, so all may import it)."""

from __future__ import annotations

from django_htmx.http import trigger_client_event


def toast(response, message: str, level: str = "success"):
    """Ask the page to show a toast (``static/app.js`` listens for the ``toast`` event)."""
    return trigger_client_event(response, "toast", {"message": message, "level": level})


def to_int(value) -> int | None:
    """``value`` as an int, or None when it is missing or not a whole number (never raises)."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None
