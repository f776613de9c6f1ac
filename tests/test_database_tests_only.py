"""CI's PostgreSQL run keeps only the tests that can touch the database (``--database-tests-only``); a test
that uses the database through a fixture or the marker must never be left out of it."""

from types import SimpleNamespace

import pytest

from tests.conftest import _uses_database


def _item(fixtures=(), marker=None):
    return SimpleNamespace(fixturenames=list(fixtures), get_closest_marker=lambda name: marker if name == "django_db" else None)


@pytest.mark.parametrize("fixtures", [("db",), ("transactional_db",), ("account", "db", "client"), ("live_server",)])
def test_a_test_reaching_the_database_through_a_fixture_is_kept(fixtures):
    assert _uses_database(_item(fixtures))


def test_a_test_marked_django_db_is_kept():
    assert _uses_database(_item(marker=pytest.mark.django_db))


def test_a_test_without_database_access_is_left_to_the_sqlite_run():
    assert not _uses_database(_item(("sandbox", "client", "settings")))


def test_this_very_module_is_not_run_twice(request):
    assert not _uses_database(request.node)


def test_a_database_test_is_seen_as_one(request, db):
    assert _uses_database(request.node)
