"""A map of routes: stops and depots at their coordinates, one coloured line per route."""

from __future__ import annotations

from pathlib import Path

from chainlab.solver.routing.problem import Metric, RoutingProblem
from chainlab.solver.routing.result import RoutingResult


def plot_routes(problem: RoutingProblem, result: RoutingResult, file) -> Path | None:
    """Write a PNG of the routes to ``file``; None when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(9, 7))
    cmap = plt.get_cmap("tab20")
    for r_no, r in enumerate(result.routes):
        path = [r.depot, *r.stops, r.depot]
        ax.plot([problem.x[i] for i in path], [problem.y[i] for i in path], "-", lw=1.6,
                color=cmap(r_no % 20), label=f"route {r_no + 1}: {len(r.stops)} stops, "
                f"{r.load:,.0f} units, {r.distance:,.0f}")
    cust = problem.customers
    ax.scatter([problem.x[i] for i in cust], [problem.y[i] for i in cust], s=18, c="black",
               zorder=3)
    for i in cust:
        ax.annotate(problem.ids[i], (problem.x[i], problem.y[i]), fontsize=6,
                    xytext=(3, 3), textcoords="offset points")
    for d in problem.depots:
        ax.scatter([problem.x[d]], [problem.y[d]], marker="s", s=90, c="tab:red", zorder=4)
        ax.annotate(problem.ids[d], (problem.x[d], problem.y[d]), fontsize=9, weight="bold",
                    xytext=(4, -10), textcoords="offset points")
    for i in result.unserved:
        ax.scatter([problem.x[i]], [problem.y[i]], marker="x", s=60, c="tab:red", zorder=5)
    geo = problem.metric is Metric.GEO
    ax.set_xlabel("longitude" if geo else "x")
    ax.set_ylabel("latitude" if geo else "y")
    total = "" if result.objective is None else f", {result.objective:,.1f}" + (
        " km" if geo else "")
    ax.set_title(f"{problem.name}: {result.vehicles} routes{total}")
    if result.routes:
        ax.legend(fontsize=7, loc="best")
    if geo:
        ax.set_aspect(1.25)
    fig.tight_layout()
    file = Path(file)
    fig.savefig(file, dpi=110)
    plt.close(fig)
    return file
