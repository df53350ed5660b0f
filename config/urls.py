from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.http import require_safe
from django.views.defaults import page_not_found
from django.views.static import serve

from common.views import healthz, home

admin.site.site_header = "VendorScore"
admin.site.site_title = "VendorScore"
admin.site.index_title = "Vendors, contracts and tickets"

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("", include("accounts.page_urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page's <link rel="icon"> says.
    path(
        "favicon.ico",
        require_safe(serve),
        {"path": "favicon.ico", "document_root": settings.BASE_DIR / "static"},
        name="favicon",
    ),
    path("", include("scorecards.urls")),
    path("", include("tickets.page_urls")),
    path("", include("assurance.urls")),
    path("", include("vendors.urls")),
    path("", include("config.api_urls")),
]


def api_aware_404(request, exception):
    """An /api/ path no route matches (say a negative id) answers as the API does: JSON."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


handler404 = api_aware_404
