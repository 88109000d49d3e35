"""The list rules on crafted standings (no database): small groups, ties, grades, no platform
on both lists."""

from __future__ import annotations

import pytest

from pingtai.league.decisions import (
    Decisions,
    Entry,
    Ruling,
    Standing,
    bottom_ranks,
    check,
    competition_ranks,
    decide,
)
from pingtai.league.rules import load_rules

RULES = load_rules().rules
CLASSES = ["优秀", "良好", "一般", "较差"]


def grade(score: float) -> str:
    return "优秀" if score >= 90 else "良好" if score >= 80 else "一般" if score >= 70 else "较差"


def s(code: str, group: str, score: float, **kw) -> Standing:
    return Standing(code, f"平台{code}", group, score, kw.pop("klass", grade(score)), **kw)


def year_end(standings, interview=RULES.interview, top=RULES.top):
    return decide(standings, interview, top, "year", CLASSES)


def test_competition_ranks_share_places():
    scores = {"A": 90.0, "B": 90.0, "C": 80.0, "D": 70.0, "E": 70.0}
    assert competition_ranks(scores) == {"A": 1, "B": 1, "C": 3, "D": 4, "E": 4}
    assert bottom_ranks(scores) == {"A": 4, "B": 4, "C": 3, "D": 1, "E": 1}


def test_a_group_of_two_has_no_last_place_and_uses_the_city_ranking():
    # 一心 has two members; its second (85, 良好, 3rd in the city) must not be 约谈.
    rows = [
        s("A", "一心", 95),
        s("B", "一心", 85),
        s("C", "两翼", 90),
        s("D", "两翼", 80),
        s("E", "两翼", 60),
    ]
    d = year_end(rows)
    assert d.codes("interview") == {"E"}
    assert any("一心组只有 2 个平台" in b and "全市排名" in b for b in d.basis)
    # The city's last platform in a small group is listed, with the alternative named.
    rows = [s("A", "一心", 95), s("B", "一心", 55), *rows[2:]]
    d = year_end(rows)
    assert d.codes("interview") == {"B", "E"}
    b = next(e for e in d.interview if e.code == "B")
    assert "按全市排名" in b.reason and "全市第 5 / 5 名" in b.reason


def test_small_groups_can_use_a_score_line_instead():
    interview = RULES.interview.model_copy(
        update={"small_groups": "below_score", "small_group_score": 70.0}
    )
    rows = [s("A", "一心", 95), s("B", "一心", 69.5), s("C", "三片区", 75)]
    d = decide(rows, interview, RULES.top, "year", CLASSES)
    assert d.codes("interview") == {"B"}  # C is alone and above the line
    assert "低于 70 分" in d.interview[0].reason
    assert any("改按得分线" in b for b in d.basis)


def test_a_tie_for_last_lists_every_tied_platform_as_pending_and_warns():
    rows = [s("A", "两翼", 90), s("B", "两翼", 72.5), s("C", "两翼", 72.5)]
    d = year_end(rows)
    assert d.codes("interview") == {"B", "C"}
    assert all(e.pending and "并列，待决定" in e.reason for e in d.interview)
    assert any("平台B、平台C" in w and "不按排列顺序" in w for w in d.warnings)


def test_a_recorded_ruling_settles_a_tie_for_last_and_says_so():
    rows = [s("A", "两翼", 90), s("B", "两翼", 72.5), s("C", "两翼", 72.5)]
    d = year_end(rows)
    [tie] = d.open_ties
    assert (tie.place, tie.candidates, tie.seats) == ("末位:两翼", ("B", "C"), 1)
    ruled = decide(
        rows,
        RULES.interview,
        RULES.top,
        "year",
        CLASSES,
        rulings={"末位:两翼": Ruling(("C",), "C 的督查任务逾期两项")},
    )
    assert ruled.open_ties == [] and [t.place for t in ruled.ties] == ["末位:两翼"]
    assert [(e.code, e.pending) for e in ruled.interview] == [("C", False)]
    assert "并列，经决定列入" in ruled.interview[0].reason
    assert any("由平台C列入" in b and "督查任务逾期两项" in b for b in ruled.basis)
    assert not any("不按排列顺序" in w for w in ruled.warnings)
    # A ruling that does not fit the tie (a platform outside it, or too many) is no decision.
    for chosen in (("A",), ("B", "C")):
        other = decide(
            rows,
            RULES.interview,
            RULES.top,
            "year",
            CLASSES,
            rulings={"末位:两翼": Ruling(chosen, "理由")},
        )
        assert [t.place for t in other.open_ties] == ["末位:两翼"]
        assert other.codes("interview") == {"B", "C"}


def test_a_ruling_settles_a_tie_for_first_and_the_city_top_places():
    rows = [s("A", "两翼", 91), s("B", "两翼", 91), s("C", "两翼", 80)]
    places = {t.place: t for t in year_end(rows).open_ties}
    assert places["前列:两翼"].seats == 1
    ruled = decide(
        rows,
        RULES.interview,
        RULES.top,
        "year",
        CLASSES,
        rulings={p: Ruling(("B",), "B 的亩均税收更高") for p in places if p != "前列:全市"},
    )
    top = {e.code: e for e in ruled.top}
    assert "两翼组第 1 名（并列，经决定列入）" in top["B"].reason
    assert "两翼组第 1 名" not in top.get("A", Entry("A", [""])).reason


def test_ten_platforms_with_the_same_score_are_not_ranked_by_list_order():
    rows = [s(f"P{i:02d}", "三片区", 69.8, reported=False) for i in range(10)]
    rows.append(s("Q", "三片区", 85))
    d = year_end(rows)
    assert d.codes("interview") == {f"P{i:02d}" for i in range(10)}
    assert all(e.pending for e in d.interview)
    assert any("得分相同" in w for w in d.warnings)
    assert any("没有审核通过的季报" in w for w in d.warnings)
    # No one from the tied block is recommended or put on the 前列 list by its position.
    assert d.codes("top") == {"Q"}


def test_a_tie_for_first_is_pending_on_the_top_list():
    rows = [s("A", "两翼", 91), s("B", "两翼", 91), s("C", "两翼", 80)]
    d = year_end(rows)
    top = {e.code: e for e in d.top}
    assert top["A"].pending and top["B"].pending
    assert "两翼组第 1 名（并列，待决定）" in top["A"].reason
    assert any("并列组内第 1 名" in w for w in d.warnings)


def test_front_list_and_national_recommendation_only_for_good_grades():
    rows = [
        s("A", "两翼", 78),  # first of its group but 一般
        s("B", "两翼", 75),
        s("C", "两翼", 60),
        s("N", "三片区", 95, national=True),
        s("M", "三片区", 88),
        s("L", "三片区", 50),
    ]
    d = year_end(rows)
    assert "A" not in d.codes("top")
    # The rule applied is stated as the rule, not left as a question to decide.
    assert any(
        n.startswith("依据考评规则")
        and "平台A" in n
        and "等级为一般" in n
        and "不列入前列名单" in n
        for n in d.notes
    )
    assert not any("平台A" in w for w in d.warnings)
    national = [e.code for e in d.top if "国家级" in e.reason]
    assert national == ["M"]  # N is already national; A is 一般
    for e in d.top:
        assert next(r for r in rows if r.code == e.code).klass in ("优秀", "良好")


def test_nobody_is_on_both_lists():
    # X3 is last of a group of three and third in the city: it goes on the 约谈 list only.
    rows = [
        s("X1", "两翼", 99),
        s("X2", "两翼", 98),
        s("X3", "两翼", 97),
        s("Y1", "三片区", 85),
        s("Y2", "三片区", 84),
        s("Y3", "三片区", 70),
    ]
    d = year_end(rows)
    assert "X3" in d.codes("interview")
    assert "X3" not in d.codes("top")
    assert not d.codes("interview") & d.codes("top")
    assert any(n.startswith("依据考评规则") and "平台X3同时满足" in n for n in d.notes)


def test_check_refuses_a_platform_on_both_lists_or_a_weak_grade_on_the_front_list():
    rows = [s("A", "两翼", 95), s("B", "两翼", 65)]
    both = Decisions(interview=[Entry("A", ["x"])], top=[Entry("A", ["y"])])
    with pytest.raises(ValueError, match="同时在末位名单和前列名单：平台A"):
        check(both, rows, RULES.top)
    weak = Decisions(top=[Entry("B", ["y"])])
    with pytest.raises(ValueError, match="等级不符合规则的平台：平台B"):
        check(weak, rows, RULES.top)


def test_rules_classes_are_classes_of_the_platform_methods():
    from pingtai.engine import load_method

    for method_id in (
        "lishui-platform-quarter",
        "lishui-platform-midyear",
        "lishui-platform-annual",
    ):
        bands = load_method(method_id).segments["平台"].class_rules().bands
        names = {b.class_ for b in bands}
        assert set(RULES.top.classes) <= names
        for rule in RULES.tiers.rules:
            assert set(rule.classes) <= names
