"""The layout (base.html), the login page and the QuickStart placeholder."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_login_page_renders_and_signs_in(client, alice):
    page = client.get("/login/").content.decode()
    assert 'for="id_username">Username' in page and 'for="id_password">Password' in page
    response = client.post("/login/", {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 302


def test_a_wrong_password_is_explained(client, alice):
    response = client.post("/login/", {"username": "alice", "password": "nope"})
    assert 'role="alert"' in response.content.decode()


def test_the_layout_has_the_resolve_section_and_a_logout_form(alice_client):
    html = alice_client.get("/").content.decode()
    assert ">Resolve</p>" in html
    assert 'href="/assist/"' in html and 'href="/tickets"' in html
    assert re.search(r'<form method="post" action="/logout/">.*?Log out', html, re.S)
    assert "Acme MSP" in html


def test_the_tickets_item_is_current_on_tickets(alice_client, alice_mapping):
    html = alice_client.get("/tickets").content.decode()
    assert 'href="/tickets" aria-current="page"' in html


def test_the_layout_is_csp_friendly(alice_client, alice_mapping):
    html = alice_client.get("/tickets?ticket=1000").content.decode()
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None  # no inline scripts
    assert re.search(r"\son[a-z]+=", html) is None  # no inline event handlers
    assert "hx-on" not in html
    assert re.search(r"\sstyle=", html) is None  # no inline styles either
    assert '<meta name="htmx-config"' in html and '"includeIndicatorStyles": false' in html
    assert "hx-headers='{\"x-csrftoken\": \"" in html
    assert 'src="/static/app.js"' in html and 'href="/static/app.css"' in html
    assert 'src="/static/django_htmx/htmx-2.min.js"' in html


def test_the_drawer_host_is_on_every_page(alice_client):
    assert '<div id="drawer" class="drawer-host">' in alice_client.get("/").content.decode()
