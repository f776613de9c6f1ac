"""The session engine: Django's database sessions, read with one plain SELECT.

``SESSION_ENGINE = "rf_project.sessions"``. Every signed-in request reads its session; Django's db
backend does it through the ORM (``Session.objects.get(session_key=..., expire_date__gt=now)``), whose
query building costs ~5x the query itself. :meth:`SessionStore.load` runs the same query as SQL: same
table and database (the router's), same conditions, same decoding; an unknown or expired key gives an
empty session and forgets the key, as Django's does. Writing, deleting and expiry are Django's own, so a
session deleted anywhere (``teams.sessions.end_sessions`` when a member is removed) is gone on the
next request.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def load(self):
        key = self.session_key
        data = None
        if key is not None:
            model = self.model
            connection = connections[router.db_for_read(model)]
            opts = model._meta
            quote = connection.ops.quote_name
            sql = (
                f"SELECT {quote(opts.get_field('session_data').column)} FROM {quote(opts.db_table)} "
                f"WHERE {quote(opts.get_field('session_key').column)} = %s "
                f"AND {quote(opts.get_field('expire_date').column)} > %s"
            )
            with connection.cursor() as cursor:
                cursor.execute(sql, [key, connection.ops.adapt_datetimefield_value(timezone.now())])
                row = cursor.fetchone()
            data = row[0] if row else None
        if data is None:
            self._session_key = None
            return {}
        return self.decode(data)
