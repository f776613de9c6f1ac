"""Forms of the integration settings page: the PSA connection and the member mappings.

Every form is bound to one account (``request.account``): choices and lookups never leave it.
"""

from __future__ import annotations

import re

from django import forms
from django.db import IntegrityError, transaction

from psa import site_policy
from psa.models import MemberMapping, Membership, PSAConnection

_NO_SPACES = re.compile(r"^\S+$")


class ConnectionFormBase(forms.ModelForm):
    """What every form that edits a ``PSAConnection`` shares (the integrations page and the Django admin).

    * The site passes the site policy (``psa.site_policy``): a canonical, IDNA-encoded spelling; https and
      public addresses only unless the deployment allows local hosts; the built-in sandbox only outside
      production.
    * The private key is write-only and never rendered back. An empty field keeps the stored key, unless
      a field in :attr:`KEY_BOUND_FIELDS` changes: the stored key never follows a connection somewhere
      else, so moving it (another site, another company) needs the key typed again.
    """

    KEY_BOUND_FIELDS: tuple[str, ...] = ("site", "company_id")
    KEY_AGAIN_MESSAGE = "Re-enter the private key: it is needed again when the site or company id changes."

    private_key = forms.CharField(
        required=False,
        strip=True,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    @property
    def has_private_key(self) -> bool:
        return self.instance.pk is not None and self.instance.has_private_key

    def clean_site(self) -> str:
        try:
            return site_policy.check_site(self.cleaned_data["site"])
        except site_policy.PSASitePolicyError as error:
            raise forms.ValidationError(error.message) from None

    def clean_company_id(self) -> str:
        value = self.cleaned_data["company_id"].strip()
        if not _NO_SPACES.match(value) or "+" in value or ":" in value:
            raise forms.ValidationError("The company id has no spaces, “+” or “:”.")
        return value

    def clean_public_key(self) -> str:
        value = self.cleaned_data["public_key"].strip()
        if not _NO_SPACES.match(value) or ":" in value:
            raise forms.ValidationError("The public key has no spaces or “:”.")
        return value

    def clean_client_id(self) -> str:
        value = self.cleaned_data["client_id"].strip()
        if value and not _NO_SPACES.match(value):
            raise forms.ValidationError("The client id has no spaces.")
        return value

    def clean_private_key(self) -> str:
        value = self.cleaned_data.get("private_key", "")
        if not value and not self.has_private_key:
            raise forms.ValidationError("Enter the private key.")
        if value and not _NO_SPACES.match(value):
            raise forms.ValidationError("The private key has no spaces.")
        return value

    def clean(self):
        cleaned = super().clean()
        # ``self.instance`` still holds the saved values here (the form writes into it after ``clean``).
        if self.has_private_key and not cleaned.get("private_key") and "private_key" not in self.errors:
            if any(name in cleaned and self._moves_key(name, cleaned[name]) for name in self.KEY_BOUND_FIELDS):
                self.add_error("private_key", self.KEY_AGAIN_MESSAGE)
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
        if commit:
            connection.save()  # bumps ``updated``: a new provider and fresh reference data from now on
        return connection


class ConnectionForm(ConnectionFormBase):
    """Site, company id, public key, private key (write-only) and client id (blank: the deployment's),
    for the account's admins on the integrations page. A new connection needs a private key."""

    class Meta:
        model = PSAConnection
        fields = ["site", "company_id", "public_key", "private_key", "client_id"]
        labels = {"site": "Site", "company_id": "Company id", "public_key": "Public key", "client_id": "Client id"}
        help_texts = {
            "client_id": (
                "The clientId from developer.connectwise.com, sent on every call. Leave it blank to use the "
                "client id this deployment is registered with."
            ),
        }

    def __init__(self, *args, account, **kwargs):
        self.account = account
        super().__init__(*args, **kwargs)
        for name in ("site", "company_id", "public_key", "client_id"):
            self.fields[name].required = name != "client_id"
            self.fields[name].widget.attrs.setdefault("autocomplete", "off")
            self.fields[name].widget.attrs["spellcheck"] = "false"
        self.fields["site"].help_text = (
            "Your ConnectWise site, e.g. na.myconnectwise.net"
            + (" (or sandbox)." if site_policy.sandbox_allowed() else ".")
        )

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
