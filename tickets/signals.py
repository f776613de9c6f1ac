"""Signals for the apps built on tickets (ResolutionAssist listens; tickets never imports it).

``spin_off_opened``: the New Ticket modal is opened or posted with an origin (``session_id`` and
optionally ``action_id``). Sent with ``tenant``, ``session_id``, ``action_id``; a receiver raises
``Http404`` when the origin is not the requesting user's (so it propagates: use ``send``).

``spin_off_created``: a ticket was created from such a modal. Sent with ``tenant``, ``session_id``,
``action_id``, ``ticket_id``, ``summary`` (the new ticket's) and ``origin_url`` (the session page's absolute
URL). A receiver may return a ``tickets.service.backlinks.BackLinks`` (the back-link notes it wrote): the
modal's toast reports one that failed, with Retry. Receivers must not raise once the ticket exists.
"""

from __future__ import annotations

from django.dispatch import Signal

spin_off_opened = Signal()
spin_off_created = Signal()
