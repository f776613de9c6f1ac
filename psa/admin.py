from django import forms
from django.contrib import admin
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters

from psa.forms import ConnectionFormBase
from psa.models import Account, MemberMapping, Membership, PSAConnection


class PSAConnectionAdminForm(ConnectionFormBase):
    """The integrations page's rules for superusers too: the site policy, a write-only secret (empty keeps
    the stored one), and the secret typed again when the connection moves to another account, PSA, site,
    company (ConnectWise) or API user (Autotask). Each PSA's own fields are required for it only: a
    ConnectWise connection needs a company id and public key, an Autotask one an API username and an
    integration code (the Autotask zone is discovered by Test connection, shown read-only)."""

    KEY_BOUND_FIELDS = ("account", "provider", "site", "company_id")
    AUTOTASK_KEY_BOUND_FIELDS = ("account", "provider", "site", "username")
    KEY_AGAIN_MESSAGE = ("Re-enter the private key: it is needed again when the account, PSA, site or company id "
                         "changes.")
    SECRET_AGAIN_MESSAGE = ("Re-enter the secret: it is needed again when the account, PSA, site or API username "
                            "changes.")

    class Meta:
        model = PSAConnection
        fields = ["account", "provider", "site", "company_id", "public_key", "client_id", "username",
                  "integration_code", "private_key"]
        labels = {"private_key": "Private key / secret", "username": "API username (Autotask)",
                  "integration_code": "Integration code (Autotask)", "company_id": "Company id (ConnectWise)",
                  "public_key": "Public key (ConnectWise)", "client_id": "Client id (ConnectWise)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("company_id", "public_key", "username", "integration_code"):
            self.fields[name].required = False  # required for its own PSA only (the clean_ methods)
        self.fields["private_key"].help_text = (
            "ConnectWise's private key or Autotask's API secret. Write-only. Leave empty to keep the stored one "
            "(it must be typed again when the account, PSA, site, company id or API username changes)."
        )

    def _required_for_connectwise(self, name: str, label: str) -> None:
        if not self.is_autotask and not (self.cleaned_data.get(name) or "").strip():
            raise forms.ValidationError(f"Enter the {label} (a ConnectWise connection needs it).")

    def clean_company_id(self) -> str:
        self._required_for_connectwise("company_id", "company id")
        return super().clean_company_id()

    def clean_public_key(self) -> str:
        self._required_for_connectwise("public_key", "public key")
        return super().clean_public_key()


@admin.register(PSAConnection)
class PSAConnectionAdmin(admin.ModelAdmin):
    form = PSAConnectionAdminForm
    list_display = ["account", "provider", "site", "company_id", "username", "key_is_set"]
    readonly_fields = ["zone_url"]

    @method_decorator(sensitive_post_parameters("private_key", "public_key", "integration_code"))
    def changeform_view(self, request, *args, **kwargs):
        """No error report of this page can show the keys (as on the integrations page)."""
        return super().changeform_view(request, *args, **kwargs)

    @admin.display(boolean=True, description="Secret set")
    def key_is_set(self, obj):
        return obj.has_private_key


admin.site.register(Account)
admin.site.register(Membership, list_display=["user", "account", "role"])
admin.site.register(MemberMapping, list_display=["user", "account", "identifier", "psa_member_id"])
