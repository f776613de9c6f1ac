"""``{% viewer_zone %}``: the name of the zone the page's times are in (``tickets.timezones``)."""

from __future__ import annotations

from django import template
from django.utils import timezone

register = template.Library()


@register.simple_tag
def viewer_zone() -> str:
    return timezone.get_current_timezone_name()
