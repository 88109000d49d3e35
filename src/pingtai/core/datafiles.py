"""One loader for the TOML data files (methods, rules, policies, standards, targets, catalogue)
and one formatter for what is wrong in them.

Every refusal names the file, the field (as written in the file: ``segments.规上.weight``,
``indicators[2].unit``) and the problem in Chinese, so the official who edits a data file can
find the line to fix. Pure Python (no Django): the engine loads its method files through it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from pingtai.core.refusal import Refused

M = TypeVar("M", bound=BaseModel)


class DataFileError(Refused):
    """A data file that cannot be used; ``problems`` lists every ``field: problem``."""

    def __init__(
        self, what: str, source: str, problems: Sequence[str], code: str = "data_file"
    ) -> None:
        self.what = what
        self.source = source
        self.problems = list(problems)
        if len(self.problems) == 1:
            text = f"{what}“{source}”无效：{self.problems[0]}"
        else:
            text = f"{what}“{source}”无效：\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(text, code=code)


# pydantic's error types in the words of the people who edit the files.
_MESSAGES = {
    "missing": "缺少必填项",
    "extra_forbidden": "不允许的键（拼写错误？）",
    "greater_than": "必须大于 {gt}",
    "greater_than_equal": "必须大于或等于 {ge}",
    "less_than": "必须小于 {lt}",
    "less_than_equal": "必须小于或等于 {le}",
    "literal_error": "取值必须为 {expected}",
    "enum": "取值必须为 {expected}",
    "string_pattern_mismatch": "格式不符（应匹配 {pattern}）",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "string_too_short": "不能为空",
    "string_too_long": "不能超过 {max_length} 个字",
    "union_tag_invalid": "kind 取值必须为 {expected_tags}",
    "union_tag_not_found": "缺少 kind",
    "float_parsing": "必须为数值",
    "float_type": "必须为数值",
    "decimal_parsing": "必须为数值",
    "decimal_type": "必须为数值",
    "int_parsing": "必须为整数",
    "int_type": "必须为整数",
    "int_from_float": "必须为整数",
    "bool_type": "必须为 true 或 false",
    "bool_parsing": "必须为 true 或 false",
    "string_type": "必须为字符串",
    "date_type": "必须为日期（YYYY-MM-DD）",
    "date_parsing": "必须为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "必须为日期（YYYY-MM-DD）",
    "list_type": "必须为列表",
    "tuple_type": "必须为列表",
    "dict_type": "必须为表（table）",
    "model_type": "必须为表（table）",
    "model_attributes_type": "必须为表（table）",
}


def field_path(loc: Sequence[Any], raw: Any = None) -> str:
    """A pydantic location as the file writes it, ``a.b[2].c``; discriminated-union tags that
    pydantic inserts (``…scoring.benchmark_ratio.weight``) are dropped when ``raw`` shows them."""
    out = ""
    node = raw
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            continue
        if isinstance(node, dict) and part not in node and node.get("kind") == part:
            continue  # a discriminated-union tag, not a key the user wrote
        out += ("." if out else "") + str(part)
        node = node.get(part) if isinstance(node, dict) else None
    return out or "（整体）"


def validation_problems(err: ValidationError, raw: Any = None) -> list[str]:
    """``field: problem`` for every error pydantic found, in Chinese where its type is known;
    messages of the models' own validators (already Chinese) are kept as they are."""
    problems = []
    for e in err.errors():
        template = _MESSAGES.get(e["type"])
        ctx = {k: f"{v:g}" if isinstance(v, float) else v for k, v in (e.get("ctx") or {}).items()}
        if e["type"] == "greater_than" and ctx.get("gt") in (0, "0"):
            template = "必须为正数"
        try:
            message = template.format(**ctx) if template else e["msg"]
        except (KeyError, IndexError):
            message = e["msg"]
        message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        problems.append(f"{field_path(e['loc'], raw)}: {message}")
    return problems


_POSITION = re.compile(r"at line (\d+), column (\d+)")


def toml_table(
    data: str | bytes, *, what: str, source: str, code: str = "data_file"
) -> dict[str, Any]:
    """The parsed table of a TOML text; ``DataFileError`` names the line of a syntax error."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise DataFileError(what, source, ["不是 UTF-8 编码的文本"], code) from None
    try:
        return tomllib.loads(data)
    except tomllib.TOMLDecodeError as bad:
        found = _POSITION.search(str(bad))
        where = f"第 {found[1]} 行第 {found[2]} 列" if found else "文件末尾"
        raise DataFileError(what, source, [f"{where}有 TOML 语法错误"], code) from None


def read_bytes(path: Path | Traversable, *, what: str, code: str = "data_file") -> bytes:
    """The file's bytes; a missing or unreadable file is a ``DataFileError``."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DataFileError(what, path.name, ["文件不存在"], code) from None
    except OSError as bad:
        raise DataFileError(what, path.name, [f"无法读取（{bad.strerror}）"], code) from None


def validate(
    raw: Mapping[str, Any], model: type[M], *, what: str, source: str, code: str = "data_file"
) -> M:
    """``model`` validated from an already parsed table; ``DataFileError`` lists every problem."""
    try:
        return model.model_validate(raw)
    except ValidationError as bad:
        raise DataFileError(what, source, validation_problems(bad, raw), code) from None


def load_toml(
    path: Path | Traversable, model: type[M], *, what: str = "数据文件", code: str = "data_file"
) -> M:
    """Read, parse and validate one TOML data file. ``what`` says what the file is in the
    refusal (e.g. "督办规则文件"); the file is named by its file name."""
    data = read_bytes(path, what=what, code=code)
    raw = toml_table(data, what=what, source=path.name, code=code)
    return validate(raw, model, what=what, source=path.name, code=code)
