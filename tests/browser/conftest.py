"""Real headless Chromium (Debian's /usr/bin/chromium via Playwright) against a live server.

Why not pytest-django's ``live_server``: it forces a transactional database that is flushed
after each test. A flush would wipe the session-wide demo dataset for every later test and
is refused outright by the audit log's append-only triggers. Instead a module-scoped
``LiveServerThread`` serves the already-loaded test database:

* on SQLite the test database lives in memory, so the server thread is handed the main
  thread's connection (as Django's own LiveServerTestCase does); the server is
  single-threaded, so that one connection is never used by two requests at once;
* on PostgreSQL the server thread opens its own connection and sees the committed demo data
  — unless the test module sets ``SERVER_SHARES_TEST_CONNECTION = True`` (the journeys, which
  prepare data in the test's transaction and must leave nothing behind): then the server is
  handed the test's connection on PostgreSQL too. psycopg 3 connections may be used from two
  threads (each statement is serialised), and the server handles one request at a time.
  Django closes a connection at the start and end of each request when it is not in
  autocommit mode (``close_old_connections``) — harmless for SQLite's in-memory database,
  fatal for a PostgreSQL connection inside the test's transaction — so that handler is
  disconnected while such a server runs, as Django's own test client does for its requests.
  Once each test of such a module is rolled back, every table holds as many rows as before it:
  a write that escaped the rollback fails the test's teardown.

The browser tests are marked ``django_db`` (not transactional): pytest-django creates the
test database only for tests that ask for it, and each test runs in a transaction that is
rolled back, never flushed. On SQLite the server shares that connection, so what it writes
while a test runs (sessions, login audit entries) is rolled back with the test; on
PostgreSQL the server's own connection commits those rows, which are additive and which no
other test depends on.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "browser: drives headless Chromium against a live server (needs /usr/bin/chromium)",
    )


ROWS_BEFORE = pytest.StashKey[tuple[object, dict[str, int]]]()
# pytest-django's fixture holding the transaction of a django_db test: its teardown rolls back.
TEST_TRANSACTION = "_django_db_helper"


def _row_counts(django_db_blocker) -> dict[str, int]:
    from django.db import connections

    counts = {}
    with django_db_blocker.unblock():
        for conn in connections.all():
            with conn.cursor() as cursor:
                for table in sorted(conn.introspection.django_table_names(only_existing=True)):
                    cursor.execute(f"SELECT COUNT(*) FROM {conn.ops.quote_name(table)}")
                    counts[f"{conn.alias}.{table}"] = cursor.fetchone()[0]
    return counts


@pytest.fixture(autouse=True)
def _rows_before(request, django_db_blocker) -> None:
    """Every table's row count as the test starts, in a module whose server shares the test's
    connection; they are compared again once the test's transaction is rolled back."""
    if getattr(request.module, "SERVER_SHARES_TEST_CONNECTION", False):
        assert TEST_TRANSACTION in request.fixturenames, "浏览器测试须在测试事务中运行"
        request.node.stash[ROWS_BEFORE] = (django_db_blocker, _row_counts(django_db_blocker))


def pytest_fixture_post_finalizer(fixturedef, request) -> None:
    if fixturedef.argname != TEST_TRANSACTION or ROWS_BEFORE not in request.node.stash:
        return
    django_db_blocker, before = request.node.stash[ROWS_BEFORE]
    del request.node.stash[ROWS_BEFORE]
    after = _row_counts(django_db_blocker)
    left = {t: (n, after.get(t)) for t, n in before.items() if after.get(t) != n}
    if left:
        pytest.fail(f"测试回滚后各表行数有变（表：前，后）：{left}", pytrace=False)


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} 不存在：请运行 scripts/install-browser.sh（apt-get install chromium chromium-driver）"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI 中浏览器测试不能跳过：{reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def live_url(request, django_db_setup, django_db_blocker) -> Iterator[str]:
    from django.core.servers.basehttp import WSGIServer
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connections
    from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler

    class SingleThreadedLiveServer(LiveServerThread):
        def _create_server(self, connections_override=None):
            return WSGIServer(
                (self.host, self.port), QuietWSGIRequestHandler, allow_reuse_address=False
            )

    with django_db_blocker.unblock():
        share_all = getattr(request.module, "SERVER_SHARES_TEST_CONNECTION", False)
        shared = {
            conn.alias: conn
            for conn in connections.all()
            if share_all or (conn.vendor == "sqlite" and conn.is_in_memory_db())
        }
        for conn in shared.values():
            conn.inc_thread_sharing()
        keep_open = any(conn.vendor != "sqlite" for conn in shared.values())
        if keep_open:
            request_started.disconnect(close_old_connections)
            request_finished.disconnect(close_old_connections)
        # The application serves its own static files (WhiteNoise), so no extra static handler.
        server = SingleThreadedLiveServer("127.0.0.1", lambda app: app, connections_override=shared)
        server.daemon = True
        server.start()
        server.is_ready.wait()
        if server.error:
            raise server.error
        try:
            yield f"http://127.0.0.1:{server.port}"
        finally:
            server.terminate()
            for conn in shared.values():
                conn.dec_thread_sharing()
            if keep_open:
                request_started.connect(close_old_connections)
                request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def browser():
    _require_chromium()
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread. Django's async-safety
    # guard would refuse the tests' own (synchronous) database calls, and Django keeps the
    # connections opened meanwhile apart from the thread's usual ones: they are closed here,
    # while the loop still runs, or PostgreSQL could not drop the test database at the end.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()
            connections.close_all()


@dataclass
class Watch:
    """What went wrong on a page: JS errors, console errors, failed and foreign requests."""

    origin: str
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    bad_status: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.foreign == [], f"请求了测试服务器以外的地址：{self.foreign}"
        assert self.page_errors == [], f"JavaScript 错误：{self.page_errors}"
        assert self.console_errors == [], f"控制台错误：{self.console_errors}"
        assert self.failed == [], f"请求失败：{self.failed}"
        assert self.bad_status == [], f"错误状态码：{self.bad_status}"


@pytest.fixture
def watched_page(browser, live_url):
    """A fresh browser context whose every request to another host is aborted and counted."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    origin = urlsplit(live_url).netloc
    watch = Watch(origin)

    def route(request_route) -> None:
        url = request_route.request.url
        if urlsplit(url).netloc != origin:
            watch.foreign.append(url)
            request_route.abort()
        else:
            request_route.continue_()

    context.route("**/*", route)
    page.on("pageerror", lambda error: watch.page_errors.append(str(error)))
    page.on(
        "console",
        lambda message: message.type == "error" and watch.console_errors.append(message.text),
    )
    # ERR_ABORTED on our own host means the page navigated away before a request (such as
    # the favicon) finished: the browser's doing, not a failure of the application.
    page.on(
        "requestfailed",
        lambda request: (
            urlsplit(request.url).netloc == origin
            and "ERR_ABORTED" not in (request.failure or "")
            and watch.failed.append(f"{request.url} {request.failure}")
        ),
    )
    page.on(
        "response",
        lambda response: (
            response.status >= 400 and watch.bad_status.append(f"{response.status} {response.url}")
        ),
    )
    try:
        yield page, watch
    finally:
        context.close()


@pytest.fixture
def sized_page(browser, live_url):
    """A page of the given size in its own context; ``mobile`` emulates a phone (touch, 3×
    pixels), as the phone-width checks need."""
    contexts = []

    def make(width: int, height: int, mobile: bool = False):
        options = {"viewport": {"width": width, "height": height}, "locale": "zh-CN"}
        if mobile:
            options |= {"is_mobile": True, "has_touch": True, "device_scale_factor": 3}
        context = browser.new_context(**options)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot():
    """Keep a full-page screenshot as a test artifact (test-artifacts/ is not committed)."""

    def take(page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
