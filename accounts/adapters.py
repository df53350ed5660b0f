"""allauth adapters: how VendorScore bends allauth's defaults."""

from __future__ import annotations

import jwt
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.utils import filter_users_by_email, user_email
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from django.shortcuts import render

from accounts import sso

# Signatures we accept on an ID token: asymmetric only (never "none", never an HMAC keyed
# with the provider's public key).
ID_TOKEN_ALGORITHMS = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"}


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # Nobody signs themselves up: a manager invites each user with a role.
        return False


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Single sign-on: a new SSO user is provisioned from the provider's claims
    (accounts/sso.py); password sign-up stays closed (AccountAdapter)."""

    def is_open_for_signup(self, request, sociallogin) -> bool:
        # Only the configured provider gets here, and its claims decide the role.
        return True

    def pre_social_login(self, request, sociallogin) -> None:
        user = sociallogin.user
        if sociallogin.is_existing:
            if not user.is_active and sso.is_awaiting_approval(user):
                raise ImmediateHttpResponse(_awaiting_approval(request))
            return
        email = user_email(user)
        if not email:
            raise ImmediateHttpResponse(
                _refused(request, "Your provider did not send an e-mail address.")
            )
        # Not joined by a verified address (allauth's e-mail authentication found no one), yet
        # the address is taken: joining on an unverified claim could hand over that account.
        if filter_users_by_email(email):
            raise ImmediateHttpResponse(
                _refused(
                    request,
                    f"A user with the address {email} already exists, and your provider did "
                    "not confirm that the address is yours. Ask a manager to connect them.",
                )
            )

    def save_user(self, request, sociallogin, form=None):
        values = sso.claim_values(sso.claims_of(sociallogin))
        grant = sso.grant_for(values)
        # Inactive from its first save: a user without a role never holds a session.
        sociallogin.user.is_active = grant is not None
        user = super().save_user(request, sociallogin, form)
        sso.provision(user, grant, provider_id=sociallogin.account.provider, values=values)
        if grant is None:
            raise ImmediateHttpResponse(_awaiting_approval(request))
        return user

    def get_requests_session(self):
        session = super().get_requests_session()
        session.hooks["response"].append(self._check_id_token_signature)
        return session

    def _check_id_token_signature(self, response, *args, **kwargs):
        """allauth skips the signature of an ID token that comes straight from the token
        endpoint (OIDC Core 3.1.3.7 allows it over TLS); we check it anyway, against the
        issuer's published keys, so a token nobody signed is refused. allauth then checks
        issuer, audience and expiry."""
        if response.request.method != "POST" or not response.ok:
            return
        try:
            body = response.json()
        except ValueError:
            return
        token = body.get("id_token") if isinstance(body, dict) else None
        if not token:
            return
        try:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
            for app in self.list_apps(None, provider="openid_connect"):
                config = self._discovery(app)
                if config.get("issuer") != issuer:
                    continue
                alg, key = jwtkit.fetch_key(token, config["jwks_uri"], jwtkit.lookup_kid_jwk)
                if alg not in ID_TOKEN_ALGORITHMS:
                    raise OAuth2Error(f"ID token signed with {alg!r}")
                jwt.decode(
                    token,
                    key=key,
                    algorithms=[alg],
                    options={"verify_aud": False, "verify_iss": False, "verify_exp": False},
                )
                return
        except (jwt.PyJWTError, KeyError) as exc:
            raise OAuth2Error("ID token signature not valid") from exc
        raise OAuth2Error("ID token from an issuer that is not configured")

    def _discovery(self, app) -> dict:
        provider = app.get_provider(None)
        with super().get_requests_session() as session:
            response = session.get(provider.server_url)
            response.raise_for_status()
            return response.json()


def _awaiting_approval(request):
    return render(
        request,
        "socialaccount/sso_message.html",
        {
            "title": "Waiting for approval",
            "message": "You signed in, but your provider gave you no VendorScore role yet. "
            "A manager has been asked to approve your account; try again once they have.",
        },
        status=403,
    )


def _refused(request, message: str):
    return render(
        request,
        "socialaccount/sso_message.html",
        {"title": "Single sign-on refused", "message": message},
        status=403,
    )
