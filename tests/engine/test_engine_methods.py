import csv
import json
import tomllib
from pathlib import Path

import pytest

from pingtai.engine import MethodError, list_methods, load_method
from pingtai.engine.methods import json_schema_text, parse_method

METHODS_DIR = Path(__file__).resolve().parents[2] / "src" / "pingtai" / "methods"
# The published Huangyan table, shipped with the methods (src/pingtai/methods/SOURCES.md).
HUANGYAN_CSV = METHODS_DIR / "huangyan_benchmarks.csv"

# Transcribed from huangyan_benchmarks.csv (docs/methods.md §2.4): (segment, indicator) -> (2021, 2022, weight)
HUANGYAN = {
    ("规上", "tax_per_mu"): (26.01, 24.097, 30),
    ("规上", "va_per_mu"): (132.27, 136.16, 20),
    ("规上", "va_per_energy"): (2.54, 2.694, 20),
    ("规上", "va_per_emission"): (4861.08, 4929.81, 10),
    ("规上", "labour_productivity"): (17.45, 18.14, 10),
    ("规上", "rd_share"): (0.0305, 0.0302, 10),
    ("规下", "tax_per_mu"): (16.601058, 11.5932, 50),
    ("规下", "tax_per_electricity"): (0.236565, 0.2352, 50),
}
CSV_NAMES = {
    "亩均税收": "tax_per_mu",
    "亩均增加值": "va_per_mu",
    "单位能耗增加值": "va_per_energy",
    "单位排放增加值": "va_per_emission",
    "全员劳动生产率": "labour_productivity",
    "R&D经费占主营业务收入比重": "rd_share",
    "单位用电税收": "tax_per_electricity",
}


def raw(method_id: str) -> dict:
    return tomllib.loads((METHODS_DIR / f"{method_id}.toml").read_text(encoding="utf-8"))


def test_it_ships_the_enterprise_methods_and_every_shipped_file_loads():
    ids = [m.id for m in list_methods()]
    assert ids == sorted(ids)
    assert {"lishui-mujun-default", "zj-mujun-huangyan-2021", "zj-mujun-huangyan-2022"} <= set(ids)
    for m in list_methods():
        assert m.version and m.description and m.source.document and m.effective.from_


@pytest.mark.parametrize("year", [2021, 2022])
def test_huangyan_parameters_match_the_published_table(year):
    m = load_method(f"zj-mujun-huangyan-{year}")
    for (seg, ind), (b21, b22, weight) in HUANGYAN.items():
        item = next(i for i in m.segments[seg].indicators if i.indicator == ind)
        assert item.weight == weight
        assert item.scoring.benchmark.value == (b21 if year == 2021 else b22)
        assert item.cap is None and item.floor is None


def test_huangyan_parameters_match_the_published_csv():
    with HUANGYAN_CSV.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 16  # 2 years × (6 规上 + 2 规下 indicators)
    for row in rows:
        m = load_method(f"zj-mujun-huangyan-{row['data_year']}")
        item = next(
            i
            for i in m.segments[row["segment"]].indicators
            if i.indicator == CSV_NAMES[row["indicator"]]
        )
        assert item.scoring.benchmark.value == float(row["benchmark"])
        assert item.weight == float(row["weight"])


def test_only_the_2022_variant_gives_missing_emissions_the_average_score():
    rule = {
        y: next(
            i
            for i in load_method(f"zj-mujun-huangyan-{y}").segments["规上"].indicators
            if i.indicator == "va_per_emission"
        ).missing
        for y in (2021, 2022)
    }
    assert rule == {2021: "zero_score", 2022: "group_average_score"}


def test_every_enterprise_method_labels_its_assumptions():
    for m in list_methods():
        if m.kind != "enterprise":
            continue
        assert len(m.assumptions) >= 10
        assert all(a.note for a in m.assumptions)


def test_committed_schema_equals_the_generated_one():
    assert (METHODS_DIR / "method.schema.json").read_text(encoding="utf-8") == json_schema_text()
    json.loads(json_schema_text())


def test_error_names_the_key_path_and_the_problem():
    data = raw("zj-mujun-huangyan-2022")
    data["segments"]["规上"]["indicators"][2]["weight"] = -5
    with pytest.raises(MethodError) as err:
        parse_method(data)
    assert "segments.规上.indicators[2].weight: 必须为正数" in err.value.problems


def test_error_drops_discriminator_tags_from_the_path():
    data = raw("zj-mujun-huangyan-2022")
    data["segments"]["规上"]["indicators"][0]["scoring"]["benchmark"]["value"] = "abc"
    with pytest.raises(MethodError) as err:
        parse_method(data)
    assert err.value.problems == ["segments.规上.indicators[0].scoring.benchmark.value: 必须为数值"]


def test_it_lists_every_problem_at_once():
    data = raw("zj-mujun-huangyan-2022")
    data["segments"]["规上"]["indicators"][1]["indicator"] = "no_such"
    data["segments"]["规上"]["classes"]["bands"][0]["share"] = 0.9
    data["assumptions"][0]["key"] = "segments.不存在"
    data["vetoes"] = [
        {"id": "v", "name": "x", "column": "c", "effect": "force_class", "class": "Z"}
    ]
    with pytest.raises(MethodError) as err:
        parse_method(data)
    text = "\n".join(err.value.problems)
    assert "segments.规上.indicators[1].indicator: 未定义的指标“no_such”" in text
    assert "segments.规上.classes.bands: 前几档 share 之和为 1.65" in text
    assert "assumptions[0].key: 键路径“segments.不存在”在本方法中不存在" in text
    assert "vetoes[0].class" in text


def test_it_rejects_typos_and_missing_keys():
    data = raw("lishui-mujun-default")
    data["segments"]["规上"]["indicators"][0]["wieght"] = 3
    del data["version"]
    with pytest.raises(MethodError) as err:
        parse_method(data)
    assert "version: 缺少必填项" in err.value.problems
    assert "segments.规上.indicators[0].wieght: 不允许的键（拼写错误？）" in err.value.problems


def test_indicator_unit_must_match_its_formula():
    data = raw("zj-mujun-huangyan-2022")
    data["indicators"][0]["unit"] = "万元/人"
    with pytest.raises(MethodError, match=r"indicators\[0\].unit: 指标单位“万元/人”与公式单位"):
        parse_method(data)


def _ahp_method(matrix, allow=False):
    data = raw("zj-mujun-huangyan-2022")
    seg = data["segments"]["规下"]
    for item in seg["indicators"]:
        del item["weight"]
    seg["weighting"] = {"kind": "ahp", "matrix": matrix, "allow_inconsistent": allow}
    return data


def test_ahp_matrix_must_be_reciprocal_and_sized():
    with pytest.raises(MethodError, match="必须为 2×2 矩阵"):
        parse_method(_ahp_method([[1, 2, 3], [0.5, 1, 1], [1 / 3, 1, 1]]))
    with pytest.raises(MethodError, match="互反矩阵"):
        parse_method(_ahp_method([[1, 2], [2, 1]]))
    assert parse_method(_ahp_method([[1, 3], [1 / 3, 1]]))


def test_inconsistent_ahp_is_refused_unless_overridden():
    data = _ahp_method([[1, 3], [1 / 3, 1]])
    seg = data["segments"]["规上"]
    for item in seg["indicators"]:
        del item["weight"]
    bad = [[1.0] * 6 for _ in range(6)]
    bad[0][1], bad[1][0] = 9.0, 1 / 9
    bad[1][2], bad[2][1] = 9.0, 1 / 9
    bad[0][2], bad[2][0] = 1 / 9, 9.0  # 0 ≫ 1 ≫ 2 but 2 ≫ 0: circular
    seg["weighting"] = {"kind": "ahp", "matrix": bad}
    with pytest.raises(MethodError, match=r"一致性比率 CR = .* > 0.1"):
        parse_method(data)
    seg["weighting"]["allow_inconsistent"] = True
    assert parse_method(data).segments["规上"].weighting.allow_inconsistent


def test_load_method_reports_unknown_ids_and_bad_files(tmp_path):
    with pytest.raises(MethodError, match="没有这个评价方法"):
        load_method("no-such-method")
    bad = tmp_path / "bad.toml"
    bad.write_text("id = \n", encoding="utf-8")
    with pytest.raises(MethodError, match="TOML 语法错误"):
        load_method(bad)


def test_method_hash_ignores_formatting_but_not_values(tmp_path):
    text = (METHODS_DIR / "zj-mujun-huangyan-2022.toml").read_text(encoding="utf-8")
    a = tmp_path / "a.toml"
    a.write_text("# a comment\n" + text, encoding="utf-8")
    assert load_method(a).hash == load_method("zj-mujun-huangyan-2022").hash
    b = tmp_path / "b.toml"
    b.write_text(text.replace("value = 24.097", "value = 24.1"), encoding="utf-8")
    assert load_method(b).hash != load_method("zj-mujun-huangyan-2022").hash
