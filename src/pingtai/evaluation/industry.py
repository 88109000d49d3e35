"""A firm among its industry: 行业排名, 本行业A类企业数, the previous year's class, the industry
and county benchmarks next to each other; 领跑者 lists per industry; the class distribution
per GB/T 4754 大类 (docs/industry-carbon.md, "Portrait and lists").

Industry means the 大类 (two-digit division) of the firm's GB/T 4754 code within its segment
(规上 / 规下: firms of different segments are scored on different indicators and are never
ranked together).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from pingtai.evaluation.models import EnterpriseResult, EvaluationRun
from pingtai.runs.selectors import current_published
from pingtai.standards.gbt4754 import division_name, division_of

INDUSTRY_LEVELS = ("行业小类", "行业中类", "行业大类", "行业门类")
CLASSES = ("A", "B", "C", "D", "T")
LEADERS_CITY = 5
LEADERS_PLATFORM = 3


def industry_code(result: EnterpriseResult) -> str | None:
    """The code the run used (its input), else the register's."""
    code = (result.values or {}).get("_industry_code")
    return code or getattr(result.enterprise, "industry_code", None)


def industry_label(division: str | None) -> str:
    if not division:
        return "行业未登记"
    return division_name(division) or f"大类 {division}"


@dataclass(frozen=True)
class Position:
    """Where a firm stands in its industry."""

    division: str | None
    industry: str  # the 大类 name
    rank: int | None
    size: int
    top_count: int  # 本行业A类企业数
    by_method: bool  # True: the run's own method ranks within the industry (stored values)
    group_text: str  # which firms were compared, in words


def _division_rows(run: EvaluationRun, segment: str, division: str | None):
    rows = run.results.filter(segment=segment).select_related("enterprise")
    return [r for r in rows if division_of(industry_code(r)) == division]


def position(run: EvaluationRun, result: EnterpriseResult) -> Position:
    """行业排名 and 本行业A类企业数. Where the run's method ranks within an industry level the
    stored rank, group size and A count are the method's own; otherwise the firm's score is
    placed among the run's firms of the same segment and 大类 across the city (ties share
    the better place, as the engine's competition rank does)."""
    division = division_of(industry_code(result))
    name = industry_label(division)
    stored = ((result.values or {}).get("_groups") or {}).get("rank") or {}
    if stored.get("level") in INDUSTRY_LEVELS:
        return Position(
            division,
            name,
            stored.get("rank"),
            stored.get("size") or 0,
            stored.get("top_count") or 0,
            True,
            f"评价方法的排名分组（{stored['level']}，{result.segment}）",
        )
    members = _division_rows(run, result.segment, division)
    scored = [r.score for r in members if r.score is not None]
    rank = None if result.score is None else 1 + sum(s > result.score for s in scored)
    return Position(
        division,
        name,
        rank,
        len(scored),
        sum(r.klass == "A" for r in members),
        False,
        f"全市同行业（{name}）{result.segment}参评企业，按本批次综合得分排序",
    )


def previous_class(run: EvaluationRun, uscc: str) -> tuple[int, EnterpriseResult | None]:
    """The firm's class in the current published result of the year before the run's."""
    year = run.year - 1
    previous = current_published(EvaluationRun, year=year)
    if previous is None:
        return year, None
    return year, previous.results.filter(uscc=uscc).first()


def benchmarks(run: EvaluationRun, result: EnterpriseResult) -> dict[str, Any]:
    """Per indicator: the industry benchmark and the county benchmark, and the groups they are
    taken over. Read from the run's stored values when its method measures against the
    industry; otherwise from ``values._reference``, the industry method run on the same frozen
    inputs when the run was made (for comparison; the firm's score is the run's own)."""
    values = result.values or {}
    groups = values.get("_groups") or {}
    bench_group = groups.get("bench") or {}
    if bench_group.get("level") in INDUSTRY_LEVELS and "ref_county" in groups:
        per = {
            k: (v.get("bench"), (v.get("ref") or {}).get("county"))
            for k, v in values.items()
            if not k.startswith("_") and isinstance(v, dict)
        }
        return {
            "own": True,
            "group": bench_group,
            "county_group": groups["ref_county"],
            "indicators": per,
        }
    reference = values.get("_reference") or {}
    return {
        "own": False,
        "group": reference.get("bench_group"),
        "county_group": reference.get("county_group"),
        "indicators": {k: tuple(v) for k, v in (reference.get("indicators") or {}).items()},
    }


# --- lists over a run -----------------------------------------------------------------------


def _scored(rows: QuerySet[EnterpriseResult]) -> list[EnterpriseResult]:
    return list(rows.select_related("enterprise").order_by("uscc"))


def leaders(rows: QuerySet[EnterpriseResult], top: int = LEADERS_CITY) -> list[dict[str, Any]]:
    """领跑者: per segment and 大类, the ``top`` firms by the run's score among ``rows`` (the
    whole city, or one platform's firms). Ties at the last place are all listed."""
    groups: dict[tuple[str, str | None], list[EnterpriseResult]] = defaultdict(list)
    for r in _scored(rows):
        if r.score is not None and r.klass != "T":
            groups[(r.segment, division_of(industry_code(r)))].append(r)
    out = []
    for (segment, division), members in sorted(
        groups.items(), key=lambda kv: (kv[0][0] != "规上", kv[0][0], kv[0][1] or "99")
    ):
        members.sort(key=lambda r: (-(r.score or 0), r.uscc))
        cut = members[min(top, len(members)) - 1].score
        chosen = [r for r in members if (r.score or 0) >= (cut or 0)]
        for r in chosen:
            out.append(
                {
                    "segment": segment,
                    "division": division,
                    "industry": industry_label(division),
                    "place": 1 + sum((m.score or 0) > (r.score or 0) for m in members),
                    "size": len(members),
                    "result": r,
                }
            )
    return out


def class_by_industry(rows: QuerySet[EnterpriseResult]) -> list[dict[str, Any]]:
    """Firms per 大类 and class, in code order, with the share of class A among those graded."""
    counts: dict[str | None, Counter] = defaultdict(Counter)
    for r in _scored(rows):
        counts[division_of(industry_code(r))][r.klass] += 1
    out = []
    for division in sorted(counts, key=lambda d: d or "99"):
        c = counts[division]
        graded = sum(c[k] for k in CLASSES if k != "T")
        out.append(
            {
                "division": division,
                "industry": industry_label(division),
                "counts": [c.get(k, 0) for k in CLASSES],
                "total": sum(c.values()),
                "a_share": c["A"] / graded if graded else None,
                "a_share_text": f"{100 * c['A'] / graded:.1f}%" if graded else "—",
            }
        )
    return out


def group_text(group: dict[str, Any] | None, with_size: bool = True) -> str:
    """A comparison group in words: what it is and how many firms it has, e.g.
    同一行业小类（金属制品业） 137 家, 莲都区 412 家."""
    if not group or not group.get("group"):
        return "—"
    from pingtai.registry.models import County

    label = str(group["group"]).split("|")[-1]
    level = group.get("level") or ""
    if label.isdigit() and len(label) == 6:
        what = County.objects.filter(code=label).values_list("name", flat=True).first() or label
    elif _division_in(label):
        what = f"同一{level}（{industry_label(_division_in(label))}）"
    else:
        what = level or "全市"
    size = group.get("size") if with_size else None
    return f"{what}{'' if size is None else f' {size} 家'}"


def _division_in(label: str) -> str | None:
    """The 大类 of an industry group label at any level (C33, C331, C3311 or without letter)."""
    digits = label[1:] if label[:1].isalpha() else label
    return digits[:2] if digits.isdigit() and 2 <= len(digits) <= 4 else None
