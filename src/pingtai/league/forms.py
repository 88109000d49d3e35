from __future__ import annotations

from django import forms

from pingtai.league.models import LeagueRun


class RunForm(forms.Form):
    cycle = forms.ChoiceField(label="周期", choices=LeagueRun.Cycle.choices)
    period = forms.CharField(label="期别（如 2024Q4、2024H1、2024）", max_length=8)
    grouping = forms.ChoiceField(label="分组方式", choices=LeagueRun.Grouping.choices)
    robustness = forms.IntegerField(
        label="稳健性抽样次数", min_value=0, max_value=10000, initial=2000
    )


class PayPoolForm(forms.Form):
    total = forms.CharField(label="薪酬池总额（万元）", max_length=20)
    note = forms.CharField(label="说明", max_length=200, required=False)


class DecideForm(forms.Form):
    decision = forms.ChoiceField(label="审批", choices=(("approve", "批准"), ("reject", "不批准")))
    note = forms.CharField(label="审批意见", max_length=500, required=False)
