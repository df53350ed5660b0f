"""Monthly review packs: what a vendor's pack holds, and the ways it leaves the building.

- `contents`: the Pack and the rows of its tables (plain data), and how figures print.
- `selectors`: reads; `pack_for_vendor` assembles a pack from stored figures only.
- `xlsx`: the pack's tables as a workbook (`pack_xlsx_bytes`).
- `pdf`: the self-contained print HTML and its PDF through headless Chromium.
- `services`: writes of the review meeting's notes and of action items.
- `delivery`: `packs_email_monthly`, which e-mails each active vendor's pack once per month.

The public entry points are re-exported here so that the pack pages, the API and the tests can
use one `packs.` namespace. Code inside the package imports from the defining module; patch a
name where it is looked up (e.g. `scorecards.packs.delivery.pdf_renderer`), not here.
"""

from __future__ import annotations

from scorecards.packs.delivery import PackDeliveryError, first_working_day, packs_email_monthly
from scorecards.packs.pdf import PdfUnavailable, chromium_path, pack_pdf_bytes, pack_print_html
from scorecards.packs.selectors import (
    PackUnavailable,
    action_rows_for_pack,
    breaches_top_for_vendor,
    pack_for_vendor,
    pack_month_from_label,
    pack_months_for_vendor,
)
from scorecards.packs.services import (
    VENDOR_STATUSES,
    action_item_add,
    action_item_check_may_set,
    action_item_set_status,
    meeting_get_or_create,
    meeting_save_notes,
)
from scorecards.packs.xlsx import pack_xlsx_bytes, xlsx_safe

__all__ = [
    "VENDOR_STATUSES",
    "PackDeliveryError",
    "PackUnavailable",
    "PdfUnavailable",
    "action_item_add",
    "action_item_check_may_set",
    "action_item_set_status",
    "action_rows_for_pack",
    "breaches_top_for_vendor",
    "chromium_path",
    "first_working_day",
    "meeting_get_or_create",
    "meeting_save_notes",
    "pack_for_vendor",
    "pack_month_from_label",
    "pack_months_for_vendor",
    "pack_pdf_bytes",
    "pack_print_html",
    "pack_xlsx_bytes",
    "packs_email_monthly",
    "xlsx_safe",
]
