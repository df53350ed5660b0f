"""Forms of the sources pages. They only read the input; the rules are the model's own,
applied by tickets.live.services, whose refusals land on the field they name.

The secret is write-only: its input is never filled back (not even after a refused POST)."""

from __future__ import annotations

from django import forms

from tickets.live.selectors import contracts_to_map
from tickets.models import LiveSource, LiveSourceKind

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
SECRET_KEPT = "Stored, not shown. Leave empty to keep it; type a new one to replace it."
SECRET_NEW = "The API user's password or API token. Stored encrypted, never shown again."
WEBHOOK_NEW = (
    "Optional: the secret the system signs its webhook deliveries with (Jira's webhook secret, "
    "Zendesk's signing secret, or one you choose for a ServiceNow business rule). With it, the "
    "source accepts deliveries and runs within a minute of a change. Never shown again."
)
WEBHOOK_KEPT = "Stored, not shown. Leave empty to keep it; type a new one to replace it."


def _model_field(name: str):
    return LiveSource._meta.get_field(name)


class SourceForm(forms.Form):
    name = forms.CharField(
        max_length=_model_field("name").max_length,
        help_text="Also the tickets' source: it cannot change once the source is added.",
    )
    kind = forms.ChoiceField(choices=LiveSourceKind.choices)
    base_url = forms.CharField(
        label="URL",
        max_length=_model_field("base_url").max_length,
        help_text="e.g. https://acme.service-now.com",
    )
    username = forms.CharField(
        label="User",
        max_length=_model_field("username").max_length,
        help_text=_model_field("username").help_text,
    )
    secret = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=SECRET_NEW,
    )
    webhook_secret = forms.CharField(
        label="Webhook secret",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=WEBHOOK_NEW,
    )
    filter = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_model_field("filter").help_text,
    )
    time_zone = forms.CharField(
        max_length=_model_field("time_zone").max_length,
        initial="UTC",
        help_text=_model_field("time_zone").help_text,
    )
    interval_minutes = forms.IntegerField(
        label="Interval (minutes)",
        initial=15,
        min_value=LiveSource.MIN_INTERVAL_MINUTES,
        help_text=_model_field("interval_minutes").help_text,
    )

    def __init__(self, *args, source: LiveSource | None = None, **kwargs):
        if source is not None:
            kwargs.setdefault(
                "initial",
                {
                    f: getattr(source, f)
                    for f in (
                        "name",
                        "kind",
                        "base_url",
                        "username",
                        "filter",
                        "time_zone",
                        "interval_minutes",
                    )
                },
            )
        super().__init__(*args, **kwargs)
        if source is not None:
            # Renaming would leave its tickets under the old source name.
            self.fields["name"].disabled = True
            self.fields["secret"].help_text = SECRET_KEPT if source.secret else SECRET_NEW
            if source.webhook_secret:
                self.fields["webhook_secret"].help_text = WEBHOOK_KEPT

    def values(self) -> dict:
        """The service's keyword arguments; no secret (None) keeps the stored one."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "kind": data["kind"],
            "base_url": data["base_url"],
            "username": data["username"],
            "secret": data["secret"] or None,
            "webhook_secret": data["webhook_secret"] or None,
            "filter": data["filter"],
            "time_zone": data["time_zone"].strip(),
            "interval_minutes": data["interval_minutes"],
        }


class RebackfillForm(forms.Form):
    since = forms.DateField(
        label="Read again from", widget=DATE, help_text="Tickets updated since this day (UTC)."
    )


class MapGroupForm(forms.Form):
    value = forms.CharField(widget=forms.HiddenInput, strip=False, required=False)
    contract = forms.ModelChoiceField(
        queryset=contracts_to_map(),
        label="Map to vendor",
        empty_label="– pick a vendor –",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract"].label_from_instance = lambda c: f"{c.vendor.name} — {c.name}"
