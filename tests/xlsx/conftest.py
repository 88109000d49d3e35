"""Fixtures for the xlsx tests: filled templates and a corpus of hostile and broken files,
all built at test time (docs/standards.md §5 fixture list)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from types import SimpleNamespace

import openpyxl
import pytest

from pingtai.catalogue import default_catalogue
from pingtai.xlsx.marker import DATA_SHEET, HEADER_ROWS
from pingtai.xlsx.template import write_template

GOOD_USCC = [
    "913311001484116584",
    "91350100M000100Y43",
    "91110000600037341L",
    "91110108551385082Q",
    "9144030071526726XG",
]
SHEET = "xl/worksheets/sheet2.xml"  # the data sheet: instructions are sheet1, marker sheet3

PLATFORM_ROW = {
    "industrial_output": 1000,
    "above_scale_output": 900,
    "above_scale_value_added": 200,
    "above_scale_enterprises": 50,
    "tax_revenue": 80,
    "industrial_investment": 300,
    "foreign_capital": 12.5,
    "trade_total": 400,
    "major_projects_signed": 3,
    "hightech_value_added": 120,
    "rd_expenditure": 30,
    "rd_institutions": 4,
    "innovation_complexes": 1,
    "management_bodies": 2,
    "management_staff": 40,
    "developable_area": 1500,
}


def template_bytes(
    form: str,
    period: str,
    *,
    scope: str = "LS01",
    scope_name: str = "丽水经济技术开发区",
    prefill: Sequence[Mapping[str, object]] = (),
    **kwargs: object,
) -> bytes:
    out = io.BytesIO()
    write_template(
        form,
        period,
        scope_code=scope,
        scope_name=scope_name,
        prefill_rows=prefill,
        out=out,
        **kwargs,
    )
    return out.getvalue()


def fill(
    template: bytes,
    rows: Sequence[Mapping[str, object]],
    *,
    edit: Callable[[openpyxl.Workbook], None] | None = None,
) -> bytes:
    """Write ``rows`` (column code → value) into the data sheet from row 3, as a user would."""
    wb = openpyxl.load_workbook(io.BytesIO(template))
    ws = wb[DATA_SHEET]
    catalogue = default_catalogue()
    codes = {ind.name: ind.code for ind in catalogue.indicators.values()}
    index = {codes[c.value]: c.column for c in ws[1] if c.value in codes}
    for offset, row in enumerate(rows):
        for code, value in row.items():
            ws.cell(HEADER_ROWS + 1 + offset, index[code], value)
    if edit is not None:
        edit(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def enterprise_rows(n: int = 3) -> list[dict[str, object]]:
    return [
        {
            "uscc": GOOD_USCC[i],
            "enterprise_name": f"丽水测试企业{i}",
            "county_code": "331102",
            "industry_code": "C3484",
            "scale": "规上",
            "land_area": 10 + i,
        }
        for i in range(n)
    ]


def parts_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(
    data: bytes, replace: Mapping[str, bytes | None] = {}, add: Mapping[str, bytes] = {}
) -> bytes:
    """Rebuild a zip with some parts replaced, removed (None) or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, original in parts_of(data).items():
            content = replace.get(name, original)
            if content is None:
                continue
            archive.writestr(name, content)
        for name, content in add.items():
            archive.writestr(name, content)
    return out.getvalue()


def edit_sheet(data: bytes, change: Callable[[bytes], bytes], part: str = SHEET) -> bytes:
    return rezip(data, replace={part: change(parts_of(data)[part])})


def platform_upload(**overrides: object) -> bytes:
    row = {
        "platform_code": "LS01",
        "platform_name": "丽水经济技术开发区",
        **PLATFORM_ROW,
        **overrides,
    }
    return fill(template_bytes("platform_quarterly", "2025Q4"), [row])


def enterprise_upload(n: int = 3) -> bytes:
    return fill(template_bytes("platform_enterprises", "2025"), enterprise_rows(n))


def bomb(size: int) -> bytes:
    """A valid upload whose data sheet is ``size`` bytes of whitespace (compresses ~1000:1)."""
    good = enterprise_upload(1)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts_of(good).items():
            if name == SHEET:
                with archive.open(name, "w") as stream:
                    stream.write(content[: -len(b"</worksheet>")])
                    chunk = b" " * 2**20
                    for _ in range(size // len(chunk)):
                        stream.write(chunk)
                    stream.write(b"</worksheet>")
            else:
                archive.writestr(name, content)
    return out.getvalue()


def with_rows_beyond(data: bytes, row: int, column: str = "A") -> bytes:
    return edit_sheet(
        data,
        lambda x: x.replace(
            b"</sheetData>",
            f'<row r="{row}"><c r="{column}{row}" t="n"><v>1</v></c></row></sheetData>'.encode(),
        ),
    )


def set_dimension(data: bytes, ref: str) -> bytes:
    return edit_sheet(
        data,
        lambda x: re.sub(rb'<dimension ref="[^"]*" ?/>', f'<dimension ref="{ref}"/>'.encode(), x),
    )


def with_shared_strings(data: bytes) -> bytes:
    """Rewrite the data sheet's inline strings into a sharedStrings part, as Excel stores them."""
    parts = parts_of(data)
    strings: list[bytes] = []

    def share(match: re.Match[bytes]) -> bytes:
        strings.append(match[3])
        return b'<c r="%s"%s t="s"><v>%d</v></c>' % (match[1], match[2], len(strings) - 1)

    sheet = re.sub(
        rb'<c r="([A-Z]+[0-9]+)"([^>]*?) t="inlineStr"><is><t[^>]*>(.*?)</t></is></c>',
        share,
        parts[SHEET],
    )
    table = b"".join(b'<si><t xml:space="preserve">%s</t></si>' % text for text in strings)
    sst = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main" count="%d" uniqueCount="%d">%s</sst>'
        % (len(strings), len(strings), table)
    )
    types = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    rels = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdShared" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    return rezip(
        data,
        replace={SHEET: sheet, "[Content_Types].xml": types, "xl/_rels/workbook.xml.rels": rels},
        add={"xl/sharedStrings.xml": sst},
    )


@pytest.fixture
def catalogue():
    return default_catalogue()


@pytest.fixture
def kit() -> SimpleNamespace:
    """The builders above, for test modules (importlib mode cannot import conftest)."""
    return SimpleNamespace(
        GOOD_USCC=GOOD_USCC,
        SHEET=SHEET,
        PLATFORM_ROW=PLATFORM_ROW,
        template_bytes=template_bytes,
        fill=fill,
        enterprise_rows=enterprise_rows,
        parts_of=parts_of,
        rezip=rezip,
        edit_sheet=edit_sheet,
        platform_upload=platform_upload,
        enterprise_upload=enterprise_upload,
        bomb=bomb,
        with_rows_beyond=with_rows_beyond,
        set_dimension=set_dimension,
        with_shared_strings=with_shared_strings,
        shared_string_bomb=shared_string_bomb,
    )


def shared_string_bomb(length: int, rows: int = 200, quote: bytes = b'"') -> bytes:
    """A valid-looking upload whose data cells (header included) all reference one shared
    string of ``length`` characters: a few kilobytes on disk, ``length × cells`` once expanded."""
    shared = with_shared_strings(enterprise_upload(3))
    parts = parts_of(shared)
    sheet = re.sub(rb'(t="s"><v>)\d+(</v>)', rb"\g<1>0\g<2>", parts[SHEET])
    sheet = sheet.replace(b't="s"', b"t=" + quote + b"s" + quote)
    extra = "".join(
        f'<row r="{r}">'
        + "".join(
            f'<c r="{c}{r}" t={quote.decode()}s{quote.decode()}><v>0</v></c>' for c in "ABCDEF"
        )
        + "</row>"
        for r in range(6, 6 + rows)
    ).encode()
    sheet = re.sub(
        rb'<dimension ref="[^"]*" ?/>', b"", sheet.replace(b"</sheetData>", extra + b"</sheetData>")
    )
    sst = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>'
        + b"A" * length
        + b"</t></si></sst>"
    )
    return rezip(shared, replace={SHEET: sheet, "xl/sharedStrings.xml": sst})
