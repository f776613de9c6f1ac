"""Member mappings on /account/integrations: all PSA members, admins edit all, anyone maps themselves."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def _member(sandbox, identifier):
    return next(m for m in sandbox.members() if m["identifier"] == identifier)


def _mappings(account) -> dict[str, str]:
    from psa.models import MemberMapping

    return {m.identifier: m.user.username for m in MemberMapping.objects.filter(account=account).select_related("user")}


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _row(html, member_id) -> str:
    match = re.search(rf'<tr id="member-{member_id}".*?</tr>', html, re.S)
    return match.group(0) if match else ""


def test_it_lists_every_psa_member_with_mapped_rows_highlighted(alice_client, alice_mapping, sandbox):
    html = alice_client.get("/account/integrations/mappings", **HX).content.decode()
    assert html.lstrip().startswith('<section id="mappings"')
    for member in sandbox.members():
        assert f'id="member-{member["id"]}"' in html
    assert 'class="is-mapped"' in _row(html, alice_mapping.psa_member_id)
    assert "is-mapped" not in _row(html, _member(sandbox, "swilson")["id"])


def test_an_admin_gets_a_user_select_on_every_row(alice_client, alice_mapping, bob, sandbox):
    html = alice_client.get("/account/integrations/mappings", **HX).content.decode()
    row = _row(html, alice_mapping.psa_member_id)
    assert f'hx-post="/account/integrations/mappings/{alice_mapping.psa_member_id}" hx-trigger="change"' in row
    assert re.search(rf'<option value="{alice_mapping.user_id}" selected>alice</option>', row)
    assert f'<option value="{bob.pk}">bob</option>' in row
    assert html.count('<select id="map-user-') == len(sandbox.members())


def test_a_member_sees_the_mappings_read_only(bob_client, alice_mapping):
    html = bob_client.get("/account/integrations/mappings", **HX).content.decode()
    assert 'id="map-user-' not in html
    assert "alice" in _row(html, alice_mapping.psa_member_id)
    assert "Map my PSA member" in html


def test_without_a_connection_it_asks_to_connect_first(alice_client, account):
    html = alice_client.get("/account/integrations/mappings", **HX).content.decode()
    assert "Connect ConnectWise first" in html and "<table" not in html


def test_a_user_maps_and_unmaps_themselves(bob_client, account, bob, connection, sandbox):
    from psa.tenancy import tenant_for

    def members():  # as a later request sees them
        return tenant_for(bob).reference("members").members

    agarcia = _member(sandbox, "agarcia")
    response = bob_client.post("/account/integrations/mappings/me", {"member": agarcia["id"]}, **HX)
    assert response.status_code == 200
    assert _mappings(account) == {"agarcia": "bob"}
    assert json.loads(response["HX-Trigger"])["toast"]["message"] == "You are now mapped to Ana Garcia (agarcia)"
    html = response.content.decode()
    assert "You are mapped to <strong>Ana Garcia</strong>" in html and "is-mapped" in _row(html, agarcia["id"])
    # At once: assigned=me and the RF highlight follow the mapping.
    assert tenant_for(bob).mapping.identifier == "agarcia"
    assert next(m for m in members() if m.id == agarcia["id"]).is_rf_user

    response = bob_client.post("/account/integrations/mappings/me/unmap", **HX)
    assert response.status_code == 200 and _mappings(account) == {}
    assert "Map my PSA member" in response.content.decode()
    assert not next(m for m in members() if m.id == agarcia["id"]).is_rf_user


def test_the_self_map_select_offers_only_free_members(bob_client, alice_mapping, sandbox):
    html = bob_client.get("/account/integrations/mappings", **HX).content.decode()
    select = re.search(r'<select id="map-me-member".*?</select>', html, re.S).group(0)
    assert f'value="{alice_mapping.psa_member_id}"' not in select
    assert f'value="{_member(sandbox, "swilson")["id"]}"' in select


def test_a_user_cannot_take_a_member_mapped_to_someone_else(bob_client, account, alice_mapping):
    response = bob_client.post("/account/integrations/mappings/me", {"member": alice_mapping.psa_member_id}, **HX)
    assert response.status_code == 422
    assert "John Smith (jsmith) is already mapped to alice." in response.content.decode()
    assert _mappings(account) == {"jsmith": "alice"}


def test_a_mapped_user_must_unmap_before_mapping_another_member(alice_client, account, alice_mapping, sandbox):
    response = alice_client.post("/account/integrations/mappings/me", {"member": _member(sandbox, "swilson")["id"]}, **HX)
    assert response.status_code == 422
    assert "alice is already mapped to John Smith (jsmith). Unmap them first." in response.content.decode()
    assert _mappings(account) == {"jsmith": "alice"}


@pytest.mark.parametrize("member", ["", "abc", "999999"])
def test_self_mapping_needs_a_real_member(bob_client, account, connection, member):
    response = bob_client.post("/account/integrations/mappings/me", {"member": member}, **HX)
    assert response.status_code == 422 and "Choose your ConnectWise member." in response.content.decode()
    assert _mappings(account) == {}


def test_a_member_cannot_edit_other_peoples_mappings(bob_client, account, alice_mapping, bob, sandbox):
    member_id = _member(sandbox, "swilson")["id"]
    assert bob_client.post(f"/account/integrations/mappings/{member_id}", {"user": bob.pk}, **HX).status_code == 403
    assert bob_client.post(f"/account/integrations/mappings/{alice_mapping.psa_member_id}", {"user": ""}, **HX).status_code == 403
    assert _mappings(account) == {"jsmith": "alice"}


def test_an_admin_maps_reassigns_and_unmaps_any_member(alice_client, account, alice, bob, connection, sandbox):
    agarcia, mchen = _member(sandbox, "agarcia")["id"], _member(sandbox, "mchen")["id"]
    response = alice_client.post(f"/account/integrations/mappings/{agarcia}", {"user": bob.pk}, **HX)
    assert response.status_code == 200 and _mappings(account) == {"agarcia": "bob"}
    assert json.loads(response["HX-Trigger"])["toast"]["message"] == "bob mapped to Ana Garcia"
    # Choosing another user on a mapped member's row moves the member to that user.
    alice_client.post(f"/account/integrations/mappings/{agarcia}", {"user": alice.pk}, **HX)
    assert _mappings(account) == {"agarcia": "alice"}
    alice_client.post(f"/account/integrations/mappings/{mchen}", {"user": bob.pk}, **HX)
    assert _mappings(account) == {"agarcia": "alice", "mchen": "bob"}
    alice_client.post(f"/account/integrations/mappings/{agarcia}", {"user": ""}, **HX)
    assert _mappings(account) == {"mchen": "bob"}


def test_an_admin_cannot_map_one_user_to_two_members(alice_client, account, alice_mapping, sandbox):
    swilson = _member(sandbox, "swilson")["id"]
    response = alice_client.post(f"/account/integrations/mappings/{swilson}", {"user": alice_mapping.user_id}, **HX)
    assert response.status_code == 422
    assert 'id="mapping-error">alice is already mapped to John Smith (jsmith). Unmap them first.' in response.content.decode()
    assert _mappings(account) == {"jsmith": "alice"}


def test_an_admin_cannot_map_a_user_of_another_account(alice_client, account, connection, charlie, sandbox):
    swilson = _member(sandbox, "swilson")["id"]
    response = alice_client.post(f"/account/integrations/mappings/{swilson}", {"user": charlie.pk}, **HX)
    assert response.status_code == 422 and "Choose a user of this account." in response.content.decode()
    assert _mappings(account) == {}


def test_an_admin_cannot_map_an_unknown_member(alice_client, account, alice, connection):
    response = alice_client.post("/account/integrations/mappings/999999", {"user": alice.pk}, **HX)
    assert response.status_code == 422 and "ConnectWise has no such member." in response.content.decode()


def test_a_psa_failure_shows_retry_and_keeps_stored_mappings_removable(alice_client, account, alice_mapping, sandbox):
    sandbox.inject("500", path="^/system/members")
    response = alice_client.get("/account/integrations/mappings", **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Could not load ConnectWise members." in html and ">Retry</button>" in html
    row = _row(html, alice_mapping.psa_member_id)
    assert "is-orphan" in row and "Not loaded" in row and ">Unmap</button>" in row
    alice_client.post(f"/account/integrations/mappings/{alice_mapping.psa_member_id}", {"user": ""}, **HX)
    assert _mappings(account) == {}


def test_without_javascript_a_mapping_post_renders_the_whole_page(bob_client, account, connection, sandbox):
    response = bob_client.post("/account/integrations/mappings/me", {"member": _member(sandbox, "swilson")["id"]})
    html = response.content.decode()
    assert "<html" in html and 'id="connection"' in html and "You are mapped to <strong>Sam Wilson</strong>" in html


def test_another_account_never_sees_or_touches_acmes_mappings(charlie, account, alice_mapping, other_account,
                                                               other_connection, sandbox):
    charlie_client = _client_for(charlie)
    html = charlie_client.get("/account/integrations/mappings", **HX).content.decode()
    assert "alice" not in html and "is-mapped" not in html
    # Charlie maps the same PSA member id in his own account: Acme's mapping is untouched.
    response = charlie_client.post(f"/account/integrations/mappings/{alice_mapping.psa_member_id}", {"user": charlie.pk}, **HX)
    assert response.status_code == 200
    assert _mappings(account) == {"jsmith": "alice"}
    assert _mappings(other_account) == {"jsmith": "charlie"}
    charlie_client.post(f"/account/integrations/mappings/{alice_mapping.psa_member_id}", {"user": ""}, **HX)
    assert _mappings(account) == {"jsmith": "alice"} and _mappings(other_account) == {}
