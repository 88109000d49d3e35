"""Method files: the pydantic schema, the TOML loader and the shipped-method registry.

A method file is the recorded recipe of an evaluation (docs/engine.md, "Method files"): every
parameter of every stage, with the parameters that are our assumptions listed by key path
(docs/methods.md §6). Structural rules live in the pydantic models (exported as
``pingtai/methods/method.schema.json``); cross-references are checked in ``_semantic_errors``.
Every error names the key path and the problem, e.g. ``segments.规上.indicators[2].weight: 必须大于 0``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from importlib import resources
from importlib.resources.abc import Traversable
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
)

from pingtai.core.datafiles import DataFileError, toml_table, validation_problems
from pingtai.core.refusal import Refused
from pingtai.engine import units, weights

ID_PATTERN = r"^[a-z0-9][a-z0-9\-]*$"
NAME_PATTERN = r"^[a-z][a-z0-9_]*$"

# The canonical enterprise source columns (docs/methods.md §2.2) and their units.
CANONICAL_TEXT = ("uscc", "name", "county_code", "platform_code", "segment")
CANONICAL_FIELDS: dict[str, tuple[str, str]] = {
    "land_mu": ("亩", "用地面积（自有+租赁）"),
    "tax_wan": ("万元", "税收（可为负：净退税）"),
    "value_added_wan": ("万元", "工业增加值（可为负）"),
    "revenue_wan": ("万元", "营业收入"),
    "energy_tce": ("吨标煤", "综合能耗"),
    "emission_t": ("吨", "主要污染物排放量（当量吨）"),
    "electricity_wan_kwh": ("万kWh", "用电量"),
    "employees": ("人", "年平均职工人数"),
    "rd_wan": ("万元", "研发经费支出"),
}
# Canonical columns an input may leave out (read as empty): clean energy counted in energy_tce
# and reported CO₂ (docs/industry-carbon.md). The carbon module fills a missing co2_t from energy use.
OPTIONAL_FIELDS: dict[str, tuple[str, str]] = {
    "renewable_tce": ("吨标煤", "清洁能源消费量（计入综合能耗的部分）"),
    "co2_t": ("吨", "二氧化碳排放量"),
}
_SIGNED_FIELDS = frozenset({"tax_wan", "value_added_wan"})
# GB/T 4754-2017 levels derived from the optional industry_code column, finest first.
INDUSTRY_LEVELS: dict[str, str] = {
    "industry_4": "行业小类",
    "industry_3": "行业中类",
    "industry_2": "行业大类",
    "industry_section": "行业门类",
}


class MethodError(DataFileError):
    """A method file that cannot be used; ``problems`` lists every ``path: message``."""

    def __init__(self, source: str, problems: list[str]):
        super().__init__("评价方法", source, problems, code="method")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_serializer(mode="wrap")
    def _omit_later_defaults(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> Any:
        """Leave out options added after schema version 1 while they hold their default, so a
        method written before they existed keeps its canonical JSON and hash."""
        data = handler(self)
        full = isinstance(info.context, dict) and info.context.get("full")
        if isinstance(data, dict) and not full:
            for name, spec in type(self).model_fields.items():
                extra = spec.json_schema_extra
                later = isinstance(extra, dict) and extra.get("x-added-after-v1")
                if later and getattr(self, name) == spec.get_default(call_default_factory=True):
                    data.pop(spec.alias if info.by_alias and spec.alias else name, None)
        return data


_LATER: dict[str, Any] = {"x-added-after-v1": True}


PositiveFloat = Annotated[float, Field(gt=0)]


class Effective(_Strict):
    from_: dt.date = Field(alias="from", description="生效日期（含）")
    to: dt.date | None = Field(None, description="失效日期（含）；空表示仍有效")


class SourceDoc(_Strict):
    document: str = Field(min_length=1, description="依据文件")
    url: str = ""
    status: str = Field(
        "", description="official / official (repost) / secondary / derived / assumption"
    )
    sections: str = Field("", description="docs/methods.md 中的对应章节")


class Assumption(_Strict):
    key: str = Field(min_length=1, description="参数的键路径，如 segments.规上.indicators[0].cap")
    note: str = Field(min_length=1, description="为何是假设、依据为何")
    ref: str = Field("", description="docs/methods.md §6 的编号，如 U-03")


class FieldSpec(_Strict):
    unit: str
    description: str = ""
    required: bool = Field(True, description="false：输入可缺此列（视为全部缺失）")
    allow_negative: bool = Field(False, description="true：允许负值（如净退税、负增加值）")


class EntitySpec(_Strict):
    id_column: str = "uscc"
    name_column: str = "name"
    segment_column: str = "segment"
    text_columns: list[str] = Field(default_factory=lambda: list(CANONICAL_TEXT))
    validate_uscc: bool = True


class FieldFormula(_Strict):
    kind: Literal["field"]
    field: str

    def inputs(self) -> list[str]:
        return [self.field]


class SumFormula(_Strict):
    kind: Literal["sum"]
    fields: list[str] = Field(min_length=1)

    def inputs(self) -> list[str]:
        return self.fields


class RatioFormula(_Strict):
    kind: Literal["ratio", "share"]
    numerator: list[str] = Field(min_length=1)
    denominator: list[str] = Field(min_length=1)

    def inputs(self) -> list[str]:
        return self.numerator + self.denominator


class GrowthFormula(_Strict):
    kind: Literal["growth"]
    current: str
    previous: str

    def inputs(self) -> list[str]:
        return [self.current, self.previous]


Formula = Annotated[
    FieldFormula | SumFormula | RatioFormula | GrowthFormula, Field(discriminator="kind")
]


class Indicator(_Strict):
    id: str = Field(pattern=NAME_PATTERN)
    name: str = Field(min_length=1)
    unit: str
    direction: Literal["higher", "lower"] = "higher"
    formula: Formula
    deduct: dict[str, str] = Field(
        default_factory=dict,
        description='公式字段 → 从中扣减的字段，如 { energy_tce = "renewable_tce" }（清洁能源抵扣能耗）',
        json_schema_extra=_LATER,
    )
    zero_denominator: Literal["missing", "zero"] = "missing"
    negative: Literal["keep", "zero", "missing"] = "keep"
    publish: bool = Field(True, description="false：只参与计分，不公开（docs/methods.md §3.1）")
    description: str = ""


class Benchmark(_Strict):
    kind: Literal["fixed", "mean", "median", "percentile", "ratio_of_sums"]
    value: PositiveFloat | None = None
    k: PositiveFloat = Field(1.0, description="倍数，如 2 × 平均值（淮安）")
    q: float | None = Field(None, ge=0, le=100, description="百分位数（kind = percentile）")
    by: list[str] = Field(default_factory=list, description="分组列，如 county_code")


class BenchmarkRatio(_Strict):
    kind: Literal["benchmark_ratio"]
    benchmark: Benchmark


class MinMax(_Strict):
    kind: Literal["minmax"]
    low: float = 0.0
    high: float = 1.0
    by: list[str] = Field(default_factory=list)


class ZScore(_Strict):
    kind: Literal["zscore"]
    center: float = 0.0
    scale: float = 1.0
    by: list[str] = Field(default_factory=list)


class PercentileRank(_Strict):
    kind: Literal["percentile"]
    by: list[str] = Field(default_factory=list)


class Target(_Strict):
    kind: Literal["target"]
    target: float
    baseline: float = 0.0


class Band(_Strict):
    threshold: float
    value: float


class Banded(_Strict):
    kind: Literal["banded"]
    bands: list[Band] = Field(min_length=1)
    otherwise: float = 0.0


class Vector(_Strict):
    kind: Literal["vector"]
    by: list[str] = Field(default_factory=list)


Scoring = Annotated[
    BenchmarkRatio | MinMax | ZScore | PercentileRank | Target | Banded | Vector,
    Field(discriminator="kind"),
]
MissingRule = Literal[
    "exclude", "zero_score", "group_average_score", "impute_mean", "impute_median"
]


class SegmentIndicator(_Strict):
    indicator: str
    weight: PositiveFloat | None = None
    scoring: Scoring
    cap: PositiveFloat | None = Field(None, description="单项得分上限 = cap × 权重（开化 1.5）")
    floor: float | None = Field(None, description="单项得分下限 = floor × 权重")
    missing: MissingRule = "zero_score"
    pillar: str | None = None


class Pillar(_Strict):
    id: str = Field(pattern=NAME_PATTERN)
    name: str
    weight: PositiveFloat
    aggregation: Literal["weighted_sum", "geometric"] = "weighted_sum"


class Weighting(_Strict):
    kind: Literal["fixed", "equal", "entropy", "critic", "pca", "ahp"] = "fixed"
    total: PositiveFloat = Field(100.0, description="非固定权重时的权重合计")
    matrix: list[list[PositiveFloat]] | None = Field(None, description="AHP 两两比较矩阵")
    allow_inconsistent: bool = Field(False, description="允许 CR > 0.1（须说明理由）")


class Aggregation(_Strict):
    kind: Literal["weighted_sum", "geometric", "topsis"] = "weighted_sum"


class ClassBand(_Strict):
    class_: str = Field(alias="class", min_length=1)
    label: str = ""
    min_score: float | None = None
    share: float | None = Field(None, gt=0, le=1)


class Classes(_Strict):
    kind: Literal["thresholds", "quota", "mixed"]
    by: list[str] = Field(default_factory=list, description="分等级的范围，如 county_code")
    bands: list[ClassBand] = Field(min_length=2)


class Segment(_Strict):
    name: str = Field(min_length=1)
    description: str = ""
    exempt: bool = Field(False, description="豁免（不评分，列入 T 类）")
    exempt_class: str = "T"
    indicators: list[SegmentIndicator] = Field(default_factory=list)
    pillars: list[Pillar] = Field(default_factory=list)
    weighting: Weighting = Field(default_factory=Weighting)
    aggregation: Aggregation = Field(default_factory=Aggregation)
    classes: Classes | None = None

    def class_rules(self) -> Classes:
        """The class rules of a scored segment (the loader refuses a scored segment without)."""
        if self.classes is None:
            raise ValueError(f"分类“{self.name}”没有等级规则")
        return self.classes

    def pillar_positions(self) -> np.ndarray:
        """Each indicator's pillar as a position in ``pillars`` (the loader checks that every
        indicator names one of them when pillars are used)."""
        position = {p.id: i for i, p in enumerate(self.pillars)}
        out = []
        for it in self.indicators:
            if it.pillar is None:
                raise ValueError(f"分类“{self.name}”的指标“{it.indicator}”没有指定维度")
            out.append(position[it.pillar])
        return np.array(out)


class Condition(_Strict):
    field: str
    op: Literal["eq", "ne", "lt", "le", "gt", "ge", "missing"]
    value: float | str | None = None


class SegmentRule(_Strict):
    segment: str
    where: list[Condition] = Field(min_length=1)


class Adjustment(_Strict):
    id: str = Field(pattern=NAME_PATTERN)
    name: str
    column: str
    kind: Literal["points", "ratio"]
    per_unit: float = Field(description="每单位的分值或比例；正数加分，负数减分")
    cap: PositiveFloat | None = Field(None, description="本项绝对值上限")
    segments: list[str] = Field(default_factory=list, description="适用的分类；空表示全部")


class AdjustmentLimits(_Strict):
    max_bonus_points: float | None = Field(None, ge=0)
    max_deduction_points: float | None = Field(None, ge=0)
    max_bonus_ratio: float | None = Field(None, ge=0)
    max_deduction_ratio: float | None = Field(None, ge=0)


class Veto(_Strict):
    id: str = Field(pattern=NAME_PATTERN)
    name: str
    column: str
    effect: Literal["force_class", "exclude"]
    class_: str | None = Field(None, alias="class")
    required: bool = Field(False, description="true：输入必须有此列；false：缺列时记录“未检查”")


class TieKey(_Strict):
    column: str
    descending: bool = True


class Ranking(_Strict):
    by: list[str] = Field(
        default_factory=list, description="分组排名列（在分类之内），如 county_code"
    )
    tie_break: list[TieKey] = Field(default_factory=list)


class Robustness(_Strict):
    weights: Literal["dirichlet", "perturb"] = "dirichlet"
    concentration: PositiveFloat = Field(200.0, description="Dirichlet 集中度 α₀")
    spread: float = Field(0.2, gt=0, lt=1, description="perturb：各权重 ±spread 均匀扰动")
    alternatives: list[Literal["benchmark_ratio", "minmax", "zscore", "percentile", "vector"]] = (
        Field(default_factory=list)
    )
    stable_probability: float = Field(0.8, gt=0, le=1)


class Reference(_Strict):
    name: str = Field(pattern=NAME_PATTERN, description="输出列名的一部分：ref_<name>__<指标>")
    label: str = Field(min_length=1, description="显示名称，如 本县、本行业")
    by: list[str] = Field(description='参照分组列，如 ["county_code"] 或 ["industry_2"]')


class Output(_Strict):
    decimals: int = Field(6, ge=0, le=12)
    references: list[Reference] = Field(
        default_factory=list,
        description="参照基准：每个比值型指标再按这些分组算一次总量之比，只作对照，不计分",
        json_schema_extra=_LATER,
    )


IndustryLevel = Literal["industry_4", "industry_3", "industry_2", "industry_section"]


def _finest_first() -> list[IndustryLevel]:
    return ["industry_4", "industry_3", "industry_2"]


class Grouping(_Strict):
    min_size: int = Field(
        10, ge=1, description="按行业分组时每组最少企业数；不足时退到更粗一级，再退到县、全市"
    )
    industry_levels: list[IndustryLevel] = Field(
        default_factory=_finest_first,
        min_length=1,
        description="行业分组由细到粗的退级顺序",
    )
    fallback: list[list[str]] = Field(
        default_factory=lambda: [["county_code"], []],
        min_length=1,
        description="行业各级都不足时依次退到的分组；[] 表示全部（全市）；最后一级不论大小都采用",
    )


class Method(_Strict):
    schema_version: Literal[1] = 1
    id: str = Field(pattern=ID_PATTERN)
    version: str = Field(min_length=1)
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    kind: Literal["enterprise", "platform"] = "enterprise"
    effective: Effective
    source: SourceDoc
    assumptions: list[Assumption] = Field(default_factory=list)
    entity: EntitySpec = Field(default_factory=EntitySpec)
    fields: dict[str, FieldSpec] = Field(default_factory=dict)
    indicators: list[Indicator] = Field(min_length=1)
    segment_rules: list[SegmentRule] = Field(default_factory=list)
    segments: dict[str, Segment] = Field(min_length=1)
    adjustments: list[Adjustment] = Field(default_factory=list)
    adjustment_limits: AdjustmentLimits = Field(default_factory=AdjustmentLimits)
    vetoes: list[Veto] = Field(default_factory=list)
    ranking: Ranking = Field(default_factory=Ranking)
    grouping: Grouping = Field(default_factory=Grouping, json_schema_extra=_LATER)
    robustness: Robustness = Field(default_factory=Robustness)
    output: Output = Field(default_factory=Output)

    @property
    def all_fields(self) -> dict[str, FieldSpec]:
        """Declared numeric fields, with the canonical ones filled in for enterprise methods."""
        if self.kind != "enterprise":
            return dict(self.fields)
        base = {
            k: FieldSpec(unit=u, description=d, allow_negative=k in _SIGNED_FIELDS)
            for k, (u, d) in CANONICAL_FIELDS.items()
        }
        optional = {
            k: FieldSpec(unit=u, description=d, required=False)
            for k, (u, d) in OPTIONAL_FIELDS.items()
        }
        return {**base, **optional, **self.fields}

    @property
    def read_fields(self) -> set[str]:
        """Numeric fields the scored indicators read, deductions included."""
        used = {it.indicator for s in self.segments.values() for it in s.indicators}
        out: set[str] = set()
        for ind in self.indicators:
            if ind.id in used:
                out |= set(ind.formula.inputs()) | set(ind.deduct.values())
        return out

    @property
    def group_columns(self) -> set[str]:
        """Every column some ``by`` list of the method groups on."""
        lists = [self.ranking.by, *(r.by for r in self.output.references)]
        for seg in self.segments.values():
            lists += [scoring_by(it.scoring) for it in seg.indicators]
            if seg.classes is not None:
                lists.append(seg.classes.by)
        return {c for by in lists for c in by}

    @property
    def uses_industry(self) -> bool:
        return bool(self.group_columns & set(INDUSTRY_LEVELS))

    def indicator(self, indicator_id: str) -> Indicator:
        return next(i for i in self.indicators if i.id == indicator_id)

    def canonical_json(self) -> str:
        data = self.model_dump(mode="json", by_alias=True)
        return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    @property
    def hash(self) -> str:
        """SHA-256 of the canonical JSON of the validated method (formatting-insensitive)."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()


def scoring_by(scoring: Scoring) -> list[str]:
    """The grouping a scorer fits its parameters on."""
    if isinstance(scoring, BenchmarkRatio):
        return scoring.benchmark.by
    return list(getattr(scoring, "by", []))


def fits_population(scoring: Scoring) -> bool:
    """Whether a scorer's parameters come from the population (and so from a group)."""
    if isinstance(scoring, BenchmarkRatio):
        return scoring.benchmark.kind != "fixed"
    return scoring.kind in ("minmax", "zscore", "percentile", "vector")


def _resolve(data: Any, key: str) -> bool:
    node = data
    for token in key.replace("]", "").replace("[", ".").split("."):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False
    return True


def _semantic_errors(m: Method) -> list[str]:
    errs: list[str] = []
    fields = m.all_fields
    for name, spec in fields.items():
        try:
            units.to_base(spec.unit)
        except Refused as e:
            errs.append(f"fields.{name}.unit: {e}")
    seen: set[str] = set()
    for i, ind in enumerate(m.indicators):
        p = f"indicators[{i}]"
        if ind.id in seen:
            errs.append(f"{p}.id: 指标编号“{ind.id}”重复")
        seen.add(ind.id)
        refs = ind.formula.inputs()
        missing = [r for r in refs if r not in fields]
        if missing:
            errs.append(
                f"{p}.formula: 未声明的输入字段 {'、'.join(missing)}（请在 fields 中声明单位）"
            )
            continue
        errs += _deduct_errors(ind, refs, fields, f"{p}.deduct")
        try:
            _check_indicator_unit(ind, fields)
        except Refused as e:
            errs.append(f"{p}.unit: {e}")
    indicator_ids = {i.id for i in m.indicators}
    group_ok = set(m.entity.text_columns) | set(fields) | set(INDUSTRY_LEVELS)
    for sname, seg in m.segments.items():
        sp = f"segments.{sname}"
        if seg.exempt:
            if seg.indicators:
                errs.append(f"{sp}.indicators: 豁免分类不应设置指标")
            continue
        if not seg.indicators:
            errs.append(f"{sp}.indicators: 评分分类至少需要一个指标")
        if seg.classes is None:
            errs.append(f"{sp}.classes: 评分分类必须设置等级规则")
        used: set[str] = set()
        pillar_ids = {p.id for p in seg.pillars}
        for j, item in enumerate(seg.indicators):
            ip = f"{sp}.indicators[{j}]"
            if item.indicator not in indicator_ids:
                errs.append(f"{ip}.indicator: 未定义的指标“{item.indicator}”")
            if item.indicator in used:
                errs.append(f"{ip}.indicator: 指标“{item.indicator}”在本分类中重复")
            used.add(item.indicator)
            if seg.weighting.kind == "fixed" and item.weight is None:
                errs.append(f"{ip}.weight: 固定权重时必须给出权重（正数）")
            if seg.weighting.kind != "fixed" and item.weight is not None:
                errs.append(f"{ip}.weight: 权重方法为 {seg.weighting.kind} 时不应给出权重")
            if item.cap is not None and item.floor is not None and item.floor > item.cap:
                errs.append(f"{ip}.floor: 下限不能大于上限 cap")
            if seg.pillars and item.pillar not in pillar_ids:
                errs.append(f"{ip}.pillar: 必须是本分类 pillars 中的一个编号")
            if not seg.pillars and item.pillar is not None:
                errs.append(f"{ip}.pillar: 本分类未定义 pillars")
            sc = item.scoring
            errs += _by_errors(scoring_by(sc), f"{ip}.scoring", group_ok)
            if sc.kind == "benchmark_ratio":
                b = sc.benchmark
                if b.kind == "fixed" and b.value is None:
                    errs.append(f"{ip}.scoring.benchmark.value: 固定基准值必须给出（正数）")
                if b.kind != "fixed" and b.value is not None:
                    errs.append(f"{ip}.scoring.benchmark.value: 计算型基准不应给出固定值")
                if b.kind == "percentile" and b.q is None:
                    errs.append(f"{ip}.scoring.benchmark.q: 百分位基准必须给出 q")
                if (
                    b.kind == "ratio_of_sums"
                    and item.indicator in indicator_ids
                    and m.indicator(item.indicator).formula.kind not in ("ratio", "share")
                ):
                    errs.append(f"{ip}.scoring.benchmark.kind: 比值之和基准只适用于比值型指标")
            if sc.kind == "minmax" and sc.high <= sc.low:
                errs.append(f"{ip}.scoring.high: 必须大于 low")
            if sc.kind == "target" and sc.target == sc.baseline:
                errs.append(f"{ip}.scoring.target: 不能等于 baseline")
            if sc.kind == "banded":
                t = [b.threshold for b in sc.bands]
                if len(set(t)) != len(t):
                    errs.append(f"{ip}.scoring.bands: 档位阈值重复")
        fitted_by = {
            tuple(scoring_by(it.scoring)) for it in seg.indicators if fits_population(it.scoring)
        }
        if len(fitted_by) > 1:
            errs.append(
                f"{sp}.indicators: 同一分类内按总体计算的基准须用同一分组（by），"
                "输出的 bench_group 才能说明每个企业与谁比较"
            )
        if seg.pillars:
            if seg.aggregation.kind == "topsis":
                errs.append(f"{sp}.aggregation.kind: TOPSIS 不支持分层指标（pillars）")
            if seg.weighting.kind != "fixed":
                errs.append(f"{sp}.weighting.kind: 分层指标只支持固定权重")
            for k, pil in enumerate(seg.pillars):
                if not any(it.pillar == pil.id for it in seg.indicators):
                    errs.append(f"{sp}.pillars[{k}]: 维度“{pil.id}”下没有指标")
        w = seg.weighting
        if w.kind == "ahp":
            n = len(seg.indicators)
            a = np.asarray(w.matrix or [], dtype=float)
            if a.shape != (n, n):
                errs.append(f"{sp}.weighting.matrix: 必须为 {n}×{n} 矩阵（与指标数一致）")
            elif not np.allclose(a * a.T, 1.0, rtol=1e-3) or not np.allclose(np.diag(a), 1.0):
                errs.append(f"{sp}.weighting.matrix: 必须是对角为 1 的互反矩阵（a_ji = 1/a_ij）")
            else:
                _, cr = weights.ahp(a)
                if cr > 0.1 and not w.allow_inconsistent:
                    errs.append(
                        f"{sp}.weighting.matrix: 一致性比率 CR = {cr:.3f} > 0.1，判断矩阵不一致"
                        "（确需使用请设 allow_inconsistent = true 并在 assumptions 中说明）"
                    )
        elif w.matrix is not None:
            errs.append(f"{sp}.weighting.matrix: 只有 AHP 权重需要判断矩阵")
        if seg.classes is not None:
            errs += _class_errors(seg.classes, f"{sp}.classes", group_ok)
    for k, rule in enumerate(m.segment_rules):
        if rule.segment not in m.segments:
            errs.append(f"segment_rules[{k}].segment: 未定义的分类“{rule.segment}”")
        for c, cond in enumerate(rule.where):
            if cond.field not in group_ok:
                errs.append(f"segment_rules[{k}].where[{c}].field: “{cond.field}”不是输入列")
            elif cond.op != "missing" and cond.value is None:
                errs.append(f"segment_rules[{k}].where[{c}].value: 必须给出比较值")
    for k, adj in enumerate(m.adjustments):
        if adj.per_unit == 0:
            errs.append(f"adjustments[{k}].per_unit: 不能为 0")
        for s in adj.segments:
            if s not in m.segments:
                errs.append(f"adjustments[{k}].segments: 未定义的分类“{s}”")
    all_classes = {b.class_ for s in m.segments.values() if s.classes for b in s.classes.bands}
    for k, v in enumerate(m.vetoes):
        if v.effect == "force_class" and v.class_ not in all_classes:
            errs.append(
                f"vetoes[{k}].class: 强制等级必须是已定义的等级之一（{'、'.join(sorted(all_classes))}）"
            )
        if v.effect == "exclude" and v.class_ is not None:
            errs.append(f"vetoes[{k}].class: effect = exclude 时不应给出等级")
    errs += _by_errors(m.ranking.by, "ranking.by", group_ok)
    if m.uses_industry:
        errs += _grouping_errors(m.grouping, group_ok)
    names = [r.name for r in m.output.references]
    for k, ref in enumerate(m.output.references):
        if names.count(ref.name) > 1:
            errs.append(f"output.references[{k}].name: 参照名称“{ref.name}”重复")
        errs += _by_errors(ref.by, f"output.references[{k}].by", group_ok)
    for k, tie in enumerate(m.ranking.tie_break):
        if tie.column not in indicator_ids and tie.column not in fields:
            errs.append(f"ranking.tie_break[{k}].column: 必须是指标编号或输入字段")
    if m.effective.to is not None and m.effective.to < m.effective.from_:
        errs.append("effective.to: 失效日期早于生效日期")
    dumped = m.model_dump(mode="json", by_alias=True, context={"full": True})
    for k, assumption in enumerate(m.assumptions):
        if not _resolve(dumped, assumption.key):
            errs.append(f"assumptions[{k}].key: 键路径“{assumption.key}”在本方法中不存在")
    return errs


def _class_errors(c: Classes, p: str, group_ok: set[str]) -> list[str]:
    errs = []
    names = [b.class_ for b in c.bands]
    if len(set(names)) != len(names):
        errs.append(f"{p}.bands: 等级名称重复")
    head = c.bands[:-1]
    if c.kind in ("thresholds", "mixed"):
        s = [b.min_score for b in head if b.min_score is not None]
        if len(s) < len(head):
            errs.append(f"{p}.bands: 除最后一档外，每档都必须给出 min_score")
        elif any(a <= b for a, b in pairwise(s)):
            errs.append(f"{p}.bands: min_score 必须从高到低严格递减")
    if c.kind in ("quota", "mixed"):
        shares = [b.share for b in head if b.share is not None]
        if len(shares) < len(head):
            errs.append(f"{p}.bands: 除最后一档外，每档都必须给出 share")
        else:
            total = sum(shares)
            if total >= 1 + 1e-9:
                errs.append(
                    f"{p}.bands: 前几档 share 之和为 {total:g}，必须小于 1（最后一档取余数）"
                )
            last = c.bands[-1].share
            if last is not None and abs(total + last - 1) > 1e-6:
                errs.append(f"{p}.bands[{len(c.bands) - 1}].share: 各档 share 之和必须为 1")
    return errs + _by_errors(c.by, f"{p}.by", group_ok)


def _by_errors(by: list[str], p: str, group_ok: set[str]) -> list[str]:
    errs = [f"{p}[{k}]: 分组列“{col}”不是输入列" for k, col in enumerate(by) if col not in group_ok]
    if len([c for c in by if c in INDUSTRY_LEVELS]) > 1:
        errs.append(f"{p}: 一个分组最多含一级行业（{'、'.join(INDUSTRY_LEVELS)}）")
    return errs


def _grouping_errors(g: Grouping, group_ok: set[str]) -> list[str]:
    errs = []
    order = list(INDUSTRY_LEVELS)
    ranks = [order.index(level) for level in g.industry_levels]
    if any(a >= b for a, b in itertools.pairwise(ranks)):
        errs.append("grouping.industry_levels: 必须由细到粗排列且不重复（小类、中类、大类、门类）")
    for k, by in enumerate(g.fallback):
        p = f"grouping.fallback[{k}]"
        errs += [f"{p}: 分组列“{c}”不是输入列" for c in by if c not in group_ok]
        if any(c in INDUSTRY_LEVELS for c in by):
            errs.append(f"{p}: 退级分组不能再含行业（行业各级由 industry_levels 决定）")
    return errs


def _deduct_errors(
    ind: Indicator, refs: list[str], fields: dict[str, FieldSpec], p: str
) -> list[str]:
    errs = []
    for target, source in ind.deduct.items():
        if target not in refs:
            errs.append(f"{p}.{target}: 扣减对象必须是本指标公式中的字段")
        elif source not in fields:
            errs.append(f"{p}.{target}: 未声明的扣减字段“{source}”")
        elif source == target:
            errs.append(f"{p}.{target}: 字段不能扣减自身")
        elif (
            units.parse(fields[source].unit).dimension != units.parse(fields[target].unit).dimension
        ):
            errs.append(f"{p}.{target}: 扣减字段“{source}”与“{target}”量纲不同")
    return errs


def _check_indicator_unit(ind: Indicator, fields: dict[str, FieldSpec]) -> None:
    f = ind.formula
    if isinstance(f, RatioFormula):
        nu = {fields[x].unit for x in f.numerator}
        du = {fields[x].unit for x in f.denominator}
        for group in (f.numerator, f.denominator):
            dims = {units.parse(fields[x].unit).dimension for x in group}
            if len(dims) > 1:
                raise Refused(f"相加的字段 {'、'.join(group)} 量纲不同")
        units.ratio_factor(next(iter(sorted(nu))), next(iter(sorted(du))), ind.unit)
        if f.kind == "share" and units.parse(ind.unit).dimension != ("", ""):
            raise Refused("占比（share）指标的单位必须是 1 或 %")
    elif isinstance(f, GrowthFormula):
        units.factor(fields[f.current].unit, fields[f.previous].unit)
        if units.parse(ind.unit).dimension != ("", ""):
            raise Refused("增长率指标的单位必须是 1 或 %")
    else:
        for name in f.inputs():
            units.factor(fields[name].unit, ind.unit)


def parse_method(raw: dict, source: str = "<内存>") -> Method:
    """Validate a method given as a dict (already parsed TOML); raise ``MethodError``."""
    try:
        method = Method.model_validate(raw)
    except ValidationError as e:
        raise MethodError(source, validation_problems(e, raw)) from None
    problems = _semantic_errors(method)
    if problems:
        raise MethodError(source, problems)
    return method


def _shipped_dir() -> Traversable:
    return resources.files("pingtai.methods")


def load_method(id_or_path: str | Path) -> Method:
    """Load a shipped method by id, or a method file by path."""
    path = Path(id_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise MethodError(str(path), ["文件不存在"])
        text = path.read_text(encoding="utf-8")
        source = str(path)
    else:
        res = _shipped_dir() / f"{id_or_path}.toml"
        if not res.is_file():
            known = "、".join(m.id for m in list_methods())
            raise MethodError(str(id_or_path), [f"没有这个评价方法（可用：{known}）"])
        text = res.read_text(encoding="utf-8")
        source = str(id_or_path)
    try:
        raw = toml_table(text, what="评价方法", source=source)
    except DataFileError as bad:
        raise MethodError(source, bad.problems) from None
    return parse_method(raw, source)


def list_methods() -> list[Method]:
    """Every shipped method, sorted by id."""
    names = sorted(p.name for p in _shipped_dir().iterdir() if p.name.endswith(".toml"))
    return [load_method(n.removesuffix(".toml")) for n in names]


def json_schema() -> dict:
    """The published JSON Schema of a method file."""
    schema = Method.model_json_schema(by_alias=True)
    schema["$id"] = "https://pingtai.lishui/method.schema.json"
    schema["title"] = "pingtai 评价方法文件"
    return schema


def json_schema_text() -> str:
    return json.dumps(json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
