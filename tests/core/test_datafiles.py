"""The one loader of TOML data files: every refusal names the file, the field as the file
writes it, and the problem in Chinese; a good file gives its validated model."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, Field

from pingtai.core.datafiles import DataFileError, load_toml, validate
from pingtai.core.refusal import Refused


class _Band(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(min_length=1)
    min_yi: float = Field(ge=0)


class _Rules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str
    share: float = Field(gt=0, le=1)
    bands: list[_Band]


GOOD = 'version = "v1"\nshare = 0.5\n\n[[bands]]\nlabel = "大"\nmin_yi = 100\n'


def test_a_good_file_gives_its_model(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(GOOD, encoding="utf-8")
    rules = load_toml(path, _Rules, what="规则文件")
    assert rules.version == "v1" and rules.bands[0].min_yi == 100


def test_every_problem_names_its_field_in_chinese(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(
        'share = 1.5\n\n[[bands]]\nlabel = ""\nmin_yi = -1\nlable = "x"\n', encoding="utf-8"
    )
    with pytest.raises(DataFileError) as caught:
        load_toml(path, _Rules, what="规则文件")
    error = caught.value
    assert isinstance(error, Refused) and error.code == "data_file"
    assert error.problems == [
        "version: 缺少必填项",
        "share: 必须小于或等于 1",
        "bands[0].label: 不能为空",
        "bands[0].min_yi: 必须大于或等于 0",
        "bands[0].lable: 不允许的键（拼写错误？）",
    ]
    assert str(error).startswith("规则文件“rules.toml”无效：\n  - version: 缺少必填项")


def test_a_syntax_error_names_its_line(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text('version = "v1"\nshare = 0.5\nbands = [\n  {label = }\n]\n', encoding="utf-8")
    with pytest.raises(
        DataFileError, match=r"规则文件“rules\.toml”无效：第 4 行第 \d+ 列有 TOML 语法错误"
    ):
        load_toml(path, _Rules, what="规则文件")


def test_a_missing_or_undecodable_file_is_refused_by_name(tmp_path):
    with pytest.raises(DataFileError, match=r"目标文件“nope\.toml”无效：文件不存在"):
        load_toml(tmp_path / "nope.toml", _Rules, what="目标文件")
    path = tmp_path / "gbk.toml"
    path.write_bytes('version = "版本"\n'.encode("gbk"))
    with pytest.raises(DataFileError, match="不是 UTF-8 编码的文本"):
        load_toml(path, _Rules, what="规则文件", code="rules")


def test_validators_own_messages_are_kept_without_pydantics_prefix():
    class _Checked(BaseModel):
        low: int
        high: int

        def model_post_init(self, _context) -> None:
            if self.low > self.high:
                raise ValueError("下限不能大于上限")

    with pytest.raises(DataFileError) as caught:
        validate({"low": 2, "high": 1}, _Checked, what="数据文件", source="x.toml")
    assert caught.value.problems == ["（整体）: 下限不能大于上限"]
