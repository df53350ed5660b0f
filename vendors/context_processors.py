"""Values every page's layout needs: the user's role and the vendors they may open."""

from __future__ import annotations

from django.http import HttpRequest

from common.periods import PeriodKind
from common.roles import user_role
from vendors.models import Priority
from vendors.selectors import vendors_visible_to


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {
            "nav_role": None,
            "nav_vendors": [],
            "priorities": Priority.values,
            "period_kinds": list(PeriodKind),
        }
    role = user_role(user)
    return {
        "nav_role": role,
        "priorities": Priority.values,
        "period_kinds": list(PeriodKind),
        # One short query: a company has tens of vendors, never thousands.
        "nav_vendors": list(vendors_visible_to(user).filter(active=True).only("name", "slug")),
    }
