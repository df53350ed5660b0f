"""Template filters of the breach and ticket pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def business_duration(seconds: int | None) -> str:
    """Business seconds as hours and minutes ("26 h 05 min"): a business day is not 24 h,
    so days would mislead."""
    if seconds is None:
        return ""
    seconds = int(seconds)
    minutes = (abs(seconds) + 59) // 60  # a late second is a late minute
    hours, minutes = divmod(minutes, 60)
    sign = "-" if seconds < 0 else ""
    if hours:
        return f"{sign}{hours} h {minutes:02d} min"
    return f"{sign}{minutes} min"


@register.filter
def target_minutes(minutes: int | None) -> str:
    """A target in minutes as people say it: 15 min, 8 h, 24 h."""
    if minutes is None:
        return ""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" if not rest else f"{hours} h {rest:02d} min"
