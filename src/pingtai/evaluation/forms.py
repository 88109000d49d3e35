from __future__ import annotations

from django import forms

from pingtai.engine import list_methods
from pingtai.evaluation.sources import TENANT_RULES


def method_choices() -> list[tuple[str, str]]:
    return [
        (m.id, f"{m.title}（第 {m.version} 版）") for m in list_methods() if m.kind == "enterprise"
    ]


class RunForm(forms.Form):
    year = forms.IntegerField(label="数据年度", min_value=2000, max_value=2100)
    method = forms.ChoiceField(label="评价方法", choices=method_choices)
    robustness = forms.IntegerField(
        label="稳健性抽样次数（0 为不做）", min_value=0, max_value=2000, initial=200
    )
    tenant_rule = forms.ChoiceField(
        label="承租企业", choices=list(TENANT_RULES.items()), initial="separate"
    )


class CompareForm(forms.Form):
    year = forms.IntegerField(label="数据年度", min_value=2000, max_value=2100)
    method_a = forms.ChoiceField(label="现行方法", choices=method_choices)
    method_b = forms.ChoiceField(label="拟采用方法", choices=method_choices)
