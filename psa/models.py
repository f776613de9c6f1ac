"""Tenancy: the MSP account, its people, its PSA connection and PSA member mappings.

Every query in the product is scoped by ``Account``; a user belongs to exactly one account
(``Membership.user`` is unique), which keeps ``request.account`` unambiguous.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from psa import crypto


class Account(models.Model):
    name = models.CharField(max_length=200)
    created = models.DateTimeField(auto_now_add=True)
    # The team's default time zone (an IANA name, "" for none): for members whose ConnectWise member and
    # browser name none. Set by an admin on /account/profile (tickets.timezones).
    time_zone = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    # The zone this user picked on /account/profile (an IANA name; empty: automatic). Kept here, not in a
    # cookie, so it follows the user to every browser and device (tickets.timezones).
    time_zone = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.user} @ {self.account} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


class PSAConnection(models.Model):
    """One PSA connection per account. The secret is encrypted at rest and write-only.

    ``provider`` says which PSA it is:

    * ConnectWise: ``site`` is the ConnectWise site host (``na.myconnectwise.net``; an ``http://host:port``
      URL for a local sandbox server) or ``sandbox`` for the in-process sandbox; ``company_id``,
      ``public_key``, ``client_id`` and the private key.
    * Autotask: ``site`` is where the zone lookup goes (``webservices.autotask.net``, Autotask's global
      lookup host; ``http://host:port`` for a local ``at_sandbox``; ``sandbox`` for the in-process Autotask
      sandbox); ``username`` (the API user), ``integration_code`` (the API tracking identifier) and the
      secret. ``zone_url`` is the zone the lookup answered, stored when a Test connection discovers it.

    The one encrypted column ``private_key_encrypted`` holds the connection's secret whatever the provider
    (ConnectWise's private key, Autotask's API secret): write-only, re-required when the connection moves,
    and re-encrypted by the same key rotation.
    """

    class Provider(models.TextChoices):
        CONNECTWISE = "connectwise", "ConnectWise PSA"
        AUTOTASK = "autotask", "Autotask PSA"

    SANDBOX_SITE = "sandbox"

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="psa_connection")
    provider = models.CharField(max_length=20, choices=Provider.choices, default=Provider.CONNECTWISE)
    site = models.CharField(max_length=255)
    company_id = models.CharField(max_length=100)
    public_key = models.CharField(max_length=100)
    private_key_encrypted = models.TextField(blank=True, default="", editable=False)
    client_id = models.CharField(max_length=100, blank=True, default="")
    username = models.CharField(max_length=254, blank=True, default="")
    integration_code = models.CharField(max_length=100, blank=True, default="")
    zone_url = models.CharField(max_length=255, blank=True, default="", editable=False)
    updated = models.DateTimeField(auto_now=True)

    def __repr__(self) -> str:
        # Deliberately omits every secret (and the ciphertext).
        return f"<PSAConnection account={self.account_id} provider={self.provider} site={self.site!r} company={self.company_id!r}>"

    def __str__(self) -> str:
        if self.is_autotask:
            return f"{self.get_provider_display()} ({self.site}, user {self.username})"
        return f"{self.get_provider_display()} ({self.site}, company {self.company_id})"

    @property
    def is_autotask(self) -> bool:
        return self.provider == self.Provider.AUTOTASK

    @property
    def psa_name(self) -> str:
        """The PSA's name in sentences: "ConnectWise" or "Autotask"."""
        return "Autotask" if self.is_autotask else "ConnectWise"

    @property
    def has_private_key(self) -> bool:
        return bool(self.private_key_encrypted)

    def set_private_key(self, value: str) -> None:
        self.private_key_encrypted = crypto.encrypt(value) if value else ""

    def get_private_key(self) -> str:
        return crypto.decrypt(self.private_key_encrypted) if self.private_key_encrypted else ""


class MemberMapping(models.Model):
    """Links a ResolutionFlow user to a PSA member of the same account (1:1 in both directions)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="member_mappings")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="member_mappings")
    psa_member_id = models.IntegerField()
    identifier = models.CharField(max_length=100)
    name = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "user"], name="one_member_per_user"),
            models.UniqueConstraint(fields=["account", "psa_member_id"], name="one_user_per_member"),
        ]

    def __str__(self) -> str:
        return f"{self.user} -> {self.identifier} ({self.psa_member_id})"
