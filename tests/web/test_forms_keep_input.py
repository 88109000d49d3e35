"""Forms that behave: date boxes filled with a date the browser accepts, entries kept after a
refusal with the message beside the field, periods chosen by name."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from pingtai.supervision.forms import MilestoneDoneForm, ProgressForm

pytestmark = pytest.mark.django_db


def test_date_boxes_carry_iso_dates_whatever_the_locale():
    today = dt.date.today().isoformat()
    for form in (ProgressForm(), MilestoneDoneForm()):
        html = str(form)
        boxes = re.findall(r'<input type="date"[^>]*>', html)
        assert boxes and all(f'value="{today}"' in box for box in boxes), html


def test_task_page_offers_todays_date_for_progress(login):
    from pingtai.registry.models import Platform
    from pingtai.supervision.models import Task

    task = Task.objects.create(
        platform=Platform.objects.get(code="LS01"),
        title="标准厂房建设",
        owner="管委会",
        start_date=dt.date(2026, 1, 1),
        deadline=dt.date(2026, 12, 31),
    )
    body = login("pt_ls01").get(f"/supervision/tasks/{task.pk}/").content.decode()
    assert f'type="date" name="as_of" value="{dt.date.today().isoformat()}"' in body


def test_a_refused_period_keeps_its_deadline_and_names_the_field(login):
    admin = login("admin")
    page = admin.post(
        "/reporting/periods/open/", {"code": "2025Q9", "deadline": "2026-01-20"}, follow=True
    ).content.decode()
    assert 'value="2026-01-20"' in page
    assert "未保存" in page
    error = page.index('class="errorlist')
    assert error < page.index('name="code"')
    # Periods are offered by name; the code is only the value sent.
    assert ">2024年第四季度</option>" in page


def test_enterprises_are_found_by_name_within_the_users_scope(login):
    from pingtai.registry.models import Enterprise

    firm = Enterprise.objects.filter(platform__code="LS01").order_by("uscc").first()
    other = Enterprise.objects.exclude(platform__code="LS01").order_by("uscc").first()
    word = firm.name[:4]
    found = login("pt_ls01").get("/enterprises/search/", {"q": word}).json()["results"]
    assert any(r["value"] == firm.uscc and firm.name in r["label"] for r in found)
    assert all(Enterprise.objects.get(uscc=r["value"]).platform.code == "LS01" for r in found)
    hidden = login("pt_ls01").get("/enterprises/search/", {"q": other.name}).json()["results"]
    assert other.uscc not in {r["value"] for r in hidden}
    assert login("admin").get("/enterprises/search/", {"q": "x"}).json() == {"results": []}
    page = login("admin").get("/planning/agreements/").content.decode()
    assert 'data-remote="/enterprises/search/"' in page


def test_a_refused_demand_keeps_its_entries_beside_the_fields(login):
    from pingtai.accounts.models import User
    from pingtai.allocation.services import pool_create

    pool = pool_create("land", 2025, Decimal("3000"), user=User.objects.get(username="admin"))

    def declare(demand: str, major_demand: str, note: str) -> str:
        """The pool page after the platform sends its demand."""
        response = login("pt_ls01").post(
            f"/allocation/pools/{pool.pk}/demand/",
            {"demand": demand, "major_demand": major_demand, "note": note},
            follow=True,
        )
        return response.content.decode()

    page = declare("12a", "0", "新厂区")
    assert "未保存" in page and 'value="新厂区"' in page and 'value="12a"' in page
    assert page.index('class="errorlist') < page.index('name="demand"')
    # a rule the service refuses is reported at its field, the entries kept
    page = declare("10", "20", "扩建")
    error = page.index("重大产业项目需求不能超过总需求", page.index("申报或修改需求"))
    assert error < page.index('name="major_demand"') and 'value="扩建"' in page
