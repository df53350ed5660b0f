"""The accounts pages in the site's own look (user management, invitations)."""

from __future__ import annotations

urlpatterns: list = []
