"""The map colours each platform by its status against the plan's targets, says the status in
words (label, tooltip, legend) and never lets two platform labels overlap — read from the
rendered label boxes at 1366×768 and at phone width (390 px), screenshots kept."""

from __future__ import annotations

import re

import pytest

from pingtai.core.palette import STATUS_COLOURS
from pingtai.dashboard import services
from pingtai.registry import selectors
from pingtai.targets import load_targets

from .conftest import SCREENSHOTS
from .test_pages_in_chromium import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

# Every platform label the chart has drawn, with its box in page pixels as zrender lays it out
# (after ECharts' label layout), whether it is shown, and the marker's fill colour.
READ_LABELS = """
() => {
  const chart = echarts.getInstanceByDom(document.getElementById('map'));
  const data = chart.getModel().getSeriesByIndex(1).getData();
  const out = [];
  for (let i = 0; i < data.count(); i++) {
    // A scatter item is a group around its symbol path; the label hangs on the path.
    const marker = data.getItemGraphicEl(i);
    const label = marker && marker.childAt(0) && marker.childAt(0).getTextContent();
    if (!label) continue;
    const box = label.getBoundingRect().clone();
    box.applyTransform(label.getComputedTransform());
    const point = chart.convertToPixel({ seriesIndex: 1 }, data.getValues(['lng', 'lat'], i));
    out.push({
      marker: point,
      canvas: [chart.getWidth(), chart.getHeight()],
      text: label.style.text,
      shown: !label.ignore && !label.invisible && !marker.ignore && (label.style.opacity ?? 1) > 0,
      box: [box.x, box.y, box.width, box.height],
      colour: data.getItemVisual(i, 'style').fill,
    });
  }
  return out;
}
"""
# The same chart with ECharts' label layout switched off: the check must see overlaps there.
NO_LAYOUT = """
() => {
  const chart = echarts.getInstanceByDom(document.getElementById('map'));
  chart.setOption({ animation: false, series: [{}, { labelLayout: null }] });
}
"""


def _overlaps(labels: list[dict]) -> list[tuple[str, str]]:
    shown = [label for label in labels if label["shown"]]
    found = []
    for i, a in enumerate(shown):
        ax, ay, aw, ah = a["box"]
        for b in shown[i + 1 :]:
            bx, by, bw, bh = b["box"]
            if ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah:
                found.append((a["text"], b["text"]))
    return found


def _gap(box: list[float], point: list[float]) -> float:
    """Pixels from a point to the nearest edge of a box (0 inside it)."""
    x, y, w, h = box
    dx = max(x - point[0], 0, point[0] - (x + w))
    dy = max(y - point[1], 0, point[1] - (y + h))
    return float((dx * dx + dy * dy) ** 0.5)


def _check_placement(labels: list[dict]) -> None:
    """Every label is shown, inside the canvas, next to its own marker, and no other marker is
    nearer to it than its own — so no label can be read as a neighbour's."""
    for label in labels:
        assert label["shown"], label
        x, y, w, h = label["box"]
        width, height = label["canvas"]
        assert x >= -1 and y >= -1 and x + w <= width + 1 and y + h <= height + 1, label
        own = _gap(label["box"], label["marker"])
        assert own <= 45, (label, own)
        for other in labels:
            if other is not label:
                assert _gap(label["box"], other["marker"]) > own, (label["text"], other["text"])


def _expected_statuses(year: int) -> dict[str, dict[str, str]]:
    """Status key (综合 or a target) → short name → status word, through the cockpit's own
    computation (the board's cells)."""
    plan = load_targets()
    cockpit = services.build_cockpit(year, "tier", plan)
    expected: dict[str, dict[str, str]] = {
        services.OVERALL: {
            row.platform.short_name: services.platform_status(
                row.assessments, plan.status.labels
            ).label
            for row in cockpit.rows
        }
    }
    for target in plan.for_scope("platform"):
        expected[target.id] = {
            row.platform.short_name: row.assessments[target.id].label for row in cockpit.rows
        }
    return expected


def _check_labels(labels: list[dict], expected: dict[str, str]) -> None:
    """One label per platform naming it and its status word; the marker in that status's colour."""
    assert len(labels) == len(expected) == 11
    colour_of = {word: STATUS_COLOURS[key] for key, word in load_targets().status.labels.items()}
    for label in labels:
        name, _, word = label["text"].partition(" · ")
        assert expected[name] == word, label
        assert label["colour"].lower() == colour_of[word].lower(), label


@pytest.mark.parametrize(
    ("width", "height", "mobile", "at_least_shown"), [(1366, 768, False, 11), (390, 844, True, 11)]
)
def test_platforms_are_coloured_by_status_and_their_labels_never_overlap(
    sized_page, live_url, screenshot, width, height, mobile, at_least_shown
):
    year = selectors.available_years()[-1]
    expected = _expected_statuses(year)
    page = sized_page(width, height, mobile)
    log_in(page, live_url, "leader")
    page.goto(f"{live_url}/dashboard/map/")
    page.wait_for_selector("#map[data-ready='1']")

    # By default the overall standing (the worst target), as the cockpit computes it.
    labels = page.evaluate(READ_LABELS)
    _check_labels(labels, expected[services.OVERALL])
    _check_placement(labels)
    assert _overlaps(labels) == [], labels
    assert len([label for label in labels if label["shown"]]) >= at_least_shown, labels
    # The text legend names every status and every platform with its status word.
    legend = page.locator("#status-legend").inner_text()
    for word in load_targets().status.labels.values():
        assert word in legend
    listed = page.locator("#platform-status-list li").all_inner_texts()
    overall = expected[services.OVERALL]
    assert sorted(" ".join(item.split()) for item in listed) == sorted(
        f"{name} {word}" for name, word in overall.items()
    )

    # Coloured by one target whose statuses differ between platforms: several colours.
    varied = next(k for k, v in expected.items() if len(set(v.values())) >= 2)
    page.select_option("select[name=status_target]", varied)
    page.locator("#platform-status-list li").first.wait_for()
    page.wait_for_selector("#map[data-ready='1']")
    labels = page.evaluate(READ_LABELS)
    _check_labels(labels, expected[varied])
    _check_placement(labels)
    assert len({label["colour"] for label in labels}) >= 2, labels
    assert _overlaps(labels) == [], labels
    assert len([label for label in labels if label["shown"]]) >= at_least_shown, labels
    # Against the window's own width: mobile emulation widens innerWidth to fit the content.
    assert page.evaluate("() => document.scrollingElement.scrollWidth") <= width
    # The county list writes every value with the same two decimals (万元/亩).
    counties = page.locator("#county-list li").all_inner_texts()
    assert counties and all(re.fullmatch(r"\S+：(—|[\d,]+\.\d\d 万元/亩)", c) for c in counties), (
        counties
    )
    # On a phone the colour keys are HTML under the map, none drawn inside the canvas.
    if mobile:
        shown = page.evaluate(
            "() => echarts.getInstanceByDom(document.getElementById('map'))"
            ".getOption().visualMap.filter((v) => v.show !== false).length"
        )
        assert shown == 0
        keys = page.locator("#map-keys")
        assert keys.is_visible() and "高" in keys.inner_text() and "万元/亩" in keys.inner_text()

    screenshot(page, f"map-status-{width}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"map-status-{width}-first-screen.png"))

    # The tooltip of a marker says its status and why.
    tooltip = page.evaluate(
        """() => {
            const chart = echarts.getInstanceByDom(document.getElementById('map'));
            const format = chart.getOption().tooltip[0].formatter;
            const platform = chart.getOption().series[1].data[0];
            return format({seriesIndex: 1, name: platform.name, data: platform}).textContent;
        }"""
    )
    assert "方案目标状态（" in tooltip, tooltip
    assert any(word in tooltip for word in expected[varied].values()), tooltip

    # Without the label layout the same reading finds overlaps at phone width: the check bites.
    if mobile:
        page.evaluate(NO_LAYOUT)
        page.wait_for_timeout(300)
        assert _overlaps(page.evaluate(READ_LABELS)) != []
