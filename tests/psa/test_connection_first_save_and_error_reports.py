"""Saving a connection: two first saves at once both succeed (one row, no IntegrityError), and an error
while saving never puts the keys into an error report."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
FIRST = {"site": "sandbox", "company_id": "sandbox", "public_key": "first-public", "private_key": "first-private",
         "client_id": ""}
SECOND = {**FIRST, "public_key": "second-public", "private_key": "second-private"}


def test_a_first_save_that_loses_the_race_updates_the_connection_the_other_request_created(account, sandbox):
    from psa.forms import ConnectionForm
    from psa.models import PSAConnection

    # Both requests saw no connection and validated their forms ...
    first = ConnectionForm(FIRST, instance=None, account=account)
    second = ConnectionForm(SECOND, instance=None, account=account)
    assert first.is_valid() and second.is_valid()
    first.save()  # ... the first commits ...
    saved = second.save()  # ... and the second must not fail with an IntegrityError.

    assert PSAConnection.objects.filter(account=account).count() == 1
    stored = PSAConnection.objects.get(account=account)
    assert stored.pk == saved.pk
    assert (stored.public_key, stored.get_private_key()) == ("second-public", "second-private")


def test_the_page_answers_a_racing_first_save_like_any_save(alice_client, account, sandbox, monkeypatch):
    from psa import forms as psa_forms
    from psa.models import PSAConnection

    is_valid = psa_forms.ConnectionForm.is_valid

    def valid_then_overtaken(form):
        ok = is_valid(form)
        # Another admin's first save commits between this request's read and its insert.
        PSAConnection.objects.create(account=account, site="sandbox", company_id="sandbox", public_key="other")
        return ok

    monkeypatch.setattr(psa_forms.ConnectionForm, "is_valid", valid_then_overtaken)
    response = alice_client.post("/account/integrations", SECOND, **HX)
    assert response.status_code == 200
    assert PSAConnection.objects.get(account=account).public_key == "second-public"


def test_an_error_while_saving_keeps_the_keys_out_of_the_error_report(alice_client, account, sandbox, monkeypatch):
    from django.core.signals import got_request_exception
    from django.views.debug import SafeExceptionReporterFilter

    from psa import forms as psa_forms

    def broken(form, commit=True):
        raise RuntimeError("database went away")

    monkeypatch.setattr(psa_forms.ConnectionForm, "save", broken)
    failed = []

    def remember(sender, request, **kwargs):
        failed.append(request)

    got_request_exception.connect(remember)
    alice_client.raise_request_exception = False
    try:
        response = alice_client.post("/account/integrations", SECOND, **HX)
    finally:
        got_request_exception.disconnect(remember)
    assert response.status_code == 500
    reported = SafeExceptionReporterFilter().get_post_parameters(failed[0])
    assert "second-private" not in reported.values() and "second-public" not in reported.values()
    assert reported["site"] == "sandbox"  # what isn't secret stays readable for whoever debugs it


def test_test_connection_is_marked_sensitive_too(alice_client, connection, monkeypatch):
    from django.core.signals import got_request_exception

    from psa.tenancy import Tenant

    def broken(tenant):
        raise RuntimeError("bug")

    monkeypatch.setattr(Tenant, "provider", property(broken))
    failed = []
    got_request_exception.connect(lambda sender, request, **kw: failed.append(request), weak=False,
                                  dispatch_uid="sensitive-test")
    alice_client.raise_request_exception = False
    try:
        alice_client.post("/account/integrations/test", {"private_key": "typed-by-mistake"}, **HX)
    finally:
        got_request_exception.disconnect(dispatch_uid="sensitive-test")
    assert failed and failed[0].sensitive_post_parameters == "__ALL__"


def test_the_admin_connection_form_is_marked_sensitive_too(client, alice, connection, monkeypatch):
    from django.contrib.admin import ModelAdmin
    from django.core.signals import got_request_exception

    alice.is_staff = alice.is_superuser = True
    alice.save()
    client.force_login(alice)

    def broken(self, request, *args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(ModelAdmin, "changeform_view", broken)
    failed = []
    got_request_exception.connect(lambda sender, request, **kw: failed.append(request), weak=False,
                                  dispatch_uid="sensitive-admin-test")
    client.raise_request_exception = False
    try:
        client.post(f"/admin/psa/psaconnection/{connection.pk}/change/", {"private_key": "typed-secret"})
    finally:
        got_request_exception.disconnect(dispatch_uid="sensitive-admin-test")
    # As the integrations page: Autotask's integration code too.
    assert failed and set(failed[0].sensitive_post_parameters) == {"private_key", "public_key", "integration_code"}
