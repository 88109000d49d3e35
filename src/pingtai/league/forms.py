from __future__ import annotations

from django import forms

from pingtai.league.models import LeagueRun
from pingtai.web.forms import PeriodField


class RunForm(forms.Form):
    cycle = forms.ChoiceField(label="周期", choices=LeagueRun.Cycle.choices)
    period = PeriodField(label="考评期")
    grouping = forms.ChoiceField(label="分组方式", choices=LeagueRun.Grouping.choices)
    robustness = forms.IntegerField(
        label="稳健性抽样次数",
        min_value=0,
        max_value=10000,
        initial=2000,
        help_text="各项权重随机上下浮动后重算排名的次数，用来判断排名和末位是否稳定；填 0 不做",
    )


class PayPoolForm(forms.Form):
    total = forms.CharField(label="薪酬池总额（万元）", max_length=20)
    note = forms.CharField(label="说明", max_length=200, required=False)


class DecideForm(forms.Form):
    decision = forms.ChoiceField(label="审批", choices=(("approve", "批准"), ("reject", "不批准")))
    note = forms.CharField(label="审批意见", max_length=500, required=False)


DATE = forms.DateInput(attrs={"type": "date"})


class MeetingForm(forms.Form):
    held_on = forms.DateField(label="约谈日期", widget=DATE)
    attendees = forms.CharField(
        label="参加人员（单位、姓名、职务）", widget=forms.Textarea(attrs={"rows": 3})
    )
    minutes = forms.FileField(label="约谈纪要（PDF 或扫描图片）")
    rectify_by = forms.DateField(
        label="整改措施报送期限（不填则按通报：印发之日起 15 日）", required=False, widget=DATE
    )


class MeasuresForm(forms.Form):
    measures = forms.CharField(label="整改措施", widget=forms.Textarea(attrs={"rows": 8}))


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label="审核", choices=(("accept", "同意，进入整改"), ("return", "退回修改"))
    )
    note = forms.CharField(label="审核意见（退回必填）", max_length=2000, required=False)


class CloseForm(forms.Form):
    note = forms.CharField(label="整改完成情况", widget=forms.Textarea(attrs={"rows": 3}))


class ObjectionForm(forms.Form):
    text = forms.CharField(label="异议内容及依据", widget=forms.Textarea(attrs={"rows": 6}))


class ObjectionDecideForm(forms.Form):
    decision = forms.ChoiceField(label="处理", choices=(("uphold", "采纳"), ("reject", "不采纳")))
    reason = forms.CharField(label="答复理由", max_length=4000)
