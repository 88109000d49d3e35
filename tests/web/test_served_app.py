"""The embedded default as `make run` serves it — `pingtai serve` (gunicorn, several processes)
on a SQLite file in WAL mode — answers a small office: 50 people signing in and reading pages
at the same moment get no error, and 30 simultaneous password guesses check exactly five.

The server is a real subprocess on a random loopback port with its own database, set up by
`pingtai setup-demo --registry-only` (cheap password hashing, so that 50 sign-ins do not
measure Argon2). All traffic stays on 127.0.0.1 and every loop is bounded.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from pingtai.accounts.services import DEMO_PASSWORD

USERS = 50
PAGES = ["/", "/platforms/LS03/", "/registry/as-of/", "/reporting/", "/dashboard/"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("served")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{root / 'pingtai.sqlite3'}",
        "PINGTAI_VAR_DIR": str(root / "var"),
        "PINGTAI_ARGON2_MEMORY_KIB": "1024",
        "PINGTAI_ARGON2_TIME_COST": "1",
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
    }
    env.pop("PINGTAI_EXPECT_POSTGRES", None)
    setup = subprocess.run(
        [sys.executable, "-m", "pingtai.cli", "setup-demo", "--registry-only"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert setup.returncode == 0, setup.stdout + setup.stderr
    port = _free_port()
    log = (root / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "pingtai.cli", "serve", f"127.0.0.1:{port}"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180  # four workers import Django and polars on a busy machine
    while True:
        try:
            urllib.request.urlopen(f"{base}/accounts/login/", timeout=30)
            break
        except OSError:  # refused, reset or timed out while the workers start
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("pingtai serve did not answer:\n" + Path(log.name).read_text())
            time.sleep(0.5)
    yield base, Path(log.name)
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


class Browser:
    """One person: a cookie jar, CSRF token from the login page, no redirects followed."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect
        )

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        headers = {"Referer": self.base + path} if data is not None else {}
        req = urllib.request.Request(self.base + path, data=body, headers=headers)
        try:
            with self.opener.open(req, timeout=120) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as answered:
            return answered.code, answered.read().decode("utf-8", "replace")

    def login(self, username: str, password: str) -> int:
        _, page = self.request("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, page[:500]
        status, _ = self.request(
            "/accounts/login/",
            {"csrfmiddlewaretoken": token.group(1), "username": username, "password": password},
        )
        return status


def _together(count: int, work) -> list:
    """Run ``work(i)`` on ``count`` threads released at the same moment; results in order."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        barrier.wait(60)
        try:
            results[i] = work(i)
        except Exception as error:  # a failed request is a result to report, not a crash
            results[i] = repr(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    return results


def test_fifty_people_at_once_get_answers_not_errors(server):
    base, log = server
    users = ["leader", "admin"] + [f"pt_ls{n:02d}" for n in range(1, 12)]

    def person(i: int) -> list:
        browser = Browser(base)
        outcomes = [("login", browser.login(users[i % len(users)], DEMO_PASSWORD))]
        for path in PAGES:
            outcomes.append((path, browser.request(path)[0]))
        return outcomes

    results = _together(USERS, person)
    failures = [r for r in results if not isinstance(r, list)]
    assert not failures, failures[:3]
    statuses = Counter(status for outcomes in results for _, status in outcomes)
    logins = Counter(outcomes[0][1] for outcomes in results)
    assert logins == {302: USERS}, logins
    assert set(statuses) <= {200, 302}, (statuses, log.read_text()[-3000:])
    assert statuses[200] == USERS * len(PAGES)
    assert "database is locked" not in log.read_text()


def test_thirty_simultaneous_guesses_check_exactly_five_passwords(server):
    base, _ = server
    statuses = _together(30, lambda i: Browser(base).login("dept_statistics", f"Wrong-Guess-{i}x"))
    assert Counter(statuses) == {200: 5, 429: 25}, Counter(statuses)
    assert Browser(base).login("dept_statistics", DEMO_PASSWORD) == 429
