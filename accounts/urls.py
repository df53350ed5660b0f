"""Sign-in URLs under /accounts/: allauth's login, two-factor, single sign-on and sessions, and
Django's own password reset and change at their standard names (`password_reset`,
`password_reset_confirm`, `password_change`, ...).

allauth ships a second reset and change flow; its URL names are kept (allauth's pages link to
them) but lead to Django's views, so there is one way to reset a password.
"""

from __future__ import annotations

from allauth.account import urls as allauth_account_urls
from allauth.socialaccount import urls as allauth_socialaccount_urls
from allauth.urls import build_provider_urlpatterns
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy
from django.views.generic.base import RedirectView

from accounts.forms import PasswordResetForm

# allauth's password pages, each sent to Django's (by name, so its links still resolve).
ALLAUTH_PASSWORD_PAGES = {
    # allauth's name: (its path, Django's page)
    "account_change_password": ("password/change/", "password_change"),
    "account_set_password": ("password/set/", "password_change"),
    "account_reset_password": ("password/reset/", "password_reset"),
    "account_reset_password_done": ("password/reset/done/", "password_reset_done"),
    "account_reset_password_from_key_done": ("password/reset/key/done/", "password_reset_complete"),
}
# allauth's pages for a user to manage their own e-mail addresses and connected SSO accounts:
# here a manager owns who a user is (an added address would also be one more to match an SSO
# login by), so they lead home. Their names stay: allauth's own code links to them.
ALLAUTH_SELF_SERVICE_PAGES = {
    "account_email": ("email/", "home"),
    "socialaccount_connections": ("3rdparty/", "home"),
}
_DROPPED = {
    *ALLAUTH_PASSWORD_PAGES,
    *ALLAUTH_SELF_SERVICE_PAGES,
    "account_reset_password_from_key",
}


def _without(patterns: list) -> list:
    return [p for p in patterns if getattr(p, "name", "") not in _DROPPED]


def _redirect(name: str, where: str, target: str):
    return path(where, RedirectView.as_view(pattern_name=target), name=name)


django_password_pages = [
    path(
        "password_reset/",
        # Sends no mail to users of domains that sign in only through SSO.
        auth_views.PasswordResetView.as_view(form_class=PasswordResetForm),
        name="password_reset",
    ),
    path(
        "password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "password_change/",
        auth_views.PasswordChangeView.as_view(success_url=reverse_lazy("password_change_done")),
        name="password_change",
    ),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
]

urlpatterns = [
    *django_password_pages,
    *(_redirect(name, *page) for name, page in ALLAUTH_PASSWORD_PAGES.items()),
    *(_redirect(name, *page) for name, page in ALLAUTH_SELF_SERVICE_PAGES.items()),
    path("", include(_without(allauth_account_urls.urlpatterns))),
    path("2fa/", include("allauth.mfa.urls")),
    path("3rdparty/", include(_without(allauth_socialaccount_urls.urlpatterns))),
    *build_provider_urlpatterns(),
    path("sessions/", include("allauth.usersessions.urls")),
]
