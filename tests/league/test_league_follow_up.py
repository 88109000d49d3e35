"""Follow-through of sanctions: 约谈 recorded with minutes, 整改措施 submitted, reviewed and
closed, objections filed in the window and decided — through the services and over HTTP, with
a platform seeing only its own."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from pingtai.accounts.models import User
from pingtai.audit.models import AuditEvent
from pingtai.core.refusal import Refused
from pingtai.league import followup, selectors
from pingtai.league.models import InterviewMeeting, Objection, Rectification
from pingtai.registry.models import Platform

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% minutes\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def user(name: str) -> User:
    return User.objects.get(username=name)


def listed(run) -> Platform:
    entries, applies = selectors.interview_list(run)
    assert applies and entries
    return entries[0].result.platform


def platform_user(platform: Platform) -> User:
    return user(f"pt_{platform.code.lower()}")


def meeting(run, platform, **kw) -> InterviewMeeting:
    args = {
        "user": user("admin"),
        "held_on": timezone.localdate(),
        "attendees": "市整合提升办 张三；平台管委会 李四",
        "minutes": PDF,
        "minutes_name": "约谈纪要.pdf",
    }
    args.update(kw)
    return followup.meeting_record(run, platform, **args)


def test_meeting_needs_the_list_the_admin_a_real_file_and_a_past_date(league_demo):
    run = league_demo.y24
    platform = listed(run)
    on_list = {e.result.platform_code for e in selectors.interview_list(run)[0]}
    other = Platform.objects.exclude(code__in=on_list).first()
    cases = [
        ({}, other, "不在该批次的约谈名单上"),
        ({"user": user("leader")}, platform, "只有市级管理员"),
        ({"minutes": b"MZ\x90\x00 program", "minutes_name": "纪要.pdf"}, platform, "格式不受支持"),
        (
            {"minutes": PDF.replace(b"<<>> endobj", b"<< /JavaScript 1 >> endobj")},
            platform,
            "含有脚本",
        ),
        ({"minutes": b""}, platform, "请上传约谈纪要"),
        ({"attendees": "  "}, platform, "请填写参加人员"),
        ({"held_on": timezone.localdate() + dt.timedelta(days=1)}, platform, "不能晚于今天"),
        ({"rectify_by": timezone.localdate() - dt.timedelta(days=1)}, platform, "不能早于约谈"),
    ]
    for kw, who, message in cases:
        with pytest.raises(Refused, match=message):
            meeting(run, who, **kw)
    assert not InterviewMeeting.objects.exists() and not Rectification.objects.exists()
    with pytest.raises(Refused, match="已发布"):
        meeting(league_demo.h1, platform)
    made = meeting(run, platform)
    assert made.rectify_by == followup.notice_date(run) + dt.timedelta(days=15)
    assert bytes(made.minutes.content) == PDF and made.minutes_type == "application/pdf"
    assert made.rectification.status == Rectification.Status.AWAITING
    with pytest.raises(Refused, match="已记录过"):
        meeting(run, platform)
    assert AuditEvent.objects.filter(
        object_id=str(made.pk), object_type="league.InterviewMeeting", action="create"
    ).exists()


def test_rectification_is_submitted_by_its_platform_reviewed_and_closed(league_demo):
    run = league_demo.y24
    platform = listed(run)
    rect = meeting(run, platform).rectification
    stranger = User.objects.filter(role=User.Role.PLATFORM).exclude(platform=platform).first()
    with pytest.raises(Refused, match="平台用户可以报送"):
        followup.rectification_submit(rect, user=stranger, measures="代报")
    with pytest.raises(Refused, match="平台用户可以报送"):
        followup.rectification_submit(rect, user=user("admin"), measures="代报")
    own = platform_user(platform)
    with pytest.raises(Refused, match="请填写整改措施"):
        followup.rectification_submit(rect, user=own, measures=" ")
    rect = followup.rectification_submit(
        rect, user=own, measures="一、压减管理机构；二、加快项目落地"
    )
    assert rect.status == "submitted" and rect.get_status_display() == "待审核" and not rect.late
    with pytest.raises(Refused, match="不能再报送"):
        followup.rectification_submit(rect, user=own, measures="再报")
    with pytest.raises(Refused, match="退回必须写明理由"):
        followup.rectification_review(rect, user=user("admin"), accept=False)
    rect = followup.rectification_review(rect, user=user("admin"), accept=False, note="缺少时限")
    assert rect.get_status_display() == "已退回"
    # A resubmission after the deadline is accepted and marked 逾期.
    InterviewMeeting.objects.filter(pk=rect.meeting_id).update(
        rectify_by=timezone.localdate() - dt.timedelta(days=1)
    )
    rect.refresh_from_db()
    assert rect.overdue
    rect = followup.rectification_submit(rect, user=own, measures="补充时限：年底前完成")
    assert rect.late
    with pytest.raises(Refused, match="只有整改中的才能销号"):
        followup.rectification_close(rect, user=user("admin"), note="完成")
    rect = followup.rectification_review(rect, user=user("admin"), accept=True)
    assert rect.get_status_display() == "整改中"
    with pytest.raises(Refused, match="销号必须写明"):
        followup.rectification_close(rect, user=user("admin"), note="")
    rect = followup.rectification_close(rect, user=user("admin"), note="已完成机构压减")
    assert rect.get_status_display() == "已销号"
    actions = list(
        AuditEvent.objects.filter(
            object_id=str(rect.pk), object_type="league.Rectification"
        ).values_list("action", flat=True)
    )
    assert actions.count("submit") == 2 and "return" in actions and "approve" in actions


def test_objection_within_the_window_decided_with_a_reason(league_demo):
    # A fresh copy: the fixture's object is shared with other tests and is changed below.
    run = type(league_demo.y24).objects.get(pk=league_demo.y24.pk)
    start, end = followup.objection_window(run)
    assert end > start and end.weekday() < 5
    from pingtai.firm.calendar import calendar

    assert calendar().working_days_between(start, end) == 10
    own = user("pt_ls05")
    with pytest.raises(Refused, match="只有平台用户"):
        followup.objection_file(run, user=user("leader"), text="x")
    with pytest.raises(Refused, match="现行的已发布"):
        followup.objection_file(league_demo.h1, user=own, text="x")
    with pytest.raises(Refused, match="写明异议内容"):
        followup.objection_file(run, user=own, text="  ")
    objection = followup.objection_file(run, user=own, text="研发投入强度口径有误，附统计局证明")
    assert objection.platform.code == "LS05" and objection.window_ends == end
    with pytest.raises(Refused, match="已有待处理的异议"):
        followup.objection_file(run, user=own, text="再提")
    with pytest.raises(Refused, match="只有市级管理员"):
        followup.objection_decide(objection, user=user("leader"), uphold=False, reason="x")
    with pytest.raises(Refused, match="必须写明理由"):
        followup.objection_decide(objection, user=user("admin"), uphold=False, reason="")
    done = followup.objection_decide(
        objection, user=user("admin"), uphold=False, reason="口径与方法文件一致，不予采纳"
    )
    assert done.get_status_display() == "未采纳" and done.decided_by.username == "admin"
    with pytest.raises(Refused, match="已办结（未采纳）"):
        followup.objection_decide(done, user=user("admin"), uphold=True, reason="改判")
    # After the window no objection is accepted.
    type(run).objects.filter(pk=run.pk).update(
        published_at=run.published_at - dt.timedelta(days=40)
    )
    run.refresh_from_db()
    with pytest.raises(Refused, match="异议期已于"):
        followup.objection_file(run, user=user("pt_ls06"), text="逾期异议")


def test_pages_scope_confirmations_and_minutes_download(login, league_demo):
    run = league_demo.y24
    platform = listed(run)
    rect = meeting(run, platform).rectification
    followup.objection_file(run, user=user("pt_ls05"), text="LS05 的研发口径异议")
    admin = login("admin")
    page = admin.get(f"/league/runs/{run.pk}/").content.decode()
    assert "已约谈" in page and f"/league/rectifications/{rect.pk}/" in page
    page = admin.get("/league/follow-up/").content.decode()
    assert platform.short_name in page and "待报送" in page and "LS05 的研发口径异议" in page
    assert 'data-confirm="答复记录后不能更改' in page
    form = admin.get(f"/league/runs/{run.pk}/meetings/{platform.code}/new/").content.decode()
    assert 'data-confirm="约谈记录保存后不能修改' in form
    # Another platform sees neither this rectification nor its minutes, nor LS05's objection.
    other = Platform.objects.exclude(pk=platform.pk).exclude(code="LS05").first()
    stranger = login(f"pt_{other.code.lower()}")
    assert stranger.get(f"/league/rectifications/{rect.pk}/").status_code == 404
    assert stranger.get(f"/league/meetings/{rect.meeting_id}/minutes/").status_code == 404
    page = stranger.get("/league/follow-up/").content.decode()
    assert platform.short_name not in page.split("整改跟踪")[1].split("异议（")[0]
    assert "LS05 的研发口径异议" not in page
    # Its own platform sees, downloads and submits (the form asks for confirmation).
    owner = login(f"pt_{platform.code.lower()}")
    page = owner.get(f"/league/rectifications/{rect.pk}/").content.decode()
    assert 'data-confirm="整改措施报送后' in page and "约谈纪要.pdf" in page
    download = owner.get(f"/league/meetings/{rect.meeting_id}/minutes/")
    assert download.status_code == 200 and download.content == PDF
    assert download["Content-Type"] == "application/pdf"
    response = owner.post(
        f"/league/rectifications/{rect.pk}/", {"action": "submit", "measures": "整改措施正文"}
    )
    assert response.status_code == 302
    rect.refresh_from_db()
    assert rect.status == "submitted"
    # A platform cannot review its own measures; a department user has no page at all.
    owner.post(f"/league/rectifications/{rect.pk}/", {"action": "review", "decision": "accept"})
    rect.refresh_from_db()
    assert rect.status == "submitted"
    assert login("dept_tax").get("/league/follow-up/").status_code == 403
    assert login("pt_ls05").post(f"/league/runs/{run.pk}/meetings/LS05/new/").status_code == 403
    # The objection form is offered to a platform in the window, and decided over HTTP.
    page = login("pt_ls06").get("/league/follow-up/").content.decode()
    assert f"/league/runs/{run.pk}/objections/new/" in page and "data-confirm" in page
    objection = Objection.objects.get(platform__code="LS05")
    login("admin").post(
        f"/league/objections/{objection.pk}/decide/", {"decision": "uphold", "reason": "数据有误"}
    )
    objection.refresh_from_db()
    assert objection.status == "upheld" and objection.decision_reason == "数据有误"


def test_every_follow_up_form_asks_for_confirmation():
    import re
    from pathlib import Path

    import pingtai.league

    folder = Path(pingtai.league.__file__).parent / "templates" / "league"
    forms = [
        form
        for name in ("follow_up.html", "meeting_new.html", "rectification.html")
        for form in re.findall(r"<form[^>]*>", (folder / name).read_text(encoding="utf-8"))
    ]
    assert len(forms) == 6
    assert all('method="post"' in f and "data-confirm=" in f for f in forms)
