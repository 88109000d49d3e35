"""Charts for documents, rendered on the server with matplotlib and a CJK font. A chart has
no title of its own: the document's caption (图1 …) below it names it, once.

A chart with missing glyphs (tofu boxes) would go into an official notice unnoticed, so no
CJK font is an error, not a fallback.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after use(): the backend must be chosen first
from matplotlib import font_manager

from pingtai.core.palette import class_colour
from pingtai.reports.fonts import FontMissing

CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Serif CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Microsoft YaHei",
)


def _first_cjk() -> str | None:
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in installed), None)


@lru_cache(maxsize=1)
def cjk_family() -> str:
    family = _first_cjk()
    if family is None:
        # matplotlib caches the font list; a font installed after the cache was built is
        # found only by rescanning.
        font_manager.fontManager = font_manager._load_fontmanager(try_read_cache=False)  # type: ignore[attr-defined]
        family = _first_cjk()
    if family is not None:
        return family
    raise FontMissing("没有找到中文字体，图表会出现方框乱码。请安装 Debian 软件包 fonts-noto-cjk。")


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    # No timestamps or software tags in the file: the same data gives the same bytes.
    fig.savefig(buffer, format="png", dpi=150, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def stacked_class_bars(groups: Sequence[str], counts: dict[str, Sequence[int]]) -> bytes:
    """Horizontal stacked bars: one bar per group, one segment per class."""
    plt.rcParams["font.family"] = cjk_family()
    plt.rcParams["axes.unicode_minus"] = False
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(groups) + 1.2))
    left = [0] * len(groups)
    for klass, values in counts.items():
        ax.barh(
            groups,
            values,
            left=left,
            color=class_colour(klass),
            label=f"{klass} 类",
        )
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel("企业数（家）")
    ax.legend(ncols=len(counts), loc="lower center", bbox_to_anchor=(0.5, -0.35), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def bars(
    labels: Sequence[str],
    values: Sequence[float],
    unit: str,
    reference: float | None = None,
    reference_label: str = "",
) -> bytes:
    """Vertical bars with an optional reference line (e.g. the city average)."""
    plt.rcParams["font.family"] = cjk_family()
    plt.rcParams["axes.unicode_minus"] = False
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.bar(labels, values, color="#b3261e")
    if reference is not None:
        ax.axhline(reference, color="#1f2d3d", linestyle="--", linewidth=1, label=reference_label)
        ax.legend(frameon=False)
    ax.set_ylabel(unit)
    ax.tick_params(axis="x", labelrotation=30)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)
