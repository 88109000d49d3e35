"""Shared fixtures: the Lishui default dataset is loaded once per test session into the real
test database (SQLite or PostgreSQL, whichever DATABASE_URL names)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def demo_dataset():
    from pingtai.data.lishui.generator import build_dataset

    return build_dataset()


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing(pytestconfig):
    """Production-strength Argon2 costs ~0.5 s a hash; the suite hashes hundreds of times.
    Nothing to do in the fast tier (`make test-fast`), which runs without Django."""
    if not pytestconfig.pluginmanager.hasplugin("django"):
        return
    from django.conf import settings

    settings.PINGTAI_ARGON2_MEMORY_KIB, settings.PINGTAI_ARGON2_TIME_COST = 1024, 1


@pytest.fixture(scope="session", autouse=True)
def audit_checkpoint_file(tmp_path_factory, pytestconfig):
    """The audit chain head checkpoint of this session's test database, not of var/'s database
    (docs/audit.md): a checkpoint left by an earlier run would report a truncated chain.
    Nothing to do in the fast tier, which runs without Django."""
    if not pytestconfig.pluginmanager.hasplugin("django"):
        return None
    from django.conf import settings

    settings.PINGTAI_AUDIT_HEAD_FILE = tmp_path_factory.mktemp("audit") / "audit_head.json"
    return settings.PINGTAI_AUDIT_HEAD_FILE


@pytest.fixture(scope="session")
def django_db_setup(
    django_db_setup, django_db_blocker, demo_dataset, cheap_password_hashing, audit_checkpoint_file
):
    from pingtai.accounts.services import accounts_ensure_demo_users
    from pingtai.registry.services import registry_load_dataset

    with django_db_blocker.unblock():
        registry_load_dataset(demo_dataset)
        accounts_ensure_demo_users()


@pytest.fixture
def login(client):
    """Log the test client in as one of the demo users."""
    from pingtai.accounts.models import User

    def _login(username: str):
        client.force_login(User.objects.get(username=username))
        return client

    return _login
