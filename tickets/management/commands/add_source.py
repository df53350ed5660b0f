"""`manage.py add_source NAME --kind K --url URL --user USER`: add or update a live source."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from tickets.live.credentials import live_source_set_webhook_secret
from tickets.live.services import UNSET, live_source_create_or_update
from tickets.management.commands._attribution import add_map_argument, map_value
from tickets.models import LiveSource

SECRET_VARIABLE = "VENDORSCORE_SOURCE_SECRET"


class Command(BaseCommand):
    help = (
        "Add a live source (a ServiceNow, Jira Service Management or Zendesk instance read on "
        "a schedule), or update it when NAME exists: running it twice is safe. The secret "
        "(password or API token) is read from --secret-file, else from the environment "
        f"variable {SECRET_VARIABLE}, else prompted for; it is stored encrypted and never "
        "printed. Updating without any of them keeps the stored secret. Options not given "
        "on an update keep their stored values. --webhook-secret-file stores the secret the "
        "source signs its webhook deliveries with (POST /api/sources/ID/webhook/)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="The source's name, also its tickets' source name.")
        parser.add_argument("--kind", required=True, help="servicenow, jira or zendesk.")
        parser.add_argument(
            "--url", required=True, help="Base URL, e.g. https://acme.service-now.com."
        )
        parser.add_argument("--user", required=True, help="The API user.")
        parser.add_argument(
            "--secret-file", type=Path, help="A file holding the password or API token."
        )
        parser.add_argument(
            "--webhook-secret-file",
            type=Path,
            help="A file holding the secret the source signs its webhook deliveries with.",
        )
        parser.add_argument(
            "--filter",
            help=(
                "Which tickets: a ServiceNow encoded query, a JQL query (no ORDER BY), or "
                "Zendesk group names or ids, comma-separated."
            ),
        )
        parser.add_argument("--time-zone", help="IANA zone of times given without an offset.")
        parser.add_argument(
            "--interval",
            type=int,
            help=f"Minutes between runs (default 15, at least {LiveSource.MIN_INTERVAL_MINUTES}).",
        )
        add_map_argument(
            parser, help="Attribute the source's group or team VALUE to a vendor; repeatable."
        )

    def handle(self, *args, **options) -> None:
        name = options["name"].strip()
        exists = LiveSource.objects.filter(name=name).exists()
        secret = _secret(options["secret_file"], required=not exists)
        webhook_secret = _webhook_secret(options["webhook_secret_file"])
        given = {
            "filter": options["filter"],
            "time_zone": options["time_zone"],
            "interval_minutes": options["interval"],
        }
        try:
            source, created = live_source_create_or_update(
                name=name,
                kind=options["kind"],
                base_url=options["url"],
                username=options["user"],
                secret=secret,
                **{field: UNSET if value is None else value for field, value in given.items()},
            )
            if webhook_secret is not None:
                live_source_set_webhook_secret(source=source, secret=webhook_secret)
        except ValidationError as exc:
            raise CommandError(_refusal(exc)) from None
        rules = [map_value(source.name, spec) for spec in options["map"]]
        if options["verbosity"] > 0:
            self.stdout.write(
                f"{'Added' if created else 'Updated'} source {source.name!r} "
                f"({source.get_kind_display()}, {source.base_url}, every "
                f"{source.interval_minutes} min){'; secret stored' if secret else ''}"
                f"{'; webhook secret stored' if webhook_secret else ''}."
            )
            if webhook_secret:
                url = reverse("live-source-webhook", args=[source.pk])
                self.stdout.write(f"Webhook URL: {url} (after this site's address)")
            for rule in rules:
                self.stdout.write(f"Mapped {rule.value!r} of {source.name} to {rule.contract}")


def _secret(path: Path | None, *, required: bool) -> str | None:
    """The secret from the file, else the environment, else the terminal; None on an update
    given none (the stored one is kept)."""
    if path is not None:
        try:
            secret = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CommandError(f"--secret-file {path}: cannot read it ({exc.strerror})") from None
        if not secret:
            raise CommandError(f"--secret-file {path}: the file is empty")
        return secret
    secret = os.environ.get(SECRET_VARIABLE, "").strip()
    if secret:
        return secret
    if not required:
        return None
    if not sys.stdin.isatty():
        raise CommandError(
            "secret: none given and no terminal to ask on; give it with --secret-file FILE, "
            f"or the environment variable {SECRET_VARIABLE}, or run this in a terminal to be "
            "prompted."
        )
    secret = getpass.getpass("Password or API token (not shown): ").strip()
    if not secret:
        raise CommandError("secret: nothing was entered")
    return secret


def _webhook_secret(path: Path | None) -> str | None:
    """The webhook secret from its file; None when the option is not given (kept as stored)."""
    if path is None:
        return None
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise CommandError(
            f"--webhook-secret-file {path}: cannot read it ({exc.strerror})"
        ) from None
    if not secret:
        raise CommandError(f"--webhook-secret-file {path}: the file is empty")
    return secret


def _refusal(exc: ValidationError) -> str:
    """Each message prefixed with its field, as the command's options name them."""
    option = {
        "base_url": "--url",
        "username": "--user",
        "interval_minutes": "--interval",
        "secret": "secret",
        "webhook_secret": "--webhook-secret-file",
    }
    if not hasattr(exc, "error_dict"):
        return "; ".join(exc.messages)
    return "; ".join(
        f"{option.get(field, '--' + field.replace('_', '-'))}: {message}"
        for field, messages in exc.message_dict.items()
        for message in messages
    )
