"""The viewer's time zone: every date and time a page shows is in it, and pages name it.

Resolved once per request by ``ViewerTimeZoneMiddleware`` (then ``django.utils.timezone`` is activated,
so the ``date`` filter, ``tickets/rows.py`` and anything else that formats a time use it), in this order:

1. the zone the user picked on their profile page (``/account/profile``; the ``rf_tz`` cookie);
2. the browser's zone, sent once by ``static/app.js`` (the ``rf_browser_tz`` cookie);
3. the deployment's ``TIME_ZONE`` (UTC by default).

The mapped ConnectWise member's ``timeZone`` would come before the browser's, but the provider does not
expose it (``PSAMember`` has no zone), so that source is skipped. Only names ``zoneinfo`` knows are used;
anything else in a cookie is ignored.
"""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.utils import timezone

PICKED_COOKIE = "rf_tz"
BROWSER_COOKIE = "rf_browser_tz"
COOKIE_MAX_AGE = 365 * 24 * 3600
ZONE_NAME_MAX = 64


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """Every IANA zone name, sorted (the profile page's choices)."""
    return tuple(sorted(name for name in available_timezones() if "/" in name or name == "UTC"))


@lru_cache(maxsize=512)
def zone(name: str | None) -> ZoneInfo | None:
    """The zone of that IANA name, or None for a missing or unknown name (never raises)."""
    if not name or len(name) > ZONE_NAME_MAX or name not in zone_names():
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def viewer_zone(request) -> tuple[ZoneInfo | None, str]:
    """(zone, source): the picked zone ("profile"), else the browser's ("browser"); (None, "default")
    when neither is known (the deployment's TIME_ZONE then applies)."""
    picked = zone(request.COOKIES.get(PICKED_COOKIE))
    if picked is not None:
        return picked, "profile"
    browser = zone(request.COOKIES.get(BROWSER_COOKIE))
    if browser is not None:
        return browser, "browser"
    return None, "default"


class ViewerTimeZoneMiddleware:
    """Activates the viewer's zone for the request (``request.viewer_zone_source`` says where it came from)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        found, request.viewer_zone_source = viewer_zone(request)
        if found is None:
            return self.get_response(request)
        with timezone.override(found):
            return self.get_response(request)
