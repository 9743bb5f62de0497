"""The page cache by scope (ops.page_cache, reports.page_scopes, issue #21): a write to a
project redraws the pages that show it (its page, the lists over its unit and its
year) and keeps every other page cached; a committed write always shows at once.

These tests commit (transaction=True): the scopes move with the write's commit.
"""

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import Organization, User
from audit.services import record_event
from ops.page_cache import EVERYTHING, PageScopes
from projects.forms import ProjectFilterForm
from projects.models import Continuity, EstimateLine, Project
from projects.tests.factories import register
from reports import page_scopes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("page_cache_on")]


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    client.get(reverse("home"))  # sets the CSRF cookie: pages are cached from then on
    return client


def _detail(project: Project) -> str:
    return reverse("projects:detail", args=[project.code])


def _cache(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return str(response["X-Page-Cache"])


def _listed(year: int | None = None, unit: Organization | None = None) -> str:
    query = []
    if year is not None:
        query.append(f"year={year}")
    if unit is not None:
        query.append(f"unit={unit.pk}")
    return reverse("projects:list") + ("?" + "&".join(query) if query else "")


def test_the_header_says_hit_miss_or_bypass(submitter: User) -> None:
    project = register(submitter)
    client = _client(submitter)
    assert _cache(client, _detail(project)) == "miss"
    assert _cache(client, _detail(project)) == "hit"
    no_cookie = Client()
    no_cookie.force_login(submitter)
    assert _cache(no_cookie, _detail(project)) == "bypass"


def test_a_write_to_one_project_keeps_other_projects_pages(submitter: User, outsider: User) -> None:
    mine = register(submitter, name="教育考试综合管理平台")
    theirs = register(outsider, name="卫生健康数据平台")
    mine_client, theirs_client = _client(submitter), _client(outsider)
    for client, project in ((mine_client, mine), (theirs_client, theirs)):
        assert _cache(client, _detail(project)) == "miss"
        assert _cache(client, _listed()) == "miss"
    Project.objects.filter(pk=theirs.pk).update(name="卫生健康数据平台二期")
    # Its own page and its unit's list show the write at once...
    assert _cache(theirs_client, _detail(theirs)) == "miss"
    assert "卫生健康数据平台二期" in theirs_client.get(_detail(theirs)).content.decode()
    assert _cache(theirs_client, _listed()) == "miss"
    # ...another unit's project page and list stay cached.
    assert _cache(mine_client, _detail(mine)) == "hit"
    assert _cache(mine_client, _listed()) == "hit"


def test_lists_by_year_and_by_unit_redraw_for_their_own_writes_only(
    submitter: User, secondary_submitter: User, outsider: User, finance_reviewer: User,
    admin_user: User,
) -> None:  # fmt: skip
    edu = register(submitter)
    exam = register(secondary_submitter, name="考试院报名系统")
    health_next_year = register(outsider, budget_year=2028, start_year=2028, end_year=2029)
    admin = _client(admin_user)
    pages = [_listed(year=2027), _listed(year=2028), _listed(unit=edu.organization)]
    for url in pages:
        assert _cache(admin, url) == "miss"
    # A secondary unit's write: its year and its primary unit's list (which includes it).
    EstimateLine.objects.filter(project=exam).delete()
    Project.objects.filter(pk=exam.pk).update(requested_amount=1)
    assert [_cache(admin, url) for url in pages] == ["miss", "hit", "miss"]
    # Another unit's write in 2028: only 2028's list.
    Project.objects.filter(pk=health_next_year.pk).update(requested_amount=2)
    assert [_cache(admin, url) for url in pages] == ["hit", "miss", "hit"]
    # The unfiltered list over every unit redraws for any project's write.
    assert _cache(admin, _listed()) == "miss"
    Project.objects.filter(pk=edu.pk).update(requested_amount=3)
    assert _cache(admin, _listed()) == "miss"


def test_the_lists_scopes_read_without_the_form_agree_with_the_form(
    submitter: User, finance_reviewer: User, rf: RequestFactory
) -> None:
    """The usual addresses skip the filter form (list_scopes is asked on every hit); the
    scopes they get are the ones the form gives, invalid years included."""
    unit = submitter.organization_id
    queries = [
        "", "page=2", "sort=-requested_amount&page=3", "year=2027", "year=2027&page=2",
        "year=", "year= 2028 ", "year=abc", "year=2027&year=x", "year=0", "state=", "q=",
        "year=2027&state=in_review", "year=2027&state=bogus", f"unit={unit}",
        f"unit={unit}&year=", "unit=999999", "kind=bogus&page=2",
    ]  # fmt: skip
    for user in (submitter, finance_reviewer):
        for query in queries:
            request = rf.get("/projects/?" + query)
            request.user = user
            fast = page_scopes.list_scopes(request)
            form = ProjectFilterForm(request.GET, user=user)
            if not form.is_valid():
                expected = EVERYTHING
            elif form.cleaned_data["year"]:
                expected = PageScopes((f"cycle:{form.cleaned_data['year']}",))
            elif form.cleaned_data["unit"]:
                expected = PageScopes((f"unit:{form.cleaned_data['unit'].pk}",))
            elif user == submitter:
                expected = PageScopes((f"unit:{unit}",))
            else:
                expected = EVERYTHING
            assert fast == expected, (user.username, query)


def test_a_project_moved_to_another_unit_or_year_leaves_both_lists(
    submitter: User, outsider: User, admin_user: User, health: Organization
) -> None:
    project = register(submitter)
    register(outsider)
    admin = _client(admin_user)
    pages = [_listed(unit=project.organization), _listed(unit=health), _listed(year=2027),
             _listed(year=2030)]  # fmt: skip
    for url in pages:
        _cache(admin, url)
    Project.objects.filter(pk=project.pk).update(organization=health)
    assert [_cache(admin, url) for url in pages] == ["miss", "miss", "miss", "hit"]
    Project.objects.filter(pk=project.pk).update(budget_year=2030, start_year=2030, end_year=2031)
    assert [_cache(admin, url) for url in pages] == ["hit", "miss", "miss", "miss"]


def test_lines_history_and_the_predecessor_redraw_the_project_page(submitter: User) -> None:
    earlier = register(submitter, name="考试报名系统一期", budget_year=2026, start_year=2026,
                       end_year=2027)  # fmt: skip
    project = register(
        submitter, name="考试报名系统二期", continuity=Continuity.CONTINUING, predecessor=earlier
    )
    client = _client(submitter)
    _cache(client, _detail(project))
    record_event("projects.note", actor=submitter, target=project, target_key=project.code)
    assert _cache(client, _detail(project)) == "miss"
    # The earlier project's amounts show on this page.
    Project.objects.filter(pk=earlier.pk).update(requested_amount=123)
    assert _cache(client, _detail(project)) == "miss"
    assert _cache(client, _detail(project)) == "hit"


def test_a_renamed_possible_duplicate_redraws_the_pages_that_name_it(
    submitter: User, outsider: User
) -> None:
    mine = register(submitter, name="全省教育数据共享平台")
    theirs = register(outsider, name="全省卫生数据共享平台")
    client = _client(submitter)
    _cache(client, _detail(mine))
    # A draft is nobody else's business: not shown as a duplicate, no page redrawn.
    Project.objects.filter(pk=theirs.pk).update(name="全省卫生数据共享平台二期")
    assert _cache(client, _detail(mine)) == "hit"
    # Once it reached a reviewing body it is shown, and each rename shows at once.
    Project.objects.filter(pk=theirs.pk).update(reached_roles=["finance_reviewer"])
    assert _cache(client, _detail(mine)) == "miss"
    Project.objects.filter(pk=theirs.pk).update(name="全省教育数据共享平台")
    assert _cache(client, _detail(mine)) == "miss"
    assert "全省卫生" not in client.get(_detail(mine)).content.decode()


def test_a_possible_duplicate_redraws_only_the_pages_of_similar_names(
    submitter: User, outsider: User
) -> None:
    mine = register(submitter, name="全省教育数据共享平台")
    unrelated = register(submitter, name="考试院报名系统")
    theirs = register(outsider, name="全省卫生数据共享平台")
    far = register(outsider, name="医院药品采购监管")
    client = _client(submitter)
    for project in (mine, unrelated):
        assert _cache(client, _detail(project)) == "miss"
    # Another name reaching a reviewing body redraws no page but its own.
    Project.objects.filter(pk=far.pk).update(reached_roles=["finance_reviewer"])
    assert [_cache(client, _detail(p)) for p in (mine, unrelated)] == ["hit", "hit"]
    # A similar name: the pages that may name it redraw, the others stay.
    Project.objects.filter(pk=theirs.pk).update(reached_roles=["finance_reviewer"])
    assert [_cache(client, _detail(p)) for p in (mine, unrelated)] == ["miss", "hit"]
    assert "全省卫生数据共享平台" in client.get(_detail(mine)).content.decode()


def test_more_than_fifty_changed_names_at_once_redraw_every_project_page() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reports_similar_pages(%s, %s), reports_similar_pages(%s, %s)",
            [["平台"] * 51, [2027] * 51, ["无此名称的项目"], [2027]],
        )
        assert cursor.fetchone() == (["similar"], [])


def test_a_write_outside_the_projects_redraws_every_page(submitter: User) -> None:
    project = register(submitter)
    client = _client(submitter)
    _cache(client, _detail(project))
    _cache(client, _listed())
    Organization.objects.filter(pk=project.organization_id).update(name="省教育厅（新）")
    assert _cache(client, _detail(project)) == "miss"
    assert _cache(client, _listed()) == "miss"
