"""`manage.py add_source`: creates a live source, updates it when run again, reads the secret
from a file, the environment or the terminal, refuses naming the option, and never lets the
secret out (output, str/repr, audit trail, logs)."""

from __future__ import annotations

import io
import json
import logging

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.factories import ContractFactory
from tests.vendors.test_audit import make_user
from tickets.live.credentials import live_source_secret
from tickets.models import AttributionRule, LiveSource
from vendors.models import AuditEntry

pytestmark = pytest.mark.django_db
SECRET = "pa55-W0rd-of-the-api-user"
KEY = Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def keys_and_no_terminal(settings, monkeypatch):
    settings.SOURCE_SECRET_KEYS = [KEY]
    monkeypatch.delenv("VENDORSCORE_SOURCE_SECRET", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text(SECRET + "\n")
    return path


def add_source(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("add_source", *args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def snow(name: str = "acme-snow", *extra: str) -> list[str]:
    return [name, "--kind=servicenow", "--url=https://acme.service-now.com", "--user=api", *extra]


def test_add_source_creates_a_source_with_the_secret_from_a_file(secret_file):
    out = add_source(
        *snow(
            "acme-snow",
            f"--secret-file={secret_file}",
            "--filter=active=true^assignment_group.name=Acme",
            "--time-zone=Europe/London",
            "--interval=30",
        )
    )

    source = LiveSource.objects.get()
    assert out.startswith("Added source 'acme-snow' (ServiceNow, https://acme.service-now.com")
    assert (source.name, source.kind, source.username, source.time_zone) == (
        "acme-snow",
        "servicenow",
        "api",
        "Europe/London",
    )
    assert (source.filter, source.interval_minutes, source.enabled, source.cursor) == (
        "active=true^assignment_group.name=Acme",
        30,
        True,
        {},
    )
    assert live_source_secret(source) == SECRET


def test_running_it_twice_is_safe_and_a_second_run_updates_the_source(secret_file):
    add_source(*snow("acme-snow", f"--secret-file={secret_file}", "--interval=30"))
    first = LiveSource.objects.get()
    again = add_source(*snow("acme-snow", f"--secret-file={secret_file}", "--interval=30"))
    updated = add_source(
        "acme-snow", "--kind=servicenow", "--url=https://acme2.service-now.com", "--user=api2"
    )

    source = LiveSource.objects.get()
    assert LiveSource.objects.count() == 1
    assert source.pk == first.pk
    assert again.startswith("Updated source 'acme-snow'")
    assert "secret stored" not in updated  # none given on the update: the stored one stays
    assert (source.base_url, source.username, source.interval_minutes) == (
        "https://acme2.service-now.com",
        "api2",
        30,
    )
    assert live_source_secret(source) == SECRET


def test_the_secret_is_read_from_the_environment_when_no_file_is_given(monkeypatch):
    monkeypatch.setenv("VENDORSCORE_SOURCE_SECRET", SECRET)
    add_source("acme-jira", "--kind=jira", "--url=https://acme.atlassian.net", "--user=a@b.c")
    assert live_source_secret(LiveSource.objects.get()) == SECRET


def test_the_secret_is_prompted_for_on_a_terminal(monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt: SECRET)
    add_source("acme-zd", "--kind=zendesk", "--url=https://acme.zendesk.com", "--user=a@b.c/token")
    assert live_source_secret(LiveSource.objects.get()) == SECRET


def test_without_file_variable_or_terminal_it_refuses_naming_all_three():
    with pytest.raises(CommandError) as refused:
        add_source(*snow())
    message = str(refused.value)
    assert "no terminal" in message
    assert "--secret-file" in message
    assert "VENDORSCORE_SOURCE_SECRET" in message
    assert not LiveSource.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind=freshdesk", "--url=https://x.example"], "--kind: Value 'freshdesk' is not a"),
        (["--kind=jira", "--url=http://acme.atlassian.net"], "--url: 'http://acme.atlassian.net'"),
        (["--kind=jira", "--url=https://x.example", "--time-zone=Mars/Olympus"], "--time-zone:"),
        (["--kind=jira", "--url=https://x.example", "--interval=4"], "--interval: Ensure this"),
    ],
)
def test_a_bad_option_is_refused_naming_it_and_nothing_is_stored(secret_file, args, message):
    with pytest.raises(CommandError, match=message) as refused:
        add_source("src", "--user=u", f"--secret-file={secret_file}", *args)
    assert SECRET not in str(refused.value)
    assert not LiveSource.objects.exists()


def jira(url: str, secret_file) -> list[str]:
    return ["--kind=jira", f"--url={url}", "--user=u", f"--secret-file={secret_file}"]


def test_plain_http_is_refused_to_another_host_saying_where_it_is_allowed(secret_file):
    with pytest.raises(CommandError, match="allowed only to 127.0.0.1 or localhost"):
        add_source("s", *jira("http://jira.example", secret_file))
    add_source("s", *jira("http://127.0.0.1:8080", secret_file))
    assert LiveSource.objects.get().base_url == "http://127.0.0.1:8080"


def test_a_url_holding_credentials_is_refused_without_quoting_them(secret_file):
    with pytest.raises(CommandError, match="--url: the URL holds a user or password") as refused:
        add_source(*jira(f"https://api:{SECRET}@acme.example", secret_file), "s")
    assert SECRET not in str(refused.value)


def test_without_keys_in_production_storing_the_secret_is_refused_and_nothing_kept(
    settings, secret_file
):
    settings.SOURCE_SECRET_KEYS = []
    with pytest.raises(CommandError, match="secret: SOURCE_SECRET_KEYS is not set"):
        add_source(*snow("acme-snow", f"--secret-file={secret_file}"))
    assert not LiveSource.objects.exists()


def test_map_writes_the_attribution_rules_of_the_source_name(secret_file):
    acme = ContractFactory(vendor__name="Acme")
    out = add_source(
        *snow("acme-snow", f"--secret-file={secret_file}", f"--map=Acme L2={acme.vendor.slug}")
    )
    rule = AttributionRule.objects.get()
    assert (rule.source, rule.value, rule.vendor_id, rule.contract_id) == (
        "acme-snow",
        "Acme L2",
        acme.vendor_id,
        acme.pk,
    )
    assert "Mapped 'Acme L2' of acme-snow" in out
    with pytest.raises(CommandError, match="no vendor with the slug 'nobody'"):
        add_source(*snow("acme-snow", "--map=X=nobody"))


def test_the_secret_appears_in_no_output_repr_audit_entry_or_log_record(
    secret_file, caplog, monkeypatch
):
    caplog.set_level(logging.DEBUG)
    out = add_source(*snow("acme-snow", f"--secret-file={secret_file}", "-v", "3"))
    monkeypatch.setenv("VENDORSCORE_SOURCE_SECRET", SECRET)
    out += add_source(*snow("acme-snow", "--interval=20"))
    out += _rotate()
    with pytest.raises(CommandError) as refused:
        add_source(*snow("acme-snow", "--url=http://x.example"))
    source = LiveSource.objects.get()

    entries = list(AuditEntry.objects.filter(object_type="tickets.livesource"))
    assert sorted(e.action for e in entries) == ["create", "update"]  # interval 15 -> 20
    audit_text = json.dumps([[e.object_repr, e.old_values, e.new_values] for e in entries])
    assert "secret" not in audit_text
    texts = {
        "output": out,
        "refusal": str(refused.value),
        "str": str(source),
        "repr": repr(source),
        "audit": audit_text,
        "logs": "\n".join(r.getMessage() for r in caplog.records) + caplog.text,
        "raw column": source.secret,
    }
    assert {where: SECRET in text for where, text in texts.items()} == dict.fromkeys(texts, False)


def _rotate() -> str:
    out = io.StringIO()
    call_command("rotate_source_keys", stdout=out)
    return out.getvalue()


def test_the_audit_page_shows_a_sources_changes_without_its_secret(client, secret_file):
    add_source(*snow("acme-snow", f"--secret-file={secret_file}"))
    add_source(*snow("acme-snow", "--interval=45", f"--secret-file={secret_file}"))
    client.force_login(make_user("manager", "manager", is_staff=True))

    page = client.get(reverse("audit"), {"object_type": "tickets.livesource"})

    assert page.status_code == 200
    html = page.content.decode()
    assert "acme-snow (ServiceNow)" in html
    assert "45" in html
    assert SECRET not in html
    assert LiveSource.objects.get().secret not in html
