"""Forms of the team pages: first-run setup, inviting, and joining from an invitation."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm

from psa.models import Account, Membership


class SetupForm(forms.Form):
    name = forms.CharField(
        label="Team name", max_length=Account._meta.get_field("name").max_length,
        help_text="Usually your MSP's name. Everyone you invite joins this team.",
    )


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="Email address", required=False,
        help_text="Optional. Leave empty to get a link you can send any way you like.",
    )
    role = forms.ChoiceField(label="Role", choices=Membership.Role.choices, initial=Membership.Role.MEMBER)


class JoinForm(UserCreationForm):
    """A new user for someone who accepts an invitation (Django's password validators apply)."""

    email = forms.EmailField(label="Email address", required=False)

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].help_text = "Letters, digits and @/./+/-/_ only; you sign in with it."
        self.fields["username"].widget.attrs.update(autocomplete="username", autocapitalize="none")
