"""Reads about vendors, and the one rule of who may see which vendor.

Every page, endpoint, export, chart and pack narrows its querysets through `vendors_visible_to`
(or `vendor_get_for_user`, which answers 404 for a vendor that is not yours, so a vendor user
cannot even learn that another vendor's id exists).
"""

from __future__ import annotations

from django.db.models import BooleanField, Expression, F, Q, QuerySet, Subquery
from django.http import Http404

from common.roles import FINANCE, MANAGER, VENDOR, user_role
from vendors.models import Vendor


def vendors_visible_to(user) -> QuerySet[Vendor]:
    """The vendors this user may see: all for managers and finance, its own for a vendor user."""
    role = user_role(user)
    if role in (MANAGER, FINANCE):
        return Vendor.objects.all()
    if role == VENDOR:
        return Vendor.objects.filter(pk=user.vendor_membership.vendor_id)
    return Vendor.objects.none()


def vendor_ids_visible_to(user) -> QuerySet:
    """The visible vendors' ids, as a subquery for `vendor_id__in=`."""
    return vendors_visible_to(user).values("pk")


def vendor_scope_q(user, *, field: str = "vendor_id") -> Q:
    """A filter keeping the rows of the vendors the user may see (same rule as
    `vendors_visible_to`), without a subquery: staff see everything, a vendor user one id.
    Big lists (scorecards, figures) use it so their count needs no join."""
    role = user_role(user)
    if role in (MANAGER, FINANCE):
        return Q()
    if role == VENDOR:
        return Q(**{field: user.vendor_membership.vendor_id})
    return Q(pk__in=[])


class VendorIdIn(Expression):
    """A filter `field IN (ids of these vendors)` that a (vendor, ...) index can answer.

    On PostgreSQL it is `field = ANY(ARRAY(subquery))`: the ids are read once, before the
    scan, and become the index condition on the vendor column. `IN (subquery)` is a semi-join
    instead, which cannot narrow an index scan: a manager's query for one month of outcomes
    read the whole ticket table. Elsewhere, plain `IN (subquery)`.
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, vendors: QuerySet[Vendor], *, field: str = "vendor_id") -> None:
        super().__init__()
        self.column = F(field)
        self.ids = Subquery(vendors.values("pk"))

    def get_source_expressions(self) -> list:
        return [self.column, self.ids]

    def set_source_expressions(self, exprs: list) -> None:
        self.column, self.ids = exprs

    def as_sql(self, compiler, connection) -> tuple[str, list]:
        field_sql, field_params = compiler.compile(self.column)
        ids_sql, ids_params = compiler.compile(self.ids)  # "(SELECT ...)"
        template = "%s = ANY(ARRAY%s)" if connection.vendor == "postgresql" else "%s IN %s"
        return template % (field_sql, ids_sql), [*field_params, *ids_params]


def vendor_get_for_user(user, *, vendor_id=None, slug: str | None = None) -> Vendor:
    """The vendor by id or slug if the user may see it, else 404 (never 403: no leaking ids)."""
    lookup = {"pk": vendor_id} if vendor_id is not None else {"slug": slug}
    try:
        return vendors_visible_to(user).get(**lookup)
    except (Vendor.DoesNotExist, ValueError, TypeError):
        raise Http404("No such vendor.") from None


def user_sees_portfolio(user) -> bool:
    """Comparing vendors side by side is for managers and finance, never for a vendor's user."""
    return user_role(user) in (MANAGER, FINANCE)


def user_may_manage(user) -> bool:
    return user_role(user) == MANAGER
