"""Gives every request ``request.account``: the MSP account of the signed-in user (or None).

Resolved eagerly (one indexed query): ``LoginRequiredMiddleware`` already loads the user, and a
lazy wrapper around ``None`` would make ``request.account is None`` checks lie.
"""

from __future__ import annotations


def account_for_user(user):
    from psa.models import Membership

    if user is None or not user.is_authenticated:
        return None
    membership = Membership.objects.select_related("account").filter(user=user).first()
    return membership.account if membership else None


class AccountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not hasattr(request, "account"):
            request.account = account_for_user(getattr(request, "user", None))
        return self.get_response(request)
