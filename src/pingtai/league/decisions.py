"""Who goes on the 约谈/末位 list and on the 前列/表扬 list of a run, by the rules file, with
the basis stated and every open question named (docs/league.md, "Lists").

Pure Python (no Django). The rules that make the lists defensible:

- places are competition ranks (equal scores share a place: 1, 1, 3); a tie is never broken
  by list order — where a tie decides who is 末位 or 前列, every tied platform is listed as
  "并列，待决定" and the run carries a warning asking for a decision;
- 末位 only in groups of at least ``min_group_for_last`` platforms; a smaller group uses the
  rule's stated alternative (the city-wide ranking, or a score line), and the run says so;
- 前列 and the 国家级 recommendation only for the classes the rule admits;
- nobody is on both lists: 约谈/末位 wins, and the run says who was taken off the 前列 list;
- a tie that decides a list is a ``Tie`` with a stable place key; once the city administrator
  records which of the tied platforms take the contested places (a ``Ruling``, with a reason),
  the lists follow the ruling and say so, and the tie is no longer open.

``check`` verifies the last two on any result and is run on every computation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

PENDING = "并列，待决定"


@dataclass(frozen=True)
class Standing:
    """One platform's result as the lists need it."""

    code: str
    name: str
    group: str
    score: float
    klass: str
    national: bool = False
    reported: bool = True  # has an approved report for the run's data period


@dataclass
class Entry:
    code: str
    reasons: list[str]
    pending: bool = False  # a tie decides this place: a decision is needed

    @property
    def reason(self) -> str:
        return "；".join(self.reasons)


@dataclass(frozen=True)
class Tie:
    """Equal scores that decide who takes ``seats`` contested places of a list.

    ``place`` is the key a decision is recorded under: 末位:组名, 末位:全市, 前列:组名,
    前列:全市 or 国家级推荐 — stable for a run, since its scores are frozen."""

    place: str
    question: str  # the place in words, e.g. "两翼组并列组内末位（末位预警）"
    candidates: tuple[str, ...]
    seats: int


@dataclass(frozen=True)
class Ruling:
    """The recorded decision of a tie: the platforms that take the contested places."""

    chosen: tuple[str, ...]
    reason: str


@dataclass
class Decisions:
    interview: list[Entry] = field(default_factory=list)
    top: list[Entry] = field(default_factory=list)
    basis: list[str] = field(default_factory=list)  # which rule applied, in words
    warnings: list[str] = field(default_factory=list)  # what a person must decide or know
    # A rule applied that changed who is listed (a weak grade, both lists): stated as the rule,
    # not as a question — nothing is left to decide (docs/league.md, "Lists").
    notes: list[str] = field(default_factory=list)
    cautions: list[str] = field(default_factory=list)  # listed without an approved report
    ties: list[Tie] = field(default_factory=list)  # every list-deciding tie, decided or not
    open_ties: list[Tie] = field(default_factory=list)  # those still waiting for a decision

    def codes(self, which: str) -> set[str]:
        return {e.code for e in getattr(self, which)}


def competition_ranks(scores: dict[str, float]) -> dict[str, int]:
    """1 + the number of strictly better scores ("1, 1, 3")."""
    values = list(scores.values())
    return {c: 1 + sum(v > s for v in values) for c, s in scores.items()}


def bottom_ranks(scores: dict[str, float]) -> dict[str, int]:
    """1 + the number of strictly worse scores: 1 = last (ties share it)."""
    values = list(scores.values())
    return {c: 1 + sum(v < s for v in values) for c, s in scores.items()}


def _names(codes: Sequence[str], by_code: dict[str, Standing]) -> str:
    return "、".join(by_code[c].name for c in codes)


def _take(ranks: dict[str, int], places: int) -> tuple[list[str], list[str]]:
    """Codes within ``places`` by ``ranks`` (1 = best for the list), and the subset whose
    inclusion a tie decides (they share the boundary place and there are more than fit)."""
    inside = sorted((c for c, r in ranks.items() if r <= places), key=lambda c: (ranks[c], c))
    if len(inside) <= places:
        return inside, []
    boundary = max(ranks[c] for c in inside)
    return inside, [c for c in inside if ranks[c] == boundary]


def decide(
    standings: Sequence[Standing],
    interview,
    top,
    cycle: str,
    class_order: Sequence[str],
    rulings: Mapping[str, Ruling] | None = None,
) -> Decisions:
    """The lists of one run. ``interview`` and ``top`` are the rules file's sections
    (``rules.Interview``, ``rules.Top``); ``class_order`` lists the classes best first;
    ``rulings`` are the recorded decisions of ties, by place key."""
    by_code = {s.code: s for s in standings}
    out = Decisions()
    rulings = rulings or {}

    def settle(tie: Tie) -> Ruling | None:
        """The tie's ruling when one is recorded and fits it; otherwise the tie stays open."""
        if any(t.place == tie.place for t in out.ties):  # met again (a small group's members)
            return None if any(t.place == tie.place for t in out.open_ties) else rulings[tie.place]
        out.ties.append(tie)
        ruling = rulings.get(tie.place)
        fits = (
            ruling is not None
            and len(set(ruling.chosen)) == tie.seats
            and set(ruling.chosen) <= set(tie.candidates)
        )
        if ruling is None or not fits:
            out.open_ties.append(tie)
            return None
        out.basis.append(
            f"{tie.question}：{_names(tie.candidates, by_code)} 得分相同，经领导小组办公室决定由"
            f"{_names(ruling.chosen, by_code)}列入（理由：{ruling.reason}）"
        )
        return ruling

    list_name = "约谈名单" if cycle in interview.cycles else "末位预警"
    groups: dict[str, list[Standing]] = {}
    for s in standings:
        groups.setdefault(s.group, []).append(s)
    city_bottom = bottom_ranks({s.code: s.score for s in standings})
    city_top = competition_ranks({s.code: s.score for s in standings})
    n_city = len(standings)

    # --- 约谈 / 末位 ---------------------------------------------------------------------
    out.basis.append(
        f"{list_name}：各组综合得分末位 {interview.places} 名，适用于不少于 "
        f"{interview.min_group_for_last} 个平台的组"
    )
    interview_entries: dict[str, Entry] = {}
    small_rule = (
        f"改按全市排名末位 {interview.places} 名"
        if interview.small_groups == "city_last"
        else f"改按得分线：低于 {interview.small_group_score:g} 分"
    )
    for label, members in groups.items():
        size = len(members)
        scores = {m.code: m.score for m in members}
        if size >= interview.min_group_for_last:
            picked, tied = _take(bottom_ranks(scores), interview.places)
            ruling = (
                settle(
                    Tie(
                        f"末位:{label}",
                        f"{label}组并列组内末位（{list_name}）",
                        tuple(tied),
                        interview.places - (len(picked) - len(tied)),
                    )
                )
                if tied
                else None
            )
            for c in picked:
                place = competition_ranks(scores)[c]
                reason = f"{label}组第 {place} / {size} 名（组内末位）"
                if ruling is not None and c in tied:
                    if c in ruling.chosen:
                        interview_entries[c] = Entry(c, [f"{reason}，并列，经决定列入"])
                    continue
                interview_entries[c] = Entry(c, [reason + (f"，{PENDING}" if c in tied else "")])
            if tied and ruling is None:
                interview_entries.update(
                    {c: Entry(c, interview_entries[c].reasons, True) for c in tied}
                )
                out.warnings.append(
                    f"{label}组 {_names(tied, by_code)} 得分相同（{by_code[tied[0]].score:.2f} 分），"
                    f"并列组内末位，{list_name}需由领导小组办公室决定，系统不按排列顺序取舍"
                )
            continue
        out.basis.append(
            f"{label}组只有 {size} 个平台（少于 {interview.min_group_for_last} 个），"
            f"组内末位不作为{list_name}依据，{small_rule}"
        )
        if interview.small_groups == "city_last":
            ranks = {c: city_bottom[c] for c in scores}
            for c in scores:
                if ranks[c] > interview.places:
                    continue
                tied = [o for o in by_code if city_bottom[o] == ranks[c]]
                undecided = len(tied) + ranks[c] - 1 > interview.places
                reason = (
                    f"{label}组仅 {size} 个平台，按全市排名：全市第 {city_top[c]} / {n_city} 名"
                )
                ruling = (
                    settle(
                        Tie(
                            "末位:全市",
                            f"并列全市末位（{list_name}）",
                            tuple(sorted(tied)),
                            interview.places - ranks[c] + 1,
                        )
                    )
                    if undecided
                    else None
                )
                if ruling is not None:
                    if c in ruling.chosen:
                        interview_entries[c] = Entry(c, [f"{reason}，并列，经决定列入"])
                    continue
                interview_entries[c] = Entry(
                    c, [reason + (f"，{PENDING}" if undecided else "")], undecided
                )
                if undecided:
                    out.warnings.append(
                        f"{_names(tied, by_code)} 得分相同，并列全市末位，{list_name}需由领导小组办公室决定"
                    )
        else:
            for c, value in scores.items():
                if value < interview.small_group_score:
                    interview_entries[c] = Entry(
                        c,
                        [
                            f"{label}组仅 {size} 个平台，按得分线：{value:.2f} 分，低于 {interview.small_group_score:g} 分"
                        ],
                    )
    out.interview = sorted(
        interview_entries.values(), key=lambda e: (by_code[e.code].score, e.code)
    )

    # --- 前列 / 表扬 ---------------------------------------------------------------------
    allowed = set(top.classes)
    out.basis.append(
        f"前列名单和国家级开发区推荐只列等级为{'、'.join(c for c in class_order if c in allowed)}的平台，"
        f"且不与{list_name}重复"
    )
    reasons: dict[str, list[str]] = {}
    pending: set[str] = set()
    for label, members in groups.items():
        if not top.places_per_group:
            break
        scores = {m.code: m.score for m in members}
        if len(members) < 2:
            out.basis.append(f"{label}组只有 1 个平台，不列组内第一")
            continue
        picked, tied = _take(competition_ranks(scores), top.places_per_group)
        ranks = competition_ranks(scores)
        ruling = (
            settle(
                Tie(
                    f"前列:{label}",
                    f"{label}组并列组内第 {ranks[tied[0]]} 名（前列名单）",
                    tuple(tied),
                    top.places_per_group - (len(picked) - len(tied)),
                )
            )
            if tied
            else None
        )
        for c in picked:
            if ruling is not None and c in tied:
                if c in ruling.chosen:
                    reasons.setdefault(c, []).append(
                        f"{label}组第 {ranks[c]} 名（并列，经决定列入）"
                    )
                continue
            reasons.setdefault(c, []).append(
                f"{label}组第 {ranks[c]} 名" + (f"（{PENDING}）" if c in tied else "")
            )
        if tied and ruling is None:
            pending.update(tied)
            out.warnings.append(
                f"{label}组 {_names(tied, by_code)} 得分相同，并列组内第 {ranks[tied[0]]} 名，"
                "前列名单需由领导小组办公室决定，系统不按排列顺序取舍"
            )
    if top.overall:
        picked, tied = _take(city_top, top.overall)
        ruling = (
            settle(
                Tie(
                    "前列:全市",
                    f"并列全市第 {city_top[tied[0]]} 名（全市前 {top.overall} 名）",
                    tuple(tied),
                    top.overall - (len(picked) - len(tied)),
                )
            )
            if tied
            else None
        )
        for c in picked:
            if ruling is not None and c in tied:
                if c in ruling.chosen:
                    reasons.setdefault(c, []).append(f"全市第 {city_top[c]} 名（并列，经决定列入）")
                continue
            reasons.setdefault(c, []).append(
                f"全市第 {city_top[c]} 名" + (f"（{PENDING}）" if c in tied else "")
            )
        if tied and ruling is None:
            pending.update(tied)
            out.warnings.append(
                f"{_names(tied, by_code)} 得分相同，并列全市第 {city_top[tied[0]]} 名，"
                f"全市前 {top.overall} 名需由领导小组办公室决定"
            )
    # Eligibility: class, and not on the 约谈/末位 list.
    for c in list(reasons):
        s = by_code[c]
        if s.klass not in allowed:
            out.notes.append(
                f"依据考评规则，前列名单只列等级为{'、'.join(k for k in class_order if k in allowed)}"
                f"的平台；{s.name}按位次（{'；'.join(reasons[c])}）可列入，但等级为{s.klass}，"
                "不列入前列名单"
            )
            del reasons[c]
        elif c in interview_entries:
            out.notes.append(
                f"依据考评规则，同一平台不同时列入两份名单；{s.name}同时满足前列名单和{list_name}条件，"
                f"只列入{list_name}，不列入前列名单"
            )
            del reasons[c]
    if top.national_recommendation:
        eligible = {
            s.code: s.score
            for s in standings
            if not s.national and s.klass in allowed and s.code not in interview_entries
        }
        picked, tied = _take(competition_ranks(eligible), top.national_recommendation)
        ruling = (
            settle(
                Tie(
                    "国家级推荐",
                    "并列国家级开发区推荐人选",
                    tuple(tied),
                    top.national_recommendation - (len(picked) - len(tied)),
                )
            )
            if tied
            else None
        )
        for c in picked:
            if ruling is not None and c in tied:
                if c in ruling.chosen:
                    reasons.setdefault(c, []).append("优先推荐申报国家级开发区（并列，经决定列入）")
                continue
            reasons.setdefault(c, []).append(
                "优先推荐申报国家级开发区" + (f"（{PENDING}）" if c in tied else "")
            )
        if tied and ruling is None:
            pending.update(tied)
            out.warnings.append(
                f"{_names(tied, by_code)} 得分相同，国家级开发区推荐人选需由领导小组办公室决定"
            )
        if not eligible:
            out.basis.append(
                "没有符合条件（非国家级、等级达标、不在末位名单）的平台，本期不推荐申报国家级开发区"
            )
    out.top = sorted(
        (Entry(c, r, c in pending) for c, r in reasons.items()),
        key=lambda e: (city_top[e.code], e.code),
    )
    for e in [*out.interview, *out.top]:
        if not by_code[e.code].reported:
            out.cautions.append(
                f"{by_code[e.code].name}没有审核通过的季报，其位次不反映实际情况，列入名单前须补齐数据"
            )
    out.cautions = list(dict.fromkeys(out.cautions))
    out.warnings = list(dict.fromkeys(out.warnings + out.cautions))
    check(out, standings, top)
    return out


def check(decisions: Decisions, standings: Sequence[Standing], top) -> None:
    """The invariants of a run's lists; raises ``ValueError`` naming the platforms."""
    by_code = {s.code: s for s in standings}
    both = decisions.codes("interview") & decisions.codes("top")
    problems = []
    if both:
        problems.append(f"同时在末位名单和前列名单：{_names(sorted(both), by_code)}")
    wrong = [e.code for e in decisions.top if by_code[e.code].klass not in set(top.classes)]
    if wrong:
        problems.append(f"前列名单中有等级不符合规则的平台：{_names(wrong, by_code)}")
    if problems:
        raise ValueError("；".join(problems))
