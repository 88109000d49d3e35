"""Input checking: the table's shape first, then every cell (docs/engine.md, "Pipeline and formulas").

Problems name the row and the column. Row numbers count the header as row 1, as a
spreadsheet does, so "第 2 行" is the first data row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from pingtai.core.refusal import Refused
from pingtai.engine import industry, units
from pingtai.engine.groups import level_name
from pingtai.engine.methods import OPTIONAL_FIELDS, Condition, Method
from pingtai.standards.uscc import ALPHABET, WEIGHTS

MAX_LISTED = 30
TRUE_TEXT = ("1", "是", "true", "True", "TRUE", "Y", "y", "yes", "YES", "√")


class InputError(Refused):
    """The input table cannot be evaluated; ``problems`` lists each row/column problem."""

    def __init__(self, problems: list[str], total: int | None = None):
        self.problems = problems
        total = total if total is not None else len(problems)
        more = f"\n  …… 另有 {total - len(problems)} 处问题未列出" if total > len(problems) else ""
        super().__init__(
            f"输入数据有 {total} 处问题：\n" + "\n".join(f"  - {p}" for p in problems) + more,
            code="input",
        )


@dataclass
class Prepared:
    """A checked table in input order, with numeric fields as base-unit float arrays.

    ``order`` sorts rows by entity id and ``id_rank`` is each row's place in that order: the
    engine uses them wherever the result must not depend on the input's row order.
    """

    frame: pl.DataFrame  # text columns, segment (after rules), segment_input, flag columns
    data: dict[str, np.ndarray]  # numeric fields in base units, NaN = missing
    raw_fields: dict[str, np.ndarray]  # numeric fields as given (declared units), for hashing
    order: np.ndarray
    id_rank: np.ndarray
    warnings: list[str] = field(default_factory=list)


def _rows(mask: pl.Series | np.ndarray, rownums: np.ndarray) -> np.ndarray:
    return rownums[np.asarray(mask, dtype=bool)]


class Collector:
    """Collects problems; reports them in row order, at most ``MAX_LISTED`` of them."""

    def __init__(self) -> None:
        self.items: list[tuple[int, int, str]] = []
        self.total = 0

    def add(self, rows: np.ndarray, column: str, message: str, values: list | None = None) -> None:
        for i, r in enumerate(rows[:MAX_LISTED]):
            shown = f"“{values[i]}”" if values is not None else ""
            self.items.append(
                (int(r), len(self.items), f"第 {r} 行，列 {column}：{message}{shown}")
            )
        self.total += len(rows)

    def add_each(self, rows: np.ndarray, column: str, messages: list[str]) -> None:
        """One message per row (row-specific reasons)."""
        for r, message in list(zip(rows, messages, strict=True))[:MAX_LISTED]:
            self.items.append((int(r), len(self.items), f"第 {r} 行，列 {column}：{message}"))
        self.total += len(rows)

    def raise_if_any(self) -> None:
        if self.total:
            listed = [text for _, _, text in sorted(self.items)[:MAX_LISTED]]
            raise InputError(listed, self.total)


def _uscc_check(codes: pl.Series) -> tuple[np.ndarray, np.ndarray | None]:
    """Vectorised GB 32100-2015 check: True where the code is not a valid 18-character USCC.

    When every code is valid, also returns two int64 sort keys per code (characters 1–9 and
    10–18 as base-31 numbers); the alphabet is in ASCII order, so they sort like the text.
    """
    ascii18 = (
        ((codes.str.len_bytes() == 18) & (codes.str.len_chars() == 18)).fill_null(False).to_numpy()
    )
    bad = ~ascii18
    idx = np.flatnonzero(ascii18)
    if idx.size == 0:
        return bad, None
    subset = codes if idx.size == len(codes) else codes.gather(idx)
    joined = subset.str.join("").item().encode("ascii")
    v = _LUT[np.frombuffer(joined, dtype=np.uint8).reshape(-1, 18)]
    invalid = (v == 255).any(axis=1)
    total = v[:, :17].astype(np.int32) @ _WEIGHTS
    expected = (31 - total % 31) % 31
    bad[idx] = invalid | (v[:, 17] != expected)
    if bad.any():
        return bad, None
    powers = 31 ** np.arange(8, -1, -1, dtype=np.int64)
    return bad, np.column_stack(
        [v[:, :9].astype(np.int64) @ powers, v[:, 9:].astype(np.int64) @ powers]
    )


_LUT = np.full(256, 255, dtype=np.uint8)  # 255 = not in the code alphabet
_LUT[np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)] = np.arange(len(ALPHABET))
_WEIGHTS = np.array(WEIGHTS, dtype=np.int32)


def truthy(col: pl.Series) -> np.ndarray:
    """A flag column: non-zero numbers or 是/true/Y/1 count as set."""
    if col.dtype.is_numeric():
        return (col.fill_null(0) != 0).to_numpy()
    if col.dtype == pl.Boolean:
        return col.fill_null(False).to_numpy()
    text = col.cast(pl.String).str.strip_chars()
    return text.is_in(list(TRUE_TEXT)).fill_null(False).to_numpy()


def _numeric(col: pl.Series, name: str, rownums: np.ndarray, errs: Collector) -> pl.Series:
    if col.dtype.is_numeric():
        out = col.cast(pl.Float64)
    else:
        text = (
            col.cast(pl.String).str.strip_chars().str.replace_all(",", "").str.replace_all("，", "")
        )
        text = pl.select(pl.when(text == "").then(None).otherwise(text)).to_series()
        out = text.cast(pl.Float64, strict=False)
        bad = (text.is_not_null() & out.is_null()).to_numpy()
        if bad.any():
            errs.add(
                _rows(bad, rownums), name, "无法解析为数值：", text.filter(pl.Series(bad)).to_list()
            )
    values = out.to_numpy()
    inf = np.isinf(values)
    if inf.any():
        errs.add(_rows(inf, rownums), name, "数值不能为无穷大")
    return out


def numeric_columns(method: Method) -> set[str]:
    """The input columns ``prepare`` parses as numbers: a reader may read them as numbers."""
    numeric = (set(method.all_fields) | {a.column for a in method.adjustments}) - set(
        method.entity.text_columns
    )
    numeric.discard(method.entity.segment_column)
    return numeric


def prepare(method: Method, frame: pl.DataFrame) -> Prepared:
    """Check ``frame`` against ``method``; return it sorted by id, or raise ``InputError``."""
    ent = method.entity
    fields = method.all_fields
    errs = Collector()
    warnings: list[str] = []
    flag_columns = [v.column for v in method.vetoes] + [a.column for a in method.adjustments]
    required = list(dict.fromkeys([*ent.text_columns, ent.id_column, ent.segment_column]))
    required += [f for f, spec in fields.items() if spec.required]
    required += [v.column for v in method.vetoes if v.required]
    missing_cols = [c for c in required if c not in frame.columns]
    if missing_cols:
        raise InputError([f"缺少列：{'、'.join(missing_cols)}"])
    rownums = np.arange(frame.height, dtype=np.int64) + 2
    text = {}
    for c in dict.fromkeys([*ent.text_columns, ent.segment_column]):
        text[c] = frame[c].cast(pl.String).str.strip_chars()
    ids = text[ent.id_column].str.to_uppercase()
    text[ent.id_column] = ids
    order = check_ids(ids, ent.id_column, ent.validate_uscc, rownums, errs)
    numeric = {}
    read = method.read_fields
    for name, spec in fields.items():
        if name not in frame.columns:
            numeric[name] = pl.Series(name, [None] * frame.height, dtype=pl.Float64)
            if name == "co2_t" and name in read:
                warnings.append("输入缺少可选列 co2_t：碳排放按综合能耗和用电量折算")
            elif name in method.fields or name in read:
                warnings.append(f"输入缺少可选列 {name}，按全部缺失处理")
            continue
        numeric[name] = check_number(frame[name], name, spec.allow_negative, rownums, errs)
    flags: dict[str, pl.Series] = {}
    for column in dict.fromkeys(flag_columns):
        if column in frame.columns:
            flags[column] = frame[column]
    for adj in method.adjustments:
        if adj.column in flags:
            flags[adj.column] = _numeric(flags[adj.column], adj.column, rownums, errs).fill_null(
                0.0
            )
        else:
            warnings.append(f"输入没有列 {adj.column}：加减分项“{adj.name}”未计算")
    for v in method.vetoes:
        if v.column not in flags:
            warnings.append(f"输入没有列 {v.column}：否决事项“{v.name}”未检查")
    levels = industry_levels(frame, method.uses_industry, rownums, errs)
    if method.uses_industry and levels[industry.COLUMN].null_count() == frame.height:
        fallback = "、".join(level_name(by) for by in method.grouping.fallback)
        warnings.append(
            f"输入没有行业代码（{industry.COLUMN}）：按行业分组的比较一律退到{fallback}"
        )
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
        + [segment.alias(ent.segment_column), text[ent.segment_column].alias("segment_input")]
        + [s.alias(c) for c, s in flags.items()]
        + [v for k, v in levels.items() if k not in text]
    ).rechunk()  # files read in parts give chunked columns, and gathers from those are slow
    id_rank = np.empty_like(order)
    id_rank[order] = np.arange(len(order))
    raw = {n: numeric[n].to_numpy().astype(np.float64, copy=False) for n in fields}
    data = {n: raw[n] * float(units.to_base(spec.unit)) for n, spec in fields.items()}
    # An optional canonical column that is absent or entirely empty is not part of what was
    # read, so inputs from before it existed keep their hash (docs/runs.md).
    raw_fields = {
        n: a
        for n, a in raw.items()
        if not (n in OPTIONAL_FIELDS and n not in method.fields and np.isnan(a).all())
    }
    return Prepared(base, data, raw_fields, order, id_rank, warnings)


def _condition(c: Condition) -> pl.Expr:
    col = pl.col(c.field)
    match c.op:
        case "eq":
            return col == c.value
        case "ne":
            return col != c.value
        case "lt":
            return col < c.value
        case "le":
            return col <= c.value
        case "gt":
            return col > c.value
        case "ge":
            return col >= c.value
        case "missing":
            return col.is_null()


def check_ids(
    ids: pl.Series, column: str, validate_uscc: bool, rownums: np.ndarray, errs: Collector
) -> np.ndarray:
    """Record empty, invalid (GB 32100-2015) and duplicate ids; return the id sort order."""
    empty = (ids.is_null() | (ids == "")).to_numpy()
    if empty.any():
        errs.add(_rows(empty, rownums), column, "不能为空")
    keys = None
    if validate_uscc:
        bad, keys = _uscc_check(ids)
        bad &= ~empty
        if bad.any():
            errs.add(
                _rows(bad, rownums),
                column,
                "统一社会信用代码无效：",
                ids.filter(pl.Series(bad)).to_list(),
            )
    if keys is not None:  # every id valid: sort and find duplicates on the numeric keys
        order, same = _sort_keys(keys)
        dup = np.zeros(len(order), dtype=bool)
        dup[order[1:][same]] = True
        dup[order[:-1][same]] = True
    else:
        order = ids.arg_sort().to_numpy()
        dup = (ids.is_duplicated() & ~pl.Series(empty)).to_numpy()
    if dup.any():
        errs.add(_rows(dup, rownums), column, "重复：", ids.filter(pl.Series(dup)).to_list())
    return order


_HALF = 31**9  # one base-31 key (characters 1–9 or 10–18) is below this


def _sort_keys(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The order of the (first half, second half) key pairs, and whether each pair in that
    order equals the one before it.

    The first halves (registration authority, type, region) take few distinct values, so
    their rank times ``_HALF`` plus the second half fits an int64 and one sort replaces a
    two-key sort (three times faster on 10⁶ codes). Distinct codes have distinct keys, so
    the order is the same either way; among duplicates it may differ, but duplicates are
    refused before the order is used.
    """
    first, rank = np.unique(keys[:, 0], return_inverse=True)
    if len(first) < np.iinfo(np.int64).max // _HALF - 1:
        combined = rank.astype(np.int64) * _HALF + keys[:, 1]
        order = np.argsort(combined)
        ordered = combined[order]
        return order, ordered[1:] == ordered[:-1]
    order = np.lexsort((keys[:, 1], keys[:, 0]))
    sk = keys[order]
    return order, (sk[1:] == sk[:-1]).all(axis=1)


def check_number(
    col: pl.Series, name: str, allow_negative: bool, rownums: np.ndarray, errs: Collector
) -> pl.Series:
    """A numeric column as Float64; unparsable, infinite and forbidden negative cells recorded."""
    out = _numeric(col, name, rownums, errs)
    neg = (out < 0).fill_null(False).to_numpy()
    if neg.any() and not allow_negative:
        errs.add(_rows(neg, rownums), name, "不能为负数：", out.filter(pl.Series(neg)).to_list())
    return out.alias(name)


def industry_levels(
    frame: pl.DataFrame, needed: bool, rownums: np.ndarray, errs: Collector
) -> dict[str, pl.Series]:
    """The GB/T 4754 level columns of ``frame`` (invalid codes recorded); all empty when the
    column is absent but ``needed``; none otherwise."""
    if industry.COLUMN not in frame.columns:
        return industry.empty(frame.height) if needed else {}
    levels, bad, messages = industry.split(frame[industry.COLUMN])
    if bad.any():
        errs.add_each(_rows(bad, rownums), industry.COLUMN, messages)
    return levels


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
            cond = cond & _condition(c).fill_null(False)
        expr = pl.when(cond).then(pl.lit(rule.segment)).otherwise(expr)
    return frame.select(expr.alias("segment")).to_series()
