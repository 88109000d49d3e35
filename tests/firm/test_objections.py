"""一企一单 and objections: filed within a window (late ones refused naming the closing date),
routed to the department that owns the data, decided with reasons; hostile evidence refused
with nothing stored; a firm never sees another firm's figures or objections."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from pingtai.accounts.models import User
from pingtai.cli import main
from pingtai.core.refusal import Refused
from pingtai.evaluation.services import run_evaluation
from pingtai.firm.models import Confirmation, Objection, ObjectionEvidence
from pingtai.firm.objections import objection_file
from pingtai.firm.windows import open_window
from pingtai.registry.models import Enterprise
from pingtai.reporting.models import StoredFile

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _png(size=(20, 10)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def admin():
    return User.objects.get(username="admin")


@pytest.fixture
def publicized(admin):
    run, _ = run_evaluation(2024, "lishui-mujun-default", user=admin)
    open_window(run, "result", user=admin, days=5)
    run.refresh_from_db()
    return run


def _firm(run, platform="LS01", n=0) -> Enterprise:
    result = run.results.filter(platform_code=platform).exclude(klass="T").order_by("uscc")[n]
    return result.enterprise


def _account(firm: Enterprise) -> User:
    return User.objects.create(
        username=f"qy{firm.uscc.lower()}", role=User.Role.ENTERPRISE, enterprise=firm
    )


def test_cli_files_lists_and_decides_an_objection(publicized, capsys, tmp_path):
    firm = _firm(publicized)
    evidence = tmp_path / "完税证明.pdf"
    evidence.write_bytes(PDF)
    code = main(
        [
            "objection",
            "file",
            "--run",
            str(publicized.pk),
            "--uscc",
            firm.uscc,
            "--kind",
            "数值错误",
            "--field",
            "tax_wan",
            "--claimed",
            "123.45",
            "--reason",
            "税务局漏计第四季度入库税款",
            "--evidence",
            str(evidence),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    number = out.strip().splitlines()[-1]
    assert number == "2024-0001"
    obj = Objection.objects.get(number=number)
    assert obj.filed_by.username == "pt_ls01" and obj.department == "tax"
    assert obj.claimed_value == Decimal("123.45") and obj.status == "pending"
    stored = obj.evidence.get()
    assert stored.sha256 == __import__("hashlib").sha256(PDF).hexdigest()
    assert Confirmation.objects.get(run=publicized, enterprise=firm).status == "disputed"

    assert main(["objection", "list", "--run", str(publicized.pk)]) == 0
    listed = capsys.readouterr().out
    assert number in listed and firm.uscc in listed and "123.45 万元" in listed

    # Another platform cannot examine it; its own platform passes it to the department.
    assert main(["objection", "receive", number, "--user", "pt_ls02"]) == 1
    assert "只有企业所在平台或市级管理员" in capsys.readouterr().err
    # Four eyes: the platform user who filed it does not review it; another of the platform does.
    assert main(["objection", "receive", number, "--user", "pt_ls01"]) == 1
    assert "是您代企业提出的，平台初核须由本平台其他用户或市级管理员办理" in (
        capsys.readouterr().err
    )
    User.objects.create(username="pt_ls01_b", role=User.Role.PLATFORM, platform=firm.platform)
    assert main(["objection", "receive", number, "--user", "pt_ls01_b", "--note", "材料齐全"]) == 0
    assert "已受理（数据主管部门核实，本环节期限" in capsys.readouterr().out
    assert main(["objection", "return", number, "--reason", "x", "--user", "pt_ls01"]) == 1
    # The wrong department cannot decide; the data-owning one can, with a reason.
    args = ["objection", "decide", number, "--accept", "--reason", "核实无误"]
    assert main([*args, "--user", "dept_statistics"]) == 1
    assert "由税务或市级管理员答复" in capsys.readouterr().err
    assert (
        main(["objection", "decide", number, "--accept", "--reason", "", "--user", "dept_tax"]) == 1
    )
    assert main([*args, "--user", "dept_tax"]) == 0
    obj.refresh_from_db()
    assert obj.status == "upheld" and obj.corrected_value == Decimal("123.45")
    assert obj.decided_by.username == "dept_tax"
    assert main([*args, "--user", "admin"]) == 1  # decided once
    assert [s.action for s in obj.steps.all()][:1] == ["提出异议"]


def test_late_objections_are_refused_naming_the_closing_date(admin, capsys):
    import datetime as dt

    run, _ = run_evaluation(2024, "lishui-mujun-default", user=admin)
    open_window(run, "result", user=admin, days=5, opens_on=dt.date(2026, 1, 5))
    firm = _firm(run)
    code = main(
        [
            "objection", "file", "--run", str(run.pk), "--uscc", firm.uscc, "--kind", "数值错误",
            "--field", "land_mu", "--claimed", "10", "--reason", "面积有误",
        ]
    )  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert "评价结果公示已于2026年1月9日（星期五）截止" in err and "逾期" in err
    assert not Objection.objects.exists()


def test_no_window_no_objection(admin):
    run, _ = run_evaluation(2024, "lishui-mujun-default", user=admin)
    firm = _firm(run)
    with pytest.raises(Refused, match="未开启公示或确认期"):
        objection_file(
            run, firm, kind="数值错误", field="tax_wan", claimed="1", reason="x",
            user=User.objects.get(username="pt_ls01"),
        )  # fmt: skip


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", "<a>" + "0" * (60 * 2**20) + "</a>")
    return out.getvalue()


def _image_bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "说明.pdf",
            PDF.replace(b"/Catalog", b"/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>"),
            "脚本",
        ),
        ("证明.pdf", b"MZ\x90\x00" + b"\x00" * 100, "格式不受支持"),
        ("照片.png", PDF, "扩展名与内容不符"),
        ("照片.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "不是可读的图片"),
        ("大图.png", _image_bomb(), "像素过多"),
        ("表.xlsx", _zip_bomb(), "压缩炸弹"),
        ("空.pdf", b"", "空文件"),
        ("截断.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n", "不是完整的 PDF"),
        ("巨大.pdf", b"%PDF-1.4\n" + b"0" * (10 * 2**20) + b"\n%%EOF", "超过上限 10 MB"),
    ],
)
def test_hostile_evidence_is_refused_and_nothing_is_stored(publicized, name, content, message):
    firm = _firm(publicized)
    account = _account(firm)
    files_before = StoredFile.objects.count()
    with pytest.raises(Refused) as refused:
        objection_file(
            publicized, firm, kind="数值错误", field="tax_wan", claimed="9", reason="理由",
            evidence=[("../../etc/" + name, content)], user=account,
        )  # fmt: skip
    assert message in refused.value.message
    assert "../" not in refused.value.message
    assert not Objection.objects.exists() and not ObjectionEvidence.objects.exists()
    assert StoredFile.objects.count() == files_before


def test_the_loop_through_the_browser_client(publicized):
    firm = _firm(publicized)
    other = _firm(publicized, "LS02")
    mine, theirs = _account(firm), _account(other)
    client = Client()
    client.force_login(mine)
    page = client.get(f"/firm/runs/{publicized.pk}/").content.decode()
    assert "实缴税金（万元）" in page and "税务" in page and "自然资源" in page
    assert other.name not in page
    upload = SimpleUploadedFile("退租协议.png", _png(), content_type="image/png")
    response = client.post(
        f"/firm/runs/{publicized.pk}/object/",
        {
            "kind": "value",
            "field": "land_mu",
            "claimed": "12.5",
            "reason": "租用地块已于年初退租",
            "evidence": upload,
        },
    )
    assert response.status_code == 302
    obj = Objection.objects.get(enterprise=firm)
    assert obj.department == "natural_resources" and obj.evidence.count() == 1
    detail = client.get(response.url).content.decode()
    assert obj.number in detail and "待处理" in detail and "自然资源" in detail
    evidence = obj.evidence.get()
    # The file's digest is for a reviewer: only inside the closed 核验信息 box, never in the
    # list a person reads (docs/glossary.md).
    listing, box = detail.split('<details class="provenance"><summary>核验信息</summary>', 1)
    assert "退租协议.png" in listing and evidence.sha256[:8] not in listing
    assert "文件摘要" not in listing and evidence.sha256 in box.split("</details>", 1)[0]
    download = client.get(f"/firm/objections/{obj.number}/evidence/{evidence.pk}/")
    assert download.status_code == 200 and download.content == _png()

    # Another firm sees nothing of it: page, evidence, its own sheet lists none of it.
    intruder = Client()
    intruder.force_login(theirs)
    assert intruder.get(f"/firm/objections/{obj.number}/").status_code == 404
    assert intruder.get(f"/firm/objections/{obj.number}/evidence/{evidence.pk}/").status_code == 404
    assert obj.number not in intruder.get("/firm/").content.decode()
    sheet = intruder.get(f"/firm/runs/{publicized.pk}/").content.decode()
    assert firm.name not in sheet and obj.number not in sheet
    assert intruder.get(f"/firm/office/objections/{obj.number}/").status_code == 403

    # Platform: LS01 receives it, LS02 cannot see it; the natural-resources department decides.
    platform = Client()
    platform.force_login(User.objects.get(username="pt_ls01"))
    assert (
        platform.post(
            f"/firm/office/objections/{obj.number}/act/", {"action": "receive"}
        ).status_code
        == 302
    )
    obj.refresh_from_db()
    assert obj.status == "received" and obj.stage == "department" and obj.due_on
    stranger = Client()
    stranger.force_login(User.objects.get(username="pt_ls02"))
    assert stranger.get(f"/firm/office/objections/{obj.number}/").status_code == 404
    tax = Client()
    tax.force_login(User.objects.get(username="dept_tax"))
    assert tax.get(f"/firm/office/objections/{obj.number}/").status_code == 404
    land = Client()
    land.force_login(User.objects.get(username="dept_natural_resources"))
    office = land.get(f"/firm/office/runs/{publicized.pk}/objections/").content.decode()
    assert obj.number in office
    land.post(
        f"/firm/office/objections/{obj.number}/act/",
        {"action": "reject", "reason": "退租协议未经备案，地块仍登记为该企业使用"},
    )
    obj.refresh_from_db()
    assert obj.status == "rejected"
    seen = client.get(f"/firm/objections/{obj.number}/").content.decode()
    assert "未采纳" in seen and "退租协议未经备案" in seen


def test_confirming_the_sheet_and_the_overview_per_platform(publicized, login):
    firm = _firm(publicized)
    client = Client()
    client.force_login(_account(firm))
    assert client.post(f"/firm/runs/{publicized.pk}/confirm/").status_code == 302
    assert Confirmation.objects.get(enterprise=firm).status == "confirmed"
    client.post(f"/firm/runs/{publicized.pk}/confirm/")
    assert Confirmation.objects.filter(enterprise=firm).count() == 1
    page = login("admin").get(f"/firm/office/runs/{publicized.pk}/confirmations/").content.decode()
    assert firm.platform.name in page
    own = login("pt_ls01").get(f"/firm/office/runs/{publicized.pk}/confirmations/").content.decode()
    assert firm.uscc in own and "已确认" in own


def test_a_firm_cannot_file_for_another_and_a_platform_only_for_its_own(publicized):
    firm, other = _firm(publicized), _firm(publicized, "LS02")
    with pytest.raises(Refused, match="只有企业本身或其所在平台"):
        objection_file(publicized, other, kind="特殊情况", reason="x", user=_account(firm))
    with pytest.raises(Refused, match="只有企业本身或其所在平台"):
        objection_file(
            publicized, other, kind="特殊情况", reason="x",
            user=User.objects.get(username="pt_ls01"),
        )  # fmt: skip
    special = objection_file(
        publicized, other, kind="特殊情况", reason="疫情停产三个月",
        user=User.objects.get(username="pt_ls02"),
    )  # fmt: skip
    assert special.department == "" and special.department_text == "市级管理员"
