from __future__ import annotations

from django import forms

from pingtai.planning.models import Agreement, ClassificationItem
from pingtai.web.forms import IsoDateInput, today


class ClassifyForm(forms.Form):
    year = forms.IntegerField(label="数据年度", min_value=2000, max_value=2100)
    as_of = forms.DateField(label="平台体系时点", widget=IsoDateInput, initial=today)


class ApproveForm(forms.Form):
    effective_date = forms.DateField(label="生效日期", widget=IsoDateInput, initial=today)
    document = forms.CharField(label="依据文件（审定文号）", max_length=120)
    conflict_reason = forms.CharField(
        label="与方案不一致事项的审定意见（有此类事项时必填）",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AdjustForm(forms.Form):
    action = forms.ChoiceField(label="方式", choices=ClassificationItem.Action.choices)
    target = forms.CharField(label="去向平台代码", max_length=8, required=False)
    reason = forms.CharField(label="理由", max_length=500)


def zone_choices() -> list[tuple[str, str]]:
    """Former zones by name and county (the code is only the submitted value)."""
    from pingtai.registry.models import FormerZone

    return [
        (z.code, f"{z.name}（{z.county.name}）")
        for z in FormerZone.objects.select_related("county").order_by("county__code", "name")
    ]


def party_choices() -> list[tuple[str, str]]:
    """Every possible party as “类型 名称”, for the search box that adds a line to the list."""
    from pingtai.registry.models import County, FormerZone, Platform, SubZone

    rows = [f"平台 {p.short_name}" for p in Platform.objects.order_by("code")]
    rows += [f"片区 {z.name}" for z in SubZone.objects.order_by("platform__code", "name")]
    rows += [f"县 {c.name}" for c in County.objects.order_by("code")]
    rows += [
        f"乡镇 {z.name}"
        for z in FormerZone.objects.filter(kind=FormerZone.Kind.TOWNSHIP).order_by("name")
    ]
    return [(row, row) for row in rows]


class CodesOrChoicesField(forms.MultipleChoiceField):
    """The searchable multi-select sends one value per chosen zone; a script may still send
    the codes in one space-separated value."""

    def to_python(self, value) -> list[str]:
        return [code for item in super().to_python(value) for code in item.split()]


class AgreementForm(forms.Form):
    code = forms.CharField(label="协议编号", max_length=30)
    title = forms.CharField(label="协议名称", max_length=200)
    kind = forms.ChoiceField(label="类型", choices=Agreement.Kind.choices)
    start_year = forms.IntegerField(label="起始年度", min_value=2000, max_value=2100)
    end_year = forms.IntegerField(label="终止年度", min_value=2000, max_value=2100)
    document = forms.CharField(label="依据文件", max_length=120, required=False)
    investment = forms.CharField(
        label="投入约定", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    parties = forms.CharField(
        label="参与方（每行：类型 名称 税收% 统计% 成本%，类型为 平台/片区/县/乡镇）",
        help_text="可在下方“查找参与方”中搜索并点选，自动添加一行，再填写三个比例。",
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": "平台 丽水经开区 60 70 50\n县 莲都区 40 30 50"}
        ),
    )
    zones = CodesOrChoicesField(
        label="覆盖园区（含其全部入园企业）",
        required=False,
        choices=zone_choices,
        widget=forms.SelectMultiple(attrs={"data-chooser": "", "size": 8}),
    )
    enterprises = forms.CharField(
        label="覆盖企业（每行一个统一社会信用代码，可在下方按企业名称查找后点选）",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


class SettlementForm(forms.Form):
    year = forms.IntegerField(label="结算年度", min_value=2000, max_value=2100)
    cost_yuan = forms.DecimalField(
        label="当年开发投入（元）", min_value=0, decimal_places=2, max_digits=18, initial=0
    )
