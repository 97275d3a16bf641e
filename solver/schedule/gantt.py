"""A Gantt chart of a schedule as a PNG (matplotlib, imported only here and only when drawn)."""

from __future__ import annotations

from pathlib import Path

from chainlab.solver.schedule.result import Schedule


def plot_gantt(s: Schedule, file, *, unit_per_hour: float = 1.0, title: str | None = None
               ) -> Path | None:
    """One row per resource: each operation a bar coloured by product, its setup a hatched bar
    before it, unavailable windows shaded grey over
    them (a preemptible operation pauses there). The x axis is in hours when ``unit_per_hour`` says how
    many time units make an hour (60 for minutes), else in time units. None when matplotlib is
    not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    ops = s.operations
    resources = s.problem.resources
    row = {r: i for i, r in enumerate(resources)}
    products = sorted({p or j for p, j in zip(ops["product"], ops["job"], strict=True)})
    cmap = plt.get_cmap("tab20")
    colour = {p: cmap(i % 20) for i, p in enumerate(products)}
    f = 1.0 / unit_per_hour
    mk = (s.makespan or 0) * f
    fig, ax = plt.subplots(figsize=(12, 1.2 + 0.45 * len(resources)))
    for o in ops.to_dict("records"):
        y = row[o["resource"]]
        key = o["product"] or o["job"]
        if o["setup_time"]:
            ax.barh(y, o["setup_time"] * f, left=o["start"] * f - o["setup_time"] * f,
                    color="white", edgecolor="0.3", hatch="///", height=0.6, linewidth=0.5)
        ax.barh(y, (o["end"] - o["start"]) * f, left=o["start"] * f, color=colour[key],
                edgecolor="black", height=0.6, linewidth=0.5)
        if len(products) <= 40:
            ax.text((o["start"] + o["end"]) / 2 * f, y, key, ha="center", va="center",
                    fontsize=6, clip_on=True)
    for r in resources:
        for a, b in s.problem.windows(r):
            if a * f >= mk:
                break
            ax.barh(row[r], (min(b * f, mk) - a * f), left=a * f, color="0.45", alpha=0.35, height=0.8,
                    linewidth=0, zorder=3)
    ax.set_yticks(range(len(resources)), resources, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, max(mk, 1e-9) * 1.01)
    ax.set_xlabel("hours from start" if unit_per_hour != 1 else f"time ({s.time_unit}s)")
    gap = "" if s.gap is None else f", gap {s.gap:.2%}"
    ax.set_title(title or f"{s.problem.name}: {s.objective.value} {s.value} "
                          f"({s.status.value}{gap})")
    fig.tight_layout()
    fig.savefig(file, dpi=110)
    plt.close(fig)
    return Path(file)
