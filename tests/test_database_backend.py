"""CI runs the suite twice; on the PostgreSQL pass this proves it really talked to PostgreSQL."""

import os

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_the_configured_database_is_the_one_in_use():
    expected = "postgresql" if os.environ.get("PINGTAI_EXPECT_POSTGRES") == "1" else None
    if expected:
        assert connection.vendor == expected, "PINGTAI_EXPECT_POSTGRES=1 but not on PostgreSQL"
    else:
        assert connection.vendor in {"sqlite", "postgresql"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM registry_platform")
        assert cursor.fetchone()[0] == 11
