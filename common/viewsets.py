"""The viewset bases of the read-only endpoints listing what a user may see.

Apart from common.api because DRF's generic views read DEFAULT_PAGINATION_CLASS, which names
common.api.PagePagination, when they are first imported: common.api must not import them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Model, QuerySet
from rest_framework import mixins, viewsets

from common.api import PagePagination, roles_allowed
from common.conditional import ConditionalMixin
from common.roles import ALL_ROLES


class VisibleListViewSet(ConditionalMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """A list of what the user may see, for every role, a page at a time, with an ETag (and
    a Last-Modified where the view names its `last_modified_field`): 304 when unchanged.

    The view names its selector as `visible_to = staticmethod(selector)`, called with
    `user=` (or overrides get_queryset where the selector wants more): it starts from the
    vendors the user may see, and the view's FilterSet only narrows it.
    """

    permission_classes = [roles_allowed(*ALL_ROLES)]
    pagination_class = PagePagination
    visible_to: Callable[..., QuerySet]

    def get_queryset(self) -> QuerySet:
        return self.visible_to(user=self.request.user)


class VisibleReadViewSet(mixins.RetrieveModelMixin, VisibleListViewSet):
    """A VisibleListViewSet that also answers one object by id (404 for one the user may
    not see)."""

    def visible_data(self, obj: Model) -> Any:
        """`obj` as this endpoint shows it, read again through the visible queryset (after
        a write changed it)."""
        return self.serializer_class(self.get_queryset().get(pk=obj.pk)).data
