"""provider_for(connection): which ConnectWise clientId a connection's calls carry."""

from __future__ import annotations

import pytest

from psa import registry

DEPLOYMENT_CLIENT_ID = "deployment-registered-id"


@pytest.fixture(autouse=True)
def deployment_client_id(settings):
    settings.CW_CLIENT_ID = DEPLOYMENT_CLIENT_ID
    registry.forget()
    yield
    registry.forget()


def test_a_connection_with_a_blank_client_id_sends_the_deployments(connection, sandbox):
    connection.client_id = ""
    connection.save()

    registry.provider_for(connection).system_info()

    assert [r.client_id for r in sandbox.request_log] == [DEPLOYMENT_CLIENT_ID]


def test_a_connection_with_its_own_client_id_sends_its_own(connection, sandbox):
    registry.provider_for(connection).system_info()

    assert [r.client_id for r in sandbox.request_log] == ["rf-tests"]
