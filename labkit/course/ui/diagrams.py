"""Pictures of the lab for learners in Jupyter: the live topology and the path of one request.

    fig = diagrams.topology_figure(state.snapshot())   # host, networks, containers, listeners, ports
    diagrams.show(fig)                                  # a PNG in the notebook (does nothing outside IPython)

Drawing only: the figures are built from a `LabState` or a `Trace` and never ask the engine anything.
The topology is drawn here; the request path in pathfigure; the kit both use (sizes, colours, PNG) in
figures. Everything is sorted by name, so the same lab always gives the same picture.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

from labkit.course.state import ContainerView, LabState, Listener, NetworkView, Published
from labkit.course.ui.figures import (  # the drawing kit, for callers of diagrams too
    AMBER,
    BLUE,
    BOX_FONT,
    BUILTIN_BAR,
    DPI,
    GAP,
    GREEN,
    GREY,
    INK,
    NAME_FONT,
    PAD,
    PURPLE,
    RED,
    WIDTH,
    _chars,
    _lh,
    _new_figure,
    _wrap,
    image,
    png_bytes,
    show,
)
from labkit.course.ui.pathfigure import request_path_figure
from labkit.netrules import BUILTIN_NETWORKS

EMPTY_MESSAGE = "the lab is empty: no labkit networks or containers"
LOOPBACK_NOTE = "(loopback only)"
ALL_NOTE = "(all interfaces)"


def _hostport(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def listener_label(lst: Listener) -> tuple[str, str]:
    """What a listener means for the learner, and its colour: loopback red, all interfaces green."""
    where = _hostport(lst.address or "0.0.0.0", lst.port)
    if lst.loopback_only:
        return f"{where} {LOOPBACK_NOTE}", RED
    if lst.all_interfaces:
        return f"{where} {ALL_NOTE}", GREEN
    return f"{where} (this address only)", AMBER


def published_label(pub: Published) -> str:
    """A published port as the learner reads it: host address and port → container port."""
    return f"host {_hostport(pub.host_ip or '0.0.0.0', pub.host_port)} → {pub.container_port}"


# ---------------------------------------------------------------------------------------------- topology


@dataclass
class _Text:
    text: str
    color: str = INK
    size: float = BOX_FONT
    weight: str = "normal"
    style: str = "normal"

    @property
    def height(self) -> float:
        return (self.text.count("\n") + 1) * _lh(self.size)


@dataclass
class _Box:
    container: ContainerView
    width: float
    texts: list[_Text]
    inner: list[_Box] = field(default_factory=list)

    @property
    def height(self) -> float:
        h = 2 * PAD + sum(t.height for t in self.texts) + 0.02 * max(0, len(self.texts) - 1)
        for sub in self.inner:
            h += 0.06 + sub.height
        return h


def _status(c: ContainerView) -> _Text:
    if c.running:
        return _Text("running", GREEN, style="italic")
    return _Text(c.status or "not running", GREY, style="italic")


def _box(c: ContainerView, width: float, sidecars: list[ContainerView], note: str | None = None) -> _Box:
    chars = _chars(width - 2 * PAD, BOX_FONT)
    dim = not c.running
    texts = [_Text(_wrap(c.name, _chars(width - 2 * PAD, NAME_FONT)), GREY if dim else INK, NAME_FONT, "bold"),
             _Text(_wrap(c.image or "(no image)", chars), GREY, style="italic"),
             _status(c)]
    if note:
        texts.append(_Text(_wrap(note, chars), GREY if dim else PURPLE))
    if c.running and c.shares_namespace_with is None:
        if c.listeners_unknown:
            texts.append(_Text("listens on: unknown", AMBER))
        elif c.listeners:
            texts.append(_Text("listens on:", INK))
            for lst in sorted(c.listeners, key=lambda x: (x.port, x.address)):
                label, color = listener_label(lst)
                texts.append(_Text(_wrap(label, chars), color, weight="bold"))
        else:
            texts.append(_Text("listens on nothing", AMBER))
    inner = [_box(s, width - 2 * PAD, [], note=f"shares {c.name}'s network namespace: same IPs, same ports")
             for s in sidecars]
    return _Box(c, width, texts, inner)


def _draw_box(ax, box: _Box, x: float, top: float) -> None:
    dim = not box.container.running
    ax.add_patch(FancyBboxPatch((x, top - box.height), box.width, box.height, boxstyle="round,pad=0,rounding_size=0.06",
                                facecolor="#eeeeee" if dim else "white", edgecolor="#aaaaaa" if dim else INK,
                                linewidth=1.0, linestyle="--" if dim else "-", zorder=3))
    y = top - PAD
    cx = x + box.width / 2
    for t in box.texts:
        ax.text(cx, y, t.text, fontsize=t.size, color=t.color, fontweight=t.weight, fontstyle=t.style,
                ha="center", va="top", linespacing=1.15, zorder=4)
        y -= t.height + 0.02
    for sub in box.inner:
        y -= 0.04
        _draw_box(ax, sub, x + PAD, y)
        y -= sub.height + 0.02


def _ordered_networks(state: LabState) -> list[NetworkView]:
    known = {n.name: n for n in state.networks}
    used = {ep.network for c in state.containers for ep in c.endpoints}
    for name in sorted(used - set(known)):
        known[name] = NetworkView(name, "", "", "", False, name not in BUILTIN_NETWORKS)
    shown = [n for n in known.values() if n.name not in ("host", "none") or n.name in used]
    return sorted(shown, key=lambda n: (not n.user_defined, n.name))


def _network_label(n: NetworkView) -> str:
    name = n.name if len(n.name) <= 40 else n.name[:39] + "…"
    parts = [name, n.subnet or "(no subnet)"]
    if n.user_defined:
        parts.append("embedded DNS 127.0.0.11")
    else:
        parts.append("default bridge: no DNS for names" if n.name == "bridge" else "built-in: no DNS for names")
    if n.internal:
        parts.append("internal: no way out of the host")
    return "   ·   ".join(parts)


def _owner(c: ContainerView, by_name: dict[str, ContainerView]) -> ContainerView | None:
    """The container whose box c is drawn inside (following --network container:X chains), or None."""
    seen = {c.name}
    cur = c
    while cur.shares_namespace_with and cur.shares_namespace_with in by_name:
        nxt = by_name[cur.shares_namespace_with]
        if nxt.name in seen:
            return None  # a cycle cannot happen in a real engine; draw them on their own
        seen.add(nxt.name)
        cur = nxt
    return cur if cur is not c else None


def _sides(attached: list[ContainerView], nets: list[str]) -> tuple[list[ContainerView], list[ContainerView]]:
    """Split attached containers into the row above the network bars and the row below."""
    top, bottom = [], []
    for c in attached:
        (top if nets and any(ep.network == nets[0] for ep in c.endpoints) else bottom).append(c)
    # keep both rows readable: move containers over when one row is crowded and the other is not
    while len(top) > 4 and len(top) - len(bottom) > 1:
        movable = sorted(top, key=lambda c: (bool(c.published), not c.ip_on(nets[-1]), c.name))
        top.remove(movable[0])
        bottom.append(movable[0])
    while len(bottom) > 4 and len(bottom) - len(top) > 1:
        movable = sorted(bottom, key=lambda c: (not c.published, not c.ip_on(nets[0]), c.name))
        bottom.remove(movable[0])
        top.append(movable[0])
    return sorted(top, key=lambda c: c.name), sorted(bottom, key=lambda c: c.name)


def _columns(n: int, left: float, right: float) -> tuple[float, list[float]]:
    """Column width and left edges for n boxes centred between left and right."""
    if n == 0:
        return 0.0, []
    width = min(2.3, (right - left - GAP * (n - 1)) / n)
    total = n * width + GAP * (n - 1)
    x0 = left + (right - left - total) / 2
    return width, [x0 + i * (width + GAP) for i in range(n)]


def _unattached_note(c: ContainerView) -> str:
    mode = c.network_mode or "none"
    if c.shares_namespace_with:
        return f"shares {c.shares_namespace_with}'s network namespace ({c.shares_namespace_with} is not in the lab)"
    if not c.running:
        return f"not running, so no address (network {mode})"
    if mode == "host":
        return "network host: uses the host's own interfaces, no address of its own"
    if mode == "none":
        return "network none: only its own loopback"
    return f"no address (network {mode})"


def _pub_band(boxes: list[_Box]) -> float:
    most = max((len(b.container.published) for b in boxes), default=0)
    return 0.25 + most * _lh(BOX_FONT) + 0.25 if most else 0.15


def _draw_published(ax, box: _Box, x: float, edge_y: float, box_y: float) -> None:
    pubs = sorted(box.container.published, key=lambda p: (p.host_port, p.host_ip, p.container_port))
    if not pubs:
        return
    cx = x + box.width / 2
    ax.add_patch(FancyArrowPatch((cx, edge_y), (cx, box_y), arrowstyle="-|>", mutation_scale=12,
                                 color=BLUE, linewidth=1.4, zorder=2, shrinkA=0, shrinkB=1))
    ax.plot([cx - 0.07, cx + 0.07], [edge_y, edge_y], color=BLUE, linewidth=3, zorder=2, solid_capstyle="butt")
    text = "\n".join(published_label(p) for p in pubs)
    ax.text(cx, (edge_y + box_y) / 2, text, fontsize=BOX_FONT, color=BLUE, fontweight="bold", ha="center",
            va="center", linespacing=1.15, zorder=5,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"})


def topology_figure(state: LabState, title: str | None = None) -> Figure:
    """Draw the lab as it is now: the host, each network with its subnet and DNS, containers, addresses, listeners, ports."""
    if not state.networks and not state.containers:
        fig, ax = _new_figure(3.0)
        ax.text(WIDTH / 2, 1.6, EMPTY_MESSAGE, fontsize=13, color=GREY, ha="center", va="center")
        ax.text(WIDTH / 2, 1.1, "create a network or start a container, then draw again", fontsize=9, color=GREY,
                ha="center", va="center", fontstyle="italic")
        if title:
            ax.text(WIDTH / 2, 2.6, title, fontsize=13, fontweight="bold", ha="center", va="center", color=INK)
        return fig

    nets = _ordered_networks(state)
    net_names = [n.name for n in nets]
    by_name = {c.name: c for c in state.containers}
    sidecars: dict[str, list[ContainerView]] = {}
    main: list[ContainerView] = []
    for c in sorted(state.containers, key=lambda c: c.name):
        owner = _owner(c, by_name)
        if owner is None:
            main.append(c)
        else:
            sidecars.setdefault(owner.name, []).append(c)
    attached = [c for c in main if c.endpoints]
    unattached = [c for c in main if not c.endpoints]
    top, bottom = _sides(attached, net_names)

    host_left, host_right = 0.2, WIDTH - 0.2
    left, right = host_left + 0.2, host_right - 0.2

    def row(cs: list[ContainerView], note: bool = False) -> list[tuple[_Box, float]]:
        width, xs = _columns(len(cs), left, right)
        return [(_box(c, width, sidecars.get(c.name, []), _unattached_note(c) if note else None), x)
                for c, x in zip(cs, xs, strict=True)]

    top_row, bottom_row, none_row = row(top), row(bottom), row(unattached, note=True)
    top_h = max((b.height for b, _ in top_row), default=0.0)
    bottom_h = max((b.height for b, _ in bottom_row), default=0.0)
    none_h = max((b.height for b, _ in none_row), default=0.0)
    bar_h, bar_gap, wire = 0.3, 0.6, 0.45
    pub_top = _pub_band([b for b, _ in top_row])
    pub_bottom = _pub_band([b for b, _ in bottom_row])
    # the row of unattached containers goes where no published-port arrows have to cross it
    none_on_top = bool(none_row) and any(b.container.published for b, _ in bottom_row) and \
        not any(b.container.published for b, _ in top_row)

    none_block = (0.3 + none_h + 0.2) if none_row else 0.0
    body = (pub_top + (top_h + wire if top_row else 0.1) + len(nets) * bar_h + max(0, len(nets) - 1) * bar_gap
            + (wire + bottom_h if bottom_row else 0.1) + pub_bottom + none_block)
    title_h, legend_h = 0.75, 0.45
    height = round(max(4.0, title_h + body + legend_h), 2)
    fig, ax = _new_figure(height)

    host_top = height - title_h
    host_bottom = legend_h
    default_title = (f"lab topology: {len(nets)} network{'s' * (len(nets) != 1)}, "
                     f"{len(state.containers)} container{'s' * (len(state.containers) != 1)}")
    ax.text(WIDTH / 2, height - 0.3, title or default_title, fontsize=13, fontweight="bold", ha="center",
            va="center", color=INK)
    ax.add_patch(FancyBboxPatch((host_left, host_bottom), host_right - host_left, host_top - host_bottom,
                                boxstyle="round,pad=0,rounding_size=0.12", facecolor="#f7fafc", edgecolor="#4a5568",
                                linewidth=1.6, zorder=0))
    ax.text(host_left + 0.05, host_top + 0.04, "host machine (this computer)", fontsize=9, fontweight="bold",
            color="#4a5568", ha="left", va="bottom")

    y = host_top
    if none_on_top:
        y = _draw_none_row(ax, none_row, none_h, y, left)
    # top row of containers, published ports coming in from the host's top edge
    y -= pub_top
    for box, x in top_row:
        _draw_published(ax, box, x, host_top, y)
        _draw_box(ax, box, x, y)
    top_box_bottom = y - top_h
    y = top_box_bottom - wire if top_row else y - 0.1
    bars: dict[str, tuple[float, float]] = {}
    for i, n in enumerate(nets):
        bar_top = y - i * (bar_h + bar_gap)
        bars[n.name] = (bar_top, bar_top - bar_h)
        color = BLUE if n.user_defined else BUILTIN_BAR
        ax.add_patch(Rectangle((left, bar_top - bar_h), right - left, bar_h, facecolor=color, edgecolor=color,
                               hatch="////" if n.internal else None, linewidth=1.0, zorder=2.5))
        ax.text(left + 0.12, bar_top - bar_h / 2, _network_label(n), fontsize=8.5, color="white", fontweight="bold",
                ha="left", va="center", zorder=2.6,
                bbox={"boxstyle": "round,pad=0.1", "facecolor": color, "edgecolor": "none"} if n.internal else None)
    last_bar_bottom = y - len(nets) * bar_h - max(0, len(nets) - 1) * bar_gap
    bottom_box_top = last_bar_bottom - wire if bottom_row else last_bar_bottom - 0.1

    for box, x in top_row:
        _draw_wires(ax, box, x, top_box_bottom + top_h - box.height, bars, above=True)
    for box, x in bottom_row:
        _draw_box(ax, box, x, bottom_box_top)
        _draw_wires(ax, box, x, bottom_box_top, bars, above=False)
    y = bottom_box_top - bottom_h if bottom_row else bottom_box_top
    for box, x in bottom_row:
        _draw_published(ax, box, x, host_bottom, y)
    if none_row and not none_on_top:
        _draw_none_row(ax, none_row, none_h, y - pub_bottom, left)

    if not state.containers:
        ax.text(WIDTH / 2, last_bar_bottom - 0.45, "no containers yet", fontsize=10, color=GREY, fontstyle="italic",
                ha="center", va="top")
    _legend(ax, legend_h)
    return fig


def _draw_wires(ax, box: _Box, x: float, box_edge: float, bars: dict[str, tuple[float, float]], above: bool) -> None:
    """Lines from a container to each network it is on, with its IP there; lines pass behind other bars."""
    c = box.container
    cx = x + box.width / 2
    dim = not c.running
    color = "#a0a0a0" if dim else INK
    for ep in c.endpoints:
        if ep.network not in bars:
            continue
        bar_top, bar_bottom = bars[ep.network]
        end = bar_top if above else bar_bottom
        ax.plot([cx, cx], [box_edge, end], color=color, linewidth=1.3, linestyle="--" if dim else "-", zorder=1)
        ax.plot([cx], [end], marker="o", markersize=5, color=color, zorder=3)
        label = ep.ip or "no address while stopped"
        if ep.aliases:  # the other names it answers to on this network (--network-alias, a Compose service)
            label += "\nalias " + ", ".join(ep.aliases)
        ax.text(cx + 0.06, end + (0.05 if above else -0.05), label, fontsize=7.5, color=color, fontweight="bold",
                ha="left", va="bottom" if above else "top", zorder=5,
                bbox={"boxstyle": "round,pad=0.08", "facecolor": "#f7fafc", "edgecolor": "none"})


def _draw_none_row(ax, row: list[tuple[_Box, float]], row_h: float, y: float, left: float) -> float:
    y -= 0.08
    ax.text(left, y, "not on any network:", fontsize=8, color=GREY, fontweight="bold", ha="left", va="top")
    y -= 0.22
    for box, x in row:
        _draw_box(ax, box, x, y)
    return y - row_h - 0.2


def _legend(ax, legend_h: float) -> None:
    y = legend_h / 2
    items = [("●  0.0.0.0:PORT (all interfaces): other containers can connect", GREEN),
             ("●  127.0.0.1:PORT (loopback only): only programs in the same network namespace can connect", RED)]
    ax.text(0.3, y, items[0][0], fontsize=7.5, color=items[0][1], ha="left", va="center")
    ax.text(WIDTH - 0.3, y, items[1][0], fontsize=7.5, color=items[1][1], ha="right", va="center")


# ---------------------------------------------------------------------------------------------- request path


# ---------------------------------------------------------------------------------------------- output


__all__ = ["topology_figure", "request_path_figure", "listener_label", "published_label", "png_bytes", "image",
           "show", "DPI", "RED", "GREEN"]
