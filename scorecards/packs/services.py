"""Writes of review packs (services): the month's review meeting and its notes, and action
items: raising them, who may move them, and moving them.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from common.periods import Period, PeriodKind
from common.roles import MANAGER, VENDOR
from scorecards.models import ActionItem, ReviewMeeting
from scorecards.packs import contents
from vendors.models import Vendor


def _month_start(period: Period) -> dt.date:
    if period.kind is not PeriodKind.MONTH:
        raise ValidationError("Review meetings are monthly.")
    return period.start


def meeting_get_or_create(
    *, vendor: Vendor, period: Period, user=None, now: dt.datetime | None = None
) -> ReviewMeeting:
    now = now or timezone.now()
    meeting, _ = ReviewMeeting.objects.get_or_create(
        vendor=vendor,
        month=_month_start(period),
        defaults={"created_at": now, "created_by": user, "updated_at": now, "updated_by": user},
    )
    return meeting


@transaction.atomic
def meeting_save_notes(
    *,
    vendor: Vendor,
    period: Period,
    held_on: dt.date | None,
    attendees: str,
    notes: str,
    user,
    now: dt.datetime | None = None,
) -> ReviewMeeting:
    now = now or timezone.now()
    meeting = meeting_get_or_create(vendor=vendor, period=period, user=user, now=now)
    meeting.held_on = held_on
    meeting.attendees = attendees.strip()
    meeting.notes = notes.strip()
    meeting.updated_at, meeting.updated_by = now, user
    meeting.save()
    return meeting


@transaction.atomic
def action_item_add(
    *,
    vendor: Vendor,
    period: Period,
    title: str,
    owner_name: str = "",
    owner_user=None,
    vendor_owned: bool = False,
    due_on: dt.date | None = None,
    notes: str = "",
    user,
    now: dt.datetime | None = None,
) -> ActionItem:
    """A new action item raised at `period`'s meeting (the meeting is created if need be)."""
    now = now or timezone.now()
    title = title.strip()
    if not title:
        raise ValidationError({"title": "Say what is to be done."})
    if owner_user is not None and getattr(owner_user, "vendor_membership", None) is not None:
        if owner_user.vendor_membership.vendor_id != vendor.pk:
            raise ValidationError({"owner_user": "That user works for another vendor."})
        vendor_owned = True  # the vendor's own staff own it: the vendor may report progress
    meeting = meeting_get_or_create(vendor=vendor, period=period, user=user, now=now)
    return ActionItem.objects.create(
        vendor=vendor,
        meeting=meeting,
        raised_month=meeting.month,
        title=title,
        owner_name=owner_name.strip(),
        owner_user=owner_user,
        vendor_owned=vendor_owned,
        due_on=due_on,
        notes=notes.strip(),
        created_at=now,
        created_by=user,
        updated_at=now,
        updated_by=user,
    )


# What a vendor's user may move its own items to: dropping one is the manager's decision.
VENDOR_STATUSES = (
    ActionItem.Status.OPEN,
    ActionItem.Status.IN_PROGRESS,
    ActionItem.Status.DONE,
)


def action_item_check_may_set(*, item: ActionItem, role: str | None, status: str) -> None:
    """PermissionDenied, saying why, unless `role` may move `item` to `status`: a manager any
    item to any status; a vendor's user only items its vendor owns, and never to dropped;
    finance reads packs and changes nothing."""
    if role == MANAGER:
        return
    if role == VENDOR:
        if not item.vendor_owned:
            raise PermissionDenied("Only the vendor's own action items can be updated by it.")
        if status not in VENDOR_STATUSES:
            raise PermissionDenied("Dropping an action item is a manager's decision.")
        return
    raise PermissionDenied("Finance reads packs; it does not change them.")


def action_item_set_status(
    *,
    item: ActionItem,
    status: str,
    user,
    period: Period | None = None,
    notes: str | None = None,
    now: dt.datetime | None = None,
) -> ActionItem:
    """Moves an item to `status`. Done or dropped closes it in `period`'s pack (the pack it
    was reviewed in; by default the last complete month), so later packs no longer carry it."""
    now = now or timezone.now()
    if status not in ActionItem.Status.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    item.status = status
    if status in ActionItem.CLOSED_STATUSES:
        if item.closed_month is None or period is not None:
            month = (
                _month_start(period)
                if period is not None
                # Looked up on contents, so freezing the day there (as tests do) freezes it here.
                else Period.containing(PeriodKind.MONTH, contents._today()).previous().start
            )
            item.closed_month = max(month, item.raised_month)
    else:
        item.closed_month = None
    if notes is not None:
        item.notes = notes.strip()
    item.updated_at, item.updated_by = now, user
    item.save(
        update_fields=["status", "closed_month", "notes", "updated_at", "updated_by"],
    )
    return item
