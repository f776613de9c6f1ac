"""Receivers for the signals ``tickets`` sends about spin-off tickets (connected in ``AssistConfig.ready``).

The New Ticket modal carries the Assist session (and TaskLane action) it was opened from: opening
or posting it checks that they are the user's own (``Http404`` otherwise), and a created ticket
marks the action done with the ticket's number. When the session is linked to a ticket, the new ticket
is a spin-off of it: both get a back-link note (``tickets.service.backlinks``), whose outcome goes back
to the modal's toast.
"""

from __future__ import annotations

from django.dispatch import receiver

from assist import services
from tickets.service import backlinks
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


@receiver(spin_off_created)
def write_back_links(sender, *, tenant, session_id, ticket_id, summary="", origin_url="", **kwargs):
    """Back-link notes between the new ticket and the session's linked ticket (none linked: no spin-off)."""
    session = services.get_session(tenant.account, tenant.user, session_id)
    if session.linked_ticket_id is None or session.linked_ticket_id == ticket_id:
        return None
    return backlinks.record_spin_off(
        tenant, original_ticket_id=session.linked_ticket_id, spin_off_ticket_id=ticket_id,
        original_summary=session.linked_ticket_summary, spin_off_summary=summary, origin_url=origin_url,
    )
