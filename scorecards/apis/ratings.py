"""REST API v1: the monthly review's ratings (communication, proactivity, improvement, staff
development, 1..5) with their evidence, read-only. A vendor's user reads its own vendor's;
the month's mean is the `review_rating` figure of the scorecard endpoints."""

from __future__ import annotations

import django_filters as filters
from rest_framework import serializers

from common.api import VISIBILITY_BRIEF, read_schema
from common.filters import UpdatedSinceFilter, VendorIdFilters
from common.viewsets import VisibleReadViewSet
from scorecards.models import REVIEW_QUALITY_CHOICES, ReviewRating
from scorecards.selectors_ratings import ratings_visible_to


class ReviewRatingFilter(VendorIdFilters):
    quality = filters.ChoiceFilter(
        choices=REVIEW_QUALITY_CHOICES,
        help_text="communication, proactivity, improvement or staff_development.",
    )
    month_from = filters.DateFilter(
        field_name="month", lookup_expr="gte", help_text="Months starting on or after this day."
    )
    month_to = filters.DateFilter(
        field_name="month", lookup_expr="lte", help_text="Months starting on or before this day."
    )
    updated_since = UpdatedSinceFilter(
        help_text="Rated or re-rated at or after this time (ISO 8601 with its offset, e.g. "
        "2026-11-16T10:00:00+00:00): what changed since the last pull."
    )

    class Meta:
        model = ReviewRating
        fields = ["vendor", "quality"]

    def filter_updated_since(self, queryset, name: str, value):
        return queryset.filter(rated_at__gte=value)


class ReviewRatingOut(serializers.ModelSerializer):
    vendor = serializers.IntegerField(source="vendor_id", help_text="Vendor id.")
    vendor_name = serializers.CharField(source="vendor.name")
    month = serializers.DateField(help_text="First day of the month the review rated.")
    rating = serializers.IntegerField(help_text="1 (poor) to 5 (excellent).")
    metric = serializers.SerializerMethodField(help_text="The figure it feeds: rating_<quality>.")

    class Meta:
        model = ReviewRating
        fields = ["id", "vendor", "vendor_name", "month", "quality", "metric", "rating"]
        fields += ["evidence", "rated_at"]

    def get_metric(self, obj: ReviewRating) -> str:
        return f"rating_{obj.quality}"


@read_schema(
    listing=(
        "List review ratings",
        "The monthly review's ratings of each vendor, 1 to 5 for communication, proactivity, "
        "improvement and staff development, each with its line of evidence; newest month "
        "first. Their mean is the `review_rating` figure of the scorecards.",
    ),
    one=("One review rating", "A review rating with its evidence."),
    visibility=VISIBILITY_BRIEF,
)
class ReviewRatingViewSet(VisibleReadViewSet):
    serializer_class = ReviewRatingOut
    filterset_class = ReviewRatingFilter
    visible_to = staticmethod(ratings_visible_to)
    lookup_value_regex = "[0-9]+"
    last_modified_field = "rated_at"
