"""The PDF of a notice, typeset directly by Typst (the ``typst`` package) from the same data
and the same table plan as the Word file: no office suite, about half a second for a
fifteen-page notice once the fonts are indexed (docs/notices.md, "PDF"). No Django here.

The fonts are embedded as subsets. Same notice, same bytes: the creation time written into
the file is the notice's own (``Notice.stamp``) and Typst writes nothing else that varies.
"""

from __future__ import annotations

import json
import tempfile
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from pingtai.core.dates import CHINA_TIME
from pingtai.reports import documents, fonts, layout
from pingtai.reports.documents import Notice


class PdfFailed(RuntimeError):
    """Typst refused the document; the message is for the log, not the official."""


@cache
def _template() -> bytes:
    return files("pingtai.reports").joinpath("notice.typ").read_bytes()


def data(notice: Notice, charts: list[str]) -> dict[str, Any]:
    """The notice as the template reads it; ``charts`` are the chart files' names."""
    roles = fonts.resolve_all()
    the_mark = documents.mark(notice.issuer)
    sign = documents.signature(notice.issuer, notice.date_text)
    chart_files = iter(charts)
    page, wide = layout.PORTRAIT, layout.LANDSCAPE
    return {
        "meta": {
            "title": notice.title,
            "author": notice.issuer,
            "description": notice.provenance_text(),
            "keywords": [
                k
                for k in (notice.kind, notice.number, "演示数据（合成）" if notice.demo else "")
                if k
            ],
            "date": list(notice.stamp.timetuple()[:3]),
        },
        "fonts": {
            role: {"families": resolved.families, "bold": resolved.bold}
            for role, resolved in roles.items()
        },
        "geometry": {
            "top": page.top,
            "bottom": page.bottom,
            "left": page.left,
            "right": page.right,
            "pitch": layout.LINE_PITCH,
            "body": layout.BODY_SIZE,
            "title": layout.TITLE_SIZE,
            "title_leading": layout.TITLE_SIZE * 0.5,
            "numeral": layout.NUMERAL_SIZE,
            "table_title": layout.NUMERAL_SIZE,
            "caption": layout.NUMERAL_SIZE,
            "cell_pad": layout.CELL_PAD,
            "mark_drop": documents.MARK_DROP,
        },
        "landscape": {
            "top": wide.top,
            "bottom": wide.bottom,
            "left": wide.left,
            "right": wide.right,
        },
        "mark": {"text": notice.issuer, "size": the_mark.size, "scale": the_mark.scale},
        "number": notice.number,
        "draft_label": documents.DRAFT_LABEL if notice.is_draft else "",
        "title": documents.title_lines(notice.title),
        "recipients": notice.recipients,
        "sections": [
            {
                "heading": f"{documents.NUMERALS[i]}、{section.heading}",
                "paragraphs": section.paragraphs,
                "charts": [{"title": c.title, "file": next(chart_files)} for c in section.charts],
                "table_runs": _table_runs(section.tables),
            }
            for i, section in enumerate(notice.sections)
        ],
        "signature": {
            "issuer": notice.issuer,
            "date": notice.date_text,
            "issuer_at": sign.issuer_at,
            "date_at": sign.date_at,
        },
        "annotation": notice.annotation,
        "record": {
            "copy_to": notice.copy_to,
            "printer": notice.issuer,
            "printed_on": documents.record_date(notice),
            "one_line": documents.record_fits(notice),
        },
    }


def _table_runs(tables: list[documents.Table]) -> list[dict[str, Any]]:
    """The section's table parts (and notes) grouped into runs of the same orientation, so
    that consecutive landscape tables share landscape pages instead of one page each."""
    runs: list[dict[str, Any]] = []
    for table in tables:
        printed = table.cells()
        for part in documents.plan(table):
            item = {
                "title": part.title,
                "size": part.size,
                "widths": part.widths,
                "headers": part.headers,
                "aligns": [documents.align_of(table.columns[i]) for i in part.columns],
                "rows": [[row[i] for i in part.columns] for row in printed],
            }
            if not runs or runs[-1]["landscape"] != part.landscape:
                runs.append({"landscape": part.landscape, "items": []})
            runs[-1]["items"].append({"part": item})
        if table.note:
            runs[-1]["items"].append({"note": table.note})
    return runs


def render_pdf(notice: Notice) -> bytes:
    import typst

    with tempfile.TemporaryDirectory(prefix="pingtai-notice-") as work:
        names = []
        for n, chart in enumerate(c for s in notice.sections for c in s.charts):
            name = f"chart{n + 1}.png"
            Path(work, name).write_bytes(chart.png)
            names.append(name)
        payload = json.dumps(data(notice, names), ensure_ascii=False)
        compiler = typst.Compiler(
            _template(), root=work, font_paths=fonts.font_book(tuple(fonts.font_dirs()))
        )
        try:
            pdf = compiler.compile(
                format="pdf",
                sys_inputs={"notice": payload},
                timestamp=notice.stamp.replace(tzinfo=CHINA_TIME),
            )
        except typst.TypstError as failure:
            raise PdfFailed(f"{failure.message}\n{failure.diagnostic}") from failure
    assert isinstance(pdf, bytes)
    return pdf
