"""Load profile for bench/load/run_load_test.py (not a test; run by hand through the runner).

Three kinds of user, all on loopback against gunicorn + PostgreSQL with the demo dataset:
- cockpit users (the leader) log in on the web and read the cockpit, the map and its data, the
  reporting overview and the evaluation list;
- platform users (pt_ls01 … pt_ls11, spread over the users) log in on the web, read their
  platform's pages, download their template (web or API) and upload filled .xlsx files (through
  the web form or the API, alternately), every accepted upload being logged to a JSONL file;
- one office user (admin) starts 亩均 evaluation runs through the API and reads their results.

The runner passes: LOAD_TOKENS (JSON username → API token), LOAD_FILES (folder of pre-filled
uploads, <platform>/<n>.xlsx), LOAD_UPLOAD_LOG (JSONL written here), LOAD_PERIOD,
LOAD_MAX_REQUESTS (the run stops after that many requests), LOAD_PASSWORD.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import random
import re
import threading
from pathlib import Path

from locust import HttpUser, between, events, task

TOKENS: dict[str, str] = json.loads(Path(os.environ["LOAD_TOKENS"]).read_text())
FILES = Path(os.environ["LOAD_FILES"])
UPLOAD_LOG = Path(os.environ["LOAD_UPLOAD_LOG"])
PERIOD = os.environ.get("LOAD_PERIOD", "2025Q4")
MAX_REQUESTS = int(os.environ.get("LOAD_MAX_REQUESTS", "20000"))
PASSWORD = os.environ["LOAD_PASSWORD"]
PLATFORMS = [f"LS{i:02d}" for i in range(1, 12)]

_lock = threading.Lock()
_platform_cycle = itertools.cycle(PLATFORMS)
# One queue of distinct pre-filled files per platform: no two uploads send the same bytes, so
# each accepted upload maps to exactly one stored file by its SHA-256.
_files = {
    code: sorted((FILES / code).glob("*.xlsx"), key=lambda p: int(p.stem)) for code in PLATFORMS
}
_requests = itertools.count(1)


@events.request.add_listener
def _count(**_kwargs) -> None:
    if next(_requests) == MAX_REQUESTS:
        from locust import runners

        if runners.runner is not None:
            runners.runner.quit()


def _next_file(code: str) -> Path | None:
    with _lock:
        return _files[code].pop(0) if _files[code] else None


def _log_upload(record: dict) -> None:
    with _lock, UPLOAD_LOG.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")


class WebUser(HttpUser):
    abstract = True
    username = ""

    def web_login(self) -> None:
        page = self.client.get("/accounts/login/", name="login page")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        with self.client.post(
            "/accounts/login/",
            name="login",
            allow_redirects=False,
            catch_response=True,
            data={
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": token,
                "next": "/",
            },
            headers={"Referer": f"{self.host}/accounts/login/"},
        ) as response:
            if response.status_code != 302:
                response.failure(f"login as {self.username} refused ({response.status_code})")

    def api(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKENS[username]}"}


class CockpitUser(WebUser):
    weight = 14
    wait_time = between(1, 3)
    username = "leader"

    def on_start(self) -> None:
        self.web_login()

    @task(4)
    def cockpit(self) -> None:
        self.client.get("/dashboard/", name="/dashboard/")

    @task(2)
    def map_page(self) -> None:
        self.client.get("/dashboard/map/", name="/dashboard/map/")
        self.client.get("/dashboard/map/data.json", name="/dashboard/map/data.json")

    @task(1)
    def map_enterprises(self) -> None:
        self.client.get("/dashboard/map/enterprises.json", name="/dashboard/map/enterprises.json")

    @task(1)
    def reporting_progress(self) -> None:
        self.client.get(f"/reporting/periods/{PERIOD}/", name="/reporting/periods/[code]/")

    @task(1)
    def evaluation_list(self) -> None:
        self.client.get("/evaluation/", name="/evaluation/")

    @task(1)
    def platform_page(self) -> None:
        self.client.get(f"/platforms/{random.choice(PLATFORMS)}/", name="/platforms/[code]/")


class PlatformUser(WebUser):
    weight = 35
    wait_time = between(1, 3)

    def on_start(self) -> None:
        with _lock:
            self.code = next(_platform_cycle)
        self.username = f"pt_{self.code.lower()}"
        self.web_login()
        rows = self.client.get(
            f"/api/requirements?period={PERIOD}&form_code=platform_quarterly",
            headers=self.api(self.username),
            name="/api/requirements",
        ).json()
        self.requirement = rows[0]["id"]
        self.uploads = 0

    @task(3)
    def platform_pages(self) -> None:
        self.client.get(f"/platforms/{self.code}/", name="/platforms/[code]/")
        self.client.get(
            f"/reporting/requirements/{self.requirement}/", name="/reporting/requirements/[id]/"
        )

    @task(2)
    def cockpit(self) -> None:
        self.client.get("/dashboard/", name="/dashboard/")

    @task(1)
    def api_reads(self) -> None:
        self.client.get(
            f"/api/platforms/{self.code}",
            headers=self.api(self.username),
            name="/api/platforms/[code]",
        )
        self.client.get(
            f"/api/enterprises?platform={self.code}&limit=50",
            headers=self.api(self.username),
            name="/api/enterprises",
        )

    @task(1)
    def template(self) -> None:
        if self.uploads % 2:
            self.client.get(
                f"/reporting/requirements/{self.requirement}/template.xlsx",
                name="/reporting/requirements/[id]/template.xlsx",
            )
        else:
            self.client.get(
                f"/api/requirements/{self.requirement}/template",
                headers=self.api(self.username),
                name="/api/requirements/[id]/template",
            )

    @task(2)
    def upload(self) -> None:
        path = _next_file(self.code)
        if path is None:
            return
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        self.uploads += 1
        if self.uploads % 2:
            self._upload_api(data, sha, path.name)
        else:
            self._upload_web(data, sha, path.name)

    def _upload_api(self, data: bytes, sha: str, name: str) -> None:
        with self.client.post(
            f"/api/requirements/{self.requirement}/upload",
            headers=self.api(self.username),
            files={"file": (name, data)},
            name="/api/requirements/[id]/upload",
            catch_response=True,
        ) as response:
            body = response.json() if response.status_code == 201 else {}
            if body.get("outcome") != "accepted":
                response.failure(
                    f"upload not accepted: {response.status_code} {response.text[:200]}"
                )
                return
            _log_upload(
                {
                    "user": self.username,
                    "channel": "api",
                    "attempt": body["id"],
                    "version": body["version"]["id"],
                    "sha256": sha,
                }
            )

    def _upload_web(self, data: bytes, sha: str, name: str) -> None:
        page = self.client.get(
            f"/reporting/requirements/{self.requirement}/", name="/reporting/requirements/[id]/"
        )
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        with self.client.post(
            f"/reporting/requirements/{self.requirement}/upload/",
            allow_redirects=False,
            data={"csrfmiddlewaretoken": token, "reason": ""},
            files={"file": (name, data)},
            headers={"Referer": f"{self.host}/reporting/requirements/{self.requirement}/"},
            name="/reporting/requirements/[id]/upload/",
            catch_response=True,
        ) as response:
            match = re.search(r"/reporting/attempts/(\d+)/", response.headers.get("Location", ""))
            if response.status_code != 302 or not match:
                response.failure(f"web upload refused: {response.status_code}")
                return
        # The web answers every upload with a redirect to its attempt page; the outcome is read
        # back through the API so that only accepted uploads are counted.
        attempt = self.client.get(
            f"/api/attempts/{match.group(1)}",
            headers=self.api(self.username),
            name="/api/attempts/[id]",
        ).json()
        if attempt.get("outcome") != "accepted":
            events.request.fire(
                request_type="CHECK",
                name="web upload accepted",
                response_time=0,
                response_length=0,
                exception=RuntimeError(attempt.get("message")),
                context={},
            )
            return
        _log_upload(
            {
                "user": self.username,
                "channel": "web",
                "attempt": attempt["id"],
                "version": attempt["version"]["id"],
                "sha256": sha,
            }
        )


class OfficeUser(WebUser):
    fixed_count = 1
    wait_time = between(20, 30)
    username = "admin"

    @task
    def evaluation_run(self) -> None:
        with self.client.post(
            "/api/runs",
            json={"year": 2024, "method": "lishui-mujun-default"},
            headers=self.api("admin"),
            name="/api/runs (evaluation run)",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"run refused: {response.status_code} {response.text[:200]}")
                return
            run = response.json()["id"]
        self.client.get(f"/api/runs/{run}", headers=self.api("admin"), name="/api/runs/[id]")
        self.client.get(
            f"/api/runs/{run}/results?klass=D&limit=100",
            headers=self.api("admin"),
            name="/api/runs/[id]/results",
        )
