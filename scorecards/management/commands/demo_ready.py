from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "`make demo`'s set-up in one process: migrate, seed the demo world unless it is there, "
        "recompute unless figures are stored, print where it runs and the logins."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args, url: str, **options) -> None:
        # One process rather than four: each `manage.py` start costs over a second, and a
        # newcomer waits for all of them before the site serves.
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")
        call_command("seed_demo", if_empty=True, stdout=self.stdout)
        call_command("recompute_scorecards", all=True, unless_computed=True, stdout=self.stdout)
        call_command("demo_banner", url=url, stdout=self.stdout)
