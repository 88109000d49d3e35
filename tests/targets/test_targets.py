"""The plan's targets as data, and the progress / required growth / status arithmetic."""

from __future__ import annotations

import math
import tomllib

import pytest

from pingtai.core.refusal import Refused
from pingtai.targets import DEFAULT_FILE, assess, compound_rate, load_targets, parse_targets

PLAN = load_targets()


def test_the_shipped_file_holds_every_numeric_target_of_the_plan_with_its_section():
    by_id = {t.id: t for t in PLAN.targets}
    assert PLAN.document == "丽政办发〔2021〕46号"
    assert by_id["value_added_per_mu"].goal == 120 and by_id["value_added_per_mu"].unit == "万元/亩"
    assert by_id["tax_per_mu"].goal == 30 and by_id["tax_per_mu"].target_year == 2025
    assert by_id["output_doubling"].multiple == 2
    assert by_id["developable_space"].goal == 10000
    assert by_id["wings_output"].goal == 5_000_000 and by_id["wings_output"].scope == "wings"
    assert by_id["city_core_output"].goal == 10_000_000 and by_id["city_core_output"].platforms == (
        "LS01",
    )
    assert (
        by_id["management_bodies"].reduction == 0.60
        and by_id["management_bodies"].target_year == 2021
    )
    assert (
        by_id["management_staff"].reduction == 0.30 and by_id["management_staff"].base_value == 1096
    )
    assert by_id["rd_intensity"].goal == 4 and by_id["high_tech_share"].goal == 60
    for target in PLAN.targets:
        assert target.section.startswith("§"), target.id
        assert target.assumptions, f"{target.id}: interpretations must be labelled as assumptions"


def test_goal_texts_use_yi_for_large_money_and_group_digits():
    assert PLAN.get("wings_output").goal_text == "≥ 500 亿元"
    assert PLAN.get("city_core_output").goal_text == "≥ 1,000 亿元"
    assert PLAN.get("developable_space").goal_text == "≥ 10,000 亩"
    assert PLAN.get("tax_per_mu").goal_text == "≥ 30 万元/亩"
    assert PLAN.get("high_tech_share").goal_text == "≥ 60%"  # like the value 50.57% beside it
    assert PLAN.get("output_doubling").goal_text == "达到2020年的2倍"
    assert PLAN.get("management_staff").goal_text == "较2019年缩减30%"


def test_doubling_targets_name_their_assumed_base_year():
    doubling = [t for t in PLAN.targets if t.kind == "multiple_of_base"]
    assert len(doubling) >= 5
    for target in doubling:
        assert target.base_year == 2020
        assert any("基期" in a for a in target.assumptions)


def test_compound_rate():
    assert compound_rate(100, 121, 2) == pytest.approx(0.10)
    assert compound_rate(100, 81, 2) == pytest.approx(-0.10)
    assert compound_rate(0, 10, 3) is None
    assert compound_rate(10, 20, 0) is None
    assert compound_rate(None, 20, 2) is None


def test_on_track_is_green_with_required_and_achieved_growth():
    target = PLAN.get("tax_per_mu")
    series = {2020: 10.0, 2021: 13.0, 2022: 17.0, 2023: 21.0, 2024: 26.0}
    result = assess(target, series, PLAN.status)
    assert result.year == 2024 and result.value == 26.0 and result.years_left == 1
    assert result.required_growth == pytest.approx(30 / 26 - 1)
    assert result.achieved_growth == pytest.approx((26 / 10) ** (1 / 4) - 1)
    assert result.progress == pytest.approx(26 / 30)
    assert (result.status, result.label) == ("green", "绿灯")
    assert not result.met


def test_slightly_behind_is_yellow_and_far_behind_is_red():
    target = PLAN.get("tax_per_mu")
    achieved = 0.10
    # Required growth over 1 year = 30/v − 1; choose v so that the gap is 2 and 10 points.
    yellow_value = 30 / (1 + achieved + 0.02)
    red_value = 30 / (1 + achieved + 0.10)
    near = {2020: yellow_value / (1 + achieved) ** 4, 2024: yellow_value}
    far = {2020: red_value / (1 + achieved) ** 4, 2024: red_value}
    assert assess(target, near, PLAN.status).status == "yellow"
    assert assess(target, far, PLAN.status).status == "red"


def test_met_is_green_and_deadline_passed_unmet_is_red():
    target = PLAN.get("developable_space")
    assert assess(target, {2024: 12000.0}, PLAN.status).met
    late = assess(target, {2024: 6500.0}, PLAN.status)
    assert (late.status, late.reason) == ("red", "到期未达标")
    assert late.progress == pytest.approx(0.65)


def test_doubling_uses_the_base_year_value():
    target = PLAN.get("output_doubling")
    result = assess(target, {2019: 80.0, 2020: 100.0, 2022: 150.0, 2024: 180.0}, PLAN.status)
    assert result.base_year == 2020 and result.goal == 200.0
    assert result.progress == pytest.approx(0.8)
    assert result.achieved_growth == pytest.approx((1.8) ** 0.25 - 1)
    assert result.required_growth == pytest.approx(200 / 180 - 1)
    assert result.status == "green"
    missing = assess(target, {2021: 100.0, 2024: 150.0}, PLAN.status)
    assert missing.status == "none" and "2020" in missing.reason


def test_reduction_targets_use_the_fixed_base_and_lower_is_better():
    target = PLAN.get("management_staff")
    result = assess(target, {2024: 700.0}, PLAN.status)
    assert result.goal == pytest.approx(1096 * 0.7)
    assert result.met and result.status == "green"
    assert result.progress == pytest.approx((1096 - 700) / (1096 - 767.2))
    late = assess(target, {2024: 900.0}, PLAN.status)
    assert late.status == "red" and late.achieved_growth < 0


def test_no_data_is_reported_as_such_not_as_a_colour():
    result = assess(PLAN.get("high_tech_share"), {2024: None}, PLAN.status)
    assert (result.status, result.label) == ("none", "暂无数据")


def test_as_of_ignores_later_years():
    result = assess(
        PLAN.get("tax_per_mu"), {2020: 10.0, 2022: 12.0, 2024: 40.0}, PLAN.status, as_of=2022
    )
    assert result.year == 2022 and not result.met
    assert math.isclose(result.required_growth, (30 / 12) ** (1 / 3) - 1)


def test_zero_value_cannot_grow_to_the_goal():
    result = assess(PLAN.get("tax_per_mu"), {2020: 0.0, 2024: 0.0}, PLAN.status)
    assert result.status == "red"


def test_thresholds_come_from_the_file():
    raw = tomllib.loads(DEFAULT_FILE.read_text(encoding="utf-8"))
    raw["status"]["yellow_gap"] = 0.5
    lenient = parse_targets(raw)
    target = lenient.get("tax_per_mu")
    far = {2020: 10.0, 2024: 12.0}
    assert assess(PLAN.get("tax_per_mu"), far, PLAN.status).status == "red"
    assert assess(target, far, lenient.status).status == "red"  # required 150 % vs achieved ~5 %
    closer = {2020: 20.0, 2024: 22.0}
    assert assess(PLAN.get("tax_per_mu"), closer, PLAN.status).status == "red"
    assert assess(target, closer, lenient.status).status == "yellow"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda raw: raw["targets"][0].update(kind="about"), "类型"),
        (lambda raw: raw["targets"][0].pop("goal"), "goal"),
        (lambda raw: raw["targets"][1].update(id=raw["targets"][0]["id"]), "重复"),
        (lambda raw: raw["status"]["labels"].pop("red"), "red"),
        (lambda raw: raw["targets"][2].update(base_year=2030), "基期"),
        (lambda raw: raw["targets"][0].update(scope="world"), "范围"),
        (lambda raw: raw["targets"][0].update(scope="city_core"), "市本级平台"),
    ],
)
def test_bad_files_are_refused_in_chinese(change, message):
    raw = tomllib.loads(DEFAULT_FILE.read_text(encoding="utf-8"))
    change(raw)
    with pytest.raises(Refused, match=message):
        parse_targets(raw)


def test_invalid_toml_is_refused(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("version = ", encoding="utf-8")
    with pytest.raises(Refused, match="TOML"):
        load_targets(bad)
