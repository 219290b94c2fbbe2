"""The progress chart's coordinates: both lines as shares of the plan, on one scale."""

from tasks import charts


def progress(series, planned=10, estimate="6.00"):
    return {
        "series": series,
        "planned_units": planned,
        "estimate": estimate,
        "currency": "$",
    }


def test_no_points_no_chart():
    assert charts.progress_chart(None) is None
    assert charts.progress_chart(progress([])) is None


def test_lines_are_shares_of_the_plan_with_the_plan_line_at_100_percent():
    chart = charts.progress_chart(
        progress(
            [["2026-11-02T10:00:00+00:00", 5, "3.00"], ["2026-11-02T12:00:00+00:00", 10, "6.00"]]
        )
    )
    # Half the plan at the start, all of it at the end: both lines end on the plan line.
    assert chart["finished"] == chart["spent"]
    start, end = chart["finished"].split()
    assert end == f"312.0,{chart['plan_y']}"
    assert float(start.split(",")[1]) > chart["plan_y"]  # lower on the page
    assert chart["label"] == (
        "From 2026-11-02 10:00 to 2026-11-02 12:00 UTC: 10 units finished of 10 planned,"
        " $6.00 spent of an estimated $6.00."
    )


def test_spend_past_the_estimate_rises_above_the_plan_line():
    chart = charts.progress_chart(progress([["2026-11-02T10:00:00+00:00", 2, "9.00"]]))
    (point,) = chart["spent"].split()
    assert float(point.split(",")[1]) < chart["plan_y"]


def test_without_a_plan_each_line_is_scaled_to_its_last_value():
    chart = charts.progress_chart(
        progress([["2026-11-02T10:00:00+00:00", 4, "2.00"]], planned=None, estimate=None)
    )
    assert chart["plan_y"] is None
    assert chart["finished"] == chart["spent"]
