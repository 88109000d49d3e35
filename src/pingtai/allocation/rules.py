"""Allocation rule sets, admission thresholds and post-evaluation consequences as versioned TOML.

Pure Python (no Django). Files ship in ``rules/`` beside this module; a rule set is named by
its id (the file stem) or given as a path. Every parameter that is our assumption is listed in
the file's ``assumed`` keys so that pages and exports can label it.
"""

from __future__ import annotations

import hashlib
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pingtai.core.datafiles import toml_table, validate
from pingtai.core.refusal import Refused

RULES_DIR = Path(__file__).with_name("rules")

PoolKind = Literal["land", "energy", "emission", "funds"]
# Name, unit and the smallest allocatable amount of each pool (docs/allocation.md §1: 0.01 亩, 1 吨标煤, 0.01 万元).
POOLS: dict[str, tuple[str, str, Decimal]] = {
    "land": ("新增建设用地指标", "亩", Decimal("0.01")),
    "energy": ("用能指标", "吨标煤", Decimal("1")),
    "emission": ("排污权指标", "吨", Decimal("0.01")),
    "funds": ("财政扶持资金", "万元", Decimal("0.01")),
}
# Platform figures (registry.selectors.Figures) a score may use: ratios of sums.
FIGURE_INDICATORS = {
    "tax_per_mu": "亩均税收（万元/亩）",
    "value_added_per_mu": "亩均增加值（万元/亩）",
    "output_per_mu": "亩均产值（万元/亩）",
}
# Proposal figures a project-level score may use.
PROPOSAL_INDICATORS = {
    "tax_per_mu": "预计亩均税收（万元/亩）",
    "investment_intensity": "固定资产投资强度（万元/亩）",
    "value_added_per_mu": "预计亩均增加值（万元/亩）",
}

Share = Annotated[Decimal, Field(ge=0, le=1)]
NonNegative = Annotated[Decimal, Field(ge=0)]


M = TypeVar("M", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Score(_Strict):
    # figures: platform 亩均 ratios of sums; classes: 亩均 classes of a published evaluation run
    # (land-weighted class points); league: the platforms' scores in the published year-end
    # assessment (plan §四(十): 要素支持政策与考评结果直接挂钩); proposals: the projects' own
    # expected figures.
    source: Literal["figures", "classes", "league", "proposals"]
    data_year_offset: int = Field(default=-1, le=0)
    indicators: dict[str, Annotated[Decimal, Field(gt=0)]] = Field(default_factory=dict)
    class_points: dict[str, NonNegative] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Score:
        if self.source == "classes":
            if not self.class_points:
                raise ValueError("score.class_points: 按评价类别计分时必须给出各类别分值")
        elif self.source == "league":
            if self.indicators or self.class_points:
                raise ValueError("score: 按年终考核得分计分时不再给出指标或类别分值")
        else:
            allowed = FIGURE_INDICATORS if self.source == "figures" else PROPOSAL_INDICATORS
            if not self.indicators:
                raise ValueError("score.indicators: 至少需要一个指标")
            unknown = sorted(set(self.indicators) - set(allowed))
            if unknown:
                raise ValueError(
                    f"score.indicators: 未知指标 {', '.join(unknown)}，可用 {', '.join(allowed)}"
                )
        return self


class Multipliers(_Strict):
    by: Literal["none", "tier", "major"] = "none"
    values: dict[str, Annotated[Decimal, Field(gt=0)]] = Field(default_factory=dict)


class RecipientBounds(_Strict):
    floor: NonNegative | None = None
    cap: NonNegative | None = None


class BoundRules(_Strict):
    floor_share: Share = Decimal(0)  # every recipient's floor as a share of the pool
    cap_share: Share | None = None  # every recipient's cap as a share of the pool
    recipients: dict[str, RecipientBounds] = Field(default_factory=dict)  # by platform code


class RuleSet(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")
    version: str
    title: str
    source: str
    pool: PoolKind
    level: Literal["platform", "project"]
    base_share: Share
    reserve_major_share: Share = Decimal(0)
    allocate_all: bool = False
    score: Score
    multipliers: Multipliers = Multipliers()
    bounds: BoundRules = BoundRules()
    assumed: tuple[str, ...] = ()
    notes: str = ""

    @property
    def unit(self) -> Decimal:
        return POOLS[self.pool][2]

    @property
    def unit_name(self) -> str:
        return POOLS[self.pool][1]


class Thresholds(_Strict):
    investment_intensity_min: NonNegative | None = None  # 固定资产投资强度 万元/亩
    floor_area_ratio_min: NonNegative | None = None  # 容积率
    tax_per_mu_min: NonNegative | None = None  # 达产后亩均税收 万元/亩
    energy_per_value_added_max: NonNegative | None = None  # 单位增加值能耗 吨标煤/万元
    emission_per_value_added_max: NonNegative | None = None  # 单位增加值排放 吨/万元
    require_leading_industry: bool | None = None


class Match(_Strict):
    platform: str | None = None
    tier: str | None = None
    industry_prefix: str | None = None  # GB/T 4754 code prefix with its letter, e.g. C27


class Override(Thresholds):
    match: Match
    note: str = ""


class AdmissionRules(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")
    version: str
    title: str
    source: str
    defaults: Thresholds
    overrides: tuple[Override, ...] = ()
    assumed: tuple[str, ...] = ()

    def thresholds_for(
        self, platform: str, tier: str, industry: str
    ) -> tuple[Thresholds, list[str]]:
        """Defaults, then every matching override in file order; returns what applied."""
        values = self.defaults.model_dump()
        applied = []
        for override in self.overrides:
            m = override.match
            if (
                (m.platform is None or m.platform == platform)
                and (m.tier is None or m.tier == tier)
                and (m.industry_prefix is None or industry.startswith(m.industry_prefix))
            ):
                values.update(
                    {
                        k: v
                        for k, v in override.model_dump(exclude={"match", "note"}).items()
                        if v is not None
                    }
                )
                applied.append(override.note or str(m.model_dump(exclude_none=True)))
        return Thresholds(**values), applied


class Band(_Strict):
    from_pct: NonNegative  # shortfall ≥ from_pct (percent of the commitment)
    consequence: str


class PostEvaluationRules(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")
    version: str
    title: str
    source: str
    tolerance_pct: NonNegative = Decimal(0)  # shortfalls up to this count as met
    bands: tuple[Band, ...]
    assumed: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _ordered(self) -> PostEvaluationRules:
        starts = [b.from_pct for b in self.bands]
        if not starts or starts != sorted(starts) or len(set(starts)) != len(starts):
            raise ValueError("bands: 须按 from_pct 严格递增排列且至少一档")
        return self

    def consequence_for(self, shortfall_pct: Decimal) -> str:
        chosen = ""
        for band in self.bands:
            if shortfall_pct >= band.from_pct:
                chosen = band.consequence
        return chosen


def _path(name_or_path: str | Path) -> Path:
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.exists():
        return path
    candidate = RULES_DIR / f"{name_or_path}.toml"
    if candidate.exists():
        return candidate
    raise Refused(f"找不到规则文件“{name_or_path}”（可用：{', '.join(available())}）")


def read_text(name_or_path: str | Path) -> tuple[str, str]:
    """(file text, sha256) of a rules file."""
    path = _path(name_or_path)
    text = path.read_text(encoding="utf-8")
    return text, hashlib.sha256(text.encode()).hexdigest()


def parse(model: type[M], text: str, label: str) -> M:
    raw = toml_table(text, what="规则文件", source=label)
    return validate(raw, model, what="规则文件", source=label)


def load_rule_set(name_or_path: str | Path) -> RuleSet:
    text, _ = read_text(name_or_path)
    return parse(RuleSet, text, str(name_or_path))


def load_admission(name_or_path: str | Path = "admission-default") -> AdmissionRules:
    text, _ = read_text(name_or_path)
    return parse(AdmissionRules, text, str(name_or_path))


def load_post_evaluation(
    name_or_path: str | Path = "post-evaluation-default",
) -> PostEvaluationRules:
    text, _ = read_text(name_or_path)
    return parse(PostEvaluationRules, text, str(name_or_path))


def available(pool: str | None = None, level: str | None = None) -> list[str]:
    """Ids of the shipped allocation rule sets (optionally for one pool and level)."""
    names = []
    for path in sorted(RULES_DIR.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        if "pool" not in data:
            continue
        if (pool is None or data["pool"] == pool) and (level is None or data["level"] == level):
            names.append(path.stem)
    return names
