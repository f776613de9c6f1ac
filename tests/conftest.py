"""Shared fixtures: alice (admin of Acme MSP), bob (her colleague), charlie (outsider of Other MSP).

Acme MSP is connected to an in-process PSA sandbox; alice is mapped to the sandbox's first member (who
has open tickets). Outbound network is refused for every test except loopback.

Which PSA: ConnectWise by default; ``RF_TEST_PSA=autotask`` (or ``pytest --psa autotask``) connects the
accounts to the in-process Autotask sandbox instead (``sandbox`` is then the ``ATSandbox``, and
``first_member`` the Autotask resource with the most open tickets). A test that asserts ConnectWise wire
details is marked ``@pytest.mark.connectwise_only("why")`` and skipped on Autotask with that reason.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections import Counter

import pytest

PSA_KINDS = ("connectwise", "autotask")


def pytest_addoption(parser):
    parser.addoption("--psa", choices=PSA_KINDS, default=None,
                     help="the PSA the shared fixtures connect to (default: $RF_TEST_PSA, else connectwise)")
    parser.addoption("--database-tests-only", action="store_true", default=False,
                     help="deselect tests that cannot touch the database (CI's PostgreSQL run: a test without "
                          "database access runs the same on every database, and the SQLite run has run it)")


def pytest_configure(config):
    config.addinivalue_line("markers", "connectwise_only(reason): asserts ConnectWise wire details; skipped on Autotask")
    config.addinivalue_line("markers", "autotask_only(reason): asserts Autotask wire details; skipped on ConnectWise")


def test_psa(config) -> str:
    """The PSA this run's shared fixtures connect to."""
    kind = config.getoption("--psa", default=None) or os.environ.get("RF_TEST_PSA", "") or "connectwise"
    if kind not in PSA_KINDS:
        raise pytest.UsageError(f"RF_TEST_PSA must be one of {', '.join(PSA_KINDS)}, not {kind!r}")
    return kind


test_psa.__test__ = False  # a helper, not a test


_CW_SEED = "asserts the ConnectWise sandbox's seed (board, status and priority ids and names)"
_CW_STATE = "edits the ConnectWise sandbox's state directly (its ticket records, _info, configurations)"
_ISSUE_19 = ("time entries (issue 19) are not in the Autotask reference: AutotaskProvider raises "
             "PSANotSupportedError and the endpoints answer 501 (tests/psa/autotask/test_edits.py)")
_CW_EDITS = ("reads and edits the ConnectWise sandbox's tickets (summary, _info); Autotask's edits, issue types and "
             "queue moves: tests/psa/autotask/test_edits.py")
_CW_ITSELF = ("tests the ConnectWise sandbox, HTTP client, provider or contract itself (ConnectWise by design; runs in "
              "the ConnectWise run); Autotask's own: tests/psa/autotask")
_CW_FORM = ("posts or reads the ConnectWise connection form and keys (company id, public and private key); Autotask's "
            "form, secret and site rules: tests/psa/autotask/test_connection_wiring.py and test_admin.py")
_CW_FAULT_KINDS = ("injects a ConnectWise fault kind (400, 409) the Autotask sandbox does not have; Autotask's failures: "
                   "tests/reliability (psa_faults.OUTCOMES)")
# Tests of the parametrised suites that assert ConnectWise wire details or data, by node id prefix (kept here,
# in one place, beside the fixtures that choose the PSA; a module of its own may use the marker instead).
CONNECTWISE_ONLY: dict[str, str] = {
    "tests/tickets/test_api_work.py::test_a_session_caller_needs_the_csrf_token_to_log_time": _ISSUE_19,
    "tests/tickets/test_api_work.py::test_it_lists_a_tickets_time_with_the_total": _ISSUE_19,
    "tests/tickets/test_api_work.py::test_it_logs_time_as_the_callers_member_and_answers_201": _ISSUE_19,
    "tests/tickets/test_api_work.py::test_bad_log_time_input_is_422_naming_the_field_and_nothing_is_logged": _ISSUE_19,
    "tests/tickets/test_api_work.py::test_an_unmapped_caller_cannot_log_time": _ISSUE_19,
    "tests/tickets/test_api_work.py::test_connectwises_refusal_of_a_time_entry_is_422_naming_our_field": _ISSUE_19,
    "tests/tickets/test_api_work.py::test_a_failed_time_post_says_it_may_have_been_logged_never_500": _ISSUE_19,
    "tests/tickets/test_api_work.py::test_work_types_and_roles_are_listed": _ISSUE_19,
    "tests/tickets/test_api_work.py::test_a_retried_log_time_with_an_idempotency_key_logs_one_entry": _ISSUE_19,
    "tests/tickets/test_api_work.py::test_a_ticket_edit_answers_the_ticket_before_and_after": _CW_EDITS,
    "tests/tickets/test_api_work.py::test_an_edit_of_a_ticket_changed_since_it_was_loaded_is_409": _CW_EDITS,
    "tests/tickets/test_api_work.py::test_bad_edits_are_422": _CW_EDITS,
    "tests/tickets/test_api_work.py::test_a_boards_types_subtypes_and_items": _CW_SEED,
    "tests/tickets/test_api_errors.py::test_a_failed_time_post": _ISSUE_19,
    "tests/tickets/test_api_reference.py::test_boards": _CW_SEED,
    "tests/tickets/test_api_reference.py::test_board_statuses": _CW_SEED,
    "tests/tickets/test_api_reference.py::test_priorities": _CW_SEED,
    "tests/tickets/test_api_tickets.py::test_update_status": _CW_SEED,
    "tests/tickets/test_api_saved_views.py::test_a_view_whose_board_is_gone_names_it_in_its_warnings": (
        "deletes a board from the ConnectWise sandbox (Autotask's queues are a picklist)"),
    # Browser tests (their Autotask flows: tests/e2e/test_autotask.py).
    "tests/e2e/test_responsive_flows.py::test_on_a_phone_views_bulk_actions_and_log_time": _ISSUE_19,
    "tests/e2e/test_tickets_page.py::test_failing_configuration_facts": (
        "fails ConnectWise's separate configuration-facts read; on Autotask the names and facts are one "
        "ConfigurationItems read (list_configurations), so there are no names to keep while the facts fail"),
    # --- The rest of the non-browser suite on Autotask (RF_TEST_PSA=autotask pytest tests -m "not e2e"): ---
    **{f"tests/{m}.py": _CW_ITSELF for m in (
        "psa/test_sandbox", "psa/test_sandbox_writes", "psa/test_sandbox_endpoints", "psa/test_sandbox_query",
        "psa/test_sandbox_conditions", "psa/test_sandbox_persistence", "psa/test_connectwise_provider",
        "psa/test_connectwise_time", "psa/test_connectwise_permissions", "psa/test_connectwise_names",
        "psa/test_client_errors", "psa/test_registry", "contract/test_connectwise_contract",
        "contract/test_connectwise_contract_time")},
    **{f"tests/{m}": _CW_FORM for m in (
        "security/test_psa_site_policy.py", "psa/test_integrations_page.py", "psa/test_connection_key_reentry.py",
        "psa/test_models.py::test_private_key_is_encrypted_at_rest",
        "security/test_encryption_key_rotation.py::test_re_entering_the_private_key_makes_the_connection_work_again",
        "security/test_encryption_key_rotation.py::test_reencrypting_lets_the_old_key_be_dropped_at_once")},
    "tests/tickets/test_live_poll.py": (
        "edits the ConnectWise sandbox's tickets and counts the shared poll's calls by ConnectWise's paths; Autotask's "
        "poll and drawer check: tests/psa/autotask/test_live_changes.py, and test_views_saved_views.py and "
        "tests/e2e/test_live_updates.py on both PSAs"),
    "tests/tickets/test_service_edit.py": _CW_EDITS,
    **{f"tests/tickets/test_faithful_names.py::{t}": ("edits ConnectWise's reference shapes in its sandbox (a member as "
                                                      "its identifier only) or reads its three note flags")
       for t in ("test_note_authors", "test_assignees", "test_a_member_the_directory", "test_the_note_composer")},
    "tests/tickets/test_psa_vocabulary.py::test_the_queue_of_a_connectwise_account_says_board": (
        "the shared connection is Autotask in this run; Autotask's words: its test_the_queue_of_an_autotask_account"),
    "tests/security/test_tenant_isolation_walk.py::test_charlie_never_sees_or_changes_account_a_through_the_api"
    "[integrations/psa/tickets/<ticket_id>/time-entries]": _ISSUE_19,
    "tests/security/test_tenant_isolation_walk.py::test_charlie_never_sees_or_changes_account_a_through_the_api"
    "[integrations/psa/time/work-roles]": _ISSUE_19,
    "tests/security/test_tenant_isolation_walk.py::test_charlie_never_sees_or_changes_account_a_through_the_api"
    "[integrations/psa/time/work-types]": _ISSUE_19,
    "tests/security/test_psa_secrets.py::test_no_successful_response_carries_a_secret": _ISSUE_19,
    "tests/security/test_psa_secrets.py::test_no_psa_exception_carries_a_secret[400]": _CW_FAULT_KINDS,
    "tests/security/test_psa_secrets.py::test_no_psa_exception_carries_a_secret[409]": _CW_FAULT_KINDS,
    "tests/psa/test_integrations_test_connection.py": (
        "asserts ConnectWise's Test connection texts and faults (its version, company lookup, keys); Autotask's: "
        "tests/psa/autotask/test_messages.py, test_connection_wiring.py and tests/e2e/test_integrations.py"),
    **{f"tests/psa/test_integrations_mappings.py::{t}": (
        "expects ConnectWise's mapping texts (\"Map my PSA member\", \"Choose your ConnectWise member\") or injects "
        "faults at /system/members; Autotask's words: tests/e2e/test_integrations.py (runs on both)")
       for t in ("test_a_member_sees_the_mappings_read_only", "test_a_user_maps_and_unmaps_themselves",
                 "test_self_mapping_needs_a_real_member", "test_an_admin_cannot_map_an_unknown_member",
                 "test_a_psa_failure_shows_retry_and_keeps_stored_mappings_removable")},
    **{f"tests/tickets/test_service.py::{t}": "ConnectWise's per-board statuses (Autotask has one account-wide list)"
       for t in ("test_status_without_board_matches_the_status_name_on_every_board",
                 "test_list_all_statuses_covers_every_board")},
    **{f"tests/tickets/test_service.py::{t}": ("counts ConnectWise's reference calls by path (/service/boards); "
                                               "Autotask's: tests/perf/test_psa_call_counts_autotask.py")
       for t in ("test_second_search_does_not_refetch_reference_data",
                 "test_saving_the_connection_invalidates_cached_reference_data")},
    **{f"tests/tickets/test_service.py::{t}": _CW_SEED
       for t in ("test_list_priorities_and_companies", "test_update_status_reports_previous_and_new",
                 "test_create_ticket_with_assignee")},
    **{f"tests/tickets/test_service.py::{t}": (
        "injects faults at ConnectWise paths or kinds (400) or loses its POST /service/tickets answers; Autotask's "
        "failed and lost creates: tests/reliability (test_api_create_never_duplicates.py)")
       for t in ("test_a_failing_panel_section_does_not_fail_the_others", "test_a_refused_create_can_be_retried",
                 "test_a_lost_response_is_recovered", "test_a_lost_response_with_an_assignee",
                 "test_a_timed_out_create_is_retried_exactly_once")},
    # Call budgets (tests/perf): ConnectWise's by its paths; Autotask's are tests/perf/test_psa_call_counts_autotask.py
    # (run in every run). The tests of test_psa_call_counts.py that assert no PSA call at all run on both.
    **{f"tests/perf/test_psa_call_counts.py::{t}": (
        "counts the ConnectWise sandbox's calls by its paths (/service/tickets, /service/boards, ...) and rounds; "
        "Autotask's budgets: tests/perf/test_psa_call_counts_autotask.py")
       for t in ("test_the_list_page_with_a_warm_cache_makes_two_parallel_calls_list_and_count",
                 "test_the_list_partial_with_a_warm_cache_makes_the_same_two_calls",
                 "test_the_list_call_asks_only_for_the_row_fields",
                 "test_a_filtered_list_with_a_warm_cache_still_makes_two_calls",
                 "test_the_first_visit_loads_each_kind_of_reference_data_once",
                 "test_a_cold_first_visit_loads_the_reference_data_in_two_rounds_beside_list_and_count",
                 "test_a_cold_visit_with_a_board_filter_loads_reference_data_then_searches",
                 "test_reference_data_being_loaded_is_awaited_not_fetched_again",
                 "test_drawer_detail_fetches_ticket_notes_configurations_and_related_in_one_parallel_round",
                 "test_drawer_detail_is_one_round_even_for_a_ticket_with_configurations",
                 "test_the_configuration_facts_are_one_parallel_round_of_reads_by_id",
                 "test_drawer_detail_without_a_company_skips_the_same_company_query",
                 "test_drawer_resources_with_a_warm_cache_is_one_call",
                 "test_drawer_resources_with_a_cold_cache_also_loads_the_members_once",
                 "test_an_assignee_change_on_the_queue_reads_no_ticket_the_cell_comes_from_the_resources",
                 "test_a_status_change_is_two_calls_the_row_comes_from_the_patch_answer",
                 "test_the_service_status_change_is_exactly_get_and_patch",
                 "test_adding_a_note_is_one_post",
                 "test_create_without_an_assignee_is_one_post",
                 "test_create_with_an_assignee_is_two_sequential_posts_and_no_lookup",
                 "test_the_first_assigned_create_looks_up_the_schedule_type_at_most_once",
                 "test_my_queue_is_list_and_count_even_with_a_cold_cache")},
    "tests/perf/test_psa_call_counts_scale.py": (
        "serves the ConnectWise sandbox at both scales (only ConnectWise's has a large scale: 200,000 tickets) through "
        "its own sandbox fixture and counts calls by ConnectWise's paths; Autotask's budgets: "
        "test_psa_call_counts_autotask.py, its sort on large queues: tests/psa/autotask/test_ordering.py"),
    # The drawer's and saved views' view tests run on Autotask but for these (the rest of both modules runs on both):
    **{f"tests/tickets/test_views_panel.py::{t}": (
        "ConnectWise's configurations (ticket_configurations in its sandbox) and their separate facts read; "
        "Autotask's configuration item: tests/e2e/test_tickets_page.py::test_configurations_show_at_once (both PSAs)")
       for t in ("test_the_detail_lists_configuration_names_at_once_and_loads_their_facts_lazily",
                 "test_the_configuration_facts_replace_the_list_out_of_band",
                 "test_failing_configuration_facts_keep_the_names_and_offer_a_retry",
                 "test_a_ticket_without_configurations_loads_no_facts",
                 "test_the_configuration_facts_without_ids_read_the_references_first")},
    **{f"tests/tickets/test_views_panel.py::{t}": (
        "ConnectWise's per-board status ids (Service Desk: 11 New, 12 In Progress) and its call paths; Autotask's "
        "status change: tests/perf/test_psa_call_counts_autotask.py and the browser's drawer tests (both PSAs)")
       for t in ("test_it_changes_the_status_updates_the_row_and_toasts",
                 "test_the_refreshed_row_comes_from_the_status_change_itself",
                 "test_a_status_change_from_the_dashboard_sends_no_queue_row_and_fetches_no_ticket",
                 "test_a_refused_status_change_keeps_the_old_status_and_explains")},
    **{f"tests/tickets/test_saved_views.py::{t}": (
        "deletes a board from the ConnectWise sandbox (Autotask's queues are a picklist)")
       for t in ("test_a_view_whose_board_was_deleted_still_opens_and_names_the_board",
                 "test_the_queue_opened_from_a_stale_view_shows_the_warning")},
    # --- end of the non-browser block ---
}


# pytest-django refuses database access to a test without one of these (or the django_db marker), so a test
# without them cannot behave differently on PostgreSQL.
_DATABASE_FIXTURES = frozenset({"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback",
                                "live_server"})


def _uses_database(item) -> bool:
    return item.get_closest_marker("django_db") is not None or not _DATABASE_FIXTURES.isdisjoint(
        getattr(item, "fixturenames", ()))


def pytest_collection_modifyitems(config, items):
    if config.getoption("--database-tests-only"):
        kept = [item for item in items if _uses_database(item)]
        config.hook.pytest_deselected(items=[item for item in items if not _uses_database(item)])
        items[:] = kept
    kind = test_psa(config)
    other = "autotask_only" if kind == "connectwise" else "connectwise_only"
    for item in items:
        marker = item.get_closest_marker(other)
        reason = None
        if marker is not None:
            reason = marker.args[0] if marker.args else marker.kwargs.get("reason", "")
        elif kind == "autotask":
            reason = next((why for prefix, why in CONNECTWISE_ONLY.items() if item.nodeid.startswith(prefix)), None)
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=f"{other.replace('_', ' ')}: {reason}"))


@pytest.fixture(scope="session")
def psa_kind(pytestconfig) -> str:
    """"connectwise" or "autotask": the PSA the shared fixtures connect to."""
    return test_psa(pytestconfig)

# --- no real outbound connections, ever ------------------------------------------------------

_real_connect = socket.socket.connect


def _guarded_connect(self, address):
    host = address[0] if isinstance(address, tuple) else None
    if host is not None:
        try:
            ip = ipaddress.ip_address(host)
            allowed = ip.is_loopback
        except ValueError:
            allowed = host in ("localhost",)
        if not allowed:
            raise ConnectionRefusedError(f"tests may not connect to {host!r} (only loopback)")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def _no_outbound_network():
    socket.socket.connect = _guarded_connect
    yield
    socket.socket.connect = _real_connect


@pytest.fixture(autouse=True)
def _fast_hasher_and_clean_cache(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ANTHROPIC_API_KEY = ""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


# --- the PSA sandbox ----------------------------------------------------------------------------


@pytest.fixture
def sandbox(psa_kind):
    """The process-wide in-process sandbox of this run's PSA (ConnectWise's ``Sandbox`` or Autotask's
    ``ATSandbox``), reset to its seed data with no faults and an empty log."""
    from psa.autotask_sandbox import default_at_sandbox
    from psa.sandbox import default_sandbox

    sb = default_at_sandbox() if psa_kind == "autotask" else default_sandbox()
    if psa_kind == "autotask" and not hasattr(sb, "members"):
        # What the ConnectWise sandbox's ``members()`` gives (tests pick assignees with it), from the seed.
        sb.members = lambda: autotask_members(sb)
    sb.reset()
    yield sb
    sb.reset()


def autotask_members(sb) -> list[dict]:
    """The Autotask sandbox's assignable resources as ``{"id", "identifier", "name"}``, the one with the
    most open tickets first (the API user, which has no role, is left out as the provider does)."""
    from psa.autotask.mapping import resource_name
    from psa.autotask_sandbox.seed import COMPLETE

    # The resources first: a ConnectWise sandbox here (a module's own ``sandbox`` fixture) fails at once, before
    # its tickets (200,000 generated ones at the large scale) are read.
    rows = [r for r in sb.state["resources"].values()
            if sb.state["resource_roles"].get(str(r["id"])) and r.get("isActive", True)]
    open_counts = Counter(t.get("assignedResourceID") for t in sb.state["tickets"].values() if t["status"] != COMPLETE)
    rows.sort(key=lambda r: (-open_counts[r["id"]], r["id"]))
    return [{"id": r["id"], "identifier": r["userName"], "name": resource_name(r)} for r in rows]


# --- tenancy ------------------------------------------------------------------------------------


@pytest.fixture
def account(db):
    from psa.models import Account

    return Account.objects.create(name="Acme MSP")


@pytest.fixture
def other_account(db):
    from psa.models import Account

    return Account.objects.create(name="Other MSP")


def _user(username, account, role):
    from django.contrib.auth.models import User

    from psa.models import Membership

    user = User.objects.create_user(username=username, password="pw-" + username, email=f"{username}@example.com")
    Membership.objects.create(user=user, account=account, role=role)
    return user


@pytest.fixture
def alice(account):
    return _user("alice", account, "admin")


@pytest.fixture
def bob(account):
    return _user("bob", account, "member")


@pytest.fixture
def charlie(other_account):
    return _user("charlie", other_account, "admin")


def _connect(account, kind="connectwise"):
    from psa.models import PSAConnection

    if kind == "autotask":
        from psa.autotask_sandbox import API_INTEGRATION_CODE, API_SECRET, API_USERNAME

        conn = PSAConnection(account=account, provider=PSAConnection.Provider.AUTOTASK,
                             site=PSAConnection.SANDBOX_SITE, username=API_USERNAME,
                             integration_code=API_INTEGRATION_CODE)
        conn.set_private_key(API_SECRET)
    else:
        conn = PSAConnection(account=account, site=PSAConnection.SANDBOX_SITE, company_id="sandbox",
                             public_key="sandbox-public", client_id="rf-tests")
        conn.set_private_key("sandbox-private")
    conn.save()
    return conn


@pytest.fixture
def connection(account, sandbox, psa_kind):
    return _connect(account, psa_kind)


@pytest.fixture
def other_connection(other_account, sandbox, psa_kind):
    return _connect(other_account, psa_kind)


@pytest.fixture
def first_member(sandbox, psa_kind):
    """The sandbox's first member: guaranteed to have open tickets assigned (ConnectWise: the lowest id;
    Autotask: the resource with the most open tickets)."""
    return autotask_members(sandbox)[0] if psa_kind == "autotask" else sandbox.members()[0]


@pytest.fixture
def alice_mapping(alice, account, connection, first_member):
    from psa.models import MemberMapping

    return MemberMapping.objects.create(account=account, user=alice, psa_member_id=first_member["id"],
                                        identifier=first_member["identifier"], name=first_member["name"])


@pytest.fixture
def alice_tenant(alice, connection):
    """alice's tenant (Acme MSP, connected to the sandbox), as one request sees it.

    Reference data and mappings are request-scoped on a tenant: build a fresh ``tenant_for(alice)``
    to stand for a later request."""
    from psa.tenancy import tenant_for

    return tenant_for(alice)


@pytest.fixture
def bob_tenant(bob, connection):
    """bob's tenant (Acme MSP, connected to the sandbox; bob has no member mapping)."""
    from psa.tenancy import tenant_for

    return tenant_for(bob)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


@pytest.fixture
def charlie_client(client, charlie):
    client.force_login(charlie)
    return client
