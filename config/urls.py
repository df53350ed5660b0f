from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from common.views import healthz, home

admin.site.site_header = "VendorScore"
admin.site.site_title = "VendorScore"
admin.site.index_title = "Vendors, contracts and tickets"

urlpatterns = [
    path("", home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("scorecards.urls")),
    path("", include("tickets.page_urls")),
    path("", include("vendors.urls")),
    path("", include("config.api_urls")),
]
