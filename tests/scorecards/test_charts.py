"""The Plotly figure builders: plain data in, the traces and shapes the pages rely on out."""

from __future__ import annotations

from scorecards import charts


def test_trend_chart_draws_the_target_as_a_dashed_line_and_a_hover_trace():
    fig = charts.trend_chart(
        ["2026-08", "2026-09", "2026-10"],
        [91.0, None, 93.5],
        name="SLA compliance",
        unit="%",
        target=95.0,
        low_sample=[False, False, True],
        samples=[200, 0, 12],
    ).to_plotly_json()
    series, target = fig["data"]
    assert series["y"] == [91.0, None, 93.5]
    assert series["marker"]["symbol"] == ["circle", "circle", "circle-open"]
    assert "low sample" in series["text"][2] and "93.5 %" in series["text"][2]
    assert target["y"] == [95.0, 95.0]
    shape = fig["layout"]["shapes"][0]
    assert (shape["y0"], shape["line"]["dash"]) == (95.0, "dash")
    assert "title" not in fig["layout"] or not fig["layout"]["title"]


def test_trend_chart_without_a_target_has_one_trace_and_no_shape():
    fig = charts.trend_chart(["2026-10"], [3.0], name="Backlog", unit="tickets").to_plotly_json()
    assert len(fig["data"]) == 1 and fig["layout"]["shapes"] == []


def test_breach_heatmap_puts_mondays_first_and_leaves_quiet_hours_empty():
    fig = charts.breach_heatmap({(0, 9): 3, (6, 23): 1, (2, 4): 0}).to_plotly_json()
    heat = fig["data"][0]
    assert heat["y"] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert heat["x"][0] == "00" and heat["x"][-1] == "23"
    assert heat["z"][0][9] == 3 and heat["z"][6][23] == 1
    assert heat["z"][2][4] is None  # zero is shown as empty
    assert heat["text"][0][9] == "Mon 09:00-09:59: 3 breaches"
    assert fig["layout"]["yaxis"]["autorange"] == "reversed"


def test_box_or_strip_draws_a_strip_below_five_points_and_a_box_from_five():
    strip = charts.box_or_strip({"MTTR": [1.0, 2.0, 3.0]}, unit="hours", median=2.0)
    spec = strip.to_plotly_json()
    assert spec["data"][0]["type"] == "scatter" and spec["data"][0]["mode"] == "markers"
    assert spec["data"][1]["name"] == "Team median" and spec["data"][1]["y"] == [2.0, 2.0]
    box = charts.box_or_strip(
        {"CSAT": [70.0, 80.0, 85.0, 90.0, 95.0]},
        unit="%",
        median=None,
        hover_names={"CSAT": ["a", "b", "c", "d", "e"]},
        highlight=80.0,
        highlight_name="b",
    ).to_plotly_json()
    assert box["data"][0]["type"] == "box" and box["data"][0]["boxpoints"] == "all"
    assert box["data"][0]["text"][1] == "b: 80.0 %"
    assert box["data"][-1]["name"] == "b" and box["data"][-1]["y"] == [80.0]


def test_score_history_has_a_line_per_vendor_on_the_grade_bands():
    fig = charts.score_history(
        ["2026-09", "2026-10"], {"Acme": [80.0, 84.3], "Bravo": [None, 21.0]}
    ).to_plotly_json()
    assert [t["name"] for t in fig["data"]] == ["Acme", "Bravo"]
    assert fig["data"][0]["line"]["dash"] != fig["data"][1]["line"]["dash"]
    bands = [s for s in fig["layout"]["shapes"] if s["type"] == "rect"]
    assert [(b["y0"], b["y1"]) for b in bands][0] == (90, 100)
    assert fig["layout"]["yaxis"]["range"][0] == 20  # room for the lowest score


def test_palette_is_okabe_ito():
    assert charts.PALETTE[:3] == ["#0072b2", "#e69f00", "#009e73"]


def test_sparkline_is_an_svg_with_a_readable_summary_and_gaps():
    svg = str(charts.sparkline_svg([1.0, None, 3.0], labels=["a", "b", "c"], target=2.0))
    assert svg.startswith('<svg class="spark"')
    assert "a 1.00, c 3.00" in svg
    assert svg.count("<polyline") == 2 and "spark-target" in svg
    assert "no trend" in str(charts.sparkline_svg([None, None]))
