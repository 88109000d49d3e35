"""The corpus of hostile and broken files (docs/standards.md §5): each is refused or read
cleanly, with a specific Chinese message, in bounded time and memory."""

from __future__ import annotations

import io
import subprocess
import sys
import time
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from pingtai.xlsx import Limits, RefusedFile, read_upload
from pingtai.xlsx.guard import CFB_MAGIC, inspect
from pingtai.xlsx.marker import DATA_SHEET

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">
<si><t>&lol3;</t></si></sst>"""


def refused(data: bytes, reason: str, words: str, limits: Limits | None = None) -> RefusedFile:
    start = time.perf_counter()
    with pytest.raises(RefusedFile) as caught:
        read_upload(data, limits=limits)
    assert time.perf_counter() - start < 10
    assert caught.value.reason == reason, caught.value.message
    assert words in caught.value.message
    return caught.value


def test_zip_bomb_is_refused_before_parsing(kit):
    data = kit.bomb(64 * 2**20)
    assert len(data) < 1_000_000
    refused(data, "zip_bomb", "压缩炸弹")


def test_total_uncompressed_cap(kit):
    refused(kit.enterprise_upload(), "zip_bomb", "体积异常", Limits(max_total_uncompressed=20_000))


def test_lying_size_header_is_caught(kit):
    """An entry that declares a small size but inflates further fails its CRC: corrupt."""
    data = bytearray(kit.bomb(4 * 2**20))
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = archive.getinfo(kit.SHEET)
    real = info.file_size.to_bytes(4, "little")
    fake = (2000).to_bytes(4, "little")
    # uncompressed-size fields of the local header and the central directory entry
    patched = bytes(data).replace(
        info.compress_size.to_bytes(4, "little") + real,
        info.compress_size.to_bytes(4, "little") + fake,
    )
    assert patched != bytes(data)
    refused(patched, "corrupt", "已损坏")


def test_billion_laughs_shared_strings(kit):
    data = kit.rezip(kit.enterprise_upload(), add={"xl/sharedStrings.xml": BILLION_LAUGHS})
    refused(data, "xml_entity", "实体声明")


def test_xxe_entity_to_a_local_file(kit):
    def xxe(xml: bytes) -> bytes:
        head = b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        return head + xml.replace(b"<v>10</v>", b"<v>&x;</v>")

    refused(kit.edit_sheet(kit.enterprise_upload(), xxe), "xml_entity", "攻击")


def test_utf16_part_is_refused(kit):
    def utf16(xml: bytes) -> bytes:
        return xml.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")

    refused(kit.edit_sheet(kit.enterprise_upload(), utf16), "xml_encoding", "UTF-8")


def test_million_row_sheet(kit):
    data = kit.with_rows_beyond(kit.enterprise_upload(), 1_048_576)
    refused(data, "too_many_rows", "1048576 行")


def test_row_cap_is_configurable(kit):
    refused(kit.enterprise_upload(5), "too_many_rows", "上限", Limits(max_rows=3))


def test_far_column_is_refused(kit):
    refused(
        kit.with_rows_beyond(kit.enterprise_upload(), 10, "XFD"), "too_many_columns", "列的上限"
    )
    refused(kit.with_rows_beyond(kit.enterprise_upload(), 10, "CW"), "too_many_columns", "100列")


def test_cells_without_reference_are_refused(kit):
    data = kit.edit_sheet(kit.enterprise_upload(), lambda x: x.replace(b'<c r="F5"', b"<c"))
    refused(data, "cell_without_reference", "另存为")


@pytest.mark.parametrize("ref", ["A1:XFD1048576", "A1:A1", "B7:C9"])
def test_wrong_dimension_is_ignored(kit, ref):
    outcome = read_upload(kit.set_dimension(kit.enterprise_upload(), ref))
    assert outcome.ok and len(outcome.rows) == 3


def test_xls_renamed(kit):
    refused(CFB_MAGIC + b"\0" * 2000, "xls", "97-2003")


def test_encrypted_workbook(kit):
    ole = CFB_MAGIC + b"\0" * 500 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 500
    refused(ole, "encrypted", "加密")


@pytest.mark.parametrize(
    "content, reason, words",
    [
        ("统一社会信用代码,企业名称\n913311001484116584,甲\n".encode(), "csv", "CSV"),
        ("统一社会信用代码,企业名称\n".encode("gb18030"), "csv", "CSV"),
        (b"<html><table><tr><td>1</td></tr></table></html>", "html", "网页"),
        (bytes(range(256)) * 4, "not_xlsx", "不是有效"),
        (b"", "empty", "为空"),
        (b"PK\x03\x04" + b"\0" * 100, "corrupt", "已损坏"),
    ],
)
def test_not_an_xlsx(content, reason, words):
    refused(content, reason, words)


def test_truncated_upload(kit):
    data = kit.enterprise_upload()
    refused(data[: len(data) // 2], "corrupt", "已损坏")


def test_file_size_cap(kit):
    refused(kit.enterprise_upload(), "file_too_large", "超过上限", Limits(max_file_bytes=1000))


def test_xlsm_with_macros(kit):
    data = kit.rezip(kit.enterprise_upload(), add={"xl/vbaProject.bin": b"\xd0\xcf" + b"\0" * 64})
    refused(data, "macro", "宏")
    parts = kit.parts_of(kit.enterprise_upload())
    types = parts["[Content_Types].xml"].replace(
        b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml"
    )
    refused(
        kit.rezip(kit.enterprise_upload(), replace={"[Content_Types].xml": types}), "macro", "宏"
    )


def test_external_links_embedded_objects_and_nested_archives(kit):
    good = kit.enterprise_upload()
    refused(
        kit.rezip(good, add={"xl/externalLinks/externalLink1.xml": b"<externalLink/>"}),
        "external_link",
        "外部链接",
    )
    refused(kit.rezip(good, add={"xl/embeddings/oleObject1.bin": b"x"}), "embedded_object", "嵌入")
    refused(kit.rezip(good, add={"xl/media/inner.zip": b"x"}), "nested_archive", "压缩包")
    refused(
        kit.rezip(good, add={"xl/media/image1.png": b"PK\x03\x04rest"}), "nested_archive", "压缩包"
    )


def test_printer_settings_part_is_accepted(kit):
    data = kit.rezip(
        kit.enterprise_upload(),
        add={"xl/printerSettings/printerSettings1.bin": "HP LaserJet".encode("utf-16-le")},
    )
    assert read_upload(data).ok


def test_duplicate_entry_names(kit):
    good = kit.enterprise_upload()
    with pytest.warns(UserWarning):
        data = kit.rezip(good, add={kit.SHEET: kit.parts_of(good)[kit.SHEET]})
    refused(data, "duplicate_entry", "重名")


def test_merged_header_cells(kit):
    data = kit.fill(
        kit.template_bytes("platform_enterprises", "2025"),
        kit.enterprise_rows(1),
        edit=lambda wb: wb[DATA_SHEET].merge_cells("B1:C1"),
    )
    (issue,) = read_upload(data).errors
    assert issue.rule == "header" and "表头有合并单元格：B1" in issue.message


def test_merged_data_cells(kit):
    data = kit.fill(
        kit.template_bytes("platform_enterprises", "2025"),
        kit.enterprise_rows(3),
        edit=lambda wb: wb[DATA_SHEET].merge_cells("E3:E5"),
    )
    outcome = read_upload(data)
    merged = [e for e in outcome.errors if e.rule == "merged"]
    assert [(e.cell, e.message) for e in merged] == [("E3", "数据区有合并单元格 E3:E5")]
    assert not outcome.rows


def test_formula_without_cached_value(kit):
    rows = kit.enterprise_rows(2)
    rows[1]["land_area"] = "=F3*2"
    outcome = read_upload(kit.fill(kit.template_bytes("platform_enterprises", "2025"), rows))
    assert [(e.cell, e.column, e.rule) for e in outcome.errors if e.rule == "formula"] == [
        ("F4", "用地面积", "formula")
    ]
    assert "选择性粘贴" in outcome.errors[0].hint


def test_formula_with_cached_value_is_read(kit):
    def cache(xml: bytes) -> bytes:
        return xml.replace(b'<c r="F4" t="n"><v>11</v></c>', b'<c r="F4"><f>F3+1</f><v>11</v></c>')

    data = kit.edit_sheet(kit.enterprise_upload(), cache)
    assert b"<f>F3+1</f>" in kit.parts_of(data)[kit.SHEET]
    outcome = read_upload(data)
    assert outcome.ok and outcome.rows[1].values["land_area"] == Decimal(11)


def test_cached_formula_noise_reads_as_excel_shows_it(kit):
    def noisy(xml: bytes) -> bytes:
        return xml.replace(
            b'<c r="F4" t="n"><v>11</v></c>',
            b'<c r="F4"><f>0.1+0.2</f><v>0.30000000000000004</v></c>',
        )

    outcome = read_upload(kit.edit_sheet(kit.enterprise_upload(), noisy))
    assert outcome.ok
    assert outcome.rows[1].values["land_area"] == Decimal("0.3")
    assert outcome.rows[1].raw["land_area"] == "0.3"


def test_1904_date_system(kit):
    def mac(wb: openpyxl.Workbook) -> None:
        wb.epoch = CALENDAR_MAC_1904

    data = kit.fill(
        kit.template_bytes("platform_enterprises", "2025"), kit.enterprise_rows(1), edit=mac
    )
    refused(data, "date1904", "1904")


def test_full_width_digits_and_ideographic_spaces_in_codes_are_accepted(kit):
    rows = kit.enterprise_rows(1)
    rows[0].update(
        uscc="\u3000９１３３１１００１４８４１１６５８４\u3000",
        county_code="３３１１０２",
        industry_code="\u3000Ｃ３４８４",
    )
    outcome = read_upload(kit.fill(kit.template_bytes("platform_enterprises", "2025"), rows))
    assert outcome.ok
    values = outcome.rows[0].values
    assert (values["uscc"], values["county_code"], values["industry_code"]) == (
        "913311001484116584",
        "331102",
        "C3484",
    )


def test_hyperlink_formula_text_in_a_name_is_accepted_as_text(kit):
    rows = kit.enterprise_rows(1)
    rows[0]["enterprise_name"] = '=HYPERLINK("http://evil.example","点我")'
    data = kit.fill(kit.template_bytes("platform_enterprises", "2025"), rows)
    # openpyxl (like a hostile producer) stores it as a formula without a value: refused per cell.
    assert [e.rule for e in read_upload(data).errors] == ["formula"]
    text = kit.fill(kit.template_bytes("platform_enterprises", "2025", prefill=rows), [])
    outcome = read_upload(text)
    assert outcome.ok and outcome.rows[0].values["enterprise_name"].startswith("=HYPERLINK(")


def test_hidden_sheet_with_data(kit):
    def hide(wb: openpyxl.Workbook) -> None:
        ws = wb.create_sheet("备用")
        ws["A1"] = 5
        ws.sheet_state = "hidden"

    data = kit.fill(
        kit.template_bytes("platform_enterprises", "2025"), kit.enterprise_rows(1), edit=hide
    )
    refused(data, "hidden_sheet", "隐藏的工作表“备用”")


def test_extra_sheets(kit):
    def extra(wb: openpyxl.Workbook) -> None:
        wb.create_sheet("空表")
        wb.create_sheet("草稿")["B2"] = "临时"

    data = kit.fill(
        kit.template_bytes("platform_enterprises", "2025"), kit.enterprise_rows(1), edit=extra
    )
    refused(data, "extra_sheet", "草稿")
    empty = kit.fill(
        kit.template_bytes("platform_enterprises", "2025"),
        kit.enterprise_rows(1),
        edit=lambda wb: wb.create_sheet("空表"),
    )
    assert read_upload(empty).ok


def test_hidden_data_sheet_and_missing_data_sheet(kit):
    def hide(wb: openpyxl.Workbook) -> None:
        wb[DATA_SHEET].sheet_state = "hidden"

    refused(
        kit.fill(
            kit.template_bytes("platform_enterprises", "2025"), kit.enterprise_rows(1), edit=hide
        ),
        "hidden_sheet",
        "被隐藏",
    )
    refused(
        kit.fill(
            kit.template_bytes("platform_enterprises", "2025"),
            [],
            edit=lambda wb: setattr(wb[DATA_SHEET], "title", "Sheet1"),
        ),
        "no_data_sheet",
        "没有“数据”工作表",
    )


def test_plain_workbook_without_marker():
    wb = openpyxl.Workbook()
    wb.active["A1"] = "统一社会信用代码"
    out = io.BytesIO()
    wb.save(out)
    refused(out.getvalue(), "marker_missing", "没有本系统模板的标记")


def test_guard_alone_returns_only_inspected_parts(kit):
    package = inspect(kit.enterprise_upload())
    assert "xl/workbook.xml" in package.parts and package.binary_names == ()
    rebuilt = zipfile.ZipFile(io.BytesIO(package.rebuilt()))
    assert set(rebuilt.namelist()) == set(package.parts)


_MEMORY_PROBE = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20))
sys.path[:0] = {paths!r}
from pingtai.xlsx import RefusedFile, read_upload
data = open(sys.argv[1], "rb").read()
try:
    read_upload(data)
    print("outcome")
except RefusedFile as exc:
    print(exc.reason)
"""


@pytest.mark.parametrize(
    "build, reason",
    [
        (lambda kit: kit.bomb(300 * 2**20), "zip_bomb"),
        (
            lambda kit: kit.with_rows_beyond(kit.enterprise_upload(), 1_048_576, "XFD"),
            "too_many_columns",
        ),
        (lambda kit: kit.with_rows_beyond(kit.enterprise_upload(), 1_048_576), "too_many_rows"),
    ],
)
def test_hostile_files_stay_within_memory(kit, tmp_path, build, reason):
    path = tmp_path / "hostile.xlsx"
    path.write_bytes(build(kit))
    code = _MEMORY_PROBE.format(paths=[p for p in sys.path if p])
    result = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip() == reason, result.stderr[-2000:]


def test_ratio_limits_are_per_entry_type(kit):
    limits = Limits()
    assert limits.ratio_limit("xl/styles.xml") == 400
    assert limits.ratio_limit("xl/worksheets/sheet2.xml") == 200
    assert limits.ratio_limit("docProps/app.xml") == 100
    data = kit.enterprise_upload()
    strict_styles = Limits(ratio_floor_bytes=100, max_ratio={"": 1000, "xl/styles.xml": 2})
    refused(data, "zip_bomb", "压缩炸弹", strict_styles)
    lenient_styles = Limits(ratio_floor_bytes=100, max_ratio={"": 1000, "xl/styles.xml": 1000})
    assert read_upload(data, limits=lenient_styles).ok


def test_guard_refuses_to_load_without_defusedxml(tmp_path):
    """openpyxl must parse through defusedxml; the guard will not even import otherwise."""
    import os

    env = {**os.environ, "OPENPYXL_DEFUSEDXML": "False"}
    code = f"import sys; sys.path[:0] = {[p for p in sys.path if p]!r}; import pingtai.xlsx.guard"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0 and "defusedxml" in result.stderr


_PEAK_PROBE = """
import json, sys, time
sys.path[:0] = {paths!r}
from pingtai.xlsx import RefusedFile, read_upload
data = open(sys.argv[1], "rb").read()
start = time.process_time()
try:
    read_upload(data)
    reason = "outcome"
except RefusedFile as exc:
    reason = exc.reason
# VmHWM belongs to this program's own memory map; getrusage's maximum would also count the
# parent pytest process, whose memory a forked child starts from.
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
peak = int(status["VmHWM"].split()[0]) / 1024
print(json.dumps({{"reason": reason, "peak_mb": peak, "cpu_seconds": time.process_time() - start}}))
"""


def _probe(tmp_path, data: bytes) -> dict:
    import json

    path = tmp_path / "hostile.xlsx"
    path.write_bytes(data)
    code = _PEAK_PROBE.format(paths=[p for p in sys.path if p])
    result = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_one_huge_shared_string_referenced_everywhere_is_refused_early(kit, tmp_path):
    """13 KB on disk, 1.2 GB once every reference is expanded: refused while the string
    table is read, before any parser expands it."""
    data = kit.shared_string_bomb(1_040_000, rows=200)
    assert len(data) < 20_000
    probe = _probe(tmp_path, data)
    assert probe["reason"] == "cell_text_too_long"
    # CPU time, not wall time: the shared test machine's load must not decide the outcome.
    assert probe["peak_mb"] < 300 and probe["cpu_seconds"] < 2
    refused(data, "cell_text_too_long", "32,767 个字符")


@pytest.mark.parametrize("quote", [b'"', b"'"])
def test_shared_text_expanded_over_the_workbook_cap_is_refused(kit, tmp_path, quote):
    """Each string under Excel's cell limit, but referenced from 1,200 cells (36 million
    characters): refused by the workbook cap, however the type attribute is quoted."""
    data = kit.shared_string_bomb(30_000, rows=200, quote=quote)
    probe = _probe(tmp_path, data)
    assert probe["reason"] == "too_much_text"
    assert probe["peak_mb"] < 300
    refused(data, "too_much_text", "文字总量")
    # Under the cap the same file is read (and fails on its cells, not on memory).
    assert read_upload(data, limits=Limits(max_text_chars=40_000_000)).errors


def test_sheet_rectangle_over_the_cell_cap_is_refused(kit):
    data = kit.with_rows_beyond(kit.enterprise_upload(), 10_000, "CV")
    refused(data, "too_many_cells", "单元格的上限")
    assert read_upload(kit.enterprise_upload(), limits=Limits(max_cells=200)).ok


def test_inline_cell_over_excels_limit_is_refused(kit):
    rows = kit.enterprise_rows(3)
    rows[1]["enterprise_name"] = "甲" * 40_000
    data = kit.fill(kit.template_bytes("platform_enterprises", "2025"), rows)
    refused(data, "cell_text_too_long", "Excel 单元格的上限")


def test_errors_keep_only_an_excerpt_of_long_cells(kit):
    """A refused attempt stores its issues: each holds at most 50 characters of the cell."""
    rows = kit.enterprise_rows(3)
    for row in rows:
        row["land_area"] = "9" * 20_000 + "万"
        row["uscc"] = "X" * 20_000
    outcome = read_upload(kit.fill(kit.template_bytes("platform_enterprises", "2025"), rows))
    assert outcome.errors
    for issue in outcome.errors:
        assert len(issue.value) <= 51 and len(issue.message) <= 301
        assert len(str(issue)) < 600
    long_ones = [i for i in outcome.errors if i.value.endswith("…")]
    assert long_ones and long_ones[0].value[:50] in ("9" * 50, "X" * 50)
