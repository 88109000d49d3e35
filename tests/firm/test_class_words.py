"""A firm reads its 亩均 class in the glossary's words (docs/glossary.md: "A 类（优先发展类）"),
the same words as the officials' portrait page, never the bare letter and 类."""

from __future__ import annotations

import pytest
from django.test import Client

from pingtai.accounts.models import User
from pingtai.core import terms
from pingtai.evaluation.services import run_evaluation, run_publish

pytestmark = pytest.mark.django_db


def test_the_firm_pages_name_the_class_as_the_glossary_does():
    admin = User.objects.get(username="admin")
    run = run_publish(run_evaluation(2024, "lishui-mujun-default", user=admin)[0], user=admin)
    result = run.results.exclude(klass="T").order_by("uscc").first()
    assert result is not None
    account = User.objects.create(
        username="qy_class_words", role=User.Role.ENTERPRISE, enterprise=result.enterprise
    )
    client = Client()
    client.force_login(account)
    words = terms.class_name(result.klass)
    assert "（" in words  # the glossary's name, e.g. A 类（优先发展类）
    for url in ("/firm/", f"/firm/runs/{run.pk}/"):
        page = client.get(url).content.decode()
        assert words in page, url
        assert f">{result.klass}类<" not in page, url
