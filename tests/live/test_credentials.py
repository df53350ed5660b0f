"""A live source's secret: stored as a Fernet token under SOURCE_SECRET_KEYS, read back only
with a key, re-encrypted by `rotate_source_keys`, and refused clearly when no key is set."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from tests.config.test_settings import load_settings
from tickets.live.credentials import (
    SecretUnreadable,
    live_source_secret,
    live_source_set_secret,
)
from tickets.models import LiveSource

pytestmark = pytest.mark.django_db
SECRET = "s3cret-Token-0f-the-API-user"
OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def source(settings) -> LiveSource:
    settings.SOURCE_SECRET_KEYS = [OLD_KEY]
    return LiveSource.objects.create(
        name="acme-snow", kind="servicenow", base_url="https://acme.example", username="api"
    )


def stored(source: LiveSource) -> str:
    return LiveSource.objects.values_list("secret", flat=True).get(pk=source.pk)


def test_the_secret_round_trips_and_is_stored_only_encrypted(source):
    live_source_set_secret(source=source, secret=SECRET)

    raw = stored(source)
    assert SECRET not in raw
    assert Fernet(OLD_KEY).decrypt(raw.encode()).decode() == SECRET
    with pytest.raises(InvalidToken):
        Fernet(NEW_KEY).decrypt(raw.encode())
    assert live_source_secret(LiveSource.objects.get(pk=source.pk)) == SECRET


def test_rotation_re_encrypts_so_the_old_key_can_then_be_removed(source, settings):
    live_source_set_secret(source=source, secret=SECRET)
    before = stored(source)
    settings.SOURCE_SECRET_KEYS = [NEW_KEY, OLD_KEY]

    out = _call("rotate_source_keys")

    assert "Re-encrypted the secrets of 1 source(s)" in out
    after = stored(source)
    assert after != before
    assert Fernet(NEW_KEY).decrypt(after.encode()).decode() == SECRET
    settings.SOURCE_SECRET_KEYS = [NEW_KEY]
    assert live_source_secret(LiveSource.objects.get(pk=source.pk)) == SECRET


def test_removing_the_old_key_before_rotating_leaves_the_secret_unreadable(source, settings):
    live_source_set_secret(source=source, secret=SECRET)
    settings.SOURCE_SECRET_KEYS = [NEW_KEY]

    with pytest.raises(SecretUnreadable, match="none of SOURCE_SECRET_KEYS"):
        live_source_secret(LiveSource.objects.get(pk=source.pk))
    with pytest.raises(CommandError, match="'acme-snow'.*keep the old key"):
        _call("rotate_source_keys")
    assert Fernet(OLD_KEY).decrypt(stored(source).encode()).decode() == SECRET


def test_without_keys_storing_a_secret_is_refused_naming_the_variable(source, settings):
    settings.SOURCE_SECRET_KEYS = []

    with pytest.raises(ValidationError) as refused:
        live_source_set_secret(source=source, secret=SECRET)

    assert "SOURCE_SECRET_KEYS is not set" in refused.value.message_dict["secret"][0]
    assert SECRET not in str(refused.value)
    assert stored(source) == ""


def test_an_empty_secret_is_refused_naming_the_field(source):
    with pytest.raises(ValidationError) as refused:
        live_source_set_secret(source=source, secret="  ")
    assert list(refused.value.message_dict) == ["secret"]


# --- the setting -------------------------------------------------------------------------------


def test_a_malformed_key_stops_start_up_naming_the_variable_but_not_the_key():
    run = load_settings(SOURCE_SECRET_KEYS=f"{OLD_KEY},not-a-key-at-all")
    assert run.returncode != 0
    assert "ImproperlyConfigured" in run.stderr
    assert "SOURCE_SECRET_KEYS: key 2 is not a Fernet key" in run.stderr
    assert "not-a-key-at-all" not in run.stderr


def test_keys_are_read_in_order_and_unset_in_production_still_starts():
    given = load_settings(
        "print(s.SOURCE_SECRET_KEYS == [" + repr(NEW_KEY) + ", " + repr(OLD_KEY) + "])",
        SOURCE_SECRET_KEYS=f"{NEW_KEY}, {OLD_KEY}",
    )
    assert given.returncode == 0, given.stderr
    assert given.stdout.strip() == "True"
    production = load_settings(
        "print(s.SOURCE_SECRET_KEYS)",
        DEBUG="false",
        SECRET_KEY="a-long-random-production-secret-" + "z" * 40,
        ALLOWED_HOSTS="x",
        SOURCE_SECRET_KEYS="",
    )
    assert production.returncode == 0, production.stderr
    assert production.stdout.strip() == "[]"


def test_in_debug_an_unset_variable_derives_a_development_key_from_secret_key():
    run = load_settings(
        "from cryptography.fernet import Fernet; keys = s.SOURCE_SECRET_KEYS; "
        "Fernet(keys[0]); print(len(keys))",
        DEBUG="true",
        SOURCE_SECRET_KEYS="",
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "1"


def _call(*args: str) -> str:
    import io

    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()
