"""One published 2024 亩均 run for the whole tests/entitlements directory, made inside a
transaction that is rolled back at the end, so other test directories never see it."""

from __future__ import annotations

import pytest
from django.db import transaction


@pytest.fixture(scope="package")
def published_run(django_db_setup, django_db_blocker):
    from pingtai.accounts.models import User
    from pingtai.evaluation.services import run_evaluation, run_publish

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            admin = User.objects.get(username="admin")
            run, _ = run_evaluation(2024, "lishui-mujun-default", user=admin)
            yield run_publish(run, user=admin)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def api_as():
    """api_as("dept_power") → a Django client sending a fresh bearer token of that user."""
    from django.test import Client

    from pingtai.accounts.models import User
    from pingtai.api.services import token_create

    def _client(username: str):
        _, raw = token_create(User.objects.get(username=username), "测试")
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return _client
