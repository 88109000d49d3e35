"""One word per concept for everything a person reads (docs/glossary.md).

Identifiers stay in the data and the URLs (platform codes ``LS01``, form codes
``platform_quarterly``, method ids, rule ids: scripts depend on them); pages, documents and exports show
the names returned here. A code that has no name is shown as "未登记" with the code left out, so a
missing name is visible as a gap, never as an identifier on screen.
"""

from __future__ import annotations

import re
import time
import tomllib
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
UNKNOWN = "（未登记）"

# 亩均效益评价类别 (methods files: segments' class bands; T is the method files' exempt segment).
CLASS_NAMES = {
    "A": "A 类（优先发展类）",
    "B": "B 类（提升发展类）",
    "C": "C 类（调控帮扶类）",
    "D": "D 类（倒逼整治类）",
    "T": "T 类（不参评：规下用地不足 3 亩、无用地或豁免）",
}
CLASS_SHORT = {"A": "A 类", "B": "B 类", "C": "C 类", "D": "D 类", "T": "T 类（不参评）"}
T_EXPLAINED = "T 类：规模以下且用地不足 3 亩、无自有用地或属豁免情形的企业，列出但不评分、不分类"

# 竞争梯队 (data/lishui/registry.toml: T1 = 一心, T2 = 两翼, T3 = 三片区; league-v1 labels).
TIER_NAMES = {"T1": "第一梯队", "T2": "第二梯队", "T3": "第三梯队"}

FREQUENCY_NAMES = {"quarter": "季度", "half": "半年", "year": "年度"}


# What an upload check found (pingtai.xlsx.read / validate ``Issue.rule``), in the reviewer's words.
ISSUE_RULE_NAMES = {
    "header": "表头不符",
    "no_header": "缺少表头",
    "formula": "含有公式",
    "merged": "合并单元格",
    "empty": "文件无数据",
    "duplicate": "重复行",
    "scope": "不属于本单位",
    "too_many_errors": "错误过多",
    "cross_field": "栏目间关系不符",
    "choice": "不在可选范围内",
    "integer": "应为整数",
    "length": "长度超限",
    "min": "低于下限",
    "max": "高于上限",
    "number": "不是有效数字",
    "required": "必填项为空",
    "type": "单元格格式不对",
    "code_as_number": "代码被存成数字",
    "peers": "与同类相差悬殊",
    "unit_word": "数值带单位文字",
    "uscc": "统一社会信用代码有误",
}


def issue_rule_name(rule: str | None) -> str:
    if not rule:
        return "—"
    return ISSUE_RULE_NAMES.get(rule, "其他问题")


_INTERNAL_REFS = (
    re.compile(r"[（(]\s*methods\.md[^）)]*[）)]"),
    re.compile(r"[，,；;]\s*methods\.md\s*(§\s*[\d.]+(\s*[-–—]\s*§?[\d.]+)?)?(\s*U-\d+)?"),
    re.compile(r"methods\.md\s*(§\s*[\d.]+)?(\s*U-\d+)?\s*[：:，,]?\s*"),
    re.compile(r"[（(]U-\d+[）)]"),
    re.compile(r"[，,；;]\s*U-\d+"),
    # citations of the register's sources by their codes (S04; data/lishui/sources.csv): the page
    # lists those sources by title beside the text.
    re.compile(r"[（(]\s*S\d{2}(\s*[、，,]\s*S\d{2})*\s*[）)]"),
    re.compile(r"[，,；;]\s*S\d{2}(\s*[、，,]\s*S\d{2})*(?=[）)])"),
)


def plain_text(text: str | None) -> str:
    """Data-file text without references to the project's working notes (``methods.md §2.8``):
    those explain the code to its maintainers, not the rule to an official."""
    if not text:
        return ""
    for pattern in _INTERNAL_REFS:
        text = pattern.sub("", text)
    return text


# How far a source can be trusted (data/lishui/sources.csv ``status``).
SOURCE_STATUS_NAMES = {
    "official": "官方文件",
    "official (repost)": "官方文件（转载）",
    "secondary": "二手资料",
    "generated": "系统生成（演示数据）",
}


def source_status_name(status: str | None) -> str:
    return SOURCE_STATUS_NAMES.get(status or "", "未注明")


def class_name(klass: str | None, short: bool = False) -> str:
    if not klass:
        return "—"
    return (CLASS_SHORT if short else CLASS_NAMES).get(klass, f"{klass} 类")


def tier_name(code: str | None) -> str:
    if not code:
        return "—"
    return TIER_NAMES.get(code, UNKNOWN)


def frequency_name(code: str | None) -> str:
    return FREQUENCY_NAMES.get(code or "", UNKNOWN)


def period_name(code: str | None) -> str:
    """``2024Q4`` → 2024年第四季度, ``2024H1`` → 2024年上半年, ``2024`` → 2024年度."""
    if not code:
        return "—"
    from pingtai.catalogue import parse_period
    from pingtai.core.refusal import Refused

    try:
        return parse_period(str(code)).label
    except Refused:
        return UNKNOWN


@cache
def _method_titles() -> dict[str, str]:
    titles = {}
    for path in (PACKAGE / "methods").glob("*.toml"):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        titles[data.get("id", path.stem)] = data.get("title", "")
    return titles


def method_name(method_id: str | None, version: str | None = None) -> str:
    """The method's title from its file; the version as 第 x 版 (ids never reach the page)."""
    if not method_id:
        return "—"
    title = _method_titles().get(method_id) or UNKNOWN
    return f"{title}（第 {version} 版）" if version else title


@cache
def _rule_titles() -> dict[str, str]:
    titles = {}
    for path in [*PACKAGE.glob("*/rules/*.toml"), *PACKAGE.glob("*/*.toml")]:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        if "title" not in data:
            continue
        titles[data.get("id", path.stem)] = data.get("title", "")
        titles.setdefault(path.stem, data.get("title", ""))
    return titles


def rule_name(rule_id: str | None) -> str:
    if not rule_id:
        return "—"
    return _rule_titles().get(rule_id) or UNKNOWN


@cache
def _catalogue_names() -> tuple[dict[str, str], dict[str, str]]:
    from pingtai.catalogue import load_catalogue

    catalogue = load_catalogue()
    return {code: f.name for code, f in catalogue.forms.items()}, dict(catalogue.sources)


def form_name(code: str | None) -> str:
    if not code:
        return "—"
    return _catalogue_names()[0].get(code, UNKNOWN)


def source_name(code: str | None) -> str:
    if not code:
        return "—"
    return _catalogue_names()[1].get(code, UNKNOWN)


_NAMES_TTL_S = 30.0
_names_cache: dict[str, tuple[float, dict[str, tuple[str, str]]]] = {}


def _register_names(kind: str) -> dict[str, tuple[str, str]]:
    """Code → (name, short name) of platforms or counties: eleven and nine rows, read at most
    every half minute so that a long list does not ask the database once per row."""
    now = time.monotonic()
    cached = _names_cache.get(kind)
    if cached and now - cached[0] < _NAMES_TTL_S:
        return cached[1]
    from pingtai.registry.models import County, Platform

    if kind == "platform":
        rows = Platform.objects.values_list("code", "name", "short_name")
        names = {code: (name, short) for code, name, short in rows}
    else:
        names = {code: (name, name) for code, name in County.objects.values_list("code", "name")}
    _names_cache[kind] = (now, names)
    return names


def forget_register_names() -> None:
    """After a rename (and between tests that load other registers)."""
    _names_cache.clear()


def platform_name(code: str | None, short: bool = True) -> str:
    """A platform's name from the register (short name by default, as on every list)."""
    if not code:
        return "—"
    names = _register_names("platform").get(code)
    if names is None:
        return UNKNOWN
    return names[1] if short else names[0]


def county_name(code: str | None) -> str:
    if not code:
        return "—"
    names = _register_names("county").get(code)
    return UNKNOWN if names is None else names[0]


def industry_name(code: str | None) -> str:
    """An industry code as an official reads it: the GB/T 4754 大类 name with the code after it
    (通用设备制造业（C3484）); the code alone when its 大类 is unknown."""
    from pingtai.standards.gbt4754 import division_name, division_of

    if not code:
        return "—"
    division = division_of(code)
    name = division_name(division) if division else ""
    return f"{name}（{code}）" if name else code


def person_name(user) -> str:
    """How a person appears on a page: the full name, else the role and the body (never the
    login name, which is an identifier)."""
    if user is None:
        return "—"
    full = (user.get_full_name() or "").strip()
    if full:
        return full
    role = user.get_role_display()
    if getattr(user, "platform_id", None):
        return f"{user.platform.short_name}{role}"
    if getattr(user, "department", ""):
        return f"{user.get_department_display()}{role}"
    return role
