"""The shared change poll, measured: PSA calls per minute for 1, 10 and 50 viewers of a queue.

    .venv/bin/python bench/live_poll.py [--intervals 40] [--changes 2] [--refresh-rate 0.3] [--json FILE]

Viewers are engineers of one account, each with the queue open and polling once per interval
(``tickets.service.live.POLL_INTERVAL_SECONDS``, 45 s) at their own offset within it, through
``tickets.service.live.changes_since`` against the in-process ConnectWise sandbox (real HTTP exchanges
through ``httpx.WSGITransport``; every request is counted by ``psa.metrics``). The clock is simulated: each
interval ``--changes`` tickets of the watched boards are updated (their ``lastUpdated`` set to that simulated
moment) and, now and then, a ticket on the page is moved to another board (it leaves the filter); nothing
sleeps, so the figures are call counts, not timings.

Scenarios: 1, 10 and 50 viewers of "Service Desk / New"; 50 viewers spread over 3 filters; and, for scale,
50 viewers with sharing switched off (each viewer's own query, what a naive poll costs). "Refresh" is a viewer
who was told of changes redrawing their page at their next poll (``--refresh-rate`` of the time): their
``since`` and their rows (``visible_ids``) change, so viewers of one filter show different rows (the shared
query watches the rows of all their pages, so they still share it); the redraw's own list + count calls are
counted apart (the page load the engineer asked for, not the poll).
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness as h  # noqa: E402

START = datetime(2030, 1, 1, 9, 0, 0, tzinfo=UTC)  # a simulated Monday morning (45 s divides it)
OLD = "2020-01-01T00:00:00Z"
PAGE_SIZE = 25


@dataclass
class Viewer:
    tenant: object
    filters: object
    offset: float  # seconds into each interval at which this viewer polls
    since: datetime = START
    visible: tuple[int, ...] = ()
    wants_refresh: bool = False
    told: int = field(default=0)  # polls that reported changes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intervals", type=int, default=40, help="poll intervals simulated per scenario (40 = 30 min)")
    parser.add_argument("--changes", type=int, default=2, help="tickets updated per interval")
    parser.add_argument("--refresh-rate", type=float, default=0.3, help="chance a told viewer redraws at its next poll")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    print(f"Live poll: {args.intervals} intervals of 45 s, {args.changes} ticket changes per interval, "
          f"refresh rate {args.refresh_rate:g}; machine {h.machine_info()['cpu']}, load avg {h.loadavg()}\n")
    h.configure_django(h.temp_dir("rf-live-poll-") / "db.sqlite3")
    from django.contrib.auth import get_user_model
    from django.core.cache import cache

    from psa.metrics import psa_call_counter
    from psa.models import Account, Membership, PSAConnection
    from psa.sandbox import default_sandbox
    from psa.tenancy import tenant_for
    from tickets import service
    from tickets.service import live

    sandbox = default_sandbox()
    account = Account.objects.create(name="Bench MSP")
    connection = PSAConnection(account=account, site="sandbox", company_id="sandbox", public_key="sandbox-public",
                               client_id="rf-bench")
    connection.set_private_key("sandbox-private")
    connection.save()
    users = []
    for i in range(50):
        user = get_user_model().objects.create_user(username=f"engineer{i:02d}")
        Membership.objects.create(user=user, account=account, role=Membership.Role.MEMBER)
        users.append(user)

    desk_new = service.TicketFilters(board=1, status=11)
    three = [desk_new, service.TicketFilters(board=2), service.TicketFilters(assigned="unassigned")]
    scenarios = [
        ("1 viewer, one filter", 1, [desk_new], True),
        ("10 viewers, one filter", 10, [desk_new], True),
        ("50 viewers, one filter", 50, [desk_new], True),
        ("50 viewers, 3 filters", 50, three, True),
        ("50 viewers, one filter, not shared", 50, [desk_new], False),
    ]
    minutes = args.intervals * live.POLL_INTERVAL_SECONDS / 60
    rows, figures = [], []
    for name, count, filter_sets, shared in scenarios:
        for refresh_rate in (0.0, args.refresh_rate):
            sandbox.reset()
            for ticket in sandbox.state["tickets"].values():
                ticket["_info"]["lastUpdated"] = OLD
            cache.clear()
            rng = random.Random(20)
            viewers = [Viewer(tenant_for(users[i]), filter_sets[i % len(filter_sets)],
                              offset=rng.uniform(0, live.POLL_INTERVAL_SECONDS)) for i in range(count)]
            first_pages = {}
            for viewer in viewers:
                key = repr(viewer.filters)
                if key not in first_pages:
                    first_pages[key] = _page(service, viewer.tenant, viewer.filters)
                viewer.visible = first_pages[key]
            polls = redraws = 0
            original_key = live.poll_cache_key
            if not shared:  # each viewer its own cache entry: one query per viewer per interval
                live.poll_cache_key = lambda tenant, *a, key=original_key: key(tenant, *a) + f":{tenant.user.pk}"
            try:
                for interval in range(args.intervals):
                    begin = START + timedelta(seconds=interval * live.POLL_INTERVAL_SECONDS)
                    _activity(sandbox, rng, viewers, begin, args.changes)
                    for viewer in sorted(viewers, key=lambda v: v.offset):
                        now = begin + timedelta(seconds=viewer.offset)
                        if viewer.wants_refresh:
                            with psa_call_counter() as counter:
                                viewer.visible = _page(service, viewer.tenant, viewer.filters)
                            redraws += counter.count
                            viewer.since, viewer.wants_refresh = now, False
                        with psa_call_counter() as counter:
                            changes = live.changes_since(viewer.tenant, viewer.filters, viewer.since,
                                                         visible_ids=viewer.visible, now=now)
                        polls += counter.count
                        if changes.count:
                            viewer.told += 1
                            viewer.wants_refresh = rng.random() < refresh_rate
            finally:
                live.poll_cache_key = original_key
            told = sum(v.told for v in viewers) / (len(viewers) * args.intervals)
            row = [name, "yes" if refresh_rate else "no", count, len(filter_sets), polls,
                   polls / args.intervals, polls / minutes, redraws / minutes, f"{told:.0%}"]
            rows.append(row)
            figures.append(dict(zip(["scenario", "refresh", "viewers", "filters", "poll_calls", "calls_per_interval",
                                     "poll_calls_per_minute", "redraw_calls_per_minute", "polls_told_of_changes"],
                                    row, strict=True)))
    print(h.table("PSA calls of the change poll (psa.metrics)",
                  ["scenario", "refresh", "viewers", "filters", "poll calls", "per interval", "per minute",
                   "redraw calls/min", "polls told"], rows,
                  note=f"{args.intervals} intervals = {minutes:g} simulated minutes. 'refresh': told viewers redraw "
                       f"their page ({args.refresh_rate:.0%} of the time), so their rows differ from the others'. "
                       "'polls told': polls that reported changes."))
    if args.json:
        h.dump_json(args.json, figures)
    return 0


def _page(service, tenant, filters) -> tuple[int, ...]:
    """The ids of the first page of the queue, as the viewer's page shows them (one list + one count call)."""
    return tuple(row.id for row in service.search_tickets(tenant, filters, page=1, page_size=PAGE_SIZE).items)


def _activity(sandbox, rng, viewers, moment: datetime, changes: int) -> None:
    """Tickets change during the interval: ``changes`` open tickets of the watched boards are updated, and every
    fifth interval a ticket on someone's page moves to another board (it leaves that filter)."""
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    open_ids = [t["id"] for t in sandbox.state["tickets"].values() if not t["closedFlag"] and t["board"]["id"] in (1, 2)]
    for ticket_id in rng.sample(open_ids, min(changes, len(open_ids))):
        sandbox.state["tickets"][ticket_id]["_info"]["lastUpdated"] = stamp
    on_pages = sorted({i for v in viewers for i in v.visible})
    if on_pages and rng.random() < 0.2:
        moved = sandbox.state["tickets"][rng.choice(on_pages)]
        moved["board"] = {"id": 3, "name": "Projects"} if moved["board"]["id"] != 3 else {"id": 1, "name": "Service Desk"}
        moved["_info"]["lastUpdated"] = stamp


if __name__ == "__main__":
    raise SystemExit(main())
