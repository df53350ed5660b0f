"""The site's URLs plus one probe endpoint that answers with what the caller may see.

Token tests use it so they do not depend on which /api/v1/ read endpoints exist yet: it
narrows through the same selector every endpoint uses.
"""

from __future__ import annotations

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as site_urlpatterns
from vendors.selectors import vendors_visible_to


class VisibleVendorsProbe(APIView):
    def get(self, request):
        slugs = list(vendors_visible_to(request.user).values_list("slug", flat=True))
        return Response({"user": request.user.get_username(), "vendors": slugs})


urlpatterns = [
    path("api/v1/probe/vendors", VisibleVendorsProbe.as_view()),
    *site_urlpatterns,
]
