"""The `--map VALUE=VENDOR_SLUG[:CONTRACT_ID]` option that `import_tickets` and `add_source`
share: a source's value (group, team, org line) attributed to a vendor's contract.

The leading underscore keeps Django from taking this module for a command."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser

from tickets.ingest.services import attribution_rule_set
from tickets.models import AttributionRule
from vendors.models import Contract, Vendor


def add_map_argument(parser: CommandParser, help: str) -> None:
    parser.add_argument(
        "--map", action="append", default=[], metavar="VALUE=VENDOR_SLUG[:CONTRACT_ID]", help=help
    )


def map_value(source: str, spec: str) -> AttributionRule:
    """Sets the rule one `--map` spec writes; CommandError quoting the spec when it cannot."""
    value, sep, target = spec.rpartition("=")
    if not sep or not target:
        raise CommandError(f"--map {spec!r}: write VALUE=VENDOR_SLUG or VALUE=SLUG:CONTRACT_ID")
    slug, _, contract_id = target.partition(":")
    vendor = Vendor.objects.filter(slug=slug).first()
    if vendor is None:
        raise CommandError(f"--map {spec!r}: no vendor with the slug {slug!r}")
    contract = None
    if contract_id:
        if contract_id.isdigit():
            contract = Contract.objects.filter(pk=contract_id, vendor=vendor).first()
        if contract is None:
            raise CommandError(f"--map {spec!r}: {vendor} has no contract {contract_id}")
    try:
        return attribution_rule_set(
            source=source, value=value.strip(), vendor=vendor, contract=contract
        )
    except ValidationError as exc:
        raise CommandError(f"--map {spec!r}: {'; '.join(exc.messages)}") from None
