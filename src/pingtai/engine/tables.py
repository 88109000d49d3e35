"""Reading input tables (.csv, .xlsx, .parquet) and writing results, without Django.

CSV and Excel cells are read as text so that the engine's checks can report the row and
column of any value that is not a number (inputs.py). Row numbers count the header as row 1.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pingtai.engine.inputs import InputError

READABLE = (".csv", ".xlsx", ".parquet")


def read_table(path: str | Path, sheet: str | None = None) -> pl.DataFrame:
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError([f"文件不存在：{path}"])
    if suffix == ".csv":
        return _read_csv(path)
    if suffix == ".xlsx":
        return _read_xlsx(path, sheet)
    if suffix == ".parquet":
        try:
            return pl.read_parquet(path)
        except Exception as e:  # polars raises several error types for a damaged file
            raise InputError([f"无法读取 Parquet 文件 {path.name}：{e}"]) from None
    raise InputError([f"不支持的文件类型“{suffix}”（可用：{'、'.join(READABLE)}）"])


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
    rewritten, so a clean table comes back unchanged."""
    from pingtai.xlsx.export import safe_text

    for name, dtype in frame.schema.items():
        if dtype != pl.String:
            continue
        column = frame[name]
        hits = column.str.contains(_NEEDS_CARE).fill_null(False)
        if hits.any():
            rows = hits.arg_true()
            fixed = [safe_text(v) for v in column.gather(rows).to_list()]
            frame = frame.with_columns(column.scatter(rows, fixed))
    return frame


def write_table(
    frame: pl.DataFrame, path: str | Path, *, float_precision: int | None = None
) -> None:
    """Write a result. CSV is the result's canonical form (``EvaluationResult.to_csv_bytes``)
    byte for byte, except text cells that had to be made safe for a spreadsheet program."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        safe = spreadsheet_safe(frame)
        path.write_bytes(
            safe.write_csv(float_precision=float_precision, line_terminator="\n").encode("utf-8")
        )
    elif suffix == ".parquet":
        frame.write_parquet(path)
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
