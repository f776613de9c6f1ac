"""Which sessions belong to whom: recorded at sign-in, ended when a member is removed.

Django keeps no index from a user to their sessions, and scanning every session to decode it does
not scale; one row per sign-in does, and works with any session engine (``SessionStore(key).delete()``).
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from teams.models import UserSession


@receiver(user_logged_in, dispatch_uid="teams.remember_session")
def remember_session(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is None:
        return
    if session.session_key is None:
        session.save()
    UserSession.objects.get_or_create(session_key=session.session_key, defaults={"user": user})


@receiver(user_logged_out, dispatch_uid="teams.forget_session")
def forget_session(sender, request, user, **kwargs):
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        UserSession.objects.filter(session_key=key).delete()


def end_sessions(user) -> int:
    """Signs ``user`` out everywhere; returns how many sessions were ended."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(user=user).delete()
    return len(keys)
