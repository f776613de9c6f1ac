"""The sandbox at MSP scale (issue 17): ``CWSandbox(scale="large")`` and smaller generated worlds.

Its tickets are answered from an SQLite index (``psa/sandbox/store.py``) instead of the generic evaluator that
serves the default seed; the property test below holds the two to the same answers on random condition trees.
Most tests use a generated world of a few thousand tickets (a fraction of a second to build); the full large
sandbox is built once per process (``tests/large_sandbox.py``).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psa.sandbox import CWSandbox, QueryError, Scale
from psa.sandbox import conditions as q
from psa.sandbox.store import index_row
from tests.large_sandbox import large_sandbox

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
SMALL = Scale.sized(tickets=4000, companies=300, members=60, recent_days=90)
BASE_URL = "https://sandbox.local/v4_6_release/apis/3.0"
AUTH = ("sandbox+sandbox-public", "sandbox-private")


def client_for(sb: CWSandbox) -> httpx.Client:
    return httpx.Client(transport=httpx.WSGITransport(app=sb), base_url=BASE_URL, auth=AUTH,
                        headers={"clientId": "rf-tests"})


@pytest.fixture(scope="module")
def world():
    """A generated world only read from (the property test compares against every ticket of it)."""
    sb = CWSandbox(scale=SMALL, now=NOW)
    every = sb.world.tickets(sb.world.ids())
    return sb, every


@pytest.fixture
def small():
    sb = CWSandbox(scale=SMALL, now=NOW)
    with client_for(sb) as cw:
        yield sb, cw


# --- what a large sandbox holds ------------------------------------------------------------------------------


def test_the_large_scale_is_an_msp_of_thousands_of_companies_and_200000_tickets():
    sb = large_sandbox()
    state = sb.state
    assert len(state["companies"]) == 5000 and len(state["members"]) == 300 and len(state["boards"]) == 12
    assert 18_000 <= len(state["contacts"]) <= 22_000
    assert sb.ticket_count() == 200_000
    with client_for(sb) as cw:
        still_open = cw.get("/service/tickets/count", params={"conditions": "closedFlag = false"}).json()["count"]
    assert 1000 <= still_open <= 10_000  # most of an MSP's history is closed


def test_the_first_records_are_the_default_seeds_so_names_and_ids_mean_the_same_at_both_scales(world):
    sb, _ = world
    assert sb.state["companies"][250]["name"] == "Acme Corp"
    assert sb.state["members"][101]["identifier"] == "jsmith"
    assert sb.state["boards"][1]["name"] == "Service Desk" and sb.state["statuses"][11]["name"] == "New"
    assert len(sb.state["boards"]) == 12 and sb.state["statuses"][127]["name"] == "Closed"


def test_tickets_are_spread_like_an_msps_a_long_tail_of_companies_and_most_closed(world):
    _, tickets = world
    per_company = Counter(t["company"]["id"] for t in tickets)
    busiest_tenth = sum(n for _, n in per_company.most_common(len(per_company) // 10))
    assert busiest_tenth > 0.2 * len(tickets)  # a few clients raise many tickets
    assert sum(1 for t in tickets if not t["closedFlag"]) < 0.15 * len(tickets)
    assigned = Counter(r for t in tickets for r in (t.get("resources") or "").split(", ") if r)
    assert assigned["jsmith"] > 0 and assigned["swilson"] == 0  # the default seed's busiest and idle members


def test_recent_tickets_carry_notes_and_time_and_old_ones_do_not(small):
    sb, cw = small
    recent = cw.get("/service/tickets", params={"orderBy": "id desc", "pageSize": 30}).json()
    old = cw.get("/service/tickets", params={"orderBy": "id asc", "pageSize": 5}).json()
    assert all(len(cw.get(f"/service/tickets/{t['id']}/notes").json()) >= 1 for t in recent)
    assert all(cw.get(f"/service/tickets/{t['id']}/notes").json() == [] for t in old)
    with_time = [t for t in recent if t["actualHours"] > 0]
    assert with_time
    ticket = with_time[0]
    entries = cw.get("/time/entries", params={"conditions": f"chargeToId = {ticket['id']}"}).json()
    assert round(sum(e["actualHours"] for e in entries), 2) == ticket["actualHours"]


def test_the_same_seed_and_clock_give_the_same_sandbox():
    scale = Scale.sized(tickets=1500, companies=120, members=30)
    pages = []
    for _ in range(2):
        with client_for(CWSandbox(scale=scale, now=NOW)) as cw:
            pages.append([cw.get("/service/tickets", params={"pageSize": 50, "page": 7}).json(),
                          cw.get("/service/tickets/1200/notes").json(), cw.get("/company/contacts").json()])
    assert pages[0] == pages[1]


def test_an_unknown_scale_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="default, large"):
        CWSandbox(scale="huge")


# --- queries: the index answers what the generic evaluator would ------------------------------------------------

_DATES = st.sampled_from(["[2025-06-01T00:00:00Z]", "[2026-02-20T12:00:00Z]", "[2026-03-01T00:00:00Z]"])
_LEAVES = [
    st.builds(lambda op, n: f"id {op} {n}", st.sampled_from(["=", "!=", "<", ">=", "<="]), st.integers(900, 5100)),
    st.builds(lambda v: f"closedFlag = {v}", st.sampled_from(["true", "false", "'False'", "1"])),
    st.builds(lambda op, n: f"board/id {op} {n}", st.sampled_from(["=", "!=", ">"]), st.integers(1, 13)),
    st.builds(lambda ids: f"status/id in ({', '.join(map(str, ids))})",
              st.lists(st.sampled_from([11, 12, 16, 17, 21, 22, 53, 127, 999]), min_size=1, max_size=3)),
    st.builds(lambda op, n: f"priority/sort {op} {n}", st.sampled_from(["=", "<", ">="]), st.sampled_from([1, 2, 6, 8])),
    st.builds(lambda n: f"priority/id = {n}", st.integers(1, 5)),
    st.builds(lambda n: f"company/id = {n}", st.integers(248, 300)),
    st.builds(lambda v: f"owner/id {v}", st.sampled_from(["= null", "!= null", "= 101", "!= 102", "in (101, 103, null)"])),
    st.builds(lambda v: f"summary {v}", st.sampled_from(['contains "printer"', 'like "%vpn%"', 'like "_utlook%"',
                                                         'not contains "for"', '= "Slow PC in reception"',
                                                         'like "%o\'%"', 'contains "Ü"', '>= "m"'])),
    st.builds(lambda v: f"resources {v}", st.sampled_from(['= "jsmith"', 'like "jsmith, %"', 'like "%, agarcia"',
                                                           '= null', '= ""', 'not like "%mchen%"', 'contains "SMITH"'])),
    st.builds(lambda v: f"parentTicketId {v}", st.sampled_from(["= null", "!= null", "> 2000"])),
    st.builds(lambda v: f"hasChildTicket = {v}", st.sampled_from(["true", "false"])),
    st.builds(lambda v: f"externalXRef {v}", st.sampled_from(['= null', '= "rf-create:x"', '!= "y"'])),
    st.builds(lambda op, d: f"lastUpdated {op} {d}", st.sampled_from([">", "<=", "="]), _DATES),
    st.builds(lambda op, d: f"_info/dateEntered {op} {d}", st.sampled_from([">=", "<"]), _DATES),
    st.sampled_from(['board/name = "Service Desk"', 'status/name in ("New", "closed")', 'status/name != "New"',
                     'priority/name like "%quick%"', 'company/name contains "dental"', 'company/identifier = "ACMECORP"',
                     'owner/identifier = "jsmith"', 'owner/identifier != "jsmith"', 'contact/name like "% Kim"',
                     'company/name > "M"']),
    # not in the index: the evaluator decides these over what the indexed part leaves
    st.sampled_from(['severity = "High"', 'impact != "Low"', 'isInSla = true', 'budgetHours > 1',
                     'source/name = "Email"']),
]
_LEAF = st.one_of(*_LEAVES)


def _tree(leaf):
    return st.one_of(
        st.tuples(leaf, st.sampled_from([" and ", " AND ", " or "]), leaf).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
        leaf.map(lambda text: f"not ({text})"),
    )


CONDITIONS = st.recursive(_LEAF, _tree, max_leaves=5)
ORDERS = st.sampled_from([None, "priority/sort asc, id desc", "id desc", "summary asc", "lastUpdated desc, id asc",
                          "company/id desc, priority/sort asc", "severity asc", "owner/id asc"])


def _expected(tickets, conditions, order):
    """The generic evaluator's answer over every ticket: the default sandbox's way."""
    compiled = q.compile_filter("Ticket", conditions)
    keys = q.compile_order("Ticket", order)
    matched = [t for t in tickets if compiled is None or compiled.evaluate(t)]
    return [t["id"] for t in q.sort(matched, keys)]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(conditions=CONDITIONS, order=ORDERS, page=st.integers(1, 4), size=st.sampled_from([1, 7, 25, 100]))
def test_indexed_queries_select_and_order_what_the_generic_evaluator_would(world, conditions, order, page, size):
    sb, every = world
    try:
        expected = _expected(every, conditions, order)
    except QueryError:
        with pytest.raises(QueryError):
            sb.world.page(conditions, None, None, order, page, size)
        return
    total, rows = sb.world.page(conditions, None, None, order, page, size)
    assert total == len(expected) == sb.world.count(conditions, None, None)
    assert [t["id"] for t in rows] == expected[(page - 1) * size: page * size]


def test_forward_only_paging_walks_every_match_once_in_id_order(small):
    sb, cw = small
    seen, url = [], "/service/tickets"
    params = {"conditions": "closedFlag = false and priority/id != 3", "pageSize": 40}
    while url:
        response = cw.get(url, params=params, headers={"pagination-type": "forward-only"})
        seen += [t["id"] for t in response.json()]
        url, params = response.links.get("next", {}).get("url"), None
    count = cw.get("/service/tickets/count", params={"conditions": "closedFlag = false and priority/id != 3"})
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == count.json()["count"]


def test_a_query_on_a_field_the_schema_lacks_is_the_same_400_at_scale(small):
    _, cw = small
    response = cw.get("/service/tickets", params={"conditions": "colour = 'red'"})
    assert response.status_code == 400 and "colour" in response.json()["message"]


def test_contacts_of_a_company_are_answered_from_its_own_list_the_same_as_a_full_scan(small):
    sb, cw = small
    conditions = 'company/id = 260 and (firstName like "%a%" or lastName like "%a%")'
    answer = cw.get("/company/contacts", params={"conditions": conditions, "orderBy": "lastName asc"}).json()
    compiled = q.compile_filter("Contact", conditions)
    scanned = q.sort([c for c in sb.state["contacts"].values() if compiled.evaluate(c)],
                     q.compile_order("Contact", "lastName asc"))
    assert [c["id"] for c in answer] == [c["id"] for c in scanned] and answer


# --- like searches of companies, contacts and configurations: the text columns answer what a scan would ---------

_NAMES = ["Kelvin \u212aitchens", "\u017ftraße Bäckerei", "STRASSE Foods", "50% Off_Outlet", "İstanbul Imports",
          "Tab\tand\nNewline Co"]
_RUNS = st.sampled_from(["dent", "DENT", "a", "ki", "k", "s", "ss", "ß", "straße", "i", "ı", "%", "_", "50", "off_",
                         "\t", "\n", "co", "CO", "An", "Ü", "", "acme", "zz"])
_PATTERNS = st.builds(lambda pre, run, post: pre + run + post, st.sampled_from(["%", "", "_", "%_"]), _RUNS,
                      st.sampled_from(["%", "", "_%", "%s%"]))
_TEXT_SEARCHES = [
    ("/company/companies", "Company", "name", ["identifier", "name"], ['deletedFlag = false', 'id > 260']),
    ("/company/contacts", "Contact", "lastName asc, id asc", ["firstName", "lastName"], ['inactiveFlag = false']),
    ("/company/configurations", "Company.Configuration", "name asc, id asc", ["name", "serialNumber"], ['activeFlag = true']),
]


@pytest.fixture(scope="module")
def searchable():
    """A generated world with a few names that ignoring case is tricky for (the Kelvin sign, the long s, ß, the
    dotted I, a tab), made through the API as a client would."""
    sb = CWSandbox(scale=SMALL, now=NOW)
    with client_for(sb) as cw:
        for number, name in enumerate(_NAMES):
            assert cw.post("/company/companies", json={"identifier": f"Tricky{number}", "name": name}).status_code == 201
        yield sb, cw


@settings(max_examples=150, deadline=None)
@given(which=st.sampled_from(_TEXT_SEARCHES), patterns=st.lists(_PATTERNS, min_size=1, max_size=2),
       joiner=st.sampled_from([" or ", " and "]), negate=st.booleans(), extra=st.integers(0, 1))
def test_like_searches_of_a_whole_collection_answer_what_a_scan_of_every_record_would(searchable, which, patterns,
                                                                                      joiner, negate, extra):
    sb, cw = searchable
    path, resource, order, fields, others = which
    likes = joiner.join(f'{fields[i % len(fields)]} like "{p}"' for i, p in enumerate(patterns))
    conditions = f"not ({likes})" if negate else f"({likes})"
    if extra:
        conditions = f"{others[0]} and {conditions}"
    collection = path.rsplit("/", 1)[1]
    compiled = q.compile_filter(resource, conditions)
    scanned = q.sort([r for r in sb.state[collection].values() if compiled.evaluate(r)], q.compile_order(resource, order))
    answer = cw.get(path, params={"conditions": conditions, "orderBy": order, "pageSize": 1000})
    assert [r["id"] for r in answer.json()] == [r["id"] for r in scanned][:1000]
    if resource == "Company":
        assert cw.get(path + "/count", params={"conditions": conditions}).json()["count"] == len(scanned)


def test_a_company_typeahead_finds_names_the_way_connectwise_ignores_case(searchable):
    _, cw = searchable

    def names(text):
        conditions = f'deletedFlag = false and (name like "%{text}%" or identifier like "%{text}%")'
        return [c["name"] for c in cw.get("/company/companies", params={"conditions": conditions, "pageSize": 25,
                                                                        "orderBy": "name asc"}).json()]

    assert "Kelvin \u212aitchens" in names("kit") and "Acme Dental" in names("DENT")
    assert "\u017ftraße Bäckerei" in names("STRAẞE") and "STRASSE Foods" not in names("straße")
    assert names("0% off_o") == ["50% Off_Outlet"] and names("zzqx") == []


# --- writes -------------------------------------------------------------------------------------------------


def _open_count(cw, extra=""):
    return cw.get("/service/tickets/count", params={"conditions": "closedFlag = false" + extra}).json()["count"]


def test_writes_show_in_the_next_queries_and_the_index_stays_true_to_the_tickets(small):
    sb, cw = small
    before = _open_count(cw)
    created = cw.post("/service/tickets", json={"summary": "Plotter jammed", "company": {"id": 260},
                                                "board": {"id": 5}}).json()
    assert _open_count(cw) == before + 1
    oldest_open = cw.get("/service/tickets", params={"conditions": "closedFlag = false", "orderBy": "id asc",
                                                     "pageSize": 1}).json()[0]
    closed = cw.patch(f"/service/tickets/{oldest_open['id']}",
                      json=[{"op": "replace", "path": "status", "value": {"name": "Closed"}}])
    assert closed.status_code == 200 and _open_count(cw) == before
    cw.post("/schedule/entries", json={"objectId": created["id"], "type": {"identifier": "S"}, "member": {"id": 105}})
    mine = cw.get("/service/tickets", params={"conditions": 'resources = "dnguyen" and closedFlag = false'}).json()
    assert created["id"] in [t["id"] for t in mine]
    note = cw.post(f"/service/tickets/{oldest_open['id']}/notes", json={"text": "Closed at scale",
                                                                        "internalAnalysisFlag": True})
    assert note.status_code == 201
    assert "Closed at scale" in [n["text"] for n in cw.get(f"/service/tickets/{oldest_open['id']}/notes").json()]
    for ticket_id in (created["id"], oldest_open["id"]):
        row = sb.world.db.execute("SELECT * FROM idx WHERE id = ?", (ticket_id,)).fetchone()
        assert row == index_row(cw.get(f"/service/tickets/{ticket_id}").json() | {"_info": sb.state["tickets"][
            ticket_id]["_info"]})
    assert cw.get("/service/tickets/count", params={"conditions": 'summary contains "plotter"'}).json()["count"] == 1


def test_deleting_a_ticket_removes_it_its_notes_and_its_assignments(small):
    sb, cw = small
    ticket = cw.get("/service/tickets", params={"conditions": "closedFlag = false and resources != null",
                                                "orderBy": "id desc", "pageSize": 1}).json()[0]
    entries = cw.get("/schedule/entries", params={"conditions": f"objectId = {ticket['id']}"}).json()
    assert entries
    for entry in cw.get("/time/entries", params={"conditions": f"chargeToId = {ticket['id']}"}).json():
        assert cw.delete(f"/time/entries/{entry['id']}").status_code == 204  # time blocks a delete
    assert cw.delete(f"/service/tickets/{ticket['id']}").status_code == 204
    assert cw.get(f"/service/tickets/{ticket['id']}").status_code == 404
    assert cw.get(f"/schedule/entries/{entries[0]['id']}").status_code == 404
    assert cw.get("/service/tickets/count", params={"conditions": f"id = {ticket['id']}"}).json()["count"] == 0


def test_reset_gives_back_the_generated_world(small):
    sb, cw = small
    first = cw.get("/service/tickets", params={"pageSize": 3, "orderBy": "id asc"}).json()
    cw.patch(f"/service/tickets/{first[0]['id']}", json=[{"op": "replace", "path": "summary", "value": "Changed"}])
    cw.post("/service/tickets", json={"summary": "New one", "company": {"id": 250}})
    sb.reset()
    assert cw.get("/service/tickets", params={"pageSize": 3, "orderBy": "id asc"}).json() == first
    assert cw.get("/service/tickets/count", params={"conditions": 'summary = "New one"'}).json()["count"] == 0


def test_a_read_leaves_nothing_behind_only_writes_are_kept(small):
    sb, cw = small
    for ticket in cw.get("/service/tickets", params={"pageSize": 50}).json():
        cw.get(f"/service/tickets/{ticket['id']}/allNotes")
    assert sb.world.overlay["tickets"] == {} and sb.world.adopted == set()


# --- kept across restarts: the changes only ------------------------------------------------------------------


def test_changes_survive_a_restart_and_the_file_holds_only_them(tmp_path):
    path = tmp_path / "cw-sandbox-large.json"
    sb = CWSandbox(scale=SMALL, now=NOW)
    assert sb.remember_in(path) == "new"
    with client_for(sb) as cw:
        ticket = cw.get("/service/tickets", params={"pageSize": 1, "orderBy": "id desc"}).json()[0]
        cw.patch(f"/service/tickets/{ticket['id']}", json=[{"op": "replace", "path": "summary", "value": "Kept"}])
        created = cw.post("/service/tickets", json={"summary": "Also kept", "company": {"id": 251}}).json()
    saved = json.loads(path.read_text())
    assert set(saved["changes"]["overlay"]["tickets"]) == {str(ticket["id"]), str(created["id"])}
    assert path.stat().st_size < 50_000  # not the world: a few thousand tickets would be megabytes

    again = CWSandbox(scale=SMALL, now=NOW)
    assert again.remember_in(path) == "loaded"
    with client_for(again) as cw:
        assert cw.get(f"/service/tickets/{ticket['id']}").json()["summary"] == "Kept"
        assert cw.get("/service/tickets/count", params={"conditions": 'summary = "Also kept"'}).json()["count"] == 1
        assert cw.post("/service/tickets", json={"summary": "Next", "company": {"id": 251}}).json()["id"] > created["id"]


def test_a_state_file_of_another_scale_is_set_aside(tmp_path, caplog):
    path = tmp_path / "cw-sandbox.json"
    CWSandbox(now=NOW, state_file=path)  # the default seed's file
    assert CWSandbox(scale=SMALL, now=NOW).remember_in(path) == "unusable"
    assert (tmp_path / "cw-sandbox.json.corrupt").exists() and "another scale" in caplog.text


def test_the_large_demo_keeps_its_changes_in_a_file_of_its_own(tmp_path):
    from rf_project.management.commands.demo import default_state_file

    database = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "db.sqlite3")}
    assert default_state_file(database, tmp_path) == tmp_path / "cw-sandbox.json"
    assert default_state_file(database, tmp_path, "large") == tmp_path / "cw-sandbox-large.json"
