"""Account pages: API tokens (every role) and the audit trail (managers)."""

from __future__ import annotations

from django.urls import path

from vendors import views

urlpatterns = [
    path("account/tokens/", views.api_tokens, name="api-tokens"),
    path(
        "account/tokens/<int:token_id>/revoke/",
        views.api_token_revoke_view,
        name="api-token-revoke",
    ),
    path("audit/", views.audit, name="audit"),
]
