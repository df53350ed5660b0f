"""Figures, scores and service credits from one subject's sums: pure math, no Django (a contract
is only read through its attributes)."""

from __future__ import annotations

from decimal import Decimal

from scorecards import scoring
from scorecards.compute.results import CONTRACT, TECHNICIAN, VENDOR, Figure, Overrides, Result
from vendors.metrics import METRICS, SCORED, Better


def _rate(numerator: float, denominator: float, min_sample: int, excluded: int = 0) -> Figure:
    if not denominator:
        return Figure(None, numerator, denominator, 0, excluded=excluded)
    ci = scoring.wilson_interval(int(numerator), int(denominator))
    return Figure(
        value=100 * numerator / denominator,
        numerator=numerator,
        denominator=denominator,
        sample_size=int(denominator),
        ci=(100 * ci[0], 100 * ci[1]),
        low_sample=denominator < min_sample,
        excluded=excluded,
    )


def _mean(total: float, count: float, scale: float, min_sample: int) -> Figure:
    if not count:
        return Figure(None, total, count, 0)
    return Figure(
        total / count / scale, total / scale, count, int(count), low_sample=count < min_sample
    )


def subject_figures(
    s,
    *,
    technicians,
    business_days,
    backlog,
    percentiles,
    backlog_age,
    uptime,
    invoiced,
    min_sample,
) -> dict[str, Figure]:
    resolved = s["resolved"]
    f: dict[str, Figure] = {
        "tickets_created": Figure(s["created"], sample_size=int(s["created"])),
        "tickets_resolved": Figure(resolved, sample_size=int(resolved)),
        "backlog": Figure(backlog, sample_size=int(backlog)),
        "backlog_age_p50": Figure(backlog_age, sample_size=int(backlog)),
        "response_time_mean": _mean(s["response_seconds"], s["responses"], 60, min_sample),
        "mttr": _mean(s["resolution_seconds"], resolved, 3600, min_sample),
        "fcr_pct": _rate(s["fcr"], resolved, min_sample),
        "reopen_pct": _rate(s["reopened"], resolved, min_sample),
        "repeat_pct": _rate(s["repeats"], resolved, min_sample),
        "escalation_pct": _rate(s["escalated"], resolved, min_sample),
    }
    for name, scale, count in (
        ("response_time", 60, s["responses"]),
        ("resolution_time", 3600, resolved),
    ):
        for q in ("p50", "p90"):
            raw = percentiles.get(f"{name}_{q}")
            f[f"{name}_{q}"] = Figure(
                None if raw is None else raw / scale,
                sample_size=int(count),
                low_sample=bool(count) and count < min_sample,
            )
    for target in ("response", "resolution"):
        met, breached = s[f"{target}_met"], s[f"{target}_breached"]
        f[f"{target}_sla_pct"] = _rate(
            met, met + breached, min_sample, int(s[f"{target}_excluded"])
        )
    all_met = s["response_met"] + s["resolution_met"]
    all_outcomes = all_met + s["response_breached"] + s["resolution_breached"]
    excluded = int(s["response_excluded"] + s["resolution_excluded"])
    f["sla_compliance_pct"] = _rate(all_met, all_outcomes, min_sample, excluded)

    answers = s["answers"]
    csat = _rate(s["satisfied"], answers, min_sample)
    csat.detail = {str(k): int(s[f"answers_{k}"]) for k in range(1, 6)}
    f["csat_pct"] = csat
    f["csat_avg"] = _mean(s["score_sum"], answers, 1, min_sample)
    f["survey_response_rate"] = (
        Figure(
            100 * answers / resolved,
            answers,
            resolved,
            int(resolved),
            low_sample=resolved < min_sample,
        )
        if resolved
        else Figure(None, answers, 0)
    )
    nps_n = s["nps_answers"]
    f["nps"] = (
        Figure(
            100 * (s["promoters"] - s["detractors"]) / nps_n,
            sample_size=int(nps_n),
            low_sample=nps_n < min_sample,
        )
        if nps_n
        else Figure(None)
    )
    if invoiced and resolved and len(invoiced["currencies"]) == 1:
        amount = invoiced["amount"]
        f["cost_per_ticket"] = Figure(
            float(amount) / resolved,
            float(amount),
            resolved,
            int(resolved),
            low_sample=resolved < min_sample,
            detail={"currency": next(iter(invoiced["currencies"]))},
        )
    else:
        f["cost_per_ticket"] = Figure(None, float(invoiced["amount"]) if invoiced else None)
    f["uptime_pct"] = uptime_figure(uptime) if uptime else Figure(None)
    f["tickets_per_tech_day"] = (
        Figure(
            resolved / technicians / business_days,
            resolved,
            technicians * business_days,
            int(resolved),
        )
        if resolved and technicians and business_days
        else Figure(None)
    )
    return f


def quiet_figures(*, backlog: float, backlog_age: float | None) -> dict[str, Figure]:
    """A vendor's or contract's ticket figures for a period without tickets: the counts that
    say so and the backlog carried through, as `subject_figures` gives them; the rest would
    be "no data", so they are not stored (nothing stored reads as no data)."""
    f = {
        "tickets_created": Figure(0.0, sample_size=0),
        "tickets_resolved": Figure(0.0, sample_size=0),
        "backlog": Figure(backlog, sample_size=int(backlog)),
    }
    if backlog_age is not None:
        f["backlog_age_p50"] = Figure(backlog_age, sample_size=int(backlog))
    return f


def uptime_figure(uptime: dict) -> Figure:
    return Figure(
        uptime["value"],
        uptime["minutes"] - uptime["down_minutes"],
        uptime["minutes"],
        detail={"services": uptime["services"]},
    )


def weights_and_targets(contract, subject_kind, overrides: Overrides):
    weights = {code: float(METRICS[code].weight) for code in SCORED}
    targets = {
        code: {"target": _f(METRICS[code].target), "floor": _f(METRICS[code].floor)}
        for code in SCORED
    }
    if contract is not None:
        cost_target = contract.target_cost_per_ticket
        if cost_target is not None:
            targets["cost_per_ticket"] = {
                "target": float(cost_target),
                "floor": 2 * float(cost_target),
            }
        rows = list(contract.weights.all())
        if rows:
            weights = dict.fromkeys(SCORED, 0.0)
        for row in rows:
            weights[row.metric] = float(row.weight)
            if row.target is not None:
                targets[row.metric]["target"] = float(row.target)
            if row.floor is not None:
                targets[row.metric]["floor"] = float(row.floor)
    for code, value in overrides.weights.items():
        weights[code] = float(value)
    for code, value in overrides.targets.items():
        targets[code]["target"] = float(value)
    for code, value in overrides.floors.items():
        targets[code]["floor"] = float(value)
    if subject_kind == TECHNICIAN:
        weights["cost_per_ticket"] = 0.0  # a technician has no invoice of their own
    return weights, targets


def _f(value) -> float | None:
    return None if value is None else float(value)


# SCORED is a set, and a set of strings iterates in an order that changes from one process
# to the next: summed in that order, the same marks gave scores a last bit apart, which
# rounding then stored as 55.84 one night and 55.85 the next.
_SCORED_IN_ORDER = tuple(sorted(SCORED))


def subject_score(figures, weights, targets) -> scoring.Score | None:
    marks = {}
    for code in _SCORED_IN_ORDER:
        figure = figures.get(code)
        t = targets[code]
        if (
            figure is None
            or figure.value is None
            or figure.low_sample
            or t["target"] is None
            or t["floor"] is None
            or t["target"] == t["floor"]
        ):
            continue
        marks[code] = scoring.mark(figure.value, target=t["target"], floor=t["floor"])
    return scoring.balanced_score(marks, weights)


def contract_credit(contract, figures) -> Figure:
    tiers = [
        scoring.Tier(t.metric, t.threshold, t.credit_pct, METRICS[t.metric].better is Better.HIGHER)
        for t in contract.credit_tiers.all()
    ]
    values = {
        code: None if f.value is None else Decimal(str(round(f.value, 4)))
        for code, f in figures.items()
    }
    amount, pct, per_metric = scoring.service_credit(
        values, tiers, monthly_fee=contract.monthly_fee, cap_pct=contract.credit_cap_pct
    )
    return Figure(
        float(amount),
        detail={
            "currency": contract.currency,
            "pct": str(pct),
            "per_metric": {k: str(v) for k, v in per_metric.items()},
        },
    )


def add_vendor_credits(result: Result, vendor_id: int, contracts, periods) -> None:
    currencies = {c.currency for c in contracts}
    for period in periods:
        credits = [
            result.figures[((CONTRACT, c.pk), period.start)]["service_credit"].value or 0
            for c in contracts
            if ((CONTRACT, c.pk), period.start) in result.figures
        ]
        key = ((VENDOR, vendor_id), period.start)
        if key in result.figures:
            result.figures[key]["service_credit"] = (
                Figure(sum(credits), detail={"currency": next(iter(currencies))})
                if len(currencies) == 1
                else Figure(None, detail={"currencies": sorted(currencies)})
            )
