import pytest

from accounts.models import Role, User
from projects.duplicates import similar_projects
from projects.models import Project, ProjectState
from projects.tests.factories import register

pytestmark = pytest.mark.django_db


def _left_department(*projects: Project) -> None:
    Project.objects.filter(pk__in=[p.pk for p in projects]).update(
        state=ProjectState.IN_REVIEW, reached_roles=[Role.DEPARTMENT_APPROVER, Role.DATA_REVIEWER]
    )


def test_similar_chinese_names_of_other_units_in_the_same_year_are_found(
    submitter: User, outsider: User
) -> None:
    mine = register(submitter, name="全省政务数据共享交换平台建设")
    theirs = register(outsider, name="全省政务数据共享交换平台升级")
    _left_department(
        theirs,
        register(outsider, name="医院挂号预约小程序"),
        register(outsider, name="全省政务数据共享交换平台建设", budget_year=2026, start_year=2026),
        register(submitter, name="全省政务数据共享交换平台运维"),
    )
    found = similar_projects(mine)
    assert [project.code for project in found] == [theirs.code]
    assert found[0].similarity > 0.5  # type: ignore[attr-defined]


def test_unrelated_names_are_not_flagged(submitter: User, outsider: User) -> None:
    mine = register(submitter, name="教育考试综合管理平台")
    register(outsider, name="疾病预防控制信息系统")
    assert similar_projects(mine) == []


def test_another_units_request_is_never_named_before_its_department_passed_it(
    submitter: User, outsider: User
) -> None:
    mine = register(submitter, name="全省政务数据共享交换平台建设")
    theirs = register(outsider, name="全省政务数据共享交换平台升级")
    assert similar_projects(mine) == []  # a draft
    Project.objects.filter(pk=theirs.pk).update(
        state=ProjectState.IN_REVIEW, reached_roles=[Role.DEPARTMENT_APPROVER]
    )
    assert similar_projects(mine) == []  # at its department's review
    _left_department(theirs)
    assert [project.code for project in similar_projects(mine)] == [theirs.code]
