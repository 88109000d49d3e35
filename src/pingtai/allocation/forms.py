from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import cast

from django import forms

from pingtai.allocation import rules as rulefiles
from pingtai.allocation.models import PoolKind, ProjectProposal
from pingtai.core import terms
from pingtai.registry.models import Platform
from pingtai.web.forms import IsoDateInput


class PoolForm(forms.Form):
    kind = forms.ChoiceField(label="指标类型", choices=PoolKind.choices)
    year = forms.IntegerField(label="年度", min_value=2021, max_value=2100)
    total = forms.DecimalField(label="年度总量", min_value=0, max_digits=16, decimal_places=2)
    note = forms.CharField(label="说明", max_length=200, required=False)


class DemandForm(forms.Form):
    platform = forms.ModelChoiceField(
        label="平台",
        queryset=Platform.objects.all(),
        to_field_name="code",
        required=False,
        help_text="平台用户只能申报本平台",
    )
    demand = forms.DecimalField(label="申报需求", min_value=0, max_digits=16, decimal_places=2)
    major_demand = forms.DecimalField(
        label="其中重大产业项目需求", min_value=0, max_digits=16, decimal_places=2, initial=0
    )
    note = forms.CharField(label="说明", max_length=200, required=False)


def rule_choices(kind: str, level: str) -> list[tuple[str, str]]:
    return [(name, terms.rule_name(name)) for name in rulefiles.available(kind, level)]


def indicator_keys() -> dict[str, str]:
    """The indicators a weight may name, by the words of their titles without the unit: 亩均税收
    and 预计亩均税收 both name tax_per_mu (docs/allocation.md, what-if page)."""
    keys = {}
    for indicators in (rulefiles.FIGURE_INDICATORS, rulefiles.PROPOSAL_INDICATORS):
        for key, title in indicators.items():
            name = title.split("（")[0]
            keys[name] = key
            keys[name.removeprefix("预计")] = key
    return keys


class RunForm(forms.Form):
    rules = forms.ChoiceField(label="配置规则")
    platform = forms.ModelChoiceField(
        label="平台（仅平台内项目间配置）",
        queryset=Platform.objects.all(),
        to_field_name="code",
        required=False,
    )

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["rules"]).choices = rule_choices(
            kind, "platform"
        ) + rule_choices(kind, "project")


class CompareForm(forms.Form):
    rules_a = forms.ChoiceField(label="规则 A")
    rules_b = forms.ChoiceField(label="规则 B")
    platform = forms.ModelChoiceField(
        label="平台（仅项目间比较）",
        queryset=Platform.objects.all(),
        to_field_name="code",
        required=False,
    )
    base_share_b = forms.DecimalField(
        label="B 改用基础份额（0–1，可选）",
        required=False,
        min_value=0,
        max_value=1,
        max_digits=5,
        decimal_places=4,
    )
    weights_b = forms.CharField(
        label="B 改用指标权重（可选，如 亩均税收=0.8，亩均增加值=0.2）",
        required=False,
        max_length=200,
    )

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        choices = rule_choices(kind, "platform") + rule_choices(kind, "project")
        for name in ("rules_a", "rules_b"):
            cast(forms.ChoiceField, self.fields[name]).choices = choices

    def clean_weights_b(self) -> dict[str, Decimal]:
        """Indicator name = weight pairs, keyed by the rule files' indicator keys."""
        keys = indicator_keys()
        weights = {}
        for part in self.cleaned_data["weights_b"].replace("，", ",").split(","):
            if not part.strip():
                continue
            name, sep, value = part.replace("＝", "=").partition("=")
            try:
                weight = Decimal(value.strip())
            except InvalidOperation:
                sep = ""
            if not sep or not weight.is_finite():
                raise forms.ValidationError(f"“{part.strip()}”应写成 指标=权重，如 亩均税收=0.8")
            if name.strip() not in keys:
                raise forms.ValidationError(
                    f"没有名为“{name.strip()}”的指标，可用 {'、'.join(n for n in keys if '预计' not in n)}"
                )
            weights[keys[name.strip()]] = weight
        return weights

    def adjust_b(self) -> dict:
        return {
            "base_share": self.cleaned_data["base_share_b"],
            "weights": self.cleaned_data["weights_b"],
        }


class ProposalForm(forms.ModelForm):
    platform = forms.ModelChoiceField(
        label="所在平台",
        queryset=Platform.objects.all(),
        to_field_name="code",
        required=False,
        help_text="平台用户只能申报本平台项目",
    )
    enterprise_uscc = forms.CharField(
        label="实施企业统一社会信用代码（可选）", max_length=18, required=False
    )

    class Meta:
        model = ProjectProposal
        fields = [
            "name",
            "applicant",
            "year",
            "proposal_date",
            "location_zone",
            "land_source",
            "land_use",
            "land_mu",
            "floor_area_ratio",
            "investment_wan",
            "expected_output_wan",
            "expected_value_added_wan",
            "expected_tax_wan",
            "energy_tce",
            "emission_t",
            "funds_wan",
            "industry_code",
            "major",
        ]
        widgets = {"proposal_date": IsoDateInput()}

    def clean(self):
        super().clean()
        data = self.cleaned_data
        for name in (
            "land_mu",
            "floor_area_ratio",
            "investment_wan",
            "expected_output_wan",
            "expected_value_added_wan",
            "expected_tax_wan",
            "energy_tce",
            "emission_t",
            "funds_wan",
        ):
            if data.get(name) is not None and data[name] < 0:
                self.add_error(name, "不能为负数")
        if data.get("land_source") != ProjectProposal.LandSource.NONE and not data.get("land_mu"):
            self.add_error("land_mu", "新增或盘活用地的项目须填写用地面积")
        return data


class CommitmentForm(forms.Form):
    agreement_no = forms.CharField(label="协议编号", max_length=60)
    signed_on = forms.DateField(label="签订日期", widget=IsoDateInput())
    due_on = forms.DateField(label="约定达产复核日期", widget=IsoDateInput())


class PostEvaluationForm(forms.Form):
    data_year = forms.IntegerField(label="实际数据年度（留空取复核日期前最近年度）", required=False)
    actual_investment_wan = forms.DecimalField(
        label="核实固定资产投资（万元）",
        required=False,
        min_value=0,
        max_digits=16,
        decimal_places=2,
    )
    actual_floor_area_ratio = forms.DecimalField(
        label="核实容积率", required=False, min_value=0, max_digits=6, decimal_places=2
    )
