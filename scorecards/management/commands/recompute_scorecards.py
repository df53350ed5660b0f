from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from common.periods import Period, PeriodKind, periods_between
from scorecards.models import DirtyPeriod, MetricValue
from scorecards.services import all_periods, open_periods, scorecards_recompute_plan
from vendors.models import Vendor


class Command(BaseCommand):
    help = (
        "Recompute stored scorecards in the foreground: by default each vendor's dirty and "
        "open periods, or every period since --since, or all (--all)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--vendor", type=int, action="append", help="Vendor id (repeatable)")
        parser.add_argument("--since", type=dt.date.fromisoformat, help="First day, YYYY-MM-DD")
        parser.add_argument("--all", action="store_true", help="Every period with tickets")
        parser.add_argument(
            "--unless-computed",
            action="store_true",
            help="Do nothing if figures are already stored (make demo uses this)",
        )

    def handle(self, *args, vendor=None, since=None, all=False, verbosity=1, **options):
        if options["unless_computed"] and MetricValue.objects.exists():
            self.stdout.write("Figures are already stored; nothing to do.")
            return
        vendors = Vendor.objects.filter(active=True)
        if vendor:
            vendors = Vendor.objects.filter(pk__in=vendor)
            missing = set(vendor) - set(vendors.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"No vendor with id {', '.join(map(str, sorted(missing)))}")
        today = timezone.localdate()
        plans = []
        for v in vendors.order_by("name"):
            plan = {}
            for kind in PeriodKind:
                if all:
                    periods = all_periods(vendor=v, kind=kind)
                elif since:
                    periods = list(periods_between(kind, since, today))
                else:
                    dirty = DirtyPeriod.objects.filter(vendor=v, period_kind=kind.value)
                    periods = {
                        Period(kind, s) for s in dirty.values_list("period_start", flat=True)
                    }
                    periods = sorted(periods | set(open_periods(vendor=v, kind=kind, today=today)))
                plan[kind] = periods
            plans.append((v, plan))
        started, written = time.perf_counter(), 0
        # One vendor at a time, all three kinds together: its tickets are read once.
        bar = tqdm(plans, unit="vendor", disable=verbosity == 0 or not self.stderr.isatty())
        for v, plan in bar:
            bar.set_description(v.name[:24])
            written += scorecards_recompute_plan(vendor=v, plan=plan)
        self.stdout.write(
            f"Recomputed {len(plans) * len(PeriodKind)} vendor-period-kinds: {written:,} "
            f"figures stored in {time.perf_counter() - started:.1f} s."
        )
