"""A small chart of a run's progress, drawn as server-side SVG coordinates.

No script and no style attribute: the template draws polylines from these
numbers with SVG presentation attributes, which the site's CSP allows.
"""

from datetime import datetime
from decimal import Decimal

WIDTH, HEIGHT = 320, 140
LEFT, RIGHT, TOP, BOTTOM = 8, 8, 10, 20  # margins, in SVG units


def progress_chart(progress):
    """Coordinates for the chart of mephisto_sync.progress_of(run), or None without points.

    Both lines are drawn as a share of the plan, so one scale serves them: units
    finished against the planned units, money spent against the estimate (the
    dashed line at 100%). Without a plan, each line is scaled to its own last value.
    Returns {"width", "height", "finished": "x,y x,y ...", "spent": "...",
    "plan_y": y of 100% (None without a plan), "start", "end" (datetimes),
    "label": a sentence for screen readers}.
    """
    if not progress or not progress["series"]:
        return None
    series = progress["series"]
    times = [datetime.fromisoformat(point[0]) for point in series]
    finished = [point[1] for point in series]
    spent = [Decimal(point[2]) for point in series]
    units_target = progress["planned_units"] or max(finished) or 1
    money_target = Decimal(progress["estimate"]) if progress["estimate"] else max(spent) or 1
    shares_finished = [value / units_target for value in finished]
    shares_spent = [float(value / money_target) for value in spent]
    top = max(1.0, *shares_finished, *shares_spent) * 1.1
    span = (times[-1] - times[0]).total_seconds()

    def x(index):
        if span <= 0:
            return LEFT + (WIDTH - LEFT - RIGHT) * (index + 1) / (len(times) + 1)
        return LEFT + (WIDTH - LEFT - RIGHT) * (times[index] - times[0]).total_seconds() / span

    def y(share):
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - share / top)

    def line(shares):
        return " ".join(f"{x(i):.1f},{y(share):.1f}" for i, share in enumerate(shares))

    planned = bool(progress["planned_units"] or progress["estimate"])
    currency = progress["currency"]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "finished": line(shares_finished),
        "spent": line(shares_spent),
        "plan_y": round(y(1.0), 1) if planned else None,
        "baseline_y": HEIGHT - BOTTOM,
        "start": times[0],
        "end": times[-1],
        "label": (
            f"From {times[0]:%Y-%m-%d %H:%M} to {times[-1]:%Y-%m-%d %H:%M} UTC:"
            f" {finished[-1]} units finished"
            + (f" of {progress['planned_units']} planned" if progress["planned_units"] else "")
            + f", {currency}{spent[-1]} spent"
            + (f" of an estimated {currency}{progress['estimate']}" if progress["estimate"] else "")
            + "."
        ),
    }
