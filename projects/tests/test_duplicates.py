import pytest

from accounts.models import User
from projects.duplicates import similar_projects
from projects.tests.factories import register

pytestmark = pytest.mark.django_db


def test_similar_chinese_names_of_other_units_in_the_same_year_are_found(
    submitter: User, outsider: User
) -> None:
    mine = register(submitter, name="全省政务数据共享交换平台建设")
    theirs = register(outsider, name="全省政务数据共享交换平台升级")
    register(outsider, name="医院挂号预约小程序")
    register(outsider, name="全省政务数据共享交换平台建设", budget_year=2026, start_year=2026)
    register(submitter, name="全省政务数据共享交换平台运维")
    found = similar_projects(mine)
    assert [project.code for project in found] == [theirs.code]
    assert found[0].similarity > 0.5  # type: ignore[attr-defined]


def test_unrelated_names_are_not_flagged(submitter: User, outsider: User) -> None:
    mine = register(submitter, name="教育考试综合管理平台")
    register(outsider, name="疾病预防控制信息系统")
    assert similar_projects(mine) == []
