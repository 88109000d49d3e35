"""What one firm's stored result carries besides its score and class (EnterpriseResult.values).

Per indicator: the value, the indicator score, the benchmark it was measured against and the
method's reference benchmarks (e.g. 本县). Under reserved keys (indicator ids cannot start with
"_"): ``_groups`` — the comparison groups with their level and size: the rank group (行业排名
within it and how many of its members are in the best class, 本行业A类企业数 when ranks are
per industry), the benchmark group and each reference group; ``_deductions`` — what the
clean-energy deduction took off; ``_carbon`` — the firm's carbon efficiency (碳效);
``_reference`` — the industry and county benchmarks of the industry method on the same inputs,
for runs whose method has none (``industry_references``). Everything
is read from the engine's output columns, so a stored value can be checked against the result
file line by line.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import polars as pl

from pingtai.engine.carbon import carbon_efficiency
from pingtai.engine.explain import contributions_all, improvement_paths
from pingtai.engine.methods import Method
from pingtai.engine.result import EvaluationResult


def _group(row: dict[str, Any], prefix: str, label_column: str) -> dict[str, Any] | None:
    if row.get(label_column) is None:
        return None
    return {
        "group": row[label_column],
        "level": row.get(f"{prefix}_level"),
        "size": row.get(f"{prefix}_size"),
    }


@lru_cache(maxsize=8)
def _layout(columns: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The indicators and deduction columns of a result table, found once per table rather
    than once per row (a province's run has 10⁵ rows of about a hundred columns)."""
    indicators = [c.removeprefix("score__") for c in columns if c.startswith("score__")]
    return indicators, [c for c in columns if c.startswith("deduct__")]


def firm_values(
    row: dict[str, Any], method: Method, carbon: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The JSON stored for one row of an engine result table."""
    indicators, deduct_columns = _layout(tuple(row))
    refs = method.output.references
    values: dict[str, Any] = {
        i: {
            "value": row[i],
            "score": row[f"score__{i}"],
            **({"bench": row[f"bench__{i}"]} if f"bench__{i}" in row else {}),
            **(
                {"ref": {r.name: row.get(f"ref_{r.name}__{i}") for r in refs}}
                if refs and any(f"ref_{r.name}__{i}" in row for r in refs)
                else {}
            ),
        }
        for i in indicators
    }
    rank = _group(row, "group", "group")
    if rank is not None:
        rank.update(rank=row.get("rank"), top_count=row.get("group_top_count"))
    groups: dict[str, Any] = {"rank": rank, "bench": _group(row, "bench_group", "bench_group")}
    for r in refs:
        ref = _group(row, f"ref_{r.name}_group", f"ref_{r.name}_group")
        if ref is not None:
            ref.update(label=r.label, top_count=row.get(f"ref_{r.name}_top_count"))
        groups[f"ref_{r.name}"] = ref
    values["_groups"] = {k: v for k, v in groups.items() if v is not None}
    deductions = {c.removeprefix("deduct__"): row[c] for c in deduct_columns if row[c] is not None}
    if deductions:
        values["_deductions"] = deductions
    if row.get("industry_code"):
        values["_industry_code"] = row["industry_code"]
    if carbon:
        values["_carbon"] = carbon
    return values


def indicator_entries(values: dict[str, Any]) -> dict[str, Any]:
    """The per-indicator entries of a stored ``values`` (without the reserved ``_`` keys)."""
    return {k: v for k, v in values.items() if not k.startswith("_")}


def carbon_by_firm(frame: pl.DataFrame, year: int) -> dict[str, dict[str, Any]]:
    """Carbon efficiency of every firm of an input table, keyed by USCC; firms without an
    intensity are left out."""
    result = carbon_efficiency(frame, year)
    f = result.factors
    keep = ["co2_t", "co2_source", "carbon_l", "carbon_band", "carbon_group", "carbon_group_level"]
    keep += ["carbon_group_size", "carbon_group_l", "carbon_k", "carbon_grade"]
    out = {}
    for r in result.table.filter(pl.col("carbon_l").is_not_null()).iter_rows(named=True):
        out[r["uscc"]] = {
            **{k: r[k] for k in keep},
            "grid_factor_year": f.grid.year,
            "data_version": f.data.version,
        }
    return out


PART_FIELDS = ("indicator", "name", "unit", "value", "benchmark", "weight", "contribution")
PATH_FIELDS = (
    "target",
    "path",
    "indicator",
    "indicator_name",
    "unit",
    "current_value",
    "required_value",
    "change_pct",
    "reachable",
)


def firm_explanations(result: EvaluationResult) -> dict[str, dict[str, Any]]:
    """Per scored firm: each indicator's part of the score (``parts``, with the note on how
    the parts add up) and the smallest changes that reach the next class (``paths``), as the
    portrait shows them. Computed for all firms at once, vectorised."""
    out: dict[str, dict[str, Any]] = {}
    parts = contributions_all(result)
    if parts.is_empty():
        return out
    # One pass over the rows, each firm's parts in table order and its note from its first
    # row, non-finite numbers made empty by polars beforehand: a group-by with a frame per
    # firm and a check per value cost seconds at 10⁵ firms (docs/benchmarks.md).
    fields = (*PART_FIELDS, "share_of_score")
    for uscc, note, *values in _finite(parts).select("entity_id", "note", *fields).iter_rows():
        entry = out.get(key := str(uscc))
        if entry is None:
            entry = out[key] = {"parts": [], "note": note, "paths": []}
        entry["parts"].append(dict(zip(fields, values, strict=True)))
    paths = _finite(improvement_paths(result, "class"))
    present = [k for k in PATH_FIELDS if k in paths.columns]
    for uscc, *values in paths.select("entity_id", *present).iter_rows():
        if uscc in out:
            found = dict(zip(present, values, strict=True))
            out[uscc]["paths"].append({k: found.get(k) for k in PATH_FIELDS})
    return out


def _finite(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with NaN and infinities made null, as ``_json`` does value by value."""
    floats = [c for c, t in frame.schema.items() if t.is_float()]
    return frame.with_columns(
        pl.when(pl.col(c).is_finite()).then(pl.col(c)).otherwise(None).alias(c) for c in floats
    )


def _json(value: Any) -> Any:
    """NaN and infinities are not JSON (PostgreSQL refuses them): stored as empty."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# The shipped method that measures each firm against its industry and its county
# (docs/engine.md, "Industry groups"): for runs of any other method it is evaluated on the same
# frozen inputs when the run is made, so the portrait can show the industry and county
# benchmarks next to the one the score used without evaluating anything (docs/industry-carbon.md,
# "Portrait and lists").
REFERENCE_METHOD = "lishui-mujun-industry"


def industry_references(
    frame: pl.DataFrame, year: int, method: Method
) -> dict[str, dict[str, Any]]:
    """Per firm: the reference method's industry benchmark group and county group and, per
    indicator, [industry benchmark, county benchmark]. Empty for the reference method itself
    (its own values hold them) and when the reference method cannot read the inputs."""
    from pingtai.core.refusal import Refused
    from pingtai.engine import evaluate, load_method

    if method.id == REFERENCE_METHOD:
        return {}
    try:
        table = evaluate(load_method(REFERENCE_METHOD), frame, year=year).table
    except Refused:
        return {}
    bench = [c for c in table.columns if c.startswith("bench__")]
    out = {}
    for row in table.iter_rows(named=True):
        out[row["uscc"]] = {
            "method": REFERENCE_METHOD,
            "bench_group": _group(row, "bench_group", "bench_group"),
            "county_group": _group(row, "ref_county_group", "ref_county_group"),
            "indicators": {
                c.removeprefix("bench__"): [
                    _json(row[c]),
                    _json(row.get(f"ref_county__{c.removeprefix('bench__')}")),
                ]
                for c in bench
            },
        }
    return out
