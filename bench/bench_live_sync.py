"""Benchmark: a full sync of the UCI incident log (24,918 incidents, 141,712 updates) over HTTP
from a stand-in ServiceNow instance, then the same sync again with nothing changed.

    .venv/bin/python bench/bench_live_sync.py            # SQLite in a scratch directory
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vendorscore_sync_bench \\
        .venv/bin/python bench/bench_live_sync.py

The instance (tests/live/uci_standin.py: incident, sys_audit, sys_user_group, sys_user,
sys_choice and task_sla, as the log's instance would hold them) runs in a child process on a
local port, so its work does not share this process's interpreter; it serves full pages of
500. The source is added with `add_source` and run with the sync service (what `sync_source`
calls): the first run creates every ticket from the incidents and their audit history, the
second (`--full`, reading everything again) finds them all unchanged. Each run prints its
tickets/s, and then the same log's file import for comparison.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
SCRATCH = tempfile.mkdtemp(prefix="bench-live-sync-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{SCRATCH}/bench.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
os.environ.setdefault("SOURCE_SECRET_KEYS", "")

import django  # noqa: E402

django.setup()

from cryptography.fernet import Fernet  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from machine import cpu_seconds, machine  # noqa: E402

from tests.factories import ContractFactory  # noqa: E402
from tests.live.standin import PASSWORD, USER, StandIn  # noqa: E402
from tests.live.uci_standin import TIME_ZONE, UCI_LOG, instance, log_rows  # noqa: E402
from tickets.ingest.services import attribution_rule_set, import_file  # noqa: E402
from tickets.live.sync import live_source_sync  # noqa: E402
from tickets.models import ImportRun, LiveSource, Ticket  # noqa: E402
from vendors.models import Contract  # noqa: E402

SOURCE = "bench-live-uci"
FILE_SOURCE = "bench-file-uci"


def serve(port_out) -> None:
    """The child: the instance of the whole log on a free local port."""
    import logging

    from werkzeug import Request
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request

    header, rows = log_rows()
    held = instance(header, rows, time_zone=TIME_ZONE)
    stand_in = StandIn(held.incidents, tables=held.tables, page_cuts=(500,), frozen=True)
    server = make_server("127.0.0.1", 0, Request.application(stand_in.__call__))
    port_out.send((server.server_port, held.rows, len(held.incidents)))
    server.serve_forever()


def report(label: str, run: ImportRun, cpu: tuple) -> None:
    count = run.tickets_created + run.tickets_updated + run.tickets_unchanged
    own, busy = cpu_seconds()[0] - cpu[0], None
    if cpu[1] is not None:
        busy = cpu_seconds()[1] - cpu[1]
    print(f"{label:<10} {run.seconds:,.1f} s = {count / run.seconds:,.0f} tickets/s ({run.status})")
    if busy is not None:
        print(
            f"           CPU: this process {own:,.1f} s, the rest (instance, database) "
            f"{busy - own:,.1f} s; {busy / run.seconds:.2f} of {os.cpu_count()} cores busy"
        )
    print(
        f"           created {run.tickets_created:,}, updated {run.tickets_updated:,}, "
        f"unchanged {run.tickets_unchanged:,}, rejected {run.tickets_rejected:,}"
    )


def main() -> None:
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)  # no line per request
    print(f"machine    {machine()}")
    call_command("migrate", verbosity=0)
    settings.SOURCE_SECRET_KEYS = [Fernet.generate_key().decode()]
    os.environ["VENDORSCORE_SOURCE_SECRET"] = PASSWORD
    contract = Contract.objects.filter(vendor__slug="bench-uci").first()
    contract = contract or ContractFactory(vendor__slug="bench-uci", vendor__name="Bench UCI")
    attribution_rule_set(source=FILE_SOURCE, value="*", vendor=contract.vendor)
    Ticket.objects.filter(source__in=(SOURCE, FILE_SOURCE)).delete()
    ImportRun.objects.filter(source__in=(SOURCE, FILE_SOURCE)).delete()

    started = time.perf_counter()
    ours, theirs = multiprocessing.Pipe()
    child = multiprocessing.Process(target=serve, args=(theirs,), daemon=True)
    child.start()
    port, rows, incidents = ours.recv()
    print(
        f"instance   {incidents:,} incidents from {rows:,} log rows, built and served on "
        f"port {port} in {time.perf_counter() - started:.1f} s"
    )
    try:
        call_command(
            "add_source",
            SOURCE,
            "--kind=servicenow",
            f"--url=http://127.0.0.1:{port}",
            f"--user={USER}",
            f"--time-zone={TIME_ZONE}",
            "--map=*=bench-uci",
            stdout=io.StringIO(),
        )
        source = LiveSource.objects.get(name=SOURCE)
        for label, full in (("sync", False), ("sync again", True)):
            before = cpu_seconds()
            run = live_source_sync(source=source, full=full)
            report(label, run, before)
    finally:
        child.terminate()
        child.join()
    before = cpu_seconds()
    run = import_file(
        UCI_LOG, source=FILE_SOURCE, format="servicenow", options={"time_zone": TIME_ZONE}
    )
    report("file", run, before)


if __name__ == "__main__":
    main()
