"""``{% running_timer as timer %}``: the signed-in user's running timer (one database read), for the sidebar."""

from __future__ import annotations

from django import template

from tickets.service import time as time_service
from tickets.service.errors import NoPSAConnection

register = template.Library()


@register.simple_tag(takes_context=True)
def running_timer(context):
    request = context.get("request")
    tenant = getattr(request, "tenant", None)
    user = getattr(request, "user", None)
    if tenant is None or user is None or not user.is_authenticated:
        return None
    try:
        return time_service.get_timer(tenant)
    except NoPSAConnection:
        return None
