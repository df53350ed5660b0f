"""Models of accounts and sign-in (allauth and axes keep their own)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Invitation(models.Model):
    """A manager's invitation of a user: who, by whom, with which role, until when.

    One per user; resending it bumps `sent_count`, which the link's token hashes, so the
    links sent before die (accounts/tokens.py).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitation"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    role = models.CharField(max_length=20)
    vendor = models.ForeignKey(
        "vendors.Vendor", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    sent_count = models.PositiveIntegerField(default=1)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"Invitation of {self.user} ({self.role})"

    @property
    def pending(self) -> bool:
        return self.accepted_at is None
