"""A small but real OpenID Connect provider for the single sign-on tests, served over HTTP by
pytest-httpserver on a real port: discovery, JWKS, authorization (code flow with PKCE), token
(an RS256-signed ID token) and userinfo endpoints.

The relying party (allauth, in the Django test run) talks to it over real sockets for
discovery, keys, code exchange and userinfo; the test plays the browser, carrying the
redirects between the two.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class OidcProvider:
    KID = "test-signing-key"

    def __init__(self, server: HTTPServer, *, client_id: str, client_secret: str) -> None:
        self.server = server
        self.issuer = server.url_for("/").rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        # The next sign-in's user (claims) and changes to its ID token (aud, exp, ...).
        self.user_claims: dict = {}
        self.id_token_changes: dict = {}
        self.signing_key = self.key  # another key here forges the signature
        self._codes: dict[str, dict] = {}
        self._access_tokens: dict[str, dict] = {}
        self.token_requests = 0
        for path, method, handler in [
            ("/.well-known/openid-configuration", "GET", self._discovery),
            ("/jwks", "GET", self._jwks),
            ("/authorize", "GET", self._authorize),
            ("/token", "POST", self._token),
            ("/userinfo", "GET", self._userinfo),
        ]:
            server.expect_request(path, method=method).respond_with_handler(handler)

    # --- what the test sets --------------------------------------------------------------

    def sign_in_as(self, sub: str, email: str, *, email_verified: bool = True, **claims) -> None:
        self.user_claims = {"sub": sub, "email": email, "email_verified": email_verified, **claims}

    def login(self, client, provider_id: str = "sso"):
        """Plays the browser: start at the site, get redirected to the provider, which signs
        the user in and redirects back; returns the site's response to the callback."""
        start = client.post(f"/accounts/oidc/{provider_id}/login/")
        assert start.status_code == 302, start
        authorize = requests.get(start["Location"], allow_redirects=False, timeout=5)
        assert authorize.status_code == 302, authorize.text
        back = urlsplit(authorize.headers["Location"])
        assert back.netloc == "testserver", back
        return client.get(f"{back.path}?{back.query}")

    # --- endpoints -------------------------------------------------------------------------

    def _discovery(self, request: Request) -> Response:
        return self._json(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "userinfo_endpoint": f"{self.issuer}/userinfo",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "client_secret_basic",
                ],
                "code_challenge_methods_supported": ["S256"],
            }
        )

    def _jwks(self, request: Request) -> Response:
        public = self.key.public_key().public_numbers()
        key = {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.KID,
            "n": _b64url_uint(public.n),
            "e": _b64url_uint(public.e),
        }
        return self._json({"keys": [key]})

    def _authorize(self, request: Request) -> Response:
        args = request.args
        if args.get("client_id") != self.client_id or args.get("response_type") != "code":
            return self._json({"error": "unauthorized_client"}, status=400)
        if "openid" not in args.get("scope", "").split():
            return self._json({"error": "invalid_scope"}, status=400)
        code = secrets.token_urlsafe(16)
        self._codes[code] = {
            "claims": dict(self.user_claims),
            "redirect_uri": args["redirect_uri"],
            "code_challenge": args.get("code_challenge"),
            "nonce": args.get("nonce"),
        }
        query = urlencode({"code": code, "state": args.get("state", "")})
        return Response(status=302, headers={"Location": f"{args['redirect_uri']}?{query}"})

    def _token(self, request: Request) -> Response:
        self.token_requests += 1
        form = parse_qs(request.get_data(as_text=True))
        field = {name: values[0] for name, values in form.items()}
        client_id, secret = field.get("client_id"), field.get("client_secret")
        if request.authorization is not None:
            client_id = request.authorization.username
            secret = request.authorization.password
        if (client_id, secret) != (self.client_id, self.client_secret):
            return self._json({"error": "invalid_client"}, status=401)
        grant = self._codes.pop(field.get("code", ""), None)  # a code works once
        if grant is None or field.get("redirect_uri") != grant["redirect_uri"]:
            return self._json({"error": "invalid_grant"}, status=400)
        verifier = field.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if grant["code_challenge"] != challenge.rstrip(b"=").decode():
            return self._json({"error": "invalid_grant", "error_description": "PKCE"}, 400)
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            **({"nonce": grant["nonce"]} if grant["nonce"] else {}),
            **grant["claims"],
            **self.id_token_changes,
        }
        id_token = jwt.encode(
            claims, self.signing_key, algorithm="RS256", headers={"kid": self.KID}
        )
        access_token = secrets.token_urlsafe(24)
        self._access_tokens[access_token] = grant["claims"]
        return self._json(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            }
        )

    def _userinfo(self, request: Request) -> Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        claims = self._access_tokens.get(token) if scheme == "Bearer" else None
        if claims is None:
            return self._json({"error": "invalid_token"}, status=401)
        return self._json(claims)

    @staticmethod
    def _json(body: dict, status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json")
