"""Demo of the enterprise side (``pingtai setup-demo``): a few enterprise logins, the 复核 公示
window of the current 2024 result open, one firm's objection waiting at its platform, one
firm's 一企一单 confirmed — so that ``make run`` shows the whole loop."""

from __future__ import annotations

from django.db import transaction

from pingtai.accounts.models import User
from pingtai.accounts.services import DEMO_PASSWORD, DemoLogin
from pingtai.core.refusal import Refused
from pingtai.evaluation.models import EvaluationRun
from pingtai.firm.models import Confirmation, Objection, PublicityWindow
from pingtai.firm.objections import confirm_sheet, objection_file
from pingtai.firm.sheet import snapshot_row
from pingtai.firm.windows import open_window, window_text
from pingtai.runs.selectors import current_published

DEMO_PLATFORM = "LS01"
DEMO_USERS = ("qy_ls01_a", "qy_ls01_b", "qy_ls01_d")  # a firm of class A, B and D
# A small, well-formed PDF as the demo objection's evidence.
DEMO_EVIDENCE = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _firms(run: EvaluationRun):
    rows = run.results.filter(platform_code=DEMO_PLATFORM).order_by("uscc")
    return [rows.filter(klass=k).select_related("enterprise").first() for k in "ABD"]


def demo_logins() -> list[DemoLogin]:
    return [
        DemoLogin(u.username, DEMO_PASSWORD, "企业用户", u.enterprise.name)
        for u in User.objects.filter(username__in=DEMO_USERS).select_related("enterprise")
        if u.enterprise is not None
    ]


@transaction.atomic
def load_demo(*, admin: User) -> list[str]:
    """Idempotent; returns what it did, in words."""
    done: list[str] = []
    run = current_published(EvaluationRun, year=2024)
    if run is None:
        return ["没有 2024 年度的现行评价结果，跳过企业端演示"]
    firms = _firms(run)
    for username, result in zip(DEMO_USERS, firms, strict=True):
        if result is None or User.objects.filter(username=username).exists():
            continue
        user = User(username=username, role=User.Role.ENTERPRISE, enterprise=result.enterprise)
        user.set_password(DEMO_PASSWORD)
        user.save()
        done.append(f"企业演示账号 {username}（{result.enterprise.name}，{result.klass}类）")
    window = PublicityWindow.objects.filter(run=run, kind=PublicityWindow.Kind.RESULT).first()
    if window is None:
        try:
            window = open_window(run, PublicityWindow.Kind.RESULT, user=admin, days=5)
        except Refused as refused:  # e.g. today's year not yet in the holiday calendar
            return [*done, f"未开启演示公示期：{refused.message}"]
        done.append(f"已开启 2024 年度评价结果复核公示：{window_text(window)}")
    if not window.is_open():
        return [*done, f"演示公示期已截止（{window_text(window)}）"]
    d_firm = firms[2]
    if d_firm is not None and not Objection.objects.filter(run=run).exists():
        current = (snapshot_row(run, d_firm.uscc) or {}).get("tax_wan") or 0
        obj = objection_file(
            run,
            d_firm.enterprise,
            kind="数值错误",
            field="tax_wan",
            claimed=f"{current * 3 + 50:.2f}",
            reason="第四季度入库的增值税未计入（演示数据）：附税务部门完税证明",
            evidence=[("完税证明.pdf", DEMO_EVIDENCE)],
            user=User.objects.get(username=DEMO_USERS[2]),
        )
        done.append(f"{d_firm.name}提出异议 {obj.number}（待平台初核）")
    b_firm = firms[1]
    if (
        b_firm is not None
        and not Confirmation.objects.filter(run=run, enterprise=b_firm.enterprise).exists()
    ):
        confirm_sheet(run, b_firm.enterprise, user=User.objects.get(username=DEMO_USERS[1]))
        done.append(f"{b_firm.name}已确认一企一单")
    return done
