"""The queue's saved views and calm live updates, as HTML views (issue 20, parts 1 and 2).

Times are data, never the clock: the sandbox's tickets were all last updated long ago, and a ticket a test
"changes" gets a date far in the future, after any page's ``since``."""

from __future__ import annotations

import json
import re

import pytest

from tickets.models import SavedView

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
LONG_AGO = "2020-01-01T00:00:00Z"
LATER = "2099-01-01T00:00:00Z"
DRAWN = "1700000000"  # the page's since: 2023-11-14


@pytest.fixture
def quiet(sandbox):
    for ticket in sandbox.state["tickets"].values():
        _stamp(ticket, LONG_AGO)
    return sandbox


# Each PSA's sandbox keeps a ticket's last update, board and openness in its own fields: ConnectWise's
# _info/lastUpdated, board and closedFlag; Autotask's lastActivityDate, queueID and status (5 is Complete).
def _stamp(ticket: dict, when: str) -> None:
    if "_info" in ticket:
        ticket["_info"]["lastUpdated"] = when
    else:
        ticket["lastActivityDate"] = when


def _open_ticket(sandbox, board_id: int | None = None) -> dict:
    def on_board(t):
        return board_id is None or (t["board"]["id"] if "_info" in t else t["queueID"]) == board_id

    return next(t for t in sandbox.state["tickets"].values()
                if on_board(t) and not (t["closedFlag"] if "_info" in t else t["status"] == 5))


def _save(client, name, query="board=1", **extra):
    data = {"name": name, "query": query, **extra}
    return client.post("/tickets/views/new", data, **HX)


def _nav(client) -> str:
    return client.get("/tickets/views/nav", **HX).content.decode()


# --- saving and listing ---------------------------------------------------------------------------------


def test_save_view_dialog_is_named_and_asks_for_a_name_and_sharing(alice_client, alice_mapping):
    html = alice_client.get("/tickets/views/new", HTTP_HX_CURRENT_URL="http://testserver/tickets?board=1&page=2", **HX).content.decode()
    assert '<dialog class="modal save-view-dialog"' in html and ">Save view</h2>" in html
    assert ">Name</label>" in html and "Share with my team" in html
    assert 'name="query" value="board=1&amp;page=2"' in html


def test_saving_a_view_lists_it_in_the_sidebar_with_its_open_count(alice_client, alice_mapping):
    response = _save(alice_client, "Service Desk")
    assert response.status_code == 204
    assert "savedViewsChanged" in response["HX-Trigger"] and "closeModal" in response["HX-Trigger"]
    nav = _nav(alice_client)
    assert 'aria-label="Views"' in nav
    assert re.search(r'<a href="/tickets\?board=1">Service Desk</a><span class="view-count"><span class="sr-only">open tickets:</span> \d+</span>', nav)


def test_a_view_without_a_name_is_not_saved_and_the_form_says_why(alice_client, alice_mapping):
    response = _save(alice_client, "  ")
    assert response.status_code == 422
    assert "Give the view a name" in response.content.decode()
    assert not SavedView.objects.exists()


def test_the_sidebar_has_no_views_list_before_the_first_view(alice_client, alice_mapping):
    assert 'aria-label="Views"' not in _nav(alice_client)


def test_a_shared_view_is_listed_for_a_colleague_and_not_for_another_account(alice_client, alice_mapping, bob, charlie, client):
    _save(alice_client, "Team queue", shared="1")
    _save(alice_client, "Mine alone")
    client.force_login(bob)
    nav = _nav(client)
    assert ">Team queue</a>" in nav and "Mine alone" not in nav
    client.force_login(charlie)
    assert "Team queue" not in _nav(client)


# --- the default of /tickets ------------------------------------------------------------------------------


def test_a_bare_tickets_page_opens_the_default_view(alice_client, alice_mapping):
    _save(alice_client, "Service Desk", default="1")
    response = alice_client.get("/tickets")
    assert response.status_code == 302 and response["Location"] == "/tickets?board=1"
    assert alice_client.get("/tickets", **HX).status_code == 200  # clearing the filters in the page stays clear
    assert alice_client.get("/tickets?board=2").status_code == 200


def test_without_a_default_tickets_is_the_plain_queue(alice_client, alice_mapping):
    _save(alice_client, "Service Desk")
    assert alice_client.get("/tickets").status_code == 200


# --- managing ----------------------------------------------------------------------------------------------


def test_rename_reorder_default_and_delete_from_the_manage_page(alice_client, alice_mapping):
    _save(alice_client, "First")
    _save(alice_client, "Second", query="board=2")
    first, second = SavedView.objects.order_by("position")
    html = alice_client.get("/tickets/views").content.decode()
    assert "Rename" in html and "Move down" in html and "Delete" in html

    alice_client.post(f"/tickets/views/{first.pk}/rename", {"name": "Desk"}, **HX)
    alice_client.post(f"/tickets/views/{second.pk}/up", {"order": f"{second.pk},{first.pk}"}, **HX)
    nav = _nav(alice_client)
    assert nav.index(">Second</a>") < nav.index(">Desk</a>")

    response = alice_client.post(f"/tickets/views/{second.pk}/default", **HX)
    assert json.loads(response["HX-Trigger"])["toast"]["message"] == "Tickets opens “Second” now"
    assert alice_client.get("/tickets")["Location"] == "/tickets?board=2"

    alice_client.post(f"/tickets/views/{second.pk}/delete", **HX)
    assert ">Second</a>" not in _nav(alice_client)
    assert alice_client.get("/tickets").status_code == 200  # the default went with the view


def test_a_colleague_cannot_delete_a_shared_view_they_did_not_make(alice_client, alice_mapping, bob, client):
    _save(alice_client, "Team queue", shared="1")
    view = SavedView.objects.get()
    client.force_login(bob)
    html = client.get("/tickets/views").content.decode()
    assert "Team queue" in html and ">Delete<" not in html and "Make default" in html
    response = client.post(f"/tickets/views/{view.pk}/delete", **HX)
    assert response.status_code == 422
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_another_accounts_view_is_not_found(alice_client, alice_mapping, charlie, client):
    _save(alice_client, "Team queue", shared="1")
    view = SavedView.objects.get()
    client.force_login(charlie)
    response = client.post(f"/tickets/views/{view.pk}/rename", {"name": "Mine now"}, **HX)
    assert response.status_code == 422 and "No such saved view" in response.content.decode()
    assert SavedView.objects.get().name == "Team queue"


# --- calm live updates ---------------------------------------------------------------------------------------


def test_the_queue_carries_a_background_check_with_a_polite_notice_region(alice_client, alice_mapping):
    html = alice_client.get("/tickets?board=1").content.decode()
    assert re.search(r'hx-get="/tickets/changes\?board=1"', html)
    assert re.search(r'hx-trigger="every \d+s, liveVisible"', html)
    assert '<div class="live-notice" role="status" data-live-message></div>' in html


def test_a_ticket_changed_since_the_page_was_drawn_gives_the_notice_with_refresh(alice_client, alice_mapping, quiet):
    ticket = _open_ticket(quiet, board_id=1)
    _stamp(ticket, LATER)
    html = alice_client.get(f"/tickets/changes?board=1&since={DRAWN}&ids={ticket['id']}", **HX).content.decode()
    assert "1 ticket changed" in html
    assert f'data-changed-ids="{ticket["id"]}"' in html and 'hx-get="/tickets?board=1"' in html and ">Refresh</button>" in html


def test_nothing_changed_says_nothing(alice_client, alice_mapping, quiet):
    html = alice_client.get(f"/tickets/changes?board=1&since={DRAWN}", **HX).content.decode()
    assert html.strip() == ""


def test_the_drawer_names_what_changed_and_offers_to_reload_it(alice_client, alice_mapping, quiet):
    ticket = _open_ticket(quiet)
    _stamp(ticket, LATER)
    html = alice_client.get(f"/tickets/{ticket['id']}/changes?since={DRAWN}", **HX).content.decode()
    assert "This ticket changed (notes)" in html and "Reload notes and status" in html


def test_the_drawer_check_rearmed_answers_a_new_since_and_no_notice(alice_client, alice_mapping, quiet):
    html = alice_client.get("/tickets/5/changes?since=1&reset=1", **HX).content.decode()
    assert re.search(r'<input type="hidden" name="since" value="\d+" id="live-since-5" hx-swap-oob="true">', html)
    assert "changed" not in html
