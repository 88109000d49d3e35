from __future__ import annotations

from django import forms

from pingtai.web.forms import IsoDateInput, today


class TaskForm(forms.Form):
    title = forms.CharField(label="任务", max_length=200)
    category = forms.CharField(label="方向", max_length=40, required=False)
    owner = forms.CharField(label="责任人（单位）", max_length=80)
    description = forms.CharField(
        label="目标与举措", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    start_date = forms.DateField(label="开始日期", widget=IsoDateInput, initial=today)
    deadline = forms.DateField(label="截止日期", widget=IsoDateInput)

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if (
            data.get("start_date")
            and data.get("deadline")
            and data["start_date"] > data["deadline"]
        ):
            raise forms.ValidationError("开始日期不能晚于截止日期")
        return data


class ProgressForm(forms.Form):
    progress = forms.IntegerField(label="当前进度（%）", min_value=0, max_value=100)
    as_of = forms.DateField(label="进度日期", widget=IsoDateInput, initial=today)
    note = forms.CharField(
        label="进展说明", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class MilestoneForm(forms.Form):
    title = forms.CharField(label="节点", max_length=200)
    due_date = forms.DateField(label="节点日期", widget=IsoDateInput)


class MilestoneDoneForm(forms.Form):
    done_on = forms.DateField(label="完成日期", widget=IsoDateInput, initial=today)
