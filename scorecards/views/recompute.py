"""Stub: replaced by the pages of this area."""

from __future__ import annotations

urlpatterns: list = []
