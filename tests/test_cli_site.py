"""The pingtai command's site jobs, run in-process against the test database."""

import pytest

from pingtai.cli import main

pytestmark = pytest.mark.django_db


def test_load_demo_does_not_load_twice(capsys):
    assert main(["load-demo"]) == 0
    assert "跳过" in capsys.readouterr().out


def test_demo_users_prints_one_login_per_platform(capsys):
    assert main(["demo-users"]) == 0
    out = capsys.readouterr().out
    assert "admin" in out and "leader" in out
    for n in range(1, 12):
        assert f"pt_ls{n:02d}" in out


def test_unknown_command_exits_non_zero(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["no-such-command"])
    assert exit_info.value.code != 0


def test_setup_demo_with_firms_refuses_a_database_that_has_data(capsys):
    from pingtai.registry.models import Enterprise

    before = Enterprise.objects.count()
    assert before > 0
    assert main(["setup-demo", "--firms", "1000"]) == 1
    assert "已有数据" in capsys.readouterr().err
    assert Enterprise.objects.count() == before
