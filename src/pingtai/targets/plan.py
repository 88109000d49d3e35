"""The plan's numeric targets as versioned data: loading and validating a targets file."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from pingtai.core import numbers
from pingtai.core.datafiles import read_bytes, toml_table
from pingtai.core.refusal import Refused

DEFAULT_FILE = Path(__file__).with_name("lishui-2021-46.toml")

KINDS = ("at_least", "at_most", "multiple_of_base", "reduction_of_base")
SCOPES = ("platform", "wings", "city_core", "city")
STATUSES = ("green", "yellow", "red", "none")


@dataclass(frozen=True)
class Target:
    id: str
    name: str
    metric: str
    unit: str
    kind: str
    scope: str
    target_year: int
    section: str
    quote: str
    assumptions: tuple[str, ...]
    goal: float | None = None
    multiple: float | None = None
    reduction: float | None = None
    base_year: int | None = None
    base_value: float | None = None
    platforms: tuple[str, ...] = ()

    @property
    def relative(self) -> bool:
        """Relative targets are set against a base-year value rather than a fixed level."""
        return self.kind in ("multiple_of_base", "reduction_of_base")

    @property
    def lower_is_better(self) -> bool:
        return self.kind in ("at_most", "reduction_of_base")

    def goal_for(self, base_value: float | None) -> float | None:
        """The level to reach; relative targets need the base-year value."""
        if self.kind == "multiple_of_base":
            return None if base_value is None else base_value * self._number(self.multiple)
        if self.kind == "reduction_of_base":
            return None if base_value is None else base_value * (1 - self._number(self.reduction))
        return self.goal

    def value_text(self, value: float | Decimal | None) -> str:
        """A measured value beside this target, in the unit its goal is written in (a 100 亿元
        goal is compared with a value in 亿元, not in 万元)."""
        if self.unit == "万元" and self.goal is not None:
            return numbers.money(value, unit=numbers.money_unit_for([self.goal]))
        return numbers.quantity(value, self.unit)

    @property
    def goal_text(self) -> str:
        if self.kind in ("at_least", "at_most"):
            sign = "≥" if self.kind == "at_least" else "≤"
            goal = self._number(self.goal)
            if self.unit == "万元":
                return f"{sign} {numbers.money(goal, places=0)}"
            # % sticks to the number, as in the value beside it (numbers.quantity)
            return f"{sign} {goal:,g}{'' if self.unit == '%' else ' '}{self.unit}"
        if self.kind == "multiple_of_base":
            return f"达到{self.base_year}年的{self._number(self.multiple):g}倍"
        return f"较{self.base_year}年缩减{self._number(self.reduction) * 100:g}%"

    def _number(self, value: float | None) -> float:
        """The number the target's kind needs; the loader refuses a target without it."""
        if value is None:
            raise ValueError(f"target {self.id} ({self.kind}) lacks the number of its kind")
        return value


@dataclass(frozen=True)
class StatusRules:
    yellow_gap: float
    labels: dict[str, str]
    assumptions: tuple[str, ...]


@dataclass(frozen=True)
class OrganisationRules:
    """The plan's rules on each platform's organisation, checked with warnings."""

    max_leadership_posts: int
    section: str
    # Share by which each platform's staff is to shrink from its 2019 figure: the plan sets
    # −30 % for the city as a whole; applying it per platform is an assumption, stated.
    staff_reduction: float
    assumptions: tuple[str, ...] = ()


@dataclass(frozen=True)
class TargetPlan:
    version: str
    document: str
    title: str
    status: StatusRules
    targets: tuple[Target, ...]
    organisation: OrganisationRules | None = None

    def get(self, target_id: str) -> Target:
        for target in self.targets:
            if target.id == target_id:
                return target
        raise KeyError(target_id)

    def for_scope(self, scope: str) -> tuple[Target, ...]:
        return tuple(t for t in self.targets if t.scope == scope)


def _need(table: dict[str, Any], key: str, where: str) -> Any:
    if key not in table:
        raise Refused(f"{where}缺少字段“{key}”")
    return table[key]


def _target(raw: dict[str, Any], index: int) -> Target:
    where = f"第{index}个目标（{raw.get('id', '无编号')}）"
    kind = _need(raw, "kind", where)
    if kind not in KINDS:
        raise Refused(f"{where}的类型“{kind}”无效，应为 {'、'.join(KINDS)} 之一")
    scope = _need(raw, "scope", where)
    if scope not in SCOPES:
        raise Refused(f"{where}的范围“{scope}”无效，应为 {'、'.join(SCOPES)} 之一")
    required = {
        "at_least": ("goal",),
        "at_most": ("goal",),
        "multiple_of_base": ("multiple", "base_year"),
        "reduction_of_base": ("reduction", "base_year"),
    }[kind]
    for key in required:
        _need(raw, key, where)
    if kind == "reduction_of_base" and not 0 < raw["reduction"] < 1:
        raise Refused(f"{where}的缩减比例应在0与1之间")
    if kind == "multiple_of_base" and raw["multiple"] <= 0:
        raise Refused(f"{where}的倍数应为正数")
    if scope == "city_core" and not raw.get("platforms"):
        raise Refused(f"{where}须在 platforms 中列出市本级平台代码")
    base_year, target_year = raw.get("base_year"), _need(raw, "target_year", where)
    if base_year is not None and base_year >= target_year:
        raise Refused(f"{where}的基期年份应早于目标年份")
    return Target(
        id=_need(raw, "id", where),
        name=_need(raw, "name", where),
        metric=_need(raw, "metric", where),
        unit=_need(raw, "unit", where),
        kind=kind,
        scope=scope,
        target_year=int(target_year),
        section=_need(raw, "section", where),
        quote=raw.get("quote", ""),
        assumptions=tuple(raw.get("assumptions", ())),
        goal=None if raw.get("goal") is None else float(raw["goal"]),
        multiple=None if raw.get("multiple") is None else float(raw["multiple"]),
        reduction=None if raw.get("reduction") is None else float(raw["reduction"]),
        base_year=None if base_year is None else int(base_year),
        base_value=None if raw.get("base_value") is None else float(raw["base_value"]),
        platforms=tuple(raw.get("platforms", ())),
    )


def parse_targets(raw: dict[str, Any]) -> TargetPlan:
    status = _need(raw, "status", "目标文件")
    labels = dict(_need(status, "labels", "[status]"))
    missing = [s for s in STATUSES if s not in labels]
    if missing:
        raise Refused(f"[status.labels] 缺少状态文字：{'、'.join(missing)}")
    yellow_gap = float(_need(status, "yellow_gap", "[status]"))
    if yellow_gap < 0:
        raise Refused("[status] yellow_gap 不能为负数")
    targets = tuple(_target(t, i) for i, t in enumerate(_need(raw, "targets", "目标文件"), start=1))
    ids = [t.id for t in targets]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise Refused(f"目标编号重复：{'、'.join(duplicated)}")
    return TargetPlan(
        version=_need(raw, "version", "目标文件"),
        document=_need(raw, "document", "目标文件"),
        title=raw.get("title", ""),
        status=StatusRules(yellow_gap, labels, tuple(status.get("assumptions", ()))),
        targets=targets,
        organisation=_organisation(raw.get("organisation")),
    )


def _organisation(raw: dict[str, Any] | None) -> OrganisationRules | None:
    if raw is None:
        return None
    cap = _need(raw, "max_leadership_posts", "[organisation]")
    if not isinstance(cap, int) or cap < 1:
        raise Refused("[organisation] max_leadership_posts 应为正整数")
    reduction = float(_need(raw, "staff_reduction", "[organisation]"))
    if not 0 < reduction < 1:
        raise Refused("[organisation] staff_reduction 应在0与1之间")
    return OrganisationRules(
        max_leadership_posts=cap,
        section=_need(raw, "section", "[organisation]"),
        staff_reduction=reduction,
        assumptions=tuple(raw.get("assumptions", ())),
    )


def load_targets(path: Path | str = DEFAULT_FILE) -> TargetPlan:
    path = Path(path)
    data = read_bytes(path, what="目标文件")
    return parse_targets(toml_table(data, what="目标文件", source=path.name))
