from __future__ import annotations

from django import forms
from django.conf import settings

from pingtai.catalogue import parse_period
from pingtai.core.refusal import Refused
from pingtai.web.forms import IsoDateInput, PeriodField


class PeriodOpenForm(forms.Form):
    code = PeriodField(label="填报期")
    deadline = forms.DateField(label="报送截止日期", widget=IsoDateInput())

    def clean_code(self) -> str:
        try:
            return parse_period(self.cleaned_data["code"].strip().upper()).code
        except Refused as bad:
            raise forms.ValidationError(str(bad)) from bad


class UploadForm(forms.Form):
    file = forms.FileField(label="数据文件（.xlsx）")
    reason = forms.CharField(
        label="更正理由（已锁定数据更正时必填）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.PINGTAI_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"文件大小 {upload.size / 1048576:.1f} MB 超过上限 {limit / 1048576:.0f} MB"
            )
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError("只接受 .xlsx 格式的 Excel 文件，请使用系统下载的模板")
        return upload


class TransitionForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in ("submit", "return", "approve", "lock")])
    revision = forms.IntegerField(min_value=0)
    reason = forms.CharField(required=False, max_length=2000)
    slips_checked = forms.BooleanField(required=False)
