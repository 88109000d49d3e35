"""A tie that decides a list: the run names it, publishing waits for the city administrator's
decision, the decision is recorded (audited), shown on the page, in `pingtai league lists`
and in the notice, and reproduction finds a decision changed behind the system's back."""

from __future__ import annotations

import io

import polars as pl
import pytest
from docx import Document

from pingtai.accounts.models import User
from pingtai.cli import main
from pingtai.core.refusal import Refused
from pingtai.league import inputs, selectors, services
from pingtai.league.models import TieDecision
from pingtai.runs import kernel
from tests.browser.language import check_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def tied_run(league_demo, monkeypatch):
    """A preview 2024Q4 run (size grouping, no current result) whose inputs give the two last
    platforms of a group of at least three the same figures, so that they tie for last."""
    real = inputs.assemble

    def assemble(period, key, grouping):
        got = real(period, key, grouping)
        frame = got.frame
        scores = services._evaluate(services.METHODS["quarter"], frame, 0, 0).table
        groups = frame.group_by("league_group").len().filter(pl.col("len") >= 3)
        group = sorted(groups["league_group"].to_list())[0]
        members = set(frame.filter(pl.col("league_group") == group)["platform_code"])
        last, second = (
            scores.filter(pl.col("platform_code").is_in(members))
            .sort("score")["platform_code"]
            .to_list()[:2]
        )
        source = frame.filter(pl.col("platform_code") == last).row(0, named=True)
        copied = [
            pl.lit(source[c]).cast(frame.schema[c]).alias(c) if c not in inputs.TEXT else pl.col(c)
            for c in frame.columns
        ]
        frame = pl.concat(
            [
                frame.filter(pl.col("platform_code") != second),
                frame.filter(pl.col("platform_code") == second).select(copied),
            ]
        ).sort("platform_code")
        return inputs.Assembled(frame, got.provenance, got.warnings)

    monkeypatch.setattr(inputs, "assemble", assemble)
    admin = User.objects.get(username="admin")
    run = services.run_create("quarter", "2024Q4", user=admin, grouping="size", robustness_draws=50)
    return run


def _tie(run):
    found = selectors.run_decisions(run)
    [tie] = [t for t in found.open_ties if t.place.startswith("末位:")]
    return tie


def test_an_undecided_tie_stops_publication_and_a_recorded_decision_settles_it(tied_run, capsys):
    admin = User.objects.get(username="admin")
    tie = _tie(tied_run)
    assert len(tie.candidates) == 2 and tie.seats == 1
    names = dict(tied_run.results.values_list("platform_code", "platform__short_name"))

    with pytest.raises(Refused) as refused:
        services.run_publish(tied_run, user=admin, override_reason="演示数据")
    assert refused.value.code == "undecided"
    assert "须先决定" in str(refused.value) and all(
        names[c] in str(refused.value) for c in tie.candidates
    )
    tied_run.refresh_from_db()
    assert tied_run.status == "preview"

    # Wrong decisions change nothing: both platforms, one outside the tie, no reason, no right.
    outsider = next(c for c in names if c not in tie.candidates)
    for chosen, reason, user in (
        (list(tie.candidates), "理由", admin),
        ([outsider], "理由", admin),
        ([tie.candidates[0]], "  ", admin),
        ([tie.candidates[0]], "理由", User.objects.get(username="leader")),
    ):
        with pytest.raises(Refused):
            services.tie_decide(tied_run, tie.place, chosen, user=user, reason=reason)
    assert not TieDecision.objects.filter(run=tied_run).exists()

    # The CLI names the open tie on standard error and records the decision.
    assert main(["league", "lists", str(tied_run.pk)]) == 0
    out = capsys.readouterr()
    assert "待决定的并列位次" in out.err and f"位次“{tie.place}”" in out.err
    assert not check_text("league lists", out.out + out.err)  # words, not codes
    chosen, other = tie.candidates[1], tie.candidates[0]
    code = main(
        [
            "league",
            "decide-tie",
            str(tied_run.pk),
            "--place",
            tie.place,
            "--platforms",
            chosen,
            "--reason",
            "督查任务逾期两项",
            "--user",
            "admin",
        ]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    assert names[chosen] in out.out and not check_text("league decide-tie", out.out)
    assert (
        main(
            [
                "league",
                "decide-tie",
                str(tied_run.pk),
                "--place",
                tie.place,
                "--platforms",
                other,
                "--reason",
                "改主意",
            ]
        )
        == 1
    )
    assert "已经决定" in capsys.readouterr().err

    assert main(["league", "lists", str(tied_run.pk)]) == 0
    out = capsys.readouterr()
    sections = out.out.split("前列名单")[0].splitlines()
    assert sections[0] in ("约谈名单", "末位预警")
    listed = [line for line in sections[1:] if line.startswith("  ")]
    assert any(names[chosen] in line and "经决定列入" in line for line in listed)
    assert not any(line.split()[0] == names[other] for line in listed)
    assert "督查任务逾期两项" in out.err and "待决定的并列位次" not in out.err
    assert not check_text("league lists", out.out + out.err)

    published = services.run_publish(tied_run, user=admin, override_reason="演示数据")
    assert published.status == "published" and kernel.reproduce(published).ok

    # A decision changed in the database after publication is found by reproduction.
    TieDecision.objects.filter(run=published).update(platforms=[other])
    report = kernel.reproduce(published, recompute=False)
    assert not report.ok
    assert any(
        f"并列位次决定“{tie.place}”" in line and f"现为 {names[other]}列入" in line
        for line in report.lines()
    )
    assert main(["league", "reproduce", str(published.pk)]) != 0


def test_the_city_administrator_decides_a_tie_on_the_run_page_and_the_notice_says_so(
    tied_run, login
):
    tie = _tie(tied_run)
    names = dict(tied_run.results.values_list("platform_code", "platform__short_name"))
    admin = login("admin")
    page = admin.get(f"/league/runs/{tied_run.pk}/").content.decode()
    assert "待决定的并列位次" in page and f'value="{tie.place}"' in page
    form = page[page.index(f'action="/league/runs/{tied_run.pk}/ties/"') - 200 :]
    assert "data-confirm=" in form[: form.index("</form>")]
    assert "并列平台中选定 1 个列入" in page

    response = admin.post(
        f"/league/runs/{tied_run.pk}/ties/",
        {"place": tie.place, "platforms": list(tie.candidates), "reason": "两个都选"},
        follow=True,
    )
    assert "须从中选定 1 个列入" in response.content.decode()
    assert not TieDecision.objects.filter(run=tied_run).exists()
    response = admin.post(
        f"/league/runs/{tied_run.pk}/ties/",
        {"place": tie.place, "platforms": [tie.candidates[0]], "reason": "亩均税收低于对方"},
        follow=True,
    )
    page = response.content.decode()
    assert "待决定的并列位次" not in page and "并列位次的决定" in page
    assert f"决定由 {names[tie.candidates[0]]} 列入。理由：亩均税收低于对方" in page
    from pingtai.audit.models import AuditEvent

    event = AuditEvent.objects.filter(object_type="league.TieDecision").last()
    assert event is not None and event.after["platforms"] == [tie.candidates[0]]

    admin.post(
        f"/league/runs/{tied_run.pk}/publish/",
        {"override_reason": "演示数据", "confirm": "1"},
    )
    tied_run.refresh_from_db()
    assert tied_run.status == "published"
    notice = login("leader").get(f"/reports/league/{tied_run.pk}/notice.docx")
    assert notice.status_code == 200
    text = "".join(p.text for p in Document(io.BytesIO(notice.content)).paragraphs)
    assert "经领导小组办公室决定由" in text and "亩均税收低于对方" in text
