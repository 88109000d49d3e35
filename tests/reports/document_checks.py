"""The document check: what an official would catch before signing a notice.

- every number and every name of every table is printed whole (pdftotext finds it intact);
- every font is embedded, and the body and title are set in the 公文 faces chosen for them
  (pdffonts);
- no two issued documents share a 文号, and each 文号's year is the year of issue;
- the body names no hash, method identifier, file name or code.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from pingtai.reports import fonts
from pingtai.reports.documents import Notice


def _poppler(tool: str, pdf: bytes, *args: str) -> str:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is missing: run scripts/install-browser.sh (poppler-utils)")
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "notice.pdf"
        path.write_bytes(pdf)
        return subprocess.run(
            [tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
            capture_output=True,
            text=True,
            check=True,
        ).stdout


def pdf_text(pdf: bytes) -> str:
    return _poppler("pdftotext", pdf, "-layout")


def split_cells(notice: Notice, text: str) -> list[str]:
    """Cells of non-wrapping columns (numbers, names, codes) that the PDF does not print whole
    on one line."""
    broken = []
    for table in notice.tables:
        for row in table.cells():
            for column, cell in zip(table.columns, row, strict=True):
                if column.kind != "text" and cell not in text:
                    broken.append(cell)
    return broken


def assert_every_cell_intact(notice: Notice, text: str) -> None:
    broken = split_cells(notice, text)
    assert not broken, f"{len(broken)} cells broken across lines, e.g. {broken[:5]}"


def embedded_fonts(pdf: bytes) -> list[tuple[str, bool]]:
    """(font name, embedded) for every font of the PDF."""
    lines = _poppler("pdffonts", pdf).splitlines()[2:]
    out = []
    for line in lines:
        parts = line.split()
        # name type... encoding emb sub uni object ID: 'emb' is the 5th field from the end.
        out.append((parts[0], parts[-5] == "yes"))
    return out


def _postscript_name(font: fonts.InstalledFont) -> str:
    from fontTools.ttLib import TTFont

    return TTFont(font.path, fontNumber=font.index, lazy=True)["name"].getDebugName(6)


def assert_fonts_embedded(pdf: bytes) -> None:
    found = embedded_fonts(pdf)
    assert found, "no fonts in the PDF"
    assert all(embedded for _, embedded in found), f"fonts not embedded: {found}"
    names = " ".join(name for name, _ in found)
    for role in ("body", "title", "heading"):
        chosen = fonts.resolve(role).fonts[0]
        assert _postscript_name(chosen) in names, f"{role} font {chosen.family} missing: {names}"


def assert_numbers_unique() -> None:
    from pingtai.reports.models import IssuedDocument

    seen: dict[str, int] = {}
    for document in IssuedDocument.objects.exclude(number=""):
        assert document.number not in seen, f"文号 {document.number} issued twice"
        seen[document.number] = document.pk
        assert f"〔{document.issued_on.year}〕" in document.number, document.number


_HASH = re.compile(r"\b(?=[0-9a-f]*[a-f])[0-9a-f]{12,}\b|\b[0-9a-f]{32,}\b")
# 统一社会信用代码 are codes an official's list rightly prints (GB 32100: 18 characters).
_USCC = re.compile(r"\b[0-9A-Z]{18}\b")
_WORD = re.compile(r"[A-Za-z][A-Za-z_\-]{2,}")
# Latin words an official's text may hold: none so far (class letters are single letters).
ALLOWED_WORDS: set[str] = set()


def assert_body_free_of_codes(text: str, run) -> None:
    assert not _HASH.search(text), _HASH.search(text)
    for code in (run.method_id, run.input_hash[:8], run.result_hash[:8], ".toml", ".csv"):
        assert code not in text, code
    words = set(_WORD.findall(_USCC.sub("", text))) - ALLOWED_WORDS
    assert not words, f"English or code words in the body: {sorted(words)[:10]}"
