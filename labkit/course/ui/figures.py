"""The drawing kit the course's figures share: sizes, colours, text fitting, and turning a Figure into a PNG.

Figures are plain `matplotlib.figure.Figure` objects on the Agg canvas (pyplot is never touched), laid out
in inch coordinates.
"""

from __future__ import annotations

import io
import textwrap

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 100


WIDTH = 10.0  # inches


# colours a learner can tell apart (and that survive a greyscale print reasonably)
GREEN = "#2f855a"


RED = "#c53030"


BLUE = "#2b6cb0"


AMBER = "#b7791f"


PURPLE = "#6b46c1"


GREY = "#8a8a8a"


INK = "#1a202c"


BUILTIN_BAR = "#718096"


BOX_FONT = 7.5


NAME_FONT = 8.5


PAD = 0.08  # inside a container box


GAP = 0.16  # between container columns


CHAR_EM = 0.6  # DejaVu Sans: average character width as a fraction of the font size (a little generous)


def _lh(size: float) -> float:
    """Height of one text line in inches for a font size in points."""
    return size * 1.3 / 72


def _chars(width: float, size: float) -> int:
    """How many characters of this font size fit in `width` inches."""
    return max(8, int(width * 72 / (size * CHAR_EM)))


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=True)) or text


def _new_figure(height: float, width: float = WIDTH):
    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()
    return fig, ax


def png_bytes(fig: Figure) -> bytes:
    """Render a figure to PNG bytes, the same bytes every time for the same figure (fixed dpi, no version stamp)."""
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None}, facecolor="white")
    return buf.getvalue()


def image(fig: Figure):
    """The figure as an IPython PNG Image object (for widgets' output areas)."""
    from IPython.display import Image

    return Image(data=png_bytes(fig), format="png")


def show(fig: Figure) -> None:
    """Show a figure in Jupyter/IPython as a PNG image; outside IPython do nothing."""
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:
        return
    if get_ipython() is None:
        return
    display(Image(data=png_bytes(fig), format="png"))
