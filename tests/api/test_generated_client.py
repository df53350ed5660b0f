"""Finance's tools against a live server: a Python client generated from /api/schema/ by
openapi-python-client, and the README's pandas / Excel pull (the CSV form with a Bearer header).

Proves the schema builds a working client: generated from what the server serves, imported, and
used with a finance user's token to pull service credits and one invoice.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import io
import subprocess
import sys
import urllib.request
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from vendors.services import api_token_create

PACKAGE = "vendorscore_client"


@pytest.fixture
def finance_key(world) -> str:
    return api_token_create(user=world.finance, name="finance pull").key


@pytest.fixture
def generated_client(live_server, finance_key, tmp_path: Path):
    """The generated package, importable for the test; removed from sys.modules after it."""
    schema = httpx.get(
        f"{live_server.url}/api/schema/?format=json",
        headers={"Authorization": f"Bearer {finance_key}"},
    )
    assert schema.status_code == 200, schema.text[:500]
    (tmp_path / "schema.json").write_bytes(schema.content)
    # No post hooks: they run ruff from PATH, which a virtualenv's tests need not have.
    (tmp_path / "config.yaml").write_text("post_hooks: []\n")
    generator = Path(sys.executable).with_name("openapi-python-client")
    done = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            "schema.json",
            "--output-path",
            PACKAGE,
            "--meta",
            "none",
            "--config",
            "config.yaml",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # Any warning means part of the schema could not become client code.
    assert done.returncode == 0 and "Warning" not in done.stdout, done.stdout + done.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


@pytest.mark.django_db(transaction=True)
def test_the_generated_client_pulls_service_credits_and_an_invoice(
    generated_client, live_server, finance_key, world
):
    client = generated_client.AuthenticatedClient(base_url=live_server.url, token=finance_key)
    credits_list = importlib.import_module(f"{PACKAGE}.api.service_credits.service_credits_list")
    invoices_retrieve = importlib.import_module(f"{PACKAGE}.api.invoices.invoices_retrieve")

    with client:
        page = credits_list.sync(client=client, period="2026-10")
        invoice = invoices_retrieve.sync(world.a.invoice.pk, client=client)

    assert type(page).__name__ == "PaginatedServiceCreditOutList"
    assert page.count == 2
    credits = {row.contract_name: row for row in page.results}
    acme = credits["A desk"]
    assert (acme.vendor, acme.month, acme.period_label) == (
        world.a.vendor.pk,
        dt.date(2026, 10, 1),
        "2026-10",
    )
    assert (Decimal(acme.amount), acme.currency, Decimal(acme.credit_pct)) == (
        Decimal(500),
        "GBP",
        Decimal(5),
    )
    assert credits["B desk"].currency == "EUR"

    assert type(invoice).__name__ == "InvoiceOut"
    assert (invoice.reference, invoice.vendor_name, Decimal(invoice.amount), invoice.currency) == (
        "A-INV-10",
        "Acme Support",
        Decimal("1500.00"),
        "GBP",
    )
    period = (invoice.period_start, invoice.period_end)
    assert period == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


@pytest.mark.django_db(transaction=True)
def test_the_readme_pandas_and_excel_pull_is_csv_with_a_bearer_header(
    live_server, finance_key, world
):
    # The README's URL and header, as pandas.read_csv(url, storage_options=headers) and
    # Excel's Data > From Web send them.
    url = f"{live_server.url}/api/v1/service-credits/?period=2026-10&format=csv"
    answer = httpx.get(url, headers={"Authorization": f"Bearer {finance_key}"})

    assert answer.status_code == 200, answer.text[:500]
    assert answer.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    acme = next(row for row in rows if row["vendor_name"] == "Acme Support")
    assert (acme["month"], acme["amount"], acme["currency"]) == ("2026-10-01", "500.00", "GBP")
    assert len(rows) == 2

    # pandas opens an http(s) address with urllib, storage_options as the request's headers.
    pulled = urllib.request.Request(url, headers={"Authorization": f"Bearer {finance_key}"})
    with urllib.request.urlopen(pulled) as answer_to_pandas:
        assert answer_to_pandas.read().decode("utf-8-sig") == answer.text.removeprefix("\ufeff")

    refused = httpx.get(url)  # no token: no figures
    assert refused.status_code in (401, 403)
