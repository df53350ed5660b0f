"""The accounts pages in the site's own look (user management, invitations)."""

from __future__ import annotations

from django.urls import path

from accounts.views import invitation, users

urlpatterns = [
    path("users/", users.user_list, name="users"),
    path("users/invite/", users.user_invite, name="user-invite"),
    path("users/<int:user_id>/", users.user_edit, name="user-edit"),
    path("users/<int:user_id>/deactivate/", users.user_deactivate, name="user-deactivate"),
    path("users/<int:user_id>/reactivate/", users.user_reactivate, name="user-reactivate"),
    path("users/<int:user_id>/resend/", users.user_resend_invitation, name="user-resend"),
    path("users/<int:user_id>/lift-lockout/", users.user_lift_lockout, name="user-lift-lockout"),
    path(
        "accounts/invite/<uidb64>/<token>/",
        invitation.invitation_accept_page,
        name="invitation-accept",
    ),
]
