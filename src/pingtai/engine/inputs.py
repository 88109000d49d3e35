"""Input checking: the table's shape first, then every cell (style.md §4 lessons 2–3).

Problems name the row and the column. Row numbers count the header as row 1, as a
spreadsheet does, so "第 2 行" is the first data row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from pingtai.engine import units
from pingtai.engine.methods import Method
from pingtai.standards.uscc import ALPHABET, WEIGHTS

MAX_LISTED = 30
TRUE_TEXT = ("1", "是", "true", "True", "TRUE", "Y", "y", "yes", "YES", "√")
ROW = "__row__"


class InputError(ValueError):
    """The input table cannot be evaluated; ``problems`` lists each row/column problem."""

    def __init__(self, problems: list[str], total: int | None = None):
        self.problems = problems
        total = total if total is not None else len(problems)
        more = f"\n  …… 另有 {total - len(problems)} 处问题未列出" if total > len(problems) else ""
        super().__init__(f"输入数据有 {total} 处问题：\n" + "\n".join(f"  - {p}" for p in problems) + more)


@dataclass
class Prepared:
    """A checked table, sorted by entity id, with numeric fields as base-unit float arrays."""

    frame: pl.DataFrame  # text columns, segment (after rules), flags; sorted by id
    data: dict[str, np.ndarray]  # numeric fields in base units, NaN = missing
    raw_fields: pl.DataFrame  # numeric fields as given (declared units), for hashing
    segment_input: pl.Series
    warnings: list[str] = field(default_factory=list)


def _rows(mask: pl.Series | np.ndarray, rownums: np.ndarray) -> np.ndarray:
    return rownums[np.asarray(mask, dtype=bool)]


class _Collector:
    """Collects problems; reports them in row order, at most ``MAX_LISTED`` of them."""

    def __init__(self) -> None:
        self.items: list[tuple[int, int, str]] = []
        self.total = 0

    def add(self, rows: np.ndarray, column: str, message: str, values: list | None = None) -> None:
        for i, r in enumerate(rows[:MAX_LISTED]):
            shown = f"“{values[i]}”" if values is not None else ""
            self.items.append((int(r), len(self.items), f"第 {r} 行，列 {column}：{message}{shown}"))
        self.total += len(rows)

    def raise_if_any(self) -> None:
        if self.total:
            listed = [text for _, _, text in sorted(self.items)[:MAX_LISTED]]
            raise InputError(listed, self.total)


def _uscc_problems(codes: pl.Series) -> np.ndarray:
    """Vectorised GB 32100-2015 check: True where the 18-character code is invalid."""
    ok_len = (codes.str.len_bytes() == 18).fill_null(False).to_numpy()
    padded = codes.fill_null("").str.pad_end(18, "#").str.slice(0, 18)
    raw = np.frombuffer("".join(padded.to_list()).encode("utf-8", "replace"), dtype=np.uint8)
    if raw.size != 18 * len(codes):  # some non-ASCII character: check row by row below
        ascii_ok = padded.str.contains(r"^[\x00-\x7F]*$").to_numpy()
        bad = ~(ok_len & ascii_ok)
        good_idx = np.flatnonzero(~bad)
        if good_idx.size:
            bad[good_idx] = _uscc_problems(codes.gather(good_idx))
        return bad
    lut = np.full(256, -1, dtype=np.int64)
    for i, ch in enumerate(ALPHABET):
        lut[ord(ch)] = i
    v = lut[raw.reshape(-1, 18)]
    bad_char = (v < 0).any(axis=1)
    total = (np.where(v[:, :17] < 0, 0, v[:, :17]) * np.array(WEIGHTS)).sum(axis=1)
    expected = (31 - total % 31) % 31
    return ~ok_len | bad_char | (v[:, 17] != expected)


def truthy(col: pl.Series) -> np.ndarray:
    """A flag column: non-zero numbers or 是/true/Y/1 count as set."""
    if col.dtype.is_numeric():
        return (col.fill_null(0) != 0).to_numpy()
    if col.dtype == pl.Boolean:
        return col.fill_null(False).to_numpy()
    text = col.cast(pl.String).str.strip_chars()
    return text.is_in(list(TRUE_TEXT)).fill_null(False).to_numpy()


def _numeric(col: pl.Series, name: str, rownums: np.ndarray, errs: _Collector) -> pl.Series:
    if col.dtype.is_numeric():
        out = col.cast(pl.Float64)
    else:
        text = col.cast(pl.String).str.strip_chars().str.replace_all(",", "").str.replace_all("，", "")
        text = pl.select(pl.when(text == "").then(None).otherwise(text)).to_series()
        out = text.cast(pl.Float64, strict=False)
        bad = (text.is_not_null() & out.is_null()).to_numpy()
        if bad.any():
            errs.add(_rows(bad, rownums), name, "无法解析为数值：", text.filter(pl.Series(bad)).to_list())
    values = out.to_numpy()
    inf = np.isinf(values)
    if inf.any():
        errs.add(_rows(inf, rownums), name, "数值不能为无穷大")
    return out


def prepare(method: Method, frame: pl.DataFrame) -> Prepared:
    """Check ``frame`` against ``method``; return it sorted by id, or raise ``InputError``."""
    ent = method.entity
    fields = method.all_fields
    errs = _Collector()
    warnings: list[str] = []
    flag_columns = [v.column for v in method.vetoes] + [a.column for a in method.adjustments]
    required = list(dict.fromkeys(ent.text_columns + [ent.id_column, ent.segment_column]))
    required += [f for f, spec in fields.items() if spec.required]
    required += [v.column for v in method.vetoes if v.required]
    missing_cols = [c for c in required if c not in frame.columns]
    if missing_cols:
        raise InputError([f"缺少列：{'、'.join(missing_cols)}"])
    rownums = np.arange(frame.height, dtype=np.int64) + 2
    text = {}
    for c in dict.fromkeys(ent.text_columns + [ent.segment_column]):
        text[c] = frame[c].cast(pl.String).str.strip_chars()
    ids = text[ent.id_column].str.to_uppercase()
    text[ent.id_column] = ids
    empty = (ids.is_null() | (ids == "")).to_numpy()
    if empty.any():
        errs.add(_rows(empty, rownums), ent.id_column, "不能为空")
    if ent.validate_uscc:
        bad = _uscc_problems(ids) & ~empty
        if bad.any():
            errs.add(_rows(bad, rownums), ent.id_column, "统一社会信用代码无效：", ids.filter(pl.Series(bad)).to_list())
    dup = (ids.is_duplicated() & ~pl.Series(empty)).to_numpy()
    if dup.any():
        errs.add(_rows(dup, rownums), ent.id_column, "重复：", ids.filter(pl.Series(dup)).to_list())
    numeric = {}
    for name, spec in fields.items():
        if name not in frame.columns:
            numeric[name] = pl.Series(name, [None] * frame.height, dtype=pl.Float64)
            warnings.append(f"输入缺少可选列 {name}，按全部缺失处理")
            continue
        col = _numeric(frame[name], name, rownums, errs)
        neg = (col < 0).fill_null(False).to_numpy()
        if neg.any() and not spec.allow_negative:
            errs.add(_rows(neg, rownums), name, "不能为负数：", col.filter(pl.Series(neg)).to_list())
        numeric[name] = col.alias(name)
    flags = {}
    for col in dict.fromkeys(flag_columns):
        if col in frame.columns:
            flags[col] = frame[col]
    for adj in method.adjustments:
        if adj.column in flags:
            flags[adj.column] = _numeric(flags[adj.column], adj.column, rownums, errs).fill_null(0.0)
        else:
            warnings.append(f"输入没有列 {adj.column}：加减分项“{adj.name}”未计算")
    for v in method.vetoes:
        if v.column not in flags:
            warnings.append(f"输入没有列 {v.column}：否决事项“{v.name}”未检查")
    segment = _apply_segment_rules(method, text, numeric)
    known = list(method.segments)
    unknown = (~segment.is_in(known) | segment.is_null()).to_numpy()
    if unknown.any():
        errs.add(
            _rows(unknown, rownums),
            ent.segment_column,
            f"分类不在本方法中（可用：{'、'.join(known)}）：",
            segment.filter(pl.Series(unknown)).fill_null("（空）").to_list(),
        )
    errs.raise_if_any()
    base = pl.DataFrame(
        [text[c].alias(c) for c in text if c != ent.segment_column]
        + [segment.alias(ent.segment_column), text[ent.segment_column].alias("segment_input"), pl.Series(ROW, rownums)]
        + [s.alias(c) for c, s in flags.items()]
    )
    base = base.with_columns(pl.Series(ROW + "f", np.arange(frame.height)))
    order = base.select(pl.col(ent.id_column).arg_sort()).to_series().to_numpy()
    base = base[order]
    raw_fields = pl.DataFrame([numeric[n] for n in fields])[order]
    data = {}
    for name, spec in fields.items():
        f = float(units.to_base(spec.unit))
        data[name] = raw_fields[name].to_numpy().astype(np.float64, copy=False) * f
    return Prepared(base.drop(ROW + "f"), data, raw_fields, base["segment_input"], warnings)


def _apply_segment_rules(
    method: Method, text: dict[str, pl.Series], numeric: dict[str, pl.Series]
) -> pl.Series:
    """First matching rule wins; unmatched rows keep the segment they were given."""
    segment = text[method.entity.segment_column]
    if not method.segment_rules:
        return segment
    frame = pl.DataFrame([s.alias(c) for c, s in text.items()] + list(numeric.values()))
    expr = pl.col(method.entity.segment_column)
    for rule in reversed(method.segment_rules):
        cond = pl.lit(True)
        for c in rule.where:
            col = pl.col(c.field)
            cond = cond & {
                "eq": lambda: col == c.value,
                "ne": lambda: col != c.value,
                "lt": lambda: col < c.value,
                "le": lambda: col <= c.value,
                "gt": lambda: col > c.value,
                "ge": lambda: col >= c.value,
                "missing": lambda: col.is_null(),
            }[c.op]().fill_null(False)
        expr = pl.when(cond).then(pl.lit(rule.segment)).otherwise(expr)
    return frame.select(expr.alias("segment")).to_series()
