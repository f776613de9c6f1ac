"""Fixtures for the dashboard tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def swilson(sandbox):
    """The sandbox member with no tickets at all."""
    return next(m for m in sandbox.members() if m["identifier"] == "swilson")


@pytest.fixture
def alice_mapped_to_swilson(alice, account, connection, swilson):
    from psa.models import MemberMapping

    return MemberMapping.objects.create(account=account, user=alice, psa_member_id=swilson["id"],
                                        identifier=swilson["identifier"], name=swilson["name"])
