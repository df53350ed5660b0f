"""The savings rule every consumer shares (scorecards.savings)."""

from decimal import Decimal

from scorecards.savings import Savings


def test_only_invoiced_months_count_on_both_sides():
    window = Savings(Decimal("12000"))
    window.add_month(Decimal("10000"), Decimal("500"))
    window.add_month(Decimal("11000"), None)  # no credit stored that month

    assert window.months_invoiced == 2
    assert window.baseline == Decimal("24000")
    assert window.net_cost == Decimal("20500")  # 21000 invoiced - 500 credits
    assert window.savings == Decimal("3500")


def test_a_vendor_dearer_than_in_house_shows_negative_savings():
    window = Savings(Decimal("8000"))
    window.add_month(Decimal("9000"), Decimal("200"))

    assert window.savings == Decimal("-800")


def test_no_in_house_cost_means_no_baseline_and_no_savings():
    window = Savings(None)
    window.add_month(Decimal("9000"), Decimal("200"))

    assert (window.baseline, window.savings, window.net_cost) == (None, None, Decimal("8800"))


def test_before_the_first_invoice_the_sums_are_zero():
    window = Savings(Decimal("12000"))

    assert (window.months_invoiced, window.baseline, window.savings) == (0, 0, 0)
