"""Forms of the integration settings page: the PSA connection and the member mappings.

Every form is bound to one account (``request.account``): choices and lookups never leave it.
"""

from __future__ import annotations

import re

from django import forms
from django.db import IntegrityError, transaction
from django.urls import reverse

from psa import site_policy
from psa.models import MemberMapping, Membership, PSAConnection

_NO_SPACES = re.compile(r"^\S+$")


AUTOTASK_LOOKUP_HOST = "webservices.autotask.net"  # Autotask's global zone lookup (any database)


class ConnectionFormBase(forms.ModelForm):
    """What every form that edits a ``PSAConnection`` shares (the integrations page and the Django admin).

    * The site passes the site policy (``psa.site_policy``): a canonical, IDNA-encoded spelling; https and
      public addresses only unless the deployment allows local hosts; the built-in sandbox only outside
      production. For Autotask the site is where the zone lookup goes (empty: Autotask's own lookup host).
    * The secret (ConnectWise's private key, Autotask's API secret; one encrypted column) is write-only and
      never rendered back. An empty field keeps the stored one, unless a field in :attr:`key_bound_fields`
      changes: the stored secret never follows a connection somewhere else, so moving it (another provider,
      site, company or API user) needs it typed again.
    """

    KEY_BOUND_FIELDS: tuple[str, ...] = ("provider", "site", "company_id")
    AUTOTASK_KEY_BOUND_FIELDS: tuple[str, ...] = ("provider", "site", "username")
    KEY_AGAIN_MESSAGE = "Re-enter the private key: it is needed again when the site or company id changes."
    SECRET_AGAIN_MESSAGE = "Re-enter the secret: it is needed again when the username or zone lookup site changes."

    private_key = forms.CharField(
        required=False,
        strip=True,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    @property
    def has_private_key(self) -> bool:
        return self.instance.pk is not None and self.instance.has_private_key

    @property
    def provider_kind(self) -> str:
        """The provider this form edits: the posted choice when valid, else the saved (or initial) one."""
        choices = {value for value, _ in PSAConnection.Provider.choices}
        if "provider" in self.fields:
            posted = self.data.get(self.add_prefix("provider")) if self.is_bound else self.initial.get("provider")
            if posted in choices:
                return posted
        return self.instance.provider or PSAConnection.Provider.CONNECTWISE

    @property
    def is_autotask(self) -> bool:
        return self.provider_kind == PSAConnection.Provider.AUTOTASK

    @property
    def key_bound_fields(self) -> tuple[str, ...]:
        return self.AUTOTASK_KEY_BOUND_FIELDS if self.is_autotask else self.KEY_BOUND_FIELDS

    def clean_provider(self) -> str:
        # A form posted without the choice (an older page, a script) keeps the saved provider.
        return self.cleaned_data.get("provider") or self.provider_kind

    def clean_site(self) -> str:
        raw = (self.cleaned_data.get("site") or "").strip()
        if not raw and self.is_autotask:
            raw = AUTOTASK_LOOKUP_HOST
        try:
            return site_policy.check_site(raw)
        except site_policy.PSASitePolicyError as error:
            raise forms.ValidationError(error.message) from None

    def clean_company_id(self) -> str:
        value = self.cleaned_data["company_id"].strip()
        if self.is_autotask and not value:
            return value
        if not _NO_SPACES.match(value) or "+" in value or ":" in value:
            raise forms.ValidationError("The company id has no spaces, “+” or “:”.")
        return value

    def clean_public_key(self) -> str:
        value = self.cleaned_data["public_key"].strip()
        if self.is_autotask and not value:
            return value
        if not _NO_SPACES.match(value) or ":" in value:
            raise forms.ValidationError("The public key has no spaces or “:”.")
        return value

    def clean_client_id(self) -> str:
        value = self.cleaned_data["client_id"].strip()
        if value and not _NO_SPACES.match(value):
            raise forms.ValidationError("The client id has no spaces.")
        return value

    def clean_username(self) -> str:
        value = self.cleaned_data.get("username", "").strip()
        if self.is_autotask and not value:
            raise forms.ValidationError("Enter the API user's username.")
        if value and not _NO_SPACES.match(value):
            raise forms.ValidationError("The username has no spaces.")
        return value

    def clean_integration_code(self) -> str:
        value = self.cleaned_data.get("integration_code", "").strip()
        if self.is_autotask and not value:
            raise forms.ValidationError("Enter the integration code (the API user's tracking identifier).")
        if value and not _NO_SPACES.match(value):
            raise forms.ValidationError("The integration code has no spaces.")
        return value

    def clean_private_key(self) -> str:
        value = self.cleaned_data.get("private_key", "")
        word = "secret" if self.is_autotask else "private key"
        if not value and not self.has_private_key:
            raise forms.ValidationError(f"Enter the {word}.")
        if value and not _NO_SPACES.match(value):
            raise forms.ValidationError(f"The {word} has no spaces.")
        return value

    def clean(self):
        cleaned = super().clean()
        # ``self.instance`` still holds the saved values here (the form writes into it after ``clean``).
        if self.has_private_key and not cleaned.get("private_key") and "private_key" not in self.errors:
            if any(name in cleaned and self._moves_key(name, cleaned[name]) for name in self.key_bound_fields):
                self.add_error("private_key", self.SECRET_AGAIN_MESSAGE if self.is_autotask else self.KEY_AGAIN_MESSAGE)
        return cleaned

    def _moves_key(self, name: str, value) -> bool:
        saved = getattr(self.instance, name)
        if name == "site":
            try:
                saved = site_policy.normalize_site(saved)
            except site_policy.PSASitePolicyError:
                pass  # a stored site the policy no longer accepts: any valid new one is a change
        return value != saved

    def save(self, commit: bool = True) -> PSAConnection:
        connection = super().save(commit=False)
        if self.cleaned_data.get("private_key"):
            connection.set_private_key(self.cleaned_data["private_key"])
        if self.instance.pk is not None and any(name in self.changed_data for name in ("provider", "site", "username")):
            connection.zone_url = ""  # another API user or lookup site: its zone is looked up again
        if commit:
            connection.save()  # bumps ``updated``: a new provider and fresh reference data from now on
        return connection


class ConnectionForm(ConnectionFormBase):
    """For the account's admins on the integrations page: the provider, then its fields.

    ConnectWise: site, company id, public key, private key (write-only) and client id (blank: the
    deployment's). Autotask: the zone lookup site (blank: Autotask's), the API user's username, the
    integration code and the secret (write-only). Only the chosen provider's fields are on the form; a new
    connection needs its secret."""

    CONNECTWISE_FIELDS = ("provider", "site", "company_id", "public_key", "private_key", "client_id")
    AUTOTASK_FIELDS = ("provider", "site", "username", "integration_code", "private_key")

    class Meta:
        model = PSAConnection
        fields = ["provider", "site", "company_id", "public_key", "private_key", "client_id", "username",
                  "integration_code"]
        labels = {"provider": "PSA", "site": "Site", "company_id": "Company id", "public_key": "Public key",
                  "client_id": "Client id", "username": "API username", "integration_code": "Integration code"}
        help_texts = {
            "client_id": (
                "The clientId from developer.connectwise.com, sent on every call. Leave it blank to use the "
                "client id this deployment is registered with."
            ),
        }

    def __init__(self, *args, account, provider: str | None = None, **kwargs):
        self.account = account
        if provider:
            kwargs.setdefault("initial", {})["provider"] = provider
        super().__init__(*args, **kwargs)
        autotask = self.is_autotask
        keep = self.AUTOTASK_FIELDS if autotask else self.CONNECTWISE_FIELDS
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        self.order_fields(keep)
        self.fields["provider"].required = False
        for name in keep:
            if name in ("provider", "private_key"):
                continue
            self.fields[name].required = name in ("company_id", "public_key", "username", "integration_code") or (
                name == "site" and not autotask)
            self.fields[name].widget.attrs.setdefault("autocomplete", "off")
            self.fields[name].widget.attrs["spellcheck"] = "false"
        self.fields["provider"].widget.attrs.update({
            # Choosing another PSA re-renders the form with its fields (without JavaScript: on save).
            "hx-get": reverse("integrations"), "hx-trigger": "change", "hx-target": "#connection",
            "hx-select": "#connection", "hx-swap": "outerHTML",
        })
        sandbox = " (or sandbox)" if site_policy.sandbox_allowed() else ""
        if autotask:
            self.fields["site"].help_text = (
                f"Where the zone lookup goes: leave {AUTOTASK_LOOKUP_HOST}{sandbox}. The zone of your database "
                "is discovered from the username."
            )
            if not self.is_bound and not (self.instance.pk and self.instance.is_autotask):
                self.initial["site"] = AUTOTASK_LOOKUP_HOST
            self.fields["username"].help_text = "The API user's username (Resource, security level API User)."
            self.fields["username"].error_messages["required"] = "Enter the API user's username."
            self.fields["integration_code"].error_messages["required"] = (
                "Enter the integration code (the API user's tracking identifier).")
            self.fields["integration_code"].help_text = "The API tracking identifier of this integration."
            self.fields["private_key"].label = "Secret"
            self.fields["private_key"].help_text = (
                "Write-only: never shown again. Leave empty to keep the stored secret; a new username or site "
                "needs it again."
            )
        else:
            self.fields["site"].help_text = f"Your ConnectWise site, e.g. na.myconnectwise.net{sandbox}."
            self.fields["private_key"].label = "Private key"
            self.fields["private_key"].help_text = (
                "Write-only: never shown again. Leave empty to keep the stored key; a new site or company id "
                "needs it again."
            )

    @property
    def zone_url(self) -> str:
        """The discovered zone of the saved Autotask connection ("" until a Test connection found it)."""
        return self.instance.zone_url if self.instance.pk and self.instance.is_autotask else ""

    def save(self, commit: bool = True) -> PSAConnection:
        self.instance.account = self.account
        if not commit or self.instance.pk is not None:
            return super().save(commit=commit)
        try:
            with transaction.atomic():
                return super().save(commit=True)
        except IntegrityError:
            # Two first saves at once: the other request created the account's connection between our
            # read and our insert. This one then updates that row (last write wins, as for two edits).
            self.instance.pk = PSAConnection.objects.only("pk").get(account=self.account).pk
            self.instance._state.adding = False
            return super().save(commit=True)


class MappingError(Exception):
    """A mapping change that would break the one-user-one-member rule (message is user-facing)."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def account_users(account):
    """The account's users, for the mapping selects."""
    return [m.user for m in Membership.objects.filter(account=account).select_related("user").order_by("user__username")]


def user_label(user) -> str:
    full = user.get_full_name()
    return f"{full} ({user.get_username()})" if full else user.get_username()


def map_member(account, user, member, *, replace_user: bool = False) -> MemberMapping:
    """Map ``user`` to PSA ``member`` (a ``PSAMember``).

    The user must be free (or already paired with this member). The member must be free too, unless
    ``replace_user`` (an admin choosing another user for the member's row): then its old mapping goes.
    """
    existing = MemberMapping.objects.filter(account=account, user=user).first()
    if existing is not None and existing.psa_member_id == member.id:
        return existing
    if existing is not None:
        raise MappingError(f"{user_label(user)} is already mapped to {existing.name or existing.identifier} "
                           f"({existing.identifier}). Unmap them first.")
    taken = MemberMapping.objects.filter(account=account, psa_member_id=member.id).select_related("user").first()
    if taken is not None and not replace_user:
        raise MappingError(f"{member.name} ({member.identifier}) is already mapped to {user_label(taken.user)}.")
    try:
        with transaction.atomic():
            if taken is not None:
                taken.delete()
            return MemberMapping.objects.create(account=account, user=user, psa_member_id=member.id,
                                                identifier=member.identifier, name=member.name)
    except IntegrityError:  # a concurrent request took the user or the member first
        raise MappingError("That user or member was mapped by someone else just now. Reload and try again.") from None


def unmap_user(account, user) -> MemberMapping | None:
    mapping = MemberMapping.objects.filter(account=account, user=user).first()
    if mapping is not None:
        mapping.delete()
    return mapping


def unmap_member(account, member_id: int) -> MemberMapping | None:
    mapping = MemberMapping.objects.filter(account=account, psa_member_id=member_id).select_related("user").first()
    if mapping is not None:
        mapping.delete()
    return mapping
