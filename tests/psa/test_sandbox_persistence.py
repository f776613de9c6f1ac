"""The sandbox remembers its state in a file when told to (the demo does), and only then.

"A restart" is a new CWSandbox reading the same file, as the next ``manage.py demo`` does.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from psa.sandbox import CWSandbox, default_sandbox

BASE_URL = "https://sandbox.local/v4_6_release/apis/3.0"
AUTH = ("sandbox+sandbox-public", "sandbox-private")
SEED_TICKETS = 640


@pytest.fixture
def state_file(tmp_path) -> Path:
    return tmp_path / "cw-sandbox.json"


def client(sandbox: CWSandbox) -> httpx.Client:
    return httpx.Client(transport=httpx.WSGITransport(app=sandbox), base_url=BASE_URL, auth=AUTH,
                        headers={"clientId": "rf-tests"})


def create_ticket(cw: httpx.Client, summary: str) -> dict:
    response = cw.post("/service/tickets", json={"summary": summary, "company": {"identifier": "AcmeCorp"}})
    assert response.status_code == 201, response.text
    return response.json()


def add_note(cw: httpx.Client, ticket_id: int, text: str) -> dict:
    response = cw.post(f"/service/tickets/{ticket_id}/notes", json={"text": text, "internalAnalysisFlag": True})
    assert response.status_code == 201, response.text
    return response.json()


def assign(cw: httpx.Client, ticket_id: int, member: str) -> dict:
    response = cw.post("/schedule/entries", json={"type": {"identifier": "S"}, "objectId": ticket_id,
                                                  "member": {"identifier": member}})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_ticket_its_note_status_and_assignee_survive_a_restart(state_file):
    with client(CWSandbox(state_file=state_file)) as cw:
        ticket = create_ticket(cw, "Scanner offline in reception")
        add_note(cw, ticket["id"], "Power-cycled the scanner; still offline.")
        assert cw.patch(f"/service/tickets/{ticket['id']}", json=[
            {"op": "replace", "path": "status", "value": {"id": 12}}]).status_code == 200
        assign(cw, ticket["id"], "agarcia")

    with client(CWSandbox(state_file=state_file)) as cw:
        again = cw.get(f"/service/tickets/{ticket['id']}").json()
        notes = cw.get(f"/service/tickets/{ticket['id']}/notes").json()
        assert cw.get("/service/tickets/count").json() == {"count": SEED_TICKETS + 1}
    assert (again["summary"], again["status"]["name"], again["resources"]) == (
        "Scanner offline in reception", "In Progress", "agarcia")
    assert [n["text"] for n in notes] == ["Power-cycled the scanner; still offline."]


def test_seed_tickets_changed_before_a_restart_stay_changed(state_file):
    with client(CWSandbox(state_file=state_file)) as cw:
        seed_ticket = cw.get("/service/tickets", params={"conditions": "closedFlag=false"}).json()[0]
        add_note(cw, seed_ticket["id"], "Remembered note on a seed ticket")
        assert cw.patch(f"/service/tickets/{seed_ticket['id']}", json=[
            {"op": "replace", "path": "summary", "value": "Renamed before the restart"}]).status_code == 200

    with client(CWSandbox(state_file=state_file)) as cw:
        assert cw.get(f"/service/tickets/{seed_ticket['id']}").json()["summary"] == "Renamed before the restart"
        texts = [n["text"] for n in cw.get(f"/service/tickets/{seed_ticket['id']}/notes",
                                           params={"pageSize": 1000}).json()]
    assert "Remembered note on a seed ticket" in texts


def test_ids_after_a_restart_are_greater_than_every_id_used_before(state_file):
    with client(CWSandbox(state_file=state_file)) as cw:
        before = create_ticket(cw, "Before the restart")
        note_before = add_note(cw, before["id"], "before")
        entry_before = assign(cw, before["id"], "mchen")

    with client(CWSandbox(state_file=state_file)) as cw:
        after = create_ticket(cw, "After the restart")
        note_after = add_note(cw, after["id"], "after")
        entry_after = assign(cw, after["id"], "mchen")
    assert after["id"] > before["id"]
    assert note_after["id"] > note_before["id"]
    assert entry_after["id"] > entry_before["id"]


def test_a_file_whose_counters_lag_behind_its_ids_still_never_reuses_an_id(state_file):
    with client(CWSandbox(state_file=state_file)) as cw:
        kept = create_ticket(cw, "Kept ticket")
    saved = json.loads(state_file.read_text())
    saved["state"]["next_ids"]["ticket"] = 1000  # as if hand-edited, or written by an older sandbox
    state_file.write_text(json.dumps(saved))

    with client(CWSandbox(state_file=state_file)) as cw:
        new = create_ticket(cw, "New ticket")
        assert cw.get(f"/service/tickets/{kept['id']}").json()["summary"] == "Kept ticket"
    assert new["id"] > kept["id"]


def test_a_restart_before_any_write_serves_the_seed(state_file):
    CWSandbox(state_file=state_file)
    assert state_file.exists()
    with client(CWSandbox(state_file=state_file)) as cw:
        assert cw.get("/service/tickets/count").json() == {"count": SEED_TICKETS}
        assert create_ticket(cw, "First new ticket")["id"] == 1640


def test_reset_gives_back_the_seed_and_remembers_it(state_file):
    sandbox = CWSandbox(state_file=state_file)
    with client(sandbox) as cw:
        gone = create_ticket(cw, "Gone after the reset")
        sandbox.reset()
        assert cw.get(f"/service/tickets/{gone['id']}").status_code == 404

    with client(CWSandbox(state_file=state_file)) as cw:
        assert cw.get("/service/tickets/count").json() == {"count": SEED_TICKETS}
        assert cw.get(f"/service/tickets/{gone['id']}").status_code == 404
        assert create_ticket(cw, "First after the reset")["id"] == 1640


def test_writes_from_many_threads_all_survive_a_restart(state_file):
    sandbox = CWSandbox(state_file=state_file)
    created: list[int] = []

    def write(n):
        with client(sandbox) as cw:
            created.append(create_ticket(cw, f"Parallel ticket {n}")["id"])

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with client(CWSandbox(state_file=state_file)) as cw:
        summaries = {cw.get(f"/service/tickets/{tid}").json()["summary"] for tid in created}
    assert len(set(created)) == 8
    assert summaries == {f"Parallel ticket {n}" for n in range(8)}


def test_the_file_is_versioned_json_without_a_trace_of_its_temporary_files(state_file):
    with client(CWSandbox(state_file=state_file)) as cw:
        create_ticket(cw, "One write")
    saved = json.loads(state_file.read_text())
    assert saved["version"] == 1
    assert "One write" in {t["summary"] for t in saved["state"]["tickets"].values()}
    assert sorted(p.name for p in state_file.parent.iterdir()) == ["cw-sandbox.json"]


@pytest.mark.parametrize("content, reason", [
    (b'{"version": 1, "state": {"tick', "not valid JSON"),
    (b"\xff\xfe not text", "not valid JSON"),
    (b'{"state": {}}', "no format version"),
    (b'{"version": 99, "state": {}}', "format version 99; this sandbox reads version 1"),
    (b'{"version": 1, "state": {"tickets": {}}}', "does not hold the sandbox's collections"),
], ids=["truncated", "binary", "no-version", "newer-version", "missing-collections"])
def test_a_file_that_cannot_be_used_is_kept_aside_and_the_sandbox_starts_from_the_seed(state_file, caplog, content,
                                                                                         reason):
    state_file.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="psa.sandbox"):
        sandbox = CWSandbox(state_file=state_file)

    assert sandbox.ticket_count() == SEED_TICKETS
    corrupt = state_file.with_name("cw-sandbox.json.corrupt")
    assert corrupt.read_bytes() == content
    warning = caplog.text
    assert str(state_file) in warning and str(corrupt) in warning and reason in warning
    assert CWSandbox(state_file=state_file).ticket_count() == SEED_TICKETS  # the file holds the seed again


def test_ids_that_are_not_numbers_make_the_file_unusable(state_file, caplog):
    CWSandbox(state_file=state_file)
    saved = json.loads(state_file.read_text())
    saved["state"]["tickets"]["not-an-id"] = {"id": "x"}
    state_file.write_text(json.dumps(saved))
    with caplog.at_level(logging.WARNING, logger="psa.sandbox"):
        assert CWSandbox(state_file=state_file).ticket_count() == SEED_TICKETS
    assert "its tickets are not keyed by id" in caplog.text
    assert state_file.with_name("cw-sandbox.json.corrupt").exists()


def test_a_write_that_cannot_be_saved_is_not_acknowledged_and_the_file_stays_whole(state_file, monkeypatch, caplog):
    with client(CWSandbox(state_file=state_file)) as cw:
        kept = create_ticket(cw, "Saved before the disk filled up")

        def disk_full(fd):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "fsync", disk_full)
        with caplog.at_level(logging.ERROR, logger="psa.sandbox"):
            response = cw.post("/service/tickets", json={"summary": "Not saved", "company": {"id": 250}})
        monkeypatch.undo()

    assert response.status_code == 500
    assert "could not save its state" in response.json()["message"]
    assert "No space left on device" in caplog.text
    assert sorted(p.name for p in state_file.parent.iterdir()) == ["cw-sandbox.json"]
    with client(CWSandbox(state_file=state_file)) as cw:
        assert cw.get(f"/service/tickets/{kept['id']}").json()["summary"] == "Saved before the disk filled up"


def test_a_state_file_in_a_missing_directory_is_refused_at_start(tmp_path):
    with pytest.raises(FileNotFoundError):
        CWSandbox(state_file=tmp_path / "missing" / "cw-sandbox.json")


def test_remember_in_says_where_the_state_came_from(state_file):
    sandbox = CWSandbox()
    assert sandbox.remember_in(state_file) == "new"
    assert sandbox.remember_in(state_file) == "loaded"
    state_file.write_text("not json")
    assert sandbox.remember_in(state_file) == "unusable"
    assert sandbox.remember_in(None) == "memory"


def test_remember_in_none_goes_back_to_memory_only(state_file):
    sandbox = CWSandbox(state_file=state_file)
    sandbox.remember_in(None)
    with client(sandbox) as cw:
        create_ticket(cw, "Only in memory")
    assert CWSandbox(state_file=state_file).ticket_count() == SEED_TICKETS


def _state_files_beside_the_project_and_the_database() -> dict[str, int]:
    """Every cw-sandbox* file where the demo would keep one, with its modification stamp."""
    folders = {Path(settings.BASE_DIR), Path(settings.DATABASES["default"]["NAME"]).parent}
    return {str(p): p.stat().st_mtime_ns for folder in folders for p in folder.glob("cw-sandbox*")}


def test_without_a_state_file_the_sandbox_writes_no_file(tmp_path, monkeypatch, sandbox):
    monkeypatch.chdir(tmp_path)
    before = _state_files_beside_the_project_and_the_database()
    for sb in (CWSandbox(), sandbox):
        with client(sb) as cw:
            ticket = create_ticket(cw, "In memory only")
            add_note(cw, ticket["id"], "also in memory")
            assign(cw, ticket["id"], "jsmith")
        sb.reset()
    assert sandbox is default_sandbox() and sandbox.state_file is None
    assert list(tmp_path.iterdir()) == []
    assert _state_files_beside_the_project_and_the_database() == before
