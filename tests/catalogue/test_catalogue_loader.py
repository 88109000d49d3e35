"""The shipped catalogue loads and is consistent; broken catalogue files give clear errors."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from pingtai.catalogue import default_catalogue, load_catalogue
from pingtai.catalogue.catalogue import CATALOGUE_DIR
from pingtai.core.refusal import Refused

REQUIRED_FORMS = {
    "platform_quarterly",
    "platform_enterprises",
    "tax_enterprise",
    "power_enterprise",
    "energy_enterprise",
    "statistics_enterprise",
    "emission_enterprise",
    "land_parcel",
}


def test_shipped_catalogue_has_the_required_forms():
    catalogue = default_catalogue()
    assert set(catalogue.forms) >= REQUIRED_FORMS
    assert catalogue.version.startswith("2025.1+")
    main = catalogue.form("platform_quarterly")
    assert main.level == "platform" and main.frequency == "quarter"
    names = {catalogue.indicators[c].name for c in main.columns}
    assert {
        "工业总产值",
        "规上工业总产值",
        "规上工业增加值",
        "税收收入",
        "工业固定资产投资",
        "实际利用外资",
        "进出口总额",
        "新签约亿元以上项目数",
        "高新技术产业增加值",
        "研发经费支出",
        "研发机构数",
        "产业创新服务综合体数",
        "管理机构数",
        "管理人员数",
        "可开发面积",
    } <= names


def test_units_follow_the_conventions():
    catalogue = default_catalogue()
    ind = catalogue.indicators
    money = [i for i in ind.values() if i.unit in ("万元", "元", "亿元")]
    assert money and all(i.unit == "万元" for i in money)
    assert ind["foreign_capital"].unit == "万美元"
    assert ind["electricity"].unit == "万千瓦时"
    assert ind["energy_consumption"].unit == "吨标煤"
    assert ind["emissions"].unit == "当量吨"
    assert ind["land_area"].unit == ind["parcel_area"].unit == "亩"
    assert all(isinstance(i.max, Decimal) for i in ind.values() if i.max is not None)


def test_department_forms_are_keyed_by_uscc_and_sourced_by_department():
    catalogue = default_catalogue()
    for code, source in [
        ("tax_enterprise", "tax"),
        ("power_enterprise", "power"),
        ("energy_enterprise", "economy"),
        ("statistics_enterprise", "statistics"),
        ("emission_enterprise", "ecology"),
    ]:
        form = catalogue.form(code)
        assert form.key == "uscc" and form.level == "enterprise" and form.source == source
    land = catalogue.form("land_parcel")
    assert land.key == "parcel_code" and land.level == "parcel"
    assert {"holder_uscc", "user_uscc", "tenure", "parcel_area"} <= set(land.columns)


def test_rules_describe_themselves_in_chinese():
    catalogue = default_catalogue()
    names = catalogue.names()
    texts = [r.describe(names) for r in catalogue.form("platform_quarterly").rules]
    assert "应满足：规上工业总产值 ≤ 工业总产值" in texts
    assert "应满足：规上工业增加值 ≤ 规上工业总产值" in texts
    assert [r.describe(names) for r in catalogue.form("tax_enterprise").rules] == [
        "应满足：实缴税金 ≥ 0"
    ]
    tenure = catalogue.form("land_parcel").rules[0]
    assert tenure.condition.holds({"tenure": "自有"}) is True
    assert tenure.comparison.holds({"holder_uscc": "A", "user_uscc": None}) is None


def test_fingerprint_is_stable_and_form_specific():
    catalogue = default_catalogue()
    a = catalogue.fingerprint(catalogue.form("tax_enterprise"))
    assert a == load_catalogue().fingerprint(load_catalogue().form("tax_enterprise"))
    assert a != catalogue.fingerprint(catalogue.form("power_enterprise"))


def test_unknown_form_is_a_chinese_error():
    with pytest.raises(Refused, match="不在目录中"):
        default_catalogue().form("nope")


def _copy(tmp_path: Path) -> Path:
    for name in ("indicators.toml", "forms.toml"):
        shutil.copy(CATALOGUE_DIR / name, tmp_path / name)
    return tmp_path


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


@pytest.mark.parametrize(
    "extra, message",
    [
        (
            (
                '\n[[form]]\ncode = "bad"\nname = "坏表"\nlevel = "enterprise"\nsource = "tax"\n'
                'frequency = "year"\nkey = "uscc"\ncolumns = ["uscc", "nope"]\n'
            ),
            "不在指标目录中",
        ),
        (
            (
                '\n[[form]]\ncode = "bad"\nname = "坏表"\nlevel = "platform"\nsource = "platform"\n'
                'frequency = "quarter"\nkey = "platform_code"\ncolumns = ["platform_code", "tax_paid"]\n'
            ),
            "只按年度采集",
        ),
        (
            (
                '\n[[form]]\ncode = "bad"\nname = "坏表"\nlevel = "enterprise"\nsource = "tax"\n'
                'frequency = "year"\nkey = "uscc"\ncolumns = ["uscc", "tax_paid"]\n'
                'rules = [{ check = "tax_paid <= enterprise_name" }]\n'
            ),
            "引用了表中没有的列",
        ),
        (
            (
                '\n[[form]]\ncode = "bad"\nname = "坏表"\nlevel = "enterprise"\nsource = "tax"\n'
                'frequency = "year"\nkey = "uscc"\ncolumns = ["uscc", "enterprise_name", "tax_paid"]\n'
                'rules = [{ check = "tax_paid <= enterprise_name" }]\n'
            ),
            "把数值和文本相比较",
        ),
        (
            (
                '\n[[form]]\ncode = "bad"\nname = "坏表"\nlevel = "enterprise"\nsource = "nowhere"\n'
                'frequency = "year"\nkey = "tax_paid"\ncolumns = ["uscc", "tax_paid"]\n'
            ),
            "不在 [sources] 中",
        ),
        (
            (
                '\n[[form]]\ncode = "bad"\nname = "坏表"\nlevel = "enterprise"\nsource = "tax"\n'
                'frequency = "year"\nkey = "uscc"\ncolumns = ["uscc"]\nrules = [{ check = "uscc ~ 1" }]\n'
            ),
            "运算符",
        ),
    ],
)
def test_broken_forms_are_reported(tmp_path, extra, message):
    directory = _copy(tmp_path)
    _append(directory / "forms.toml", extra)
    with pytest.raises(Refused) as caught:
        load_catalogue(directory)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "extra, message",
    [
        (
            (
                '\n[[indicator]]\ncode = "x"\nname = "某值"\ndefinition = "d"\ndtype = "decimal"\n'
                'decimals = 2\nfrequency = "year"\nsource = "tax"\n'
            ),
            "必须声明单位",
        ),
        (
            (
                '\n[[indicator]]\ncode = "x"\nname = "某值"\ndefinition = "d"\nunit = "万元"\n'
                'dtype = "decimal"\nfrequency = "year"\nsource = "tax"\n'
            ),
            "decimals",
        ),
        (
            (
                '\n[[indicator]]\ncode = "x"\nname = "某值"\ndefinition = "d"\nunit = "万元"\n'
                'dtype = "decimal"\ndecimals = 2\nmin = "5"\nmax = "1"\nfrequency = "year"\nsource = "tax"\n'
            ),
            "下限大于上限",
        ),
        (
            (
                '\n[[indicator]]\ncode = "uscc"\nname = "重复"\ndefinition = "d"\ndtype = "text"\n'
                'frequency = "year"\nsource = "tax"\n'
            ),
            "重复定义",
        ),
        (
            (
                '\n[[indicator]]\ncode = "x"\nname = "某值"\ndefinition = "d"\ndtype = "text"\n'
                'frequency = "monthly"\nsource = "tax"\n'
            ),
            "indicators.toml indicator[",
        ),
    ],
)
def test_broken_indicators_are_reported(tmp_path, extra, message):
    directory = _copy(tmp_path)
    _append(directory / "indicators.toml", extra)
    with pytest.raises(Refused) as caught:
        load_catalogue(directory)
    assert message in str(caught.value)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(Refused, match=r"指标目录文件“indicators\.toml”无效：文件不存在"):
        load_catalogue(tmp_path)
    directory = _copy(tmp_path)
    (directory / "forms.toml").write_text("version = [", encoding="utf-8")
    with pytest.raises(Refused, match=r"“forms\.toml”无效：文件末尾有 TOML 语法错误"):
        load_catalogue(directory)
