"""Every page a person can reach, for every kind of user, read in Chromium as the person reads
it (``innerText``): no raw codes, no English outside the allowlist, no number without its unit
in a data table, no "None"/"nan"/"null" (rules in ``language.py``, docs/glossary.md)."""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlsplit

import pytest

from .language import SKIPPED_SELECTORS, check_cells, check_text
from .test_pages_in_chromium import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

ROLES = ["admin", "leader", "pt_ls01", "dept_tax"]
# Pages of one kind (one enterprise, one platform, one period …) are read twice at most; the
# template is what the check is about, not every row of the register.
PER_KIND = 2
PER_ROLE = 120
NOT_PAGES = ("/admin/", "/accounts/logout", "/static/", "export", "download", ".xlsx", ".pdf")

READ_PAGE = """
(skipped) => {
  for (const selector of skipped) {
    for (const element of document.querySelectorAll(selector)) element.style.display = "none";
  }
  const cells = [];
  for (const table of document.querySelectorAll("main table")) {
    const head = table.tHead ? [...table.tHead.rows[0].cells].map((c) => c.innerText) : [];
    for (const row of table.tBodies.length ? [...table.tBodies].flatMap((b) => [...b.rows]) : []) {
      const rowHead = [...row.cells].filter((c) => c.tagName === "TH").map((c) => c.innerText);
      [...row.cells].forEach((cell, i) => {
        if (cell.tagName === "TD") cells.push([(head[i] || "") + " " + rowHead.join(" "), cell.innerText]);
      });
    }
  }
  const links = [...document.querySelectorAll("a[href]")].map((a) => a.getAttribute("href"));
  return { text: document.body.innerText, cells, links };
}
"""


def _kind(path: str) -> str:
    """One name for pages of the same kind: numbers and codes in the path become '#'."""
    return re.sub(r"[0-9A-Z]{18}|\d+|LS\d\d|[A-Z]{2,}-[A-Z]+-\d+", "#", path)


def _crawl(page, live_url: str) -> tuple[list[str], list]:
    visited: list[str] = []
    findings: list = []
    kinds: Counter[str] = Counter()
    queue = ["/"]
    seen: set[str] = set()
    while queue and len(visited) < PER_ROLE:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        if kinds[_kind(path.split("?")[0])] >= PER_KIND:
            continue
        kinds[_kind(path.split("?")[0])] += 1
        response = page.goto(live_url + path, wait_until="domcontentloaded")
        if response is None or response.status != 200:
            continue
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        visited.append(path)
        read = page.evaluate(READ_PAGE, list(SKIPPED_SELECTORS))
        findings += check_text(path, read["text"])
        findings += check_cells(path, [tuple(c) for c in read["cells"]])
        for href in read["links"]:
            if not href or not href.startswith("/") or any(n in href for n in NOT_PAGES):
                continue
            queue.append(urlsplit(href).path + (f"?{urlsplit(href).query}" if "?" in href else ""))
    return visited, findings


@pytest.mark.parametrize("username", ROLES)
def test_every_page_speaks_the_officials_language(watched_page, live_url, username):
    page, _ = watched_page
    log_in(page, live_url, username)
    visited, findings = _crawl(page, live_url)
    assert len(visited) >= 10, visited
    assert not findings, "\n".join(str(f) for f in findings[:40])


def test_the_rules_catch_what_they_are_for():
    """The check itself must be able to fail: each rule on a line that breaks it."""
    bad = {
        "平台代码": "平台 LS01 的得分",
        "行政区划代码": "莲都区（331102）",
        "标识符": "方法 lishui-mujun-default 与 platform_quarterly",
        "英文": "状态 published",
        "空值": "得分 None，增速 nan",
    }
    for rule, text in bad.items():
        assert rule in {f.rule for f in check_text("/", text)}, rule
    good = (
        "2024年度 A 类 735 家，GB/T 4754 行业 C3512，统一社会信用代码 91331100MA2E1234XY，R&D经费"
    )
    assert check_text("/", good) == []
    assert [f.rule for f in check_cells("/", [("增速 ", "12.5")])] == ["数字无单位"]
    assert check_cells("/", [("得分（分） ", "88.7"), ("统一社会信用代码 ", "913311")]) == []
