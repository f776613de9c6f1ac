"""tickets.service.time: a ticket's time, Log time as the engineer's own member, and the server-side timer.

No test reads the clock: every ``now`` is passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from pydantic import ValidationError

from psa.models import MemberMapping, Membership
from psa.tenancy import tenant_for
from tickets.models import RunningTimer
from tickets.service import InvalidInput, MemberMappingRequired, NoPSAConnection
from tickets.service import time as time_service
from tickets.service.time import TimeEntryInput, TimerAlreadyRunning, TimerNotRunning

NOW = datetime(2025, 5, 16, 14, 30, 45, tzinfo=UTC)

_TIME = "time entries (issue 19) are not in the Autotask reference: AutotaskProvider raises PSANotSupportedError (501)"
pytestmark = pytest.mark.connectwise_only(_TIME)


def ticket_with_time(sandbox) -> int:
    charged = {e["chargeToId"] for e in sandbox.state["time_entries"].values()}
    return next(t["id"] for t in sandbox.state["tickets"].values() if t["id"] in charged and not t["closedFlag"])


# --- the Time section ------------------------------------------------------------------------------------


def test_the_time_section_totals_the_hours_of_the_tickets_entries(alice_tenant, sandbox):
    ticket_id = ticket_with_time(sandbox)
    seeded = [e for e in sandbox.state["time_entries"].values() if e["chargeToId"] == ticket_id]

    time = time_service.time_entries(alice_tenant, ticket_id)

    assert len(time.entries) == len(seeded)
    assert time.total_hours == pytest.approx(sum(e["actualHours"] for e in seeded))


def test_an_entry_whose_member_reference_lacks_the_name_shows_it_from_the_member_directory(alice_tenant, sandbox):
    ticket_id = ticket_with_time(sandbox)
    for entry in sandbox.state["time_entries"].values():
        if entry["chargeToId"] == ticket_id:
            entry["member"].pop("name")

    names = {e.member_name for e in time_service.time_entries(alice_tenant, ticket_id).entries}

    directory = {m["name"] for m in sandbox.state["members"].values()}
    assert names and names <= directory


# --- Log time --------------------------------------------------------------------------------------------


def test_logged_time_is_charged_as_the_engineers_mapped_member(alice_tenant, alice_mapping, sandbox):
    ticket_id = ticket_with_time(sandbox)

    created = time_service.log_time(alice_tenant, ticket_id, TimeEntryInput(duration="1h 15m", notes="Swapped the PSU"),
                                    now=NOW)

    stored = sandbox.state["time_entries"][created.id]
    assert stored["member"]["id"] == alice_mapping.psa_member_id
    assert created.member_name == alice_mapping.name
    assert stored["chargeToId"] == ticket_id and stored["notes"] == "Swapped the PSU"


def test_a_duration_alone_ends_now_to_the_minute(alice_tenant, alice_mapping, sandbox):
    created = time_service.log_time(alice_tenant, ticket_with_time(sandbox), TimeEntryInput(duration="45m"), now=NOW)
    assert created.end == datetime(2025, 5, 16, 14, 30, tzinfo=UTC)
    assert created.start == datetime(2025, 5, 16, 13, 45, tzinfo=UTC)
    assert created.hours == 0.75


def test_a_duration_with_a_start_runs_from_the_start(alice_tenant, alice_mapping, sandbox):
    start = datetime(2025, 5, 16, 9, 0, tzinfo=UTC)
    created = time_service.log_time(alice_tenant, ticket_with_time(sandbox),
                                    TimeEntryInput(start=start, duration="1.5"), now=NOW)
    assert (created.start, created.end) == (start, start + timedelta(minutes=90))


def test_an_engineer_who_is_not_mapped_cannot_log_time_and_nothing_is_sent(bob_tenant, sandbox):
    sandbox.clear_log()
    with pytest.raises(MemberMappingRequired) as refused:
        time_service.log_time(bob_tenant, ticket_with_time(sandbox), TimeEntryInput(duration="1h"), now=NOW)
    assert "not mapped" in refused.value.message
    assert [r for r in sandbox.request_log if r.method == "POST"] == []


def test_a_work_type_or_role_the_account_does_not_have_is_refused_naming_the_field(alice_tenant, alice_mapping,
                                                                                    sandbox):
    with pytest.raises(InvalidInput) as refused:
        time_service.log_time(alice_tenant, ticket_with_time(sandbox),
                              TimeEntryInput(duration="1h", work_type_id=77, work_role_id=78), now=NOW)
    assert [e.field for e in refused.value.field_errors] == ["work_type_id", "work_role_id"]


def test_a_chosen_work_type_and_billable_option_are_logged(alice_tenant, alice_mapping, sandbox):
    created = time_service.log_time(alice_tenant, ticket_with_time(sandbox),
                                    TimeEntryInput(duration="30m", work_type_id=2, billable="do_not_bill"), now=NOW)
    assert (created.work_type_name, created.billable) == ("After Hours", "do_not_bill")


@pytest.mark.parametrize(("data", "field", "says"), [
    ({}, "duration", "Enter a duration, or a start and an end"),
    ({"end": "2025-05-16T10:00:00Z"}, "duration", "the start as well as the end"),
    ({"start": "2025-05-16T09:00:00Z"}, "duration", "Enter a duration, or a start and an end"),
    ({"start": "2025-05-16T09:00:00Z", "end": "2025-05-16T08:00:00Z"}, "end", "The end must be after the start"),
    ({"start": "2025-05-16T09:00:00Z", "end": "2025-05-17T10:00:00Z"}, "end", "at most 24 hours"),
    ({"start": "2025-05-16T09:00:00Z", "end": "2025-05-16T10:00:00Z", "duration": "1h"}, "duration",
     "Give an end or a duration, not both"),
    ({"duration": "soon"}, "duration", "Could not read 'soon' as a duration"),
    ({"start": "2025-05-16T09:00:00", "duration": "1h"}, "start", "timezone"),
    ({"duration": "1h", "notes": "a\x00b"}, "notes", "Control characters"),
    ({"duration": "1h", "billable": "maybe"}, "billable", ""),
])
def test_log_time_input_is_checked_once_at_the_boundary_naming_the_field(data, field, says):
    with pytest.raises(ValidationError) as refused:
        TimeEntryInput(**data)
    errors = {tuple(e["loc"]): e["msg"] for e in refused.value.errors()}
    assert (field,) in errors and says in errors[(field,)]


# --- the timer -------------------------------------------------------------------------------------------


def test_a_started_timer_is_the_users_in_every_later_request(alice_tenant, alice):
    time_service.start_timer(alice_tenant, 1234, "Printer offline", now=NOW)

    timer = time_service.get_timer(tenant_for(alice))  # another request, tab or device

    assert (timer.ticket_id, timer.summary, timer.started) == (1234, "Printer offline", NOW)
    assert timer.elapsed(NOW + timedelta(minutes=20)) == timedelta(minutes=20)


def test_starting_the_timer_again_on_the_same_ticket_keeps_the_running_one(alice_tenant):
    time_service.start_timer(alice_tenant, 1234, now=NOW)
    again = time_service.start_timer(alice_tenant, 1234, now=NOW + timedelta(minutes=5))
    assert again.started == NOW and RunningTimer.objects.count() == 1


def test_starting_a_timer_on_another_ticket_asks_to_stop_the_running_one(alice_tenant):
    time_service.start_timer(alice_tenant, 1234, "Printer offline", now=NOW)

    with pytest.raises(TimerAlreadyRunning) as running:
        time_service.start_timer(alice_tenant, 5678, now=NOW + timedelta(minutes=5))

    assert running.value.timer.ticket_id == 1234
    assert "#1234" in running.value.message
    assert time_service.get_timer(alice_tenant).ticket_id == 1234


def test_stopping_returns_the_elapsed_time_to_prefill_log_time(alice_tenant):
    time_service.start_timer(alice_tenant, 1234, "Printer offline", now=NOW)

    stopped = time_service.stop_timer(alice_tenant, now=NOW + timedelta(hours=1, minutes=14, seconds=40))

    assert stopped.ticket_id == 1234 and stopped.elapsed == timedelta(hours=1, minutes=14, seconds=40)
    assert stopped.duration == "1h 15m"
    assert (stopped.start, stopped.end) == (NOW.replace(second=0), NOW.replace(second=0) + timedelta(minutes=75))
    assert time_service.get_timer(alice_tenant) is None
    # what it prefills is what Log time accepts
    assert TimeEntryInput(start=stopped.start, end=stopped.end).times(NOW) == (stopped.start, stopped.end)
    assert TimeEntryInput(duration=stopped.duration).duration == "1h 15m"


def test_a_timer_stopped_after_seconds_still_prefills_a_minute(alice_tenant):
    time_service.start_timer(alice_tenant, 1234, now=NOW)
    assert time_service.stop_timer(alice_tenant, now=NOW + timedelta(seconds=5)).duration == "1m"


def test_stopping_twice_says_no_timer_is_running(alice_tenant):
    time_service.start_timer(alice_tenant, 1234, now=NOW)
    time_service.stop_timer(alice_tenant, now=NOW)
    with pytest.raises(TimerNotRunning):
        time_service.stop_timer(alice_tenant, now=NOW)


def test_stopping_from_another_tickets_drawer_leaves_the_running_timer(alice_tenant):
    time_service.start_timer(alice_tenant, 1234, now=NOW)
    with pytest.raises(TimerNotRunning) as refused:
        time_service.stop_timer(alice_tenant, 5678, now=NOW)
    assert "#1234" in refused.value.message
    assert time_service.get_timer(alice_tenant).ticket_id == 1234


def test_each_user_has_their_own_timer(alice_tenant, bob_tenant):
    time_service.start_timer(alice_tenant, 1234, now=NOW)
    time_service.start_timer(bob_tenant, 5678, now=NOW)
    assert time_service.get_timer(alice_tenant).ticket_id == 1234
    assert time_service.get_timer(bob_tenant).ticket_id == 5678
    time_service.stop_timer(bob_tenant, now=NOW)
    assert time_service.get_timer(alice_tenant).ticket_id == 1234


def test_a_timer_started_in_one_account_is_not_seen_in_another(alice, alice_tenant, account, other_account):
    time_service.start_timer(alice_tenant, 1234, now=NOW)
    # alice moves to Other MSP
    Membership.objects.filter(user=alice).update(account=other_account)
    elsewhere = tenant_for(User.objects.get(pk=alice.pk))  # as her next request loads her

    assert time_service.get_timer(elsewhere) is None
    with pytest.raises(TimerNotRunning):
        time_service.stop_timer(elsewhere, now=NOW)
    # starting there replaces the timer she can no longer see or log
    assert time_service.start_timer(elsewhere, 9999, now=NOW).ticket_id == 9999
    assert list(RunningTimer.objects.values_list("account_id", "ticket_id")) == [(other_account.pk, 9999)]


def test_a_user_in_no_account_has_no_timer(db):
    loner = tenant_for(User.objects.create_user("loner", password="x"))
    with pytest.raises(NoPSAConnection):
        time_service.start_timer(loner, 1234, now=NOW)


def test_the_mapping_is_read_from_the_tenant_not_the_request(account, alice, connection, sandbox, first_member):
    """Mapping alice later in the same request is seen once the tenant forgets its mappings."""
    tenant = tenant_for(alice)
    with pytest.raises(MemberMappingRequired):
        time_service.log_time(tenant, ticket_with_time(sandbox), TimeEntryInput(duration="1h"), now=NOW)
    MemberMapping.objects.create(account=account, user=alice, psa_member_id=first_member["id"],
                                 identifier=first_member["identifier"], name=first_member["name"])
    tenant.forget_mappings()
    assert time_service.log_time(tenant, ticket_with_time(sandbox), TimeEntryInput(duration="1h"), now=NOW).id


# --- Log time with an idempotency key: a repeat never logs twice ------------------------------------------


def _posts(sandbox) -> int:
    return sum(1 for r in sandbox.request_log if r.method == "POST" and r.path.endswith("/time/entries"))


def test_a_repeated_keyed_log_time_answers_the_first_entry_and_logs_one(alice_tenant, alice_mapping, sandbox):
    ticket_id = ticket_with_time(sandbox)
    before = len(sandbox.state["time_entries"])
    sandbox.clear_log()
    entry = TimeEntryInput(duration="45m", notes="Called the user back")

    first = time_service.log_time(alice_tenant, ticket_id, entry, now=NOW, idempotency_key="form-1")
    again = time_service.log_time(alice_tenant, ticket_id, entry, now=NOW + timedelta(minutes=3), idempotency_key="form-1")

    assert again.id == first.id and again.replayed and not first.replayed
    assert len(sandbox.state["time_entries"]) == before + 1 and _posts(sandbox) == 1
    other = time_service.log_time(alice_tenant, ticket_id, entry, now=NOW, idempotency_key="form-2")  # another form
    assert other.id != first.id


def test_the_same_key_for_another_entry_is_refused(alice_tenant, alice_mapping, sandbox):
    ticket_id = ticket_with_time(sandbox)
    time_service.log_time(alice_tenant, ticket_id, TimeEntryInput(duration="45m"), now=NOW, idempotency_key="k")
    with pytest.raises(InvalidInput) as refused:
        time_service.log_time(alice_tenant, ticket_id, TimeEntryInput(duration="1h"), now=NOW, idempotency_key="k")
    assert refused.value.field_errors[0].field == "Idempotency-Key"


@pytest.mark.parametrize("how", ["truncated", "malformed"])
def test_a_retry_after_a_lost_answer_finds_the_entry_the_first_attempt_logged(alice_tenant, alice_mapping, sandbox, how):
    from psa.providers.base import PSAUnavailableError

    ticket_id = ticket_with_time(sandbox)
    before = len(sandbox.state["time_entries"])
    entry = TimeEntryInput(duration="45m", notes="Rebooted the switch")
    sandbox.inject(how, method="POST", path=r"^/time/entries$", times=1)  # stored, then the answer is lost
    with pytest.raises(PSAUnavailableError):
        time_service.log_time(alice_tenant, ticket_id, entry, now=NOW, idempotency_key="lost")
    assert len(sandbox.state["time_entries"]) == before + 1
    sandbox.clear_log()

    retry = time_service.log_time(alice_tenant, ticket_id, entry,
                                  now=NOW + timedelta(minutes=5), idempotency_key="lost")  # "ending now": later

    assert len(sandbox.state["time_entries"]) == before + 1 and _posts(sandbox) == 0
    assert retry.notes == "Rebooted the switch" and retry.end == NOW.replace(second=0)


def test_a_refused_keyed_attempt_may_run_again(alice_tenant, alice_mapping, sandbox):
    ticket_id = ticket_with_time(sandbox)
    sandbox.inject("400", method="POST", path=r"^/time/entries$", times=1)
    with pytest.raises(Exception):  # noqa: B017 - ConnectWise's refusal, whatever its class
        time_service.log_time(alice_tenant, ticket_id, TimeEntryInput(duration="30m"), now=NOW, idempotency_key="r")
    logged = time_service.log_time(alice_tenant, ticket_id, TimeEntryInput(duration="30m"), now=NOW, idempotency_key="r")
    assert logged.id in sandbox.state["time_entries"] and not logged.replayed


def test_a_retry_whose_look_up_is_refused_still_looks_first_next_time(alice_tenant, alice_mapping, sandbox):
    """The first attempt may have logged the entry; a look-up that fails settles nothing, so the next retry
    looks again instead of logging a second entry."""
    from psa.providers.base import PSAError

    ticket_id = ticket_with_time(sandbox)
    before = len(sandbox.state["time_entries"])
    entry = TimeEntryInput(duration="20m", notes="Replaced the toner")
    sandbox.inject("truncated", method="POST", path=r"^/time/entries$", times=1)  # stored, the answer lost
    with pytest.raises(PSAError):
        time_service.log_time(alice_tenant, ticket_id, entry, now=NOW, idempotency_key="twice-lost")
    sandbox.inject("400", method="GET", path=r"entries", times=1)  # the retry's look-up is refused
    with pytest.raises(PSAError):
        time_service.log_time(alice_tenant, ticket_id, entry, now=NOW, idempotency_key="twice-lost")

    found = time_service.log_time(alice_tenant, ticket_id, entry, now=NOW, idempotency_key="twice-lost")

    assert len(sandbox.state["time_entries"]) == before + 1
    assert found.notes == "Replaced the toner"
