"""`manage.py rotate_source_keys`: re-encrypt every live source's secret with the first key."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from tickets.live.credentials import SecretUnreadable, live_sources_rotate_keys


class Command(BaseCommand):
    help = (
        "Re-encrypt every live source's stored secret with the first key of SOURCE_SECRET_KEYS. "
        "To rotate: put a new key (Fernet.generate_key()) first in SOURCE_SECRET_KEYS, keeping "
        "the old ones after it; restart; run this command; then remove the old keys and "
        "restart again. Nothing is written if any secret opens with none of the keys."
    )

    def handle(self, *args, **options) -> None:
        try:
            count = live_sources_rotate_keys()
        except (ImproperlyConfigured, SecretUnreadable) as exc:
            raise CommandError(str(exc)) from None
        if options["verbosity"] > 0:
            self.stdout.write(f"Re-encrypted the secrets of {count} source(s) with the first key.")
