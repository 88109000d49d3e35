"""What a page must not show a person: identifiers, English, bare numbers, empty markers.

The rules read the text a reader sees (``innerText`` in the browser) and the data tables
(header and cell text); they are pure Python so that a crawl with Django's test client and
the Chromium test apply the same rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "pingtai"

# Words and abbreviations an official reads every day; everything else in Latin letters is
# an identifier or English that needs a Chinese word.
ALLOWED_LATIN = {
    "excel",
    "word",
    "pdf",
    "xlsx",
    "docx",
    "csv",
    "km",
    "kwh",
    "gb",
    "co",
    "gdp",
    "id",
    "app",
    "ms",
    "ok",
    "q",
    "a",
    "b",
    "c",
    "d",
    "t",
    "i",
    "ii",
    "iii",
    "iv",
    "v",
    # 国家统计局's own term (R&D经费), and the authenticator apps named on the 两步验证 page.
    "r",
    "freeotp",
    "google",
    "authenticator",
    "png",
    "jpeg",
    "jpg",
}
# Elements that show an identifier on purpose: login names and one-time passwords on the user
# administration page, the closed 核验信息 box of a run (fingerprints for a reviewer).
SKIPPED_SELECTORS = (".login-name", ".provenance")
EMPTY_MARKERS = re.compile(r"(?<![A-Za-z])(None|nan|NaN|null|undefined|NaT)(?![A-Za-z])")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*")
# Codes people use as they are: 统一社会信用代码 (GB 32100-2015), GB/T 4754 industry codes,
# spreadsheet cell references, standard numbers (GB/T 9704-2012).
ALLOWED_CODES = re.compile(
    r"\b[0-9A-HJ-NPQRTUWXY]{18}\b|\b[A-T]\d{2,4}\b|\b[A-Z]{1,3}\d{1,7}\b|GB/T|GB\s?\d+"
)
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
KEBAB = re.compile(r"\b[a-z]+(?:-[a-z0-9]+){2,}\b")
PLATFORM_CODE = re.compile(r"\bLS\d{2}\b")
# 6-digit administrative division codes of Zhejiang (33xxxx) shown without a name.
COUNTY_CODE = re.compile(r"(?<![\d.,])33\d{4}(?![\d.,])")
NUMBER_CELL = re.compile(r"^[-+−]?\d[\d,]*(\.\d+)?$")
UNIT_IN_HEADER = re.compile(
    r"[元亩%％家个人名次天年月日分吨度户项条米顷件批期季位倍率比值数]|km|kWh|tce|（|\("
)


@dataclass(frozen=True)
class Finding:
    url: str
    rule: str
    text: str

    def __str__(self) -> str:
        return f"{self.url} [{self.rule}] {self.text}"


@cache
def identifiers() -> frozenset[str]:
    """Method, rule and form identifiers as stored in the data files."""
    found: set[str] = set()
    for path in list((SRC / "methods").glob("*.toml")) + list(SRC.glob("*/rules/*.toml")):
        found.add(path.stem)
    forms = (SRC / "catalogue" / "forms.toml").read_text(encoding="utf-8")
    found.update(re.findall(r'^code = "([a-z_0-9]+)"', forms, flags=re.M))
    return frozenset(found)


def _context(text: str, start: int, end: int) -> str:
    return text[max(0, start - 20) : end + 20].replace("\n", " ")


def check_text(url: str, text: str) -> list[Finding]:
    found: list[Finding] = []
    for rule, pattern in (
        ("空值", EMPTY_MARKERS),
        ("平台代码", PLATFORM_CODE),
        ("行政区划代码", COUNTY_CODE),
        ("标识符", SNAKE),
        ("标识符", KEBAB),
    ):
        for m in pattern.finditer(text):
            found.append(Finding(url, rule, _context(text, m.start(), m.end())))
    ids = identifiers()
    text = ALLOWED_CODES.sub(lambda m: " " * len(m.group(0)), text)
    for m in LATIN_WORD.finditer(text):
        word = m.group(0)
        if word in ids:
            found.append(Finding(url, "标识符", _context(text, m.start(), m.end())))
        elif word.lower() not in ALLOWED_LATIN and not SNAKE.fullmatch(word):
            found.append(Finding(url, "英文", f"{word}｜{_context(text, m.start(), m.end())}"))
    return found


def check_cells(url: str, cells: list[tuple[str, str]]) -> list[Finding]:
    """``cells``: (headers, text) of every data-table cell, the headers being the column's and
    the row's header text; a bare number needs its unit in one of them."""
    found: list[Finding] = []
    for header, raw in cells:
        cell = raw.strip()
        if not NUMBER_CELL.match(cell) or "代码" in header:
            continue
        if not UNIT_IN_HEADER.search(header):
            found.append(Finding(url, "数字无单位", f"{header.strip() or '（无表头）'}：{cell}"))
    return found
