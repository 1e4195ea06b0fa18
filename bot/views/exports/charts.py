"""PNG pictures for the chat: the 红/黄/绿 board and the 通报's bar chart.

matplotlib draws them with a CJK font found among the installed ones (WenQuanYi Micro Hei, Noto
CJK, Source Han, …); without one the Chinese would come out as empty boxes, so the picture is
refused with the name of the package to install instead.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from bot.domain.errors import DomainError  # noqa: E402

CJK_FAMILIES = (
    "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Serif CJK SC",
    "Source Han Sans SC", "Source Han Sans CN", "SimHei", "Microsoft YaHei", "PingFang SC", "Droid Sans Fallback",
)
"""Fonts with the Chinese glyphs, in order of preference."""
FONT_PACKAGE = "fonts-wqy-microhei"

GREEN, YELLOW, RED = "#2E7D32", "#F9A825", "#C62828"
"""The board's three colours (what a test looks for in the picture's pixels)."""

MAX_ROWS = 60
"""Units drawn on one picture; the rest are counted in the caption."""


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """The family name of an installed CJK font.

    Raises:
        DomainError: ``font_missing`` naming the package to install.
    """
    for attempt in range(2):
        names = {f.name for f in font_manager.fontManager.ttflist}
        for family in CJK_FAMILIES:
            if family in names:
                return family
        found = next((n for n in sorted(names) if "CJK" in n or "WenQuanYi" in n), None)
        if found:
            return found
        if attempt == 0:
            # Installed after matplotlib built its font cache: look again.
            font_manager.fontManager = font_manager._load_fontmanager(try_read_cache=False)  # type: ignore[attr-defined]
    raise DomainError("font_missing", package=FONT_PACKAGE)


@dataclass(frozen=True)
class BoardRow:
    """One unit's open tasks by colour."""

    unit: str
    green: int
    yellow: int
    red: int


def _png(figure: Figure, dpi: int = 100) -> bytes:
    out = io.BytesIO()
    FigureCanvasAgg(figure)
    figure.savefig(out, format="png", dpi=dpi)
    return out.getvalue()


BOARD_WIDTH_IN, BOARD_DPI = 4.8, 160
"""Narrow and dense: Telegram shows a photo about 390 px wide on a phone, so the picture is drawn
768 px wide and its 11-point text stays about 12 px tall there."""
ROW_IN, TITLE_IN, LEGEND_LINE_IN, AXIS_IN = 0.34, 0.5, 0.24, 0.45
"""Heights in inches: one unit's bar, the title band, each legend line, the count axis below."""


def board_figure(rows: Sequence[BoardRow], title: str, legend: tuple[str, str, str], empty_text: str) -> Figure:
    """The board laid out in fixed bands from the top: title, legend (one entry a line), then one
    row per unit (worst first) and the count axis. The picture grows with the units instead of
    squeezing them, so nothing overlaps at 1 unit or at 200 (of which ``MAX_ROWS`` are drawn)."""
    family = cjk_font()
    shown = list(rows[:MAX_ROWS])
    top = TITLE_IN + LEGEND_LINE_IN * len(legend) + 0.15
    plot = ROW_IN * max(1, len(shown))
    height = top + plot + AXIS_IN
    figure = Figure(figsize=(BOARD_WIDTH_IN, height), dpi=BOARD_DPI)
    figure.text(0.5, 1 - (TITLE_IN / 2) / height, title, ha="center", va="center", fontfamily=family,
                fontsize=14)
    if not shown:
        figure.text(0.5, (plot / 2 + AXIS_IN) / height, empty_text, ha="center", va="center", fontfamily=family, fontsize=12)
        return figure
    longest = max(sum(2 if ord(ch) >= 0x2E80 else 1 for ch in r.unit) for r in shown)
    left = min(0.3 + longest * 0.085, BOARD_WIDTH_IN / 2)  # the unit names, at 11 points
    axes = figure.add_axes((left / BOARD_WIDTH_IN, AXIS_IN / height, 1 - (left + 0.2) / BOARD_WIDTH_IN, plot / height))
    names = [r.unit for r in shown][::-1]
    counts = [(r.green, r.yellow, r.red) for r in shown][::-1]
    lefts = [0] * len(shown)
    for index, colour in enumerate((GREEN, YELLOW, RED)):
        widths = [c[index] for c in counts]
        bars = axes.barh(range(len(shown)), widths, left=lefts, color=colour, edgecolor="white", height=0.72)
        for bar, width in zip(bars, widths):
            if width:
                axes.text(bar.get_x() + width / 2, bar.get_y() + bar.get_height() / 2, str(width), ha="center",
                          va="center", color="white", fontsize=10, fontweight="bold")
        lefts = [a + b for a, b in zip(lefts, widths)]
    axes.set_ylim(-0.5, len(shown) - 0.5)
    axes.set_yticks(range(len(shown)), names, fontfamily=family, fontsize=11)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts: whole numbers only
    axes.tick_params(axis="x", labelsize=10)
    axes.spines[["top", "right"]].set_visible(False)
    figure.legend(
        handles=[Patch(color=c) for c in (GREEN, YELLOW, RED)], labels=list(legend), prop={"family": family, "size": 11}, ncols=1, frameon=False, loc="upper left",
        bbox_to_anchor=(0.04, 1 - TITLE_IN / height), borderaxespad=0, handlelength=1.2, labelspacing=0.35,
    )
    return figure


def board_png(rows: Sequence[BoardRow], title: str, legend: tuple[str, str, str], empty_text: str) -> bytes:
    """The 红/黄/绿 board as PNG: horizontal stacked bars, one per unit, counts inside."""
    return _png(board_figure(rows, title, legend, empty_text), BOARD_DPI)


def score_bars_png(names: Sequence[str], scores: Sequence[Decimal], threshold: Decimal, title: str) -> bytes:
    """The ranking as horizontal bars (best at the top), units below the threshold in red."""
    family = cjk_font()
    shown_names, shown_scores = list(names[:MAX_ROWS]), [float(s) for s in scores[:MAX_ROWS]]
    figure = Figure(figsize=(9, 1.6 + 0.36 * max(1, len(shown_names))))
    axes = figure.add_subplot()
    axes.set_title(title, fontfamily=family, fontsize=13)
    colours = [RED if s < float(threshold) else "#1565C0" for s in shown_scores]
    positions = range(len(shown_names))
    axes.barh(list(positions)[::-1], shown_scores, color=colours, height=0.7)
    for y, value in zip(list(positions)[::-1], shown_scores):
        axes.text(value + 0.3, y, f"{value:g}", va="center", fontsize=9)
    axes.set_yticks(list(positions)[::-1], shown_names, fontfamily=family, fontsize=10)
    low = min([*shown_scores, float(threshold)]) - 5
    axes.set_xlim(max(0, low), max([*shown_scores, 100.0]) + 4)
    axes.axvline(float(threshold), color=RED, linestyle="--", linewidth=1)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    return _png(figure)
