"""What every page shares: who may open it, and the reporting calendar's today."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import timezone

from common.roles import ALL_ROLES, STAFF_ROLES, user_role

__all__ = ["ALL_ROLES", "STAFF_ROLES", "page_for", "reporting_today"]


def page_for(*roles: str) -> Callable:
    """A page for these roles: anonymous users go to the login page, other roles get 403.

    The view finds `request.role` set. Objects of a vendor the user may not see are a 404,
    decided by the view through `vendors.selectors` (this only checks the role).
    """

    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            role = user_role(request.user)
            if role not in roles:
                raise PermissionDenied("Your role may not open this page.")
            request.role = role
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def reporting_today() -> dt.date:
    return timezone.now().astimezone(ZoneInfo(settings.REPORTING_TIME_ZONE)).date()


def add_service_errors(form, exc: ValidationError) -> None:
    """A service's ValidationError onto the form: on the field it names, if the form has it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)
