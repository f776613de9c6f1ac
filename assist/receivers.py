"""Receivers for the signals ``tickets`` sends about spin-off tickets (connected in ``AssistConfig.ready``).

The New Ticket modal carries the Assist session (and TaskLane action) it was opened from: opening
or posting it checks that they are the user's own (``Http404`` otherwise), and a created ticket
marks the action done with the ticket's number.
"""

from __future__ import annotations

from django.dispatch import receiver

from assist import services
from tickets.signals import spin_off_created, spin_off_opened


@receiver(spin_off_opened)
def check_origin(sender, *, tenant, session_id, action_id, **kwargs):
    session = services.get_session(tenant.account, tenant.user, session_id)
    if action_id is not None:
        services.get_action(session, action_id)


@receiver(spin_off_created)
def mark_spin_off_done(sender, *, tenant, session_id, action_id, ticket_id, **kwargs):
    if action_id is None:
        return
    session = services.get_session(tenant.account, tenant.user, session_id)
    services.mark_action_done(session, action_id, ticket_id)
