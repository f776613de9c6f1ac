import re

import pytest
from django.contrib.auth.models import User

HX = {"HX-Request": "true"}
LINK = re.compile(r'id="invitation-link"[^>]*value="(?P<link>[^"]+)"')


@pytest.fixture(autouse=True)
def _no_email(settings):
    """No email backend unless a test configures one (the default of a fresh install)."""
    settings.EMAIL_CONFIGURED = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def loner(db):
    """A user made with createsuperuser: in no account."""
    return User.objects.create_superuser("loner", "loner@example.com", "pw-loner")


@pytest.fixture
def loner_client(client, loner):
    client.force_login(loner)
    return client


def invitation_link(response) -> str:
    """The accept link the team page shows the admin once, as a path."""
    match = LINK.search(response.content.decode())
    assert match, "no invitation link on the page"
    return "/" + match["link"].split("/", 3)[3]


def invite(client, email="", role="member") -> str:
    response = client.post("/account/team/invitations", {"email": email, "role": role}, headers=HX)
    assert response.status_code == 200, response.content.decode()
    return invitation_link(response)
