"""Shared fixtures: the Lishui default dataset is loaded once per test session into the real
test database (SQLite or PostgreSQL, whichever DATABASE_URL names)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def demo_dataset():
    from pingtai.data.lishui.generator import build_dataset

    return build_dataset()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, demo_dataset):
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
