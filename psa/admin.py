from django.contrib import admin
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters

from psa.forms import ConnectionFormBase
from psa.models import Account, MemberMapping, Membership, PSAConnection


class PSAConnectionAdminForm(ConnectionFormBase):
    """The integrations page's rules for superusers too: the site policy, a write-only private key (empty
    keeps the stored one), and the key typed again when the connection moves to another site, company
    or account."""

    KEY_BOUND_FIELDS = ("account", "site", "company_id")
    KEY_AGAIN_MESSAGE = "Re-enter the private key: it is needed again when the account, site or company id changes."

    class Meta:
        model = PSAConnection
        fields = ["account", "provider", "site", "company_id", "public_key", "private_key", "client_id"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["private_key"].help_text = (
            "Write-only. Leave empty to keep the stored key (it must be typed again when the account, site or "
            "company id changes)."
        )


@admin.register(PSAConnection)
class PSAConnectionAdmin(admin.ModelAdmin):
    form = PSAConnectionAdminForm
    list_display = ["account", "provider", "site", "company_id", "key_is_set"]

    @method_decorator(sensitive_post_parameters("private_key", "public_key"))
    def changeform_view(self, request, *args, **kwargs):
        """No error report of this page can show the keys (as on the integrations page)."""
        return super().changeform_view(request, *args, **kwargs)

    @admin.display(boolean=True, description="Private key set")
    def key_is_set(self, obj):
        return obj.has_private_key


admin.site.register(Account)
admin.site.register(Membership, list_display=["user", "account", "role"])
admin.site.register(MemberMapping, list_display=["user", "account", "identifier", "psa_member_id"])
