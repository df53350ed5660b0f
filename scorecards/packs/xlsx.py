"""A review pack as an XLSX workbook: its tables as rows, one sheet each, made safe to open."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse

from common.exports import neutralise
from scorecards.models import ActionItem
from scorecards.packs.contents import TECHNICIAN_METRICS, Pack
from vendors.metrics import METRICS


def xlsx_safe(value):
    """A cell value a spreadsheet will never run: text that could start a formula (or a DDE
    payload) gets a leading apostrophe; numbers stay numbers, aware times become local."""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        zone = ZoneInfo(settings.REPORTING_TIME_ZONE)
        return value.astimezone(zone).replace(tzinfo=None) if value.tzinfo else value
    return value


def pack_tables(pack: Pack, *, link_base: str = "") -> dict[str, list[list]]:
    """The pack's tables as rows (header first): what the XLSX workbook holds."""
    zone = settings.REPORTING_TIME_ZONE
    kpis = [
        [
            "Metric",
            "Code",
            "Unit",
            f"{pack.label}",
            "Target",
            "Against target",
            f"{pack.previous.label}",
            "Change",
            "Sample size",
            "Low sample",
            "95% CI low",
            "95% CI high",
            "Definition",
            "Industry reference (not scored)",
        ]
    ]
    for k in pack.kpis:
        kpis.append(
            [
                k.label,
                k.code,
                pack.currency if k.unit == "currency" else k.unit,
                k.value,
                k.target,
                {True: "met", False: "missed"}.get(k.met, ""),
                k.previous,
                k.delta,
                k.sample_size,
                "low sample" if k.low_sample else "",
                k.ci_low,
                k.ci_high,
                k.formula,
                f"{k.band.text} ({k.band.source})" if k.band else "",
            ]
        )
    breaches = [
        [
            "Ticket",
            "Title",
            "Priority",
            "Target",
            f"Due ({zone})",
            f"Done ({zone})",
            "Hours late",
            "Disputed",
            "Link",
        ]
    ]
    for b in pack.breaches:
        link = ""
        if link_base:
            try:
                link = link_base.rstrip("/") + reverse("ticket", args=[b.ticket_id])
            except Exception:  # the ticket page may not be routed in every deployment
                link = ""
        breaches.append(
            [
                b.external_id,
                b.title,
                b.priority,
                b.target,
                b.due_at,
                b.done_at if b.done_at else "still open",
                b.late_hours,
                "open dispute" if b.disputed else "",
                link,
            ]
        )
    techs = [["Technician", *(METRICS[c].label for c in TECHNICIAN_METRICS), "Score", "Grade"]]
    for t in pack.technicians:
        techs.append(
            [t.name, *(t.value(c) for c in TECHNICIAN_METRICS), t.score, t.grade or "no grade"]
        )
    credits = [
        [
            "Contract",
            "Currency",
            "Monthly fee",
            "Invoiced",
            "Credit %",
            "Credit owed",
            "Net cost",
            "In-house cost",
            "Savings",
        ]
    ]
    for c in pack.credits:
        credits.append(
            [
                c.contract.name,
                c.contract.currency,
                c.contract.monthly_fee,
                c.invoiced,
                c.credit_pct,
                c.credit,
                c.net_cost,
                c.inhouse,
                c.savings,
            ]
        )
    actions = [
        [
            "Raised",
            "Title",
            "Owner",
            "Owned by vendor",
            "Due",
            "Status",
            "Closed in",
            "Notes",
            "Carried over",
        ]
    ]
    for row in [*pack.carried_actions, *pack.new_actions]:
        item = row.item
        actions.append(
            [
                f"{item.raised_month:%Y-%m}",
                item.title,
                item.owner_label,
                "yes" if item.vendor_owned else "no",
                item.due_on,
                ActionItem.Status(row.status_in_pack).label,
                f"{item.closed_month:%Y-%m}" if item.closed_month else "",
                item.notes,
                "yes" if row.carried else "no",
            ]
        )
    ratings = [["Quality", "Code", "Rating (1..5)", "Evidence", "Rated by", f"Rated at ({zone})"]]
    for r in pack.ratings:
        ratings.append([r.label, r.metric, r.rating, r.evidence, r.rated_by, r.rated_at or ""])
    return {
        "KPIs": kpis,
        "Breaches": breaches,
        "Technicians": techs,
        "Credits": credits,
        "Action items": actions,
        "Review ratings": ratings,
    }


def pack_xlsx_bytes(pack: Pack, *, link_base: str = "") -> bytes:
    """The pack's tables as a workbook: one sheet each, bold headers, numbers as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for title, rows in pack_tables(pack, link_base=link_base).items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append([xlsx_safe(v) for v in row])
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
        for i, header in enumerate(rows[0], start=1):
            width = max([len(str(header))] + [len(str(r[i - 1] or "")) for r in rows[1:]])
            sheet.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 10), 60)
    workbook.properties.title = f"{pack.vendor.name} review pack {pack.label}"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
