"""Sign-in forms: password logins and resets refused for the SSO-only domains
(SSO_PASSWORD_OFF_DOMAINS)."""

from __future__ import annotations

from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm

from accounts import sso


class LoginForm(AllauthLoginForm):
    """allauth's login form (ACCOUNT_FORMS["login"]), refusing the password of a user whose
    address is in an SSO-only domain before the password is even checked."""

    def clean(self):
        login = self.cleaned_data.get("login")
        if login and not self._errors and sso.password_off_for_login(login):
            names = " or ".join(sso.provider_names()) or "single sign-on"
            raise forms.ValidationError(
                f"Your organisation signs in with {names}, not a password: use the button below.",
                code="password_off",
            )
        return super().clean()


class PasswordResetForm(DjangoPasswordResetForm):
    """Django's reset form sending no mail to the SSO-only domains (the page still answers
    the same, so it tells nobody whether the address exists)."""

    def get_users(self, email):
        return (user for user in super().get_users(email) if not sso.password_off(user.email))
