from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

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
    path("", include("scorecards.urls")),
    path("", include("tickets.page_urls")),
    path("", include("vendors.urls")),
    path("", include("config.api_urls")),
]
