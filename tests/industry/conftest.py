"""Published 亩均 results for the whole tests/industry directory: 2023 with the default method
(the previous year's class) and 2024 with the industry method (行业排名 stored by the method),
made inside a transaction that is rolled back at the end."""

from __future__ import annotations

import pytest
from django.db import transaction


@pytest.fixture(scope="package")
def runs(django_db_setup, django_db_blocker):
    from pingtai.accounts.models import User
    from pingtai.evaluation.services import run_evaluation, run_publish

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            admin = User.objects.get(username="admin")
            earlier, _ = run_evaluation(2023, "lishui-mujun-default", user=admin)
            current, _ = run_evaluation(2024, "lishui-mujun-industry", user=admin)
            yield run_publish(earlier, user=admin), run_publish(current, user=admin)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
