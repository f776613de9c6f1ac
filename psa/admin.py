from django import forms
from django.contrib import admin

from psa.models import Account, MemberMapping, Membership, PSAConnection


class PSAConnectionAdminForm(forms.ModelForm):
    """The private key is write-only: an empty field keeps the stored key, and nothing is rendered back."""

    private_key = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only. Leave empty to keep the stored key.",
    )

    class Meta:
        model = PSAConnection
        fields = ["account", "provider", "site", "company_id", "public_key", "private_key", "client_id"]

    def save(self, commit=True):
        connection = super().save(commit=False)
        if self.cleaned_data.get("private_key"):
            connection.set_private_key(self.cleaned_data["private_key"])
        if commit:
            connection.save()
        return connection


@admin.register(PSAConnection)
class PSAConnectionAdmin(admin.ModelAdmin):
    form = PSAConnectionAdminForm
    list_display = ["account", "provider", "site", "company_id", "key_is_set"]

    @admin.display(boolean=True, description="Private key set")
    def key_is_set(self, obj):
        return obj.has_private_key


admin.site.register(Account)
admin.site.register(Membership, list_display=["user", "account", "role"])
admin.site.register(MemberMapping, list_display=["user", "account", "identifier", "psa_member_id"])
