"""Page geometry of GB/T 9704-2012 and tables laid out from their content.

A table's columns get the width their widest cell needs, measured with the fonts that will
print it, so that a number or a name never breaks inside a cell. A table too wide for the
portrait page goes on a landscape page; one too wide for that is split into parts, each
repeating the key columns (序号, 名称). Free-text columns (说明) are the only ones that wrap.
Word and PDF use the same plan. No Django here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pingtai.xlsx.export import Column

MM = 72 / 25.4  # points per millimetre


@dataclass(frozen=True)
class Page:
    width: float  # pt
    height: float
    top: float
    bottom: float
    left: float
    right: float

    @property
    def text_width(self) -> float:
        return self.width - self.left - self.right


# A4; 版心 156 mm × 225 mm, 天头 37 mm, 订口 28 mm (GB/T 9704-2012 §5.2.1–5.2.2).
PORTRAIT = Page(210 * MM, 297 * MM, 37 * MM, 35 * MM, 28 * MM, 26 * MM)
# A landscape table page turns the same 版心 by a quarter.
LANDSCAPE = Page(297 * MM, 210 * MM, 28 * MM, 26 * MM, 37 * MM, 35 * MM)

BODY_SIZE = 16.0  # 三号
TITLE_SIZE = 22.0  # 二号
NUMERAL_SIZE = 14.0  # 四号 (page numbers, 版记)
# 22 lines of 28 characters on a page: the line pitch is the 版心 height over 22.
LINE_PITCH = 225 * MM / 22
# Tables are set in 五号; a table too wide for a landscape page at that size tries 小五
# before it is split into parts.
TABLE_SIZES = (10.5, 9.0)
CELL_PAD = 4.0  # left and right inset of a table cell
# Widths are measured without kerning and shaping; the margin absorbs what a renderer adds.
SAFETY = 2.0
# A free-text column is at least this many characters wide.
TEXT_MIN_CHARS = 6

Measure = Callable[[str], float]  # text → width in em (points at a size of 1 pt)


@dataclass(frozen=True)
class TablePart:
    title: str
    columns: list[int]  # indices into the table's columns
    widths: list[float]  # points, one per column, summing to the page's text width
    headers: list[list[str]]  # each header as its lines
    landscape: bool
    size: float  # font size of the table, points

    @property
    def page(self) -> Page:
        return LANDSCAPE if self.landscape else PORTRAIT


def wraps(column: Column) -> bool:
    return column.kind == "text"


def _header_lines(header: str) -> list[str]:
    """A header may break only before its parenthesis: 亩均税收 / （万元/亩）."""
    at = header.find("（")
    return [header[:at], header[at:]] if at > 0 else [header]


@dataclass(frozen=True)
class _Need:
    least: float  # narrower than this, something breaks
    natural: float  # everything on one line, header included
    header: float  # the header on one line


def _needs(
    column: Column, cells: Sequence[str], measure: Measure, measure_header: Measure, size: float
) -> _Need:
    pad = 2 * CELL_PAD + SAFETY
    header_least = max(measure_header(line) for line in _header_lines(column.title)) * size + pad
    header_full = measure_header(column.title) * size + pad
    widest = max((measure(text) for text in cells), default=0.0) * size + pad
    if wraps(column):
        char = measure("国") * size
        longest_token = max((measure(t) for text in cells for t in _tokens(text)), default=0.0)
        least = max(header_least, longest_token * size + pad, TEXT_MIN_CHARS * char + pad)
        return _Need(least, max(least, widest, header_full), header_full)
    least = max(header_least, widest)
    return _Need(least, max(least, header_full), header_full)


def _tokens(text: str) -> list[str]:
    """Runs that cannot break in free text: Latin letters and digits stay together."""
    tokens, run = [], ""
    for ch in text:
        if ch.isascii() and not ch.isspace():
            run += ch
            continue
        if run:
            tokens.append(run)
            run = ""
        if not ch.isspace():
            tokens.append(ch)
    if run:
        tokens.append(run)
    return tokens


def plan_table(
    title: str,
    columns: Sequence[Column],
    cells: Sequence[Sequence[str]],
    measure: Measure,
    measure_header: Measure,
) -> list[TablePart]:
    """Widths, orientation, font size and (for very wide tables) the column split of one
    table: portrait if it fits (in 五号, else 小五), else landscape (likewise), else split."""
    everything = list(range(len(columns)))
    by_size = {
        size: [
            _needs(c, [row[i] for row in cells], measure, measure_header, size)
            for i, c in enumerate(columns)
        ]
        for size in TABLE_SIZES
    }
    for size, page, landscape in (
        (TABLE_SIZES[0], PORTRAIT, False),
        (TABLE_SIZES[1], PORTRAIT, False),
        (TABLE_SIZES[0], LANDSCAPE, True),
        (TABLE_SIZES[1], LANDSCAPE, True),
    ):
        if sum(by_size[size][i].least for i in everything) <= page.text_width:
            return [_part(title, columns, everything, by_size[size], landscape, size)]
    size = TABLE_SIZES[-1]
    needs = by_size[size]
    keys = [i for i, c in enumerate(columns) if c.key]
    groups: list[list[int]] = []
    room = LANDSCAPE.text_width - sum(needs[i].least for i in keys)
    current: list[int] = []
    for i in everything:
        if i in keys:
            continue
        if current and sum(needs[j].least for j in current) + needs[i].least > room:
            groups.append(current)
            current = []
        current.append(i)
    groups.append(current)
    parts = []
    for n, group in enumerate(groups):
        indices = sorted(keys + group)
        fits_portrait = sum(needs[i].least for i in indices) <= PORTRAIT.text_width
        name = title if n == 0 else f"{title}（续{_chinese(n)}）"
        parts.append(_part(name, columns, indices, needs, not fits_portrait, size))
    return parts


def _part(
    title: str,
    columns: Sequence[Column],
    indices: list[int],
    needs: list[_Need],
    landscape: bool,
    size: float,
) -> TablePart:
    """Give each column what it needs, then share the rest of the line: first the other
    columns up to their natural width (headers on one line), then free text up to its
    natural width (fewer wrapped lines), then everything in proportion."""
    available = (LANDSCAPE if landscape else PORTRAIT).text_width
    widths = {i: needs[i].least for i in indices}
    for free_text in (False, True):
        spare = available - sum(widths.values())
        wants = {
            i: needs[i].natural - widths[i]
            for i in indices
            if wraps(columns[i]) == free_text and needs[i].natural > widths[i]
        }
        if spare > 0 and wants:
            share = min(1.0, spare / sum(wants.values()))
            for i, want in wants.items():
                widths[i] += want * share
    spare = available - sum(widths.values())
    if spare > 0:
        total = sum(widths.values())
        widths = {i: w + spare * w / total for i, w in widths.items()}
    ordered = [widths[i] for i in indices]
    headers = [
        [columns[i].title] if width >= needs[i].header else _header_lines(columns[i].title)
        for i, width in zip(indices, ordered, strict=True)
    ]
    return TablePart(title, indices, ordered, headers, landscape, size)


def title_lines(title: str, measure: Measure, size: float, width: float) -> list[str]:
    """A title too long for one line breaks where the words allow, the first line the longer
    (GB/T 9704 §7.3.1: 回行时要做到词意完整，排列对称). Breaks are tried before the words a
    notice's title is made of; without one, the renderer breaks it."""
    if measure(title) * size <= width:
        return [title]
    best: tuple[float, int] | None = None
    for word in _TITLE_BREAKS:
        at = title.find(word, 1)
        while at > 0:
            first, second = title[:at], title[at:]
            if measure(first) * size <= width and measure(second) * size <= width:
                balance = measure(first) - measure(second)
                # A trapezoid, the upper line the longer, unless no break allows it.
                score = abs(balance) + (0 if balance >= 0 else 100)
                if best is None or score < best[0]:
                    best = (score, at)
            at = title.find(word, at + 1)
    return [title] if best is None else [title[: best[1]], title[best[1] :]]


_TITLE_BREAKS = (
    "综合",
    "评价",
    "结果",
    "情况",
    "的通报",
    "工作",
    "年终",
    "年中",
    "季度比评",
    "考核",
    "督查",
    "重大",
)


def _chinese(n: int) -> str:
    return "一二三四五六七八九十"[n - 1] if 1 <= n <= 10 else str(n)
