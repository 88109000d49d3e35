"""Tables laid out from their content, titles broken where the words allow, fonts by role with
a configurable list — and the document check failing on what it must catch."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from docx import Document

from pingtai.reports import fonts, layout
from pingtai.reports.documents import Notice, Section, Table
from pingtai.reports.services import render_notice
from pingtai.xlsx import Column

from .document_checks import pdf_text, split_cells


def em(text: str) -> float:
    """A stand-in for font metrics: CJK characters one em, everything else half."""
    return sum(1.0 if ord(ch) > 0x2E7F else 0.5 for ch in text)


def plan(columns, rows):
    cells = [[c.text(v) for c, v in zip(columns, row, strict=True)] for row in rows]
    return layout.plan_table("表", columns, cells, em, em), cells


def test_a_narrow_table_stays_portrait_and_every_column_holds_its_widest_cell():
    columns = [Column("县（市、区）", kind="name"), Column("企业数", unit="家", kind="integer")]
    (part,), cells = plan(columns, [["景宁畲族自治县", 1234567], ["莲都区", 3]])
    assert not part.landscape and part.size == 10.5
    assert sum(part.widths) == pytest.approx(layout.PORTRAIT.text_width)
    for i, width in enumerate(part.widths):
        assert width >= max(em(row[i]) for row in cells) * part.size + 2 * layout.CELL_PAD


def test_wider_tables_go_small_then_landscape_then_split_with_key_columns_repeated():
    name = Column("企业名称", kind="name", key=True)
    wide = [name, *[Column(f"指标{i}", unit="万元", kind="decimal") for i in range(7)]]
    row = ["丽水市某某新材料科技有限公司", *[1234567.89] * 7]
    (part,), _ = plan(wide[:5], [row[:5]])
    assert (part.landscape, part.size) in {(False, 10.5), (False, 9.0)}
    (part,), _ = plan(wide, [row])
    assert part.landscape
    very_wide = [name, *[Column(f"指标{i}", unit="万元", kind="decimal") for i in range(16)]]
    parts, _ = plan(very_wide, [["丽水市某某新材料科技有限公司", *[1234567.89] * 16]])
    assert len(parts) >= 2 and all(p.columns[0] == 0 for p in parts)  # the name repeats
    assert sorted({i for p in parts for i in p.columns}) == list(range(17))
    assert parts[1].title == "表（续一）"
    assert all(sum(p.widths) <= p.page.text_width + 0.01 for p in parts)


def test_free_text_wraps_but_a_header_breaks_only_before_its_unit():
    columns = [
        Column("平台", kind="name"),
        Column("亩均税收", unit="万元/亩", kind="decimal"),
        Column("说明", kind="text"),
    ]
    (part,), _ = plan(columns, [["丽水经开区", 12.5, "因用地面积不足三亩列为不参评企业，" * 8]])
    assert part.headers[2] == ["说明"]
    assert part.headers[1] in (["亩均税收（万元/亩）"], ["亩均税收", "（万元/亩）"])
    assert part.widths[2] < em("因用地面积不足三亩列为不参评企业，" * 8) * part.size


def test_titles_break_between_words_with_the_upper_line_longer():
    title = "关于2024年度全市工业企业亩均效益综合评价结果的通报"
    lines = layout.title_lines(title, em, layout.TITLE_SIZE, layout.PORTRAIT.text_width)
    assert lines == ["关于2024年度全市工业企业亩均效益", "综合评价结果的通报"]
    short = "关于表扬的通报"
    assert layout.title_lines(short, em, layout.TITLE_SIZE, layout.PORTRAIT.text_width) == [short]


def test_font_roles_follow_the_configured_lists(monkeypatch):
    body = fonts.resolve("body")
    assert body.word_name == "仿宋_GB2312"  # Word names the 公文 face
    assert body.families[0] in {"FandolFang R", "FandolFang", "Noto Serif CJK SC"}
    assert fonts.resolve("title").bold or "小标宋" in fonts.resolve("title").families[0]
    monkeypatch.setenv("PINGTAI_FONT_BODY", "Noto Serif CJK SC, FandolFang")
    changed = fonts.resolve("body")
    assert changed.families[0] == "Noto Serif CJK SC" and changed.word_name == "Noto Serif CJK SC"
    assert fonts.word_names()["body"] == "Noto Serif CJK SC"
    monkeypatch.setenv("PINGTAI_FONT_BODY", "不存在的字体甲, Nonexistent Font")
    with pytest.raises(fonts.FontMissing, match="PINGTAI_FONT_BODY"):
        fonts.resolve("body")


def test_a_font_is_found_by_any_of_its_names(monkeypatch):
    # FandolFang's name table calls it both "FandolFang" and "FandolFang R".
    monkeypatch.setenv("PINGTAI_FONT_SUBHEADING", "fandolfang")
    assert fonts.resolve("subheading").fonts[0].path.endswith("FandolFang-Regular.otf")


def test_the_check_catches_a_number_or_name_split_across_lines():
    notice = Notice(
        issuer="办公室",
        title="通报",
        recipients="各单位",
        as_of=dt.datetime(2025, 1, 6, 9),
        sections=[
            Section(
                "情况",
                tables=[
                    Table(
                        "表1",
                        [Column("平台", kind="name"), Column("得分", kind="decimal")],
                        [["丽水经开区", 88.71]],
                    )
                ],
            )
        ],
    )
    assert split_cells(notice, "平台 得分\n丽水经开区 88.71\n") == []
    assert split_cells(notice, "丽水经开区 88.7\n1\n") == ["88.71"]
    assert split_cells(notice, "丽水/经开\n区 88.71\n") == ["丽水经开区"]


def _filled(paragraphs: int, tables=()) -> Notice:
    """A short notice whose body grows one line at a time, so that its end (a table, the
    closing paragraph) meets the foot of a page at some length."""
    return Notice(
        issuer="丽水市开发区（园区）整合提升工作领导小组办公室",
        title="关于版面检查的通报",
        recipients="各平台管委会",
        sections=[
            Section("总体情况", [f"第{i + 1}段正文。" for i in range(paragraphs)], list(tables)),
            Section("工作要求", ["请认真抓好落实。"]),
        ],
        as_of=dt.datetime(2026, 3, 2, 9),
        number="丽开整办〔2026〕1号",
        date=dt.date(2026, 3, 2),
    )


def _pages(notice: Notice) -> list[list[str]]:
    """Each page's text lines without its page number."""
    text = pdf_text(render_notice(notice, "pdf"))
    return [
        [line for line in page.splitlines() if line.strip() and not PAGE_NUMBER.fullmatch(line)]
        for page in text.split("\f")
    ]


PAGE_NUMBER = re.compile(r"\s*—\s*\d+\s*—\s*")


def test_the_office_and_date_never_stand_on_a_page_without_body_text():
    # GB/T 9704 §7.3.5: the 成文日期 shares its page with the end of the body.
    for paragraphs in range(6, 30):
        pages = _pages(_filled(paragraphs))
        closing = next(p for p in pages if any("请认真抓好落实" in line for line in p))
        signed = [line for line in closing if re.search(r"2026年3月2日(?!印发)", line)]
        assert signed, f"{paragraphs} paragraphs: the date went to the next page"


def test_a_table_title_never_ends_a_page():
    table = Table(
        "表1 版面检查表",
        [Column("名称", kind="name"), Column("企业数", unit="家", kind="integer")],
        [["莲都区", 12], ["青田县", 3]],
    )
    for paragraphs in range(6, 30):
        for page in filter(None, _pages(_filled(paragraphs, [table]))):
            assert "表1 版面检查表" not in page[-1], f"{paragraphs} paragraphs"


def test_word_keeps_headings_table_titles_and_the_closing_paragraph_with_what_follows():
    table = Table(
        "表1 版面检查表",
        [Column("名称", kind="name"), Column("企业数", unit="家", kind="integer")],
        [["莲都区", 12]],
    )
    doc = Document(io.BytesIO(render_notice(_filled(3, [table]), "docx")))
    kept = {p.text for p in doc.paragraphs if p.paragraph_format.keep_with_next}
    assert {"一、总体情况", "表1 版面检查表", "请认真抓好落实。"} <= kept
    assert "第1段正文。" not in kept


def test_a_chart_has_no_title_of_its_own_the_caption_names_it(monkeypatch):
    from matplotlib.axes import Axes

    from pingtai.reports import charts

    def no_title(self, *args, **kwargs):
        raise AssertionError("a chart title repeats the caption 图1 … below it")

    monkeypatch.setattr(Axes, "set_title", no_title)
    assert charts.bars(["丽水经开区", "莲都经开区"], [9.77, 13.62], "万元/亩", 8.0, "全市平均")
    assert charts.stacked_class_bars(["莲都区", "青田县"], {"A": [3, 1], "B": [5, 2]})
