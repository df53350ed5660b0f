from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from tickets.models import Ticket
from vendors.models import Vendor


class Command(BaseCommand):
    help = "Print where the demo runs and how to log in."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args, url: str, **options) -> None:
        users = get_user_model().objects.filter(username__in=["manager", "finance", "vendor"])
        line = "=" * 72
        self.stdout.write(line)
        self.stdout.write(f"VendorScore demo: {url}")
        self.stdout.write(f"{Vendor.objects.count()} vendors, {Ticket.objects.count():,} tickets")
        for user in users.order_by("username"):
            self.stdout.write(f"  login {user.username:<8} password vendorscore-demo")
        self.stdout.write(line)
