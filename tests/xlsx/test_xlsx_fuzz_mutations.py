"""Bounded fuzzing (docs/import.md, Tests): mutated uploads give a clean outcome or a clean refusal, nothing else."""

from __future__ import annotations

import io
import re
import zipfile
from functools import cache

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pingtai.catalogue import default_catalogue
from pingtai.xlsx import ImportOutcome, RefusedFile, mark_errors, read_upload
from pingtai.xlsx.marker import DATA_SHEET
from pingtai.xlsx.template import write_template

PARTS = (
    "xl/worksheets/sheet2.xml",
    "xl/workbook.xml",
    "xl/styles.xml",
    "xl/worksheets/sheet3.xml",
    "[Content_Types].xml",
    "xl/_rels/workbook.xml.rels",
)


@cache
def seed() -> bytes:
    out = io.BytesIO()
    write_template(
        "platform_enterprises",
        "2025",
        scope_code="LS01",
        scope_name="丽水经济技术开发区",
        prefill_rows=[
            {"uscc": "913311001484116584", "enterprise_name": "甲"},
            {"uscc": "91350100M000100Y43", "enterprise_name": "乙"},
        ],
        out=out,
    )
    wb = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    ws = wb[DATA_SHEET]
    for row in (3, 4):
        ws.cell(row, 3, "331102")
        ws.cell(row, 4, "C3484")
        ws.cell(row, 5, "规上")
        ws.cell(row, 6, 12.5 * row)
    data = io.BytesIO()
    wb.save(data)
    return data.getvalue()


def _check(data: bytes) -> None:
    try:
        outcome = read_upload(data, default_catalogue())
    except RefusedFile as exc:
        assert exc.message and exc.reason
        return
    assert isinstance(outcome, ImportOutcome)
    assert not (outcome.errors and outcome.rows)
    if outcome.errors:
        try:
            mark_errors(data, outcome.errors)
        except RefusedFile as exc:
            assert exc.reason == "unmarkable"


def _rezip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


mutations = st.lists(
    st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1, max_size=8
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations, st.booleans())
def test_raw_byte_mutations(changes, truncate):
    data = bytearray(seed())
    for position, value in changes:
        data[position % len(data)] = value
    if truncate:
        data = data[: max(1, changes[0][0] % len(data))]
    _check(bytes(data))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(PARTS),
    mutations,
    st.sampled_from(
        [
            b"",
            b"<",
            b">",
            b'"',
            b"&",
            b"<f>1+</f>",
            b"<v>x</v>",
            b' r="A0"',
            b'<mergeCell ref="A1:Z9"/>',
            b"\xff\xfe",
            b"</row>",
            b"<row>",
            b' t="s"',
            b' t="b"',
            b' t="e"',
            b' t="d"',
            b"<v>1e400</v>",
            b"<v>-0</v>",
        ]
    ),
)
def test_xml_part_mutations(part, changes, snippet):
    parts = {}
    with zipfile.ZipFile(io.BytesIO(seed())) as archive:
        for name in archive.namelist():
            parts[name] = archive.read(name)
    xml = bytearray(parts[part])
    for position, value in changes:
        xml[position % len(xml)] = value
    at = changes[0][0] % len(xml)
    parts[part] = bytes(xml[:at]) + snippet + bytes(xml[at:])
    _check(_rezip(parts))


ATTRIBUTES = [
    b' t="s"',
    b' t="b"',
    b' t="e"',
    b' t="d"',
    b' t="str"',
    b' s="999"',
    b' r="A0"',
    b' r="B2"',
    b' r="A1048577"',
    b' spans="0:99999"',
    b' state="hidden"',
    b' date1904="1"',
    b' sheetId="99"',
    b' name=""',
]
VALUES = [
    b"1e400",
    b"-0",
    b"nan",
    b"inf",
    b"",
    b"x",
    b"99999999999999999999",
    b"#DIV/0!",
    b"A1",
    b"XFD1048576",
    b"rId9",
    b"/xl/x.xml",
    b"../../etc/passwd",
    b"1" * 400,
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(PARTS),
    st.lists(
        st.tuples(st.booleans(), st.integers(min_value=0), st.integers(min_value=0)),
        min_size=1,
        max_size=4,
    ),
)
def test_well_formed_structural_mutations(part, edits):
    """Mutations that keep the XML well formed reach the reader and the marker, not just the guard."""
    parts = {}
    with zipfile.ZipFile(io.BytesIO(seed())) as archive:
        for name in archive.namelist():
            parts[name] = archive.read(name)
    xml = parts[part]
    for insert, where, choice in edits:
        if insert:
            tags = [m.end() for m in re.finditer(rb"<[A-Za-z:]+", xml)]
            at = tags[where % len(tags)]
            xml = xml[:at] + ATTRIBUTES[choice % len(ATTRIBUTES)] + xml[at:]
        else:
            found = list(re.finditer(rb'="([^"]*)"|<v>([^<]*)</v>', xml))
            match = found[where % len(found)]
            group = 1 if match.start(1) >= 0 else 2
            xml = xml[: match.start(group)] + VALUES[choice % len(VALUES)] + xml[match.end(group) :]
    parts[part] = xml
    _check(_rezip(parts))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=12),
            st.integers(-(10**20), 10**20),
            st.floats(allow_nan=True, allow_infinity=True),
            st.booleans(),
            st.dates(),
            st.none(),
        ),
        min_size=6,
        max_size=6,
    )
)
def test_arbitrary_cell_values(values):
    wb = openpyxl.load_workbook(io.BytesIO(seed()))
    ws = wb[DATA_SHEET]
    for column, value in enumerate(values, 1):
        if isinstance(value, str):
            ws.cell(5, column, "".join(ch for ch in value if ch >= " " or ch in "\t\n\r"))
        else:
            ws.cell(5, column, value)
    out = io.BytesIO()
    wb.save(out)
    _check(out.getvalue())
