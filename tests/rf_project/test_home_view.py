"""The QuickStart page (/): the Dashboard section and its widget placeholders; no PSA call."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def _widget(html: str, widget_id: str) -> str:
    match = re.search(rf'<section id="{widget_id}".*?</section>', html, re.S)
    return match.group(0) if match else ""


def test_it_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_it_shows_a_collapsible_dashboard_with_both_widgets_loading(alice_client, connection, sandbox):
    sandbox.clear_log()
    response = alice_client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<details class="dashboard" id="dashboard" open>' in html and "<summary>Dashboard</summary>" in html
    queue = _widget(html, "my-queue")
    assert 'hx-get="/dashboard/my-queue" hx-trigger="load"' in queue
    assert 'data-state="loading"' in queue and queue.count('class="sk ') == 3
    sessions = _widget(html, "active-sessions")
    assert 'hx-get="/dashboard/sessions" hx-trigger="load"' in sessions
    assert sessions.count('class="sk ') == 3
    assert sandbox.request_log == []  # the page never waits for the PSA


def test_it_does_not_render_my_queue_without_a_psa_connection(alice_client):
    html = alice_client.get("/").content.decode()
    assert 'id="my-queue"' not in html and "My Queue" not in html
    assert 'id="active-sessions"' in html


def test_it_renders_my_queue_for_an_unmapped_user_of_a_connected_account(bob_client, connection):
    assert 'id="my-queue"' in bob_client.get("/").content.decode()


def test_it_hosts_the_ticket_drawer_container(alice_client, connection):
    assert '<div id="drawer" class="drawer-host">' in alice_client.get("/").content.decode()


def test_it_has_no_inline_scripts_or_handlers(alice_client, connection):
    html = alice_client.get("/").content.decode()
    assert "<script>" not in html and "hx-on" not in html
    assert not re.search(r"\son[a-z]+=", html)


def test_another_accounts_connection_does_not_show_my_queue(charlie_client, connection):
    assert 'id="my-queue"' not in charlie_client.get("/").content.decode()
