"""A review pack printed: one self-contained print HTML document, and the PDF headless Chromium
(through Playwright) makes of it, everything inlined so no login or network is needed.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from scorecards.packs.contents import Pack


class PdfUnavailable(RuntimeError):
    """Chromium is not installed (or would not start): no server-side PDF."""


def site_url() -> str:
    return getattr(settings, "SITE_URL", "http://localhost:8000").rstrip("/")


def chromium_path() -> str | None:
    return (
        getattr(settings, "CHROMIUM_PATH", None)
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


def _static_text(path: str, *, script: bool = True) -> str:
    found = finders.find(path)
    if not found:
        raise PdfUnavailable(f"The static file {path} is missing; run from a full checkout.")
    text = Path(found).read_text(encoding="utf-8")
    # A closing tag inside inlined code would end the <script> element early.
    return text.replace("</", "<\\/") if script else text


def pack_print_html(pack: Pack, *, link_base: str | None = None) -> str:
    """The pack as one self-contained HTML document: CSS, plotly.js and charts.js inlined, so
    a browser with no login and no network draws it exactly as the page does."""
    return render_to_string(
        "scorecards/pack_print.html",
        {
            "pack": pack,
            "printable": True,
            "link_base": site_url() if link_base is None else link_base,
            "inline_css": _static_text("css/vendorscore.css", script=False),
            "inline_plotly": _static_text("plotly/plotly.min.js"),
            "inline_charts": _static_text("js/charts.js"),
            "REPORTING_TIME_ZONE": settings.REPORTING_TIME_ZONE,
        },
    )


# Every chart placeholder holds a drawn Plotly SVG.
_CHARTS_DRAWN = """() => Array.from(document.querySelectorAll('[data-figure]'))
    .every(el => el.querySelector('svg.main-svg'))"""
# A4 is 210 mm wide; with 10 mm margins the text is 190 mm = 718 CSS px: draw charts that wide.
_PRINT_WIDTH_PX = 718


@contextmanager
def pdf_renderer(*, timeout_ms: int = 30_000) -> Iterator[Callable[[str], bytes]]:
    """One headless Chromium for a batch of packs: `render(html) -> PDF bytes`.

    PdfUnavailable when Chromium is missing or will not start.
    """
    path = chromium_path()
    if not path or not Path(path).exists():
        raise PdfUnavailable(
            "Chromium is not installed on the server (set CHROMIUM_PATH or install the "
            "chromium package)."
        )
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=path, headless=True)
        except PlaywrightError as exc:
            raise PdfUnavailable(f"Chromium at {path} would not start: {exc}") from exc
        try:

            def render(html: str) -> bytes:
                page = browser.new_page(viewport={"width": _PRINT_WIDTH_PX, "height": 1000})
                try:
                    page.set_default_timeout(timeout_ms)
                    # Print media before the charts draw, so each is drawn to its printed width.
                    page.emulate_media(media="print")
                    page.set_content(html, wait_until="load")
                    page.wait_for_function(_CHARTS_DRAWN)
                    return page.pdf(
                        format="A4",
                        print_background=True,
                        margin={"top": "12mm", "bottom": "12mm", "left": "10mm", "right": "10mm"},
                    )
                finally:
                    page.close()

            yield render
        finally:
            browser.close()


def pack_pdf_bytes(pack: Pack) -> bytes:
    with pdf_renderer() as render:
        return render(pack_print_html(pack))
