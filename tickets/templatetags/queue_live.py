"""``{% live_poll_seconds %}``: how often the queue and the drawer check for changes in the background.

It is ``tickets.service.live.POLL_INTERVAL_SECONDS``, the interval the shared PSA query is cached for, so
the page never asks more often than the answer can change (tests shorten both together)."""

from django import template

from tickets.service import live

register = template.Library()


@register.simple_tag
def live_poll_seconds() -> int:
    return live.POLL_INTERVAL_SECONDS
