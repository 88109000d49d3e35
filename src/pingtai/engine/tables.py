"""Reading input tables (.csv, .xlsx, .parquet) and writing results, without Django.

CSV and Excel cells are read as text so that the engine's checks can report the row and
column of any value that is not a number (inputs.py). Row numbers count the header as row 1.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Collection
from pathlib import Path
from typing import IO

import polars as pl

from pingtai.engine.inputs import InputError

READABLE = (".csv", ".xlsx", ".parquet")


def read_table(
    path: str | Path, sheet: str | None = None, *, numeric: Collection[str] = ()
) -> pl.DataFrame:
    """Read a table; CSV and Excel cells come back as text.

    ``numeric`` names the columns the caller will parse as numbers. For a UTF-8 CSV they are
    read as numbers by polars directly; if any cell of them is not a plain number (or the file
    is not UTF-8) the whole file is read again as text, so the engine's checks can name the
    row and column of every bad value. Both ways give the engine the same numbers.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError([f"文件不存在：{path}"])
    if suffix == ".csv":
        if numeric:
            fast = _read_csv_numbers(path, numeric)
            if fast is not None:
                return fast
        return _read_csv(path)
    if suffix == ".xlsx":
        return _read_xlsx(path, sheet)
    if suffix == ".parquet":
        try:
            return pl.read_parquet(path)
        except Exception as e:  # polars raises several error types for a damaged file
            raise InputError([f"无法读取 Parquet 文件 {path.name}：{e}"]) from None
    raise InputError([f"不支持的文件类型“{suffix}”（可用：{'、'.join(READABLE)}）"])


def _read_csv_numbers(path: Path, numeric: Collection[str]) -> pl.DataFrame | None:
    """The fast path of ``read_table``: ``None`` when the file needs the careful text path."""
    try:
        header = pl.read_csv(path, infer_schema=False, n_rows=0).columns
        wanted = {c: pl.Float64 for c in header if c in numeric}
        return pl.read_csv(path, infer_schema=False, schema_overrides=wanted)
    except pl.exceptions.PolarsError:
        return None


def _read_csv(path: Path) -> pl.DataFrame:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError([f"{path.name}：无法识别文件编码（请另存为 UTF-8）"])
    try:
        return pl.read_csv(text.encode("utf-8"), infer_schema=False)
    except pl.exceptions.PolarsError as e:
        raise InputError([f"{path.name}：CSV 格式错误：{e}"]) from None


def _read_xlsx(path: Path, sheet: str | None) -> pl.DataFrame:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises zipfile/KeyError/ValueError for damaged files
        raise InputError([f"无法读取 Excel 文件 {path.name}：{e}"]) from None
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise InputError([f"工作簿中没有工作表“{sheet}”（有：{'、'.join(wb.sheetnames)}）"])
        ws = wb[sheet] if sheet else wb.worksheets[0]
        rows = list(ws.iter_rows(values_only=True))
    finally:
        wb.close()
    if not rows:
        raise InputError([f"工作表“{ws.title}”是空的"])
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    body = rows[1:]
    cols = {}
    for j, name in enumerate(header):
        if not name:
            continue
        cols[name] = pl.Series(
            name, [_cell(r[j]) if j < len(r) else None for r in body], dtype=pl.String
        )
    return pl.DataFrame(cols)


def _cell(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


# Text that a spreadsheet would run as a formula or that an .xlsx cannot hold (pingtai.xlsx.export).
_NEEDS_CARE = r"^[=+\-@\t\r]|[\x00-\x08\x0b\x0c\x0e-\x1f\x{FFFE}\x{FFFF}]"


def spreadsheet_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """Text columns made safe to open in a spreadsheet program (formulas neutralised, control
    characters escaped); numeric columns are never touched. Only the cells that need it are
    rewritten, so a clean table comes back unchanged (the same object)."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not text:
        return frame
    # One pass over every text column; the rewriting (and the spreadsheet module it needs)
    # only for a column where some cell needs it.
    flagged = frame.select(pl.col(name).str.contains(_NEEDS_CARE).any() for name in text).row(0)
    for name, hit in zip(text, flagged, strict=True):
        if not hit:
            continue
        from pingtai.xlsx.export import safe_text

        column = frame[name]
        rows = column.str.contains(_NEEDS_CARE).fill_null(False).arg_true()
        fixed = [safe_text(v) for v in column.gather(rows).to_list()]
        frame = frame.with_columns(column.scatter(rows, fixed))
    return frame


def write_canonical_csv(
    frame: pl.DataFrame, sink: str | Path | IO[bytes], float_precision: int | None
) -> None:
    """The one way a result table becomes CSV: UTF-8, fixed decimals, '\n' line ends."""
    frame.write_csv(sink, float_precision=float_precision, line_terminator="\n")


# Rows per piece when the canonical CSV is produced only to be hashed: polars' own writer
# formats each piece (much faster than writing through a Python sink) and a piece's text,
# a few tens of MB, is all that is ever held.
_HASH_PIECE_ROWS = 200_000


def canonical_csv_hash(frame: pl.DataFrame, float_precision: int | None) -> str:
    """SHA-256 of the canonical CSV of ``frame`` without writing it anywhere: the text is
    made piece by piece (the header with the first), and the pieces joined are exactly the
    text ``write_canonical_csv`` writes."""
    digest = hashlib.sha256()
    for start in range(0, max(frame.height, 1), _HASH_PIECE_ROWS):
        piece = io.BytesIO()
        frame.slice(start, _HASH_PIECE_ROWS).write_csv(
            piece, float_precision=float_precision, line_terminator="\n", include_header=start == 0
        )
        digest.update(piece.getbuffer())
    return digest.hexdigest()


def file_hash(path: str | Path) -> str:
    """SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while block := handle.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def write_table(
    frame: pl.DataFrame, path: str | Path, *, float_precision: int | None = None
) -> str | None:
    """Write a result. CSV is the result's canonical form (``EvaluationResult.to_csv_bytes``)
    byte for byte, except text cells that had to be made safe for a spreadsheet program.

    For CSV, return the SHA-256 of the canonical CSV when the file is exactly that, else
    ``None``."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        safe = spreadsheet_safe(frame)
        # polars writes the file itself (in parallel, no Python in the loop); reading it back
        # for the hash costs a small fraction of formatting it again.
        write_canonical_csv(safe, path, float_precision)
        return file_hash(path) if safe is frame else None
    elif suffix == ".parquet":
        # Snappy, the codec every Parquet reader has (pyarrow's and Spark's default): half the
        # CPU of polars' default zstd for a result file about a quarter larger.
        frame.write_parquet(path, compression="snappy")
    elif suffix == ".xlsx":
        from pingtai.xlsx.export import Column, write_table_xlsx

        # Identifiers (统一社会信用代码 and other codes) stay text; numbers keep their type.
        columns = [
            Column(name, kind="code" if frame.schema[name] == pl.String else "auto")
            for name in frame.columns
        ]
        path.write_bytes(
            write_table_xlsx(columns, frame.iter_rows(), sheet_name="评价结果", title_row=False)
        )
    else:
        raise ValueError(f"不支持的输出类型“{suffix}”（可用：.csv、.parquet、.xlsx）")
    return None
