"""Thirty guesses at the same moment get no more password checks than five one after another
(ASVS 2.2.1): the attempt is counted before its password is looked at, under a row lock.

Staged with real concurrent transactions on PostgreSQL, as tests/concurrency does (its module
docstring explains why the threads commit into the session's test database and why nothing
runs on the main thread's connection): 29 wrong guesses are released together and held inside
the password check; the right password is sent while they are all still in flight. Without
the counting up front every guess would be inside the check and the right one would get in.
On SQLite the same limit is proven against the served application (tests/web/test_served_app.py).
"""

from __future__ import annotations

import os
import threading
import time

import pytest
from django.db import connection, connections
from django.test import Client

from pingtai.accounts.hashers import TunableArgon2PasswordHasher
from pingtai.accounts.services import DEMO_PASSWORD

pytestmark = pytest.mark.django_db
ADDRESS = "10.77.0.1"
GUESSES = 29


def _need_postgres() -> None:
    if connection.vendor == "postgresql":
        return
    reason = "needs PostgreSQL: the SQLite test database is private to one connection"
    if os.environ.get("PINGTAI_EXPECT_POSTGRES") == "1":
        pytest.fail(f"PINGTAI_EXPECT_POSTGRES=1 but the database is {connection.vendor}")
    pytest.skip(reason)


def _on_own_connection(work):
    """Run ``work`` on a fresh thread (own connection, autocommit) and return its result."""
    out: list = []

    def target():
        try:
            out.append(work())
        finally:
            connections.close_all()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(60)
    return out[0]


def _clear_counters() -> None:
    from pingtai.accounts.models import LoginThrottle

    _on_own_connection(lambda: LoginThrottle.objects.filter(ip=ADDRESS).delete())


def _post(password: str) -> int:
    response = Client().post(
        "/accounts/login/",
        {"username": "leader", "password": password},
        REMOTE_ADDR=ADDRESS,
    )
    return response.status_code


def test_thirty_simultaneous_guesses_check_five_passwords_and_let_no_right_one_through(
    monkeypatch,
):
    _need_postgres()
    _clear_counters()
    lock = threading.Lock()
    in_check = [0]
    release = threading.Event()
    original = TunableArgon2PasswordHasher.verify

    def held_verify(self, password, encoded):
        if password != DEMO_PASSWORD:
            with lock:
                in_check[0] += 1
            release.wait(30)
        return original(self, password, encoded)

    monkeypatch.setattr(TunableArgon2PasswordHasher, "verify", held_verify)
    barrier = threading.Barrier(GUESSES)
    statuses: list[int] = []

    def guess(n: int) -> None:
        try:
            barrier.wait(30)
            status = _post(f"Wrong-Guess-{n}x")
            with lock:
                statuses.append(status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(GUESSES)]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with lock:
                if in_check[0] + len(statuses) == GUESSES:
                    break
            time.sleep(0.01)
        right = _on_own_connection(lambda: _post(DEMO_PASSWORD))
    finally:
        release.set()
        for thread in threads:
            thread.join(60)
    try:
        assert in_check[0] == 5, f"{in_check[0]} passwords were checked"
        assert right == 429, "the right password got through while 29 guesses were in flight"
        assert sorted(statuses) == [200] * 5 + [429] * 24
    finally:
        _clear_counters()
