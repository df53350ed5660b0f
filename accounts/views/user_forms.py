"""Forms of the users page. They only read the input; accounts/services.py applies the rules
(the last manager, e-mail already taken) and its refusals land beside the field they name."""

from __future__ import annotations

from django import forms

from common.roles import FINANCE, MANAGER, VENDOR
from vendors.models import Vendor

ROLE_CHOICES = [
    (MANAGER, "Manager: everything, set-up and users"),
    (FINANCE, "Finance: every vendor's figures, invoices"),
    (VENDOR, "Vendor: its own vendor's figures only"),
]


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES, widget=forms.RadioSelect)
    vendor = forms.ModelChoiceField(
        queryset=Vendor.objects.filter(active=True).order_by("name"),
        required=False,
        empty_label="– for vendor users only –",
        help_text="The one vendor whose figures a vendor user sees.",
    )

    def clean(self):
        data = super().clean()
        role, vendor = data.get("role"), data.get("vendor")
        if role == VENDOR and vendor is None:
            self.add_error("vendor", "Pick the vendor this user works for.")
        elif role and role != VENDOR and vendor is not None:
            self.add_error("vendor", "Only vendor users belong to a vendor; leave it empty.")
        return data


class InviteForm(RoleForm):
    email = forms.EmailField(
        label="E-mail", help_text="The invitation goes here; the username is made from it."
    )

    field_order = ["email", "role", "vendor"]
