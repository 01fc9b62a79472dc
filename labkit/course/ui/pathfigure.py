"""The picture of one request's path: client → DNS → route → listener, the failing hop in red."""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from labkit.course.paths import HOPS, Trace
from labkit.course.ui.figures import (
    AMBER,
    GREEN,
    GREY,
    INK,
    RED,
    WIDTH,
    _lh,
    _new_figure,
    _wrap,
)

_HOP_HINT = {"client": "who sends", "DNS": "name → address", "route": "how packets get there",
             "listener": "who answers"}


def request_path_figure(trace: Trace) -> Figure:
    """Draw one request hop by hop (client → DNS → route → listener): green ok, red ✗ where it stops, grey after."""
    by_name = {h.name: h for h in trace.hops}
    hop_w, arrow_w = 1.95, 0.45
    x0 = (WIDTH - (len(HOPS) * hop_w + (len(HOPS) - 1) * arrow_w)) / 2
    states = []
    reached = True
    for name in HOPS:
        hop = by_name.get(name)
        if not reached or hop is None:
            states.append((name, "not reached", None))
        elif hop.ok:
            states.append((name, "ok", hop.detail))
        else:
            states.append((name, "failed", hop.detail))
            reached = False
    details = [_wrap(d, 28) if d else "not reached" for _, _, d in states]
    detail_lines = max(d.count("\n") + 1 for d in details)
    box_h = 1.15
    footer = 0.55 if trace.observed is not None else 0.1
    height = round(max(3.0, 0.85 + box_h + 0.2 + detail_lines * _lh(8.5) + 0.15 + footer), 2)
    fig, ax = _new_figure(height)

    ax.text(WIDTH / 2, height - 0.3, f"request from {trace.source} to {trace.url}", fontsize=13, fontweight="bold",
            ha="center", va="center", color=INK)
    failed = trace.failed_hop
    summary = (f"stops at {failed.name}" if failed else
               ("reaches a listener" if trace.ok else "incomplete trace"))
    ax.text(WIDTH / 2, height - 0.58, summary, fontsize=9.5, ha="center", va="center", fontstyle="italic",
            color=RED if failed else (GREEN if trace.ok else GREY))
    top = height - 0.85
    style = {"ok": ("#e6f6ec", GREEN, "✓"), "failed": ("#fde8e8", RED, "✗"), "not reached": ("#f1f3f5", "#b0b7c0", "")}
    for i, ((name, status, _), detail) in enumerate(zip(states, details, strict=True)):
        x = x0 + i * (hop_w + arrow_w)
        face, edge, mark = style[status]
        ax.add_patch(FancyBboxPatch((x, top - box_h), hop_w, box_h, boxstyle="round,pad=0,rounding_size=0.1",
                                    facecolor=face, edgecolor=edge, linewidth=2.5 if status == "failed" else 1.5))
        ink = GREY if status == "not reached" else INK
        ax.text(x + hop_w / 2, top - 0.12, name, fontsize=12, fontweight="bold", ha="center", va="top", color=ink)
        ax.text(x + hop_w / 2, top - 0.38, _HOP_HINT.get(name, ""), fontsize=7.5, fontstyle="italic", ha="center",
                va="top", color=GREY)
        if status == "failed":
            ax.text(x + hop_w / 2, top - box_h + 0.3, mark, fontsize=30, fontweight="bold", ha="center", va="center",
                    color=RED)
        elif status == "ok":
            ax.text(x + hop_w / 2, top - box_h + 0.27, f"{mark} ok", fontsize=14, fontweight="bold", ha="center",
                    va="center", color=GREEN)
        else:
            ax.text(x + hop_w / 2, top - box_h + 0.27, "not reached", fontsize=9, ha="center", va="center", color=GREY)
        ax.text(x + hop_w / 2, top - box_h - 0.15, detail, fontsize=8.5, ha="center", va="top", linespacing=1.15,
                color={"ok": INK, "failed": RED}.get(status, GREY), fontweight="bold" if status == "failed" else "normal")
        if i < len(HOPS) - 1:
            nxt = states[i + 1][1]
            ax.add_patch(FancyArrowPatch((x + hop_w + 0.04, top - box_h / 2), (x + hop_w + arrow_w - 0.04, top - box_h / 2),
                                         arrowstyle="-|>", mutation_scale=16, linewidth=1.8,
                                         color=INK if nxt != "not reached" else "#c0c6ce"))
    if trace.observed is not None:
        ax.text(WIDTH / 2, 0.25, f"observed: {trace.observed}", fontsize=10, ha="center", va="center", color=INK,
                bbox={"boxstyle": "round,pad=0.3", "facecolor": "#fffbea", "edgecolor": AMBER})
    return fig
