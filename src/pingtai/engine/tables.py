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


def write_table(frame: pl.DataFrame, path: str | Path, csv_bytes: bytes | None = None) -> None:
    """Write a result; CSV uses the result's canonical bytes when given."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        path.write_bytes(csv_bytes if csv_bytes is not None else frame.write_csv().encode("utf-8"))
    elif suffix == ".parquet":
        frame.write_parquet(path)
    elif suffix == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("评价结果")
        ws.append(frame.columns)
        for row in frame.iter_rows():
            ws.append(list(row))
        wb.save(path)
    else:
        raise ValueError(f"不支持的输出类型“{suffix}”（可用：.csv、.parquet、.xlsx）")
