"""Faithful names in the drawer (issue 19, part 5): note authors and assignees by the member's name even when
ConnectWise's reference carries only the identifier, the toast after assigning included; the note composer
offers ConnectWise's three kinds."""

from __future__ import annotations

import json

import pytest

from psa.sandbox import app as sandbox_app
from tickets import service

HX = {"HTTP_HX_REQUEST": "true"}


def identifier_only(member: dict) -> dict:
    """A member reference as some ConnectWise instances send it: no ``name``."""
    return {"id": member["id"], "identifier": member["identifier"]}


def ticket_with_member_notes(sandbox) -> int:
    return next(tid for tid, notes in sandbox.state["notes"].items()
                if any(n.get("member") for n in notes) and tid in sandbox.state["tickets"])


def test_note_authors_without_a_name_in_the_reference_are_named_from_the_member_directory(alice_tenant, sandbox):
    ticket_id = ticket_with_member_notes(sandbox)
    for note in sandbox.state["notes"][ticket_id]:
        if note.get("member"):
            note["member"] = identifier_only(note["member"])
            note["createdBy"] = "APIMember"  # who saved it: never shown as the author

    panel = service.get_ticket_panel(alice_tenant, ticket_id, None)

    directory = {m["identifier"]: m["name"] for m in sandbox.state["members"].values()}
    by_member = [n for n in panel.notes.value if n.author_identifier]
    assert by_member and all(n.author == directory[n.author_identifier] for n in by_member)
    assert "APIMember" not in {n.author for n in panel.notes.value}


def test_assignees_without_a_name_in_the_reference_are_named_from_the_member_directory(alice_tenant, sandbox):
    entry = next(e for e in sandbox.state["entries"].values() if e["type"]["identifier"] == "S" and not e["doneFlag"])
    entry["member"] = identifier_only(entry["member"])

    [resource] = [r for r in service.list_resources(alice_tenant, entry["objectId"])
                  if r.member_id == entry["member"]["id"]]

    member = sandbox.state["members"][entry["member"]["id"]]
    assert (resource.member_name, resource.member_identifier) == (member["name"], member["identifier"])


def test_the_assign_toast_names_the_member_not_their_identifier(alice_client, alice_mapping, sandbox, monkeypatch):
    ticket_id = next(t["id"] for t in sandbox.state["tickets"].values() if not t.get("resources"))
    monkeypatch.setattr(sandbox_app, "member_ref", identifier_only)  # ConnectWise answers without the name

    response = alice_client.post(f"/tickets/{ticket_id}/resources", {"member": 111}, **HX)

    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"])["toast"]["message"] == f"Sam Wilson assigned to #{ticket_id}"


def test_a_member_the_directory_does_not_have_keeps_the_identifier(alice_tenant, sandbox):
    entry = next(e for e in sandbox.state["entries"].values() if e["type"]["identifier"] == "S" and not e["doneFlag"])
    entry["member"] = {"id": 999, "identifier": "departed"}
    names = {r.member_name for r in service.list_resources(alice_tenant, entry["objectId"])}
    assert "departed" in names


@pytest.mark.parametrize("kind", ["internal", "discussion", "resolution"])
def test_the_note_composer_offers_each_of_connectwises_note_kinds(alice_client, alice_mapping, sandbox, kind):
    ticket_id = next(t["id"] for t in sandbox.state["tickets"].values() if not t["closedFlag"])

    response = alice_client.post(f"/tickets/{ticket_id}/notes", {"text": f"A {kind} note", "kind": kind}, **HX)

    assert response.status_code == 200
    [saved] = [n for n in sandbox.state["notes"][ticket_id] if n["text"] == f"A {kind} note"]
    flags = {k: saved[f] for k, f in (("internal", "internalAnalysisFlag"), ("discussion", "detailDescriptionFlag"),
                                      ("resolution", "resolutionFlag"))}
    assert flags == {k: k == kind for k in flags}


def test_the_note_composer_shows_the_resolution_choice(alice_client, alice_mapping, sandbox):
    ticket_id = next(t["id"] for t in sandbox.state["tickets"].values() if not t["closedFlag"])
    html = alice_client.get(f"/tickets/{ticket_id}/detail", **HX).content.decode()
    assert 'name="kind" value="resolution"' in html and "> Resolution</label>" in html
