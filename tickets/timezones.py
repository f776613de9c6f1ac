"""The viewer's time zone: every date and time a page shows is in it, and pages name it.

Resolved once per request by ``ViewerTimeZoneMiddleware`` (then ``django.utils.timezone`` is activated,
so the ``date`` filter, ``tickets/rows.py`` and anything else that formats a time use it), in this order:

1. the zone the user picked on their profile page (``/account/profile``; kept on their membership,
   ``Membership.time_zone``, so it follows them to every browser and device): it overrides everything below;
2. the mapped ConnectWise member's own ``timeZone`` (a time zone setup such as "US Eastern", turned into
   an IANA name by ``CONNECTWISE_ZONES``; an IANA name is taken as it is). Read from the members reference
   data *as cached* (the queue and the drawer load it): the middleware never calls the PSA, so on a cold
   cache this source waits for the next request;
3. the browser's zone, sent once by ``static/app.js`` (the ``rf_browser_tz`` cookie);
4. the account's zone, which an admin sets on the profile page (``Account.time_zone``);
5. the deployment's ``TIME_ZONE`` (UTC by default).

Only names ``zoneinfo`` knows are used; anything else in a cookie or a setting is ignored.
"""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.core.cache import cache
from django.utils import timezone

from psa.models import Membership
from psa.reference import cache_key

BROWSER_COOKIE = "rf_browser_tz"
ZONE_NAME_MAX = 64

# ConnectWise's time zone setups by name (System > Setup Tables > Time Zone; its defaults and the Windows
# names some instances use), lower-cased, to IANA names.
CONNECTWISE_ZONES = {
    "us eastern": "America/New_York", "eastern standard time": "America/New_York", "eastern": "America/New_York",
    "us central": "America/Chicago", "central standard time": "America/Chicago", "central": "America/Chicago",
    "us mountain": "America/Denver", "mountain standard time": "America/Denver", "mountain": "America/Denver",
    "us arizona": "America/Phoenix", "us mountain standard time": "America/Phoenix",
    "us pacific": "America/Los_Angeles", "pacific standard time": "America/Los_Angeles", "pacific": "America/Los_Angeles",
    "us alaska": "America/Anchorage", "alaskan standard time": "America/Anchorage",
    "us hawaii": "Pacific/Honolulu", "hawaiian standard time": "Pacific/Honolulu",
    "atlantic": "America/Halifax", "atlantic standard time": "America/Halifax",
    "newfoundland": "America/St_Johns", "newfoundland standard time": "America/St_Johns",
    "gmt": "Europe/London", "gmt standard time": "Europe/London", "uk": "Europe/London", "utc": "UTC",
    "central europe": "Europe/Berlin", "w. europe standard time": "Europe/Berlin",
    "central europe standard time": "Europe/Budapest", "romance standard time": "Europe/Paris",
    "south africa standard time": "Africa/Johannesburg", "india standard time": "Asia/Kolkata",
    "singapore standard time": "Asia/Singapore", "tokyo standard time": "Asia/Tokyo",
    "australia eastern": "Australia/Sydney", "aus eastern standard time": "Australia/Sydney",
    "e. australia standard time": "Australia/Brisbane", "australia central": "Australia/Adelaide",
    "cen. australia standard time": "Australia/Adelaide", "australia western": "Australia/Perth",
    "w. australia standard time": "Australia/Perth", "new zealand": "Pacific/Auckland",
    "new zealand standard time": "Pacific/Auckland",
}


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


def connectwise_zone(name: str | None) -> ZoneInfo | None:
    """The zone of a ConnectWise time zone setup's name ("US Eastern"), or of an IANA name; None if unknown."""
    if not name:
        return None
    return zone(CONNECTWISE_ZONES.get(name.strip().lower())) or zone(name.strip())


def member_zone(tenant) -> ZoneInfo | None:
    """The mapped member's own zone, from the members reference data as cached (never a PSA call)."""
    connection = getattr(tenant, "connection", None) if tenant is not None else None
    if connection is None:
        return None
    members = cache.get(cache_key(connection, "members"))
    if not members:
        return None
    mapping = tenant.mapping
    if mapping is None:
        return None
    found = next((m for m in members if m.get("id") == mapping.psa_member_id), None)
    return connectwise_zone(found.get("time_zone")) if found else None


def picked_zone(tenant) -> ZoneInfo | None:
    """The zone the user picked on their profile page, or None for automatic."""
    return zone(getattr(tenant, "time_zone", "")) if tenant is not None else None


def save_picked_zone(tenant, name: str) -> None:
    """Keep the user's pick (an IANA name ``zone()`` knows, or "" for automatic) on their membership."""
    Membership.objects.filter(user_id=tenant.user.pk, account=tenant.account).update(time_zone=name)
    tenant.time_zone = name


def account_zone(tenant) -> ZoneInfo | None:
    account = getattr(tenant, "account", None) if tenant is not None else None
    return zone(account.time_zone) if account is not None else None


def viewer_zone(request) -> tuple[ZoneInfo | None, str]:
    """(zone, source): "profile", "member", "browser" or "account" (see the module docstring); (None,
    "default") when none is known (the deployment's TIME_ZONE then applies)."""
    tenant = getattr(request, "tenant", None)
    picked = picked_zone(tenant)
    if picked is not None:
        return picked, "profile"
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        member = member_zone(tenant)
        if member is not None:
            return member, "member"
    browser = zone(request.COOKIES.get(BROWSER_COOKIE))
    if browser is not None:
        return browser, "browser"
    account = account_zone(tenant)
    if account is not None:
        return account, "account"
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
