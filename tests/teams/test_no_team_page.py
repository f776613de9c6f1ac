"""A signed-in user who belongs to no account gets one clear page on every URL — never a 500."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from teams.middleware import OPEN_PREFIXES, OPEN_URL_NAMES

NOT_IN_A_TEAM = "You're not in a team yet"
SAMPLE = {"int": "1042", "str": "x", "path": "x", "slug": "x", "uuid": "00000000-0000-0000-0000-000000000000"}


def _paths(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _paths(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            yield entry.name, "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE[m.group(1) or "str"], route)


def product_urls():
    """Every URL of the product a signed-in user can open, with sample ids filled in."""
    urls = []
    for name, path in _paths(get_resolver().url_patterns):
        if name in OPEN_URL_NAMES or path.startswith(OPEN_PREFIXES) or "^" in path:
            continue
        urls.append(path)
    return sorted(set(urls))


def test_the_url_list_covers_the_product():
    urls = product_urls()
    for expected in ("/", "/tickets", "/tickets/1042/detail", "/assist/", "/account/integrations", "/account/team"):
        assert expected in urls
    assert len(urls) > 30


@pytest.mark.parametrize("url", product_urls())
def test_every_page_shows_the_not_in_a_team_page(loner_client, account, url):
    response = loner_client.get(url)

    assert response.status_code == 403
    body = response.content.decode()
    assert NOT_IN_A_TEAM in body
    assert "Ask your admin for an invitation" in body


@pytest.mark.parametrize("url", ["/tickets/1042/notes", "/tickets/new", "/account/team/invitations", "/setup/"])
def test_posts_get_the_page_too_and_change_nothing(loner_client, account, url):
    response = loner_client.post(url, {"text": "hello", "name": "Mine", "email": "x@example.com"})

    assert response.status_code == 403
    assert NOT_IN_A_TEAM in response.content.decode()


def test_an_htmx_request_is_sent_to_the_full_page(loner_client, account):
    response = loner_client.get("/tickets/1042/detail", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response["HX-Redirect"] == "/"


def test_the_json_api_keeps_its_json_answer(loner_client, account):
    response = loner_client.get("/integrations/psa/tickets")

    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")
    assert "does not belong to an account" in response.json()["detail"]


def test_a_user_in_no_team_can_still_log_out(loner_client, account):
    response = loner_client.post("/logout/")

    assert response.status_code == 302
    assert loner_client.get("/tickets").status_code == 302  # to the login page now
