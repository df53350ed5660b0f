"""What the mapping page needs beyond the run services: an upload's header and first rows
for the guesser the command uses too (`tickets.ingest.guess`), the sample values of each
column, the file's teams with their ticket counts, and each team mapped to an existing
vendor or to one created on the spot with a templated contract, stored as attribution rules
as the command's `--map` stores them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tickets.ingest import files, sources
from tickets.ingest.guess import Guess, guess_mapping, normal
from tickets.ingest.records import FormatError, TicketRecord
from tickets.ingest.services import attribution_rule_set, file_table, upload_path
from tickets.models import AttributionRule, ImportRun
from vendors.models import BusinessCalendar, Contract, SlaPolicy, Vendor
from vendors.services_setup import ContractTerms, contract_create, vendor_create
from vendors.services_sla import TargetSpec, sla_policy_create
from vendors.sla_templates import TEMPLATES, PolicyTemplate

SAMPLE_ROWS = 1000  # rows the mapping is guessed from, as the command does
SAMPLES_SHOWN = 3  # sample values shown beside a column


def key_of(value: str) -> str:
    """A form-field-safe key for one of their values (a priority spelling, a team)."""
    return hashlib.sha1(value.encode()).hexdigest()[:10]


@dataclass
class Sample:
    """An upload's header and first rows, as the guesser reads them."""

    header: list[str]
    rows: list[list[Any]]
    more: bool  # the file has rows beyond the sample

    def column_values(self, column: str, shown: int = SAMPLES_SHOWN) -> list[str]:
        """The first distinct non-empty values of a column."""
        if column not in self.header:
            return []
        i = self.header.index(column)
        seen: dict[str, None] = {}
        for row in self.rows:
            text = files.cell_text(row[i]).strip() if i < len(row) else ""
            if text and text not in seen:
                seen[text] = None
                if len(seen) == shown:
                    break
        return list(seen)

    def counts(self, column: str) -> list[tuple[str, int]]:
        """A column's distinct values with their row counts, most rows first."""
        if column not in self.header:
            return []
        i = self.header.index(column)
        counted = Counter(
            files.cell_text(row[i]).strip() if i < len(row) else "" for row in self.rows
        )
        return sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))


def upload_sample(*, run: ImportRun, rows: int = SAMPLE_ROWS) -> Sample:
    """The header and first `rows` rows of a pending run's upload; ValueError (FormatError
    too) saying why it cannot be read."""
    path = upload_path(run)
    if path is None:
        raise ValueError("The uploaded file is no longer there; upload it again.")
    table = file_table(path, name=run.file_name, mapping=run.options.get("mapping"))
    try:
        taken = [list(cells) for _, cells in islice(table.rows, rows + 1)]
    finally:
        close = getattr(table.rows, "close", None)
        if close is not None:
            close()
    return Sample(list(table.header), taken[:rows], len(taken) > rows)


def sample_guess(
    sample: Sample,
    *,
    columns: dict[str, str] | None = None,
    time_format: str | None = None,
    values: dict[str, dict[str, str]] | None = None,
) -> Guess:
    """The shared guesser on the sample, with the answers given so far (columns the file
    lacks are dropped: the form refuses them by name)."""
    known = {f: c for f, c in (columns or {}).items() if not c or c in sample.header}
    return guess_mapping(
        sample.header, sample.rows, columns=known or None, time_format=time_format, values=values
    )


def earliest_created(*, run: ImportRun, rows: int = SAMPLE_ROWS) -> dt.date | None:
    """The first day of the month of the earliest ticket in the first rows, read with the
    run's mapping (a new vendor's contract starts then, so its tickets fall within it)."""
    path = upload_path(run)
    if path is None or "mapping" not in run.options:
        return None
    try:
        records = sources.read(path, format=run.format, options=run.options, name=run.file_name)
        created = [r.created_at for r in islice(records, rows) if isinstance(r, TicketRecord)]
    except (FormatError, ValueError):
        return None
    return min(created).date().replace(day=1) if created else None


# --- teams onto vendors --------------------------------------------------------------------------

NEW_VENDOR = "new"
DEFAULT_TEMPLATE = "metrics"


def team_suggestions(*, source: str, teams: list[str]) -> dict[str, Contract]:
    """A contract for each team already mapped by a rule of the source, or whose name is a
    vendor's (with one contract)."""
    rules = {
        r.value: r.contract
        for r in AttributionRule.objects.filter(source=source, value__in=teams).select_related(
            "contract__vendor"
        )
    }
    by_name: dict[str, Contract] = {}
    for vendor in Vendor.objects.prefetch_related("contracts"):
        contracts = list(vendor.contracts.all())
        if len(contracts) == 1:
            by_name[normal(vendor.name)] = contracts[0]
    found = {}
    for team in teams:
        contract = rules.get(team) or by_name.get(normal(team))
        if contract is not None:
            found[team] = contract
    return found


def _templated_policy(template: PolicyTemplate) -> SlaPolicy:
    """The policy made from the template earlier (by its name), else a new one."""
    existing = SlaPolicy.objects.filter(name=template.label).first()
    if existing is not None:
        return existing
    calendar = BusinessCalendar.objects.filter(name=template.calendar.name).first()
    return sla_policy_create(
        name=template.label,
        calendar=calendar,
        new_calendar=None if calendar else template.calendar,
        targets=[
            TargetSpec(t.priority, t.response_minutes, t.resolution_minutes, t.always_open)
            for t in template.targets
        ],
        pause_statuses=template.pause_statuses,
        warning_minutes=template.warning_minutes,
        description=template.description,
    )


def team_vendor_create(
    *, name: str, start_date: dt.date, template_key: str = DEFAULT_TEMPLATE
) -> Contract:
    """A new vendor with one contract on the template's SLA policy (made once, then reused);
    its fee is 0 until the manager sets it on the contract page."""
    template = TEMPLATES.get(template_key)
    if template is None:
        raise ValidationError(
            {"template": f"Unknown SLA template {template_key!r}; use {', '.join(TEMPLATES)}."}
        )
    vendor = vendor_create(name=name)
    return contract_create(
        vendor=vendor,
        terms=ContractTerms(
            name=f"{vendor.name} services",
            start_date=start_date,
            sla_policy=_templated_policy(template),
            monthly_fee=Decimal(0),
        ),
    )


@dataclass(frozen=True)
class TeamChoice:
    """One team of the file: an existing contract, or a new vendor of that name."""

    team: str
    contract: Contract | None = None
    new_vendor: str = ""


@transaction.atomic
def team_rules_set(
    *,
    source: str,
    choices: list[TeamChoice],
    start_date: dt.date | None = None,
    template_key: str = DEFAULT_TEMPLATE,
) -> list[AttributionRule]:
    """Attribution rules for the teams chosen, creating the new vendors first; all or
    nothing. ValidationError keyed by the team's key (`team_<key>`) naming the problem."""
    rules = []
    for choice in choices:
        try:
            contract = choice.contract
            if contract is None:
                contract = team_vendor_create(
                    name=choice.new_vendor,
                    start_date=start_date or timezone.localdate().replace(day=1),
                    template_key=template_key,
                )
            rules.append(
                attribution_rule_set(
                    source=source, value=choice.team, vendor=contract.vendor, contract=contract
                )
            )
        except ValidationError as exc:
            raise ValidationError(
                {f"team_{key_of(choice.team)}": f"{choice.team}: {' '.join(exc.messages)}"}
            ) from None
    return rules


def contracts_to_attribute() -> list[Contract]:
    """Every contract a team may be mapped to, by vendor."""
    return list(Contract.objects.select_related("vendor").order_by("vendor__name", "name", "pk"))
