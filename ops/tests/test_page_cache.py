"""The page cache: a page is served again only to the same browser of the same user,
in the same language, and only while nothing was written since it was drawn.

These tests commit (transaction=True): the generation moves only after a commit.
"""

import io
from typing import Any

import pytest
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.cache import CacheHandler, caches
from django.core.management import call_command
from django.db import connection, transaction
from django.http import HttpResponse
from django.middleware.csrf import _unmask_cipher_token  # type: ignore[attr-defined]
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Organization, User
from ops import page_cache
from ops.page_cache import current_generation, is_write, page_key
from projects.models import Project
from projects.tests.factories import register

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("page_cache_on")]


@pytest.fixture
def project(submitter: User) -> Project:
    return register(submitter, name="教育考试综合管理平台")


def _get(client: Client, url: str) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, [query["sql"] for query in queries.captured_queries]


def _log_in(client: Client, user: User) -> None:
    """Log in and open the home page, which sets the CSRF cookie: pages are cached from then on."""
    client.force_login(user)
    client.get(reverse("home"))


def _detail(project: Project) -> str:
    return reverse("projects:detail", args=[project.code])


def test_statements_that_count_as_writes() -> None:
    assert is_write('INSERT INTO "standards_standardset" ("code") VALUES (%s)')
    assert is_write('UPDATE "accounts_user" SET "organization_id" = 3')
    assert is_write('DELETE FROM "accounts_organization" WHERE "id" = 1')
    # A project's rows touch their scopes by trigger (reports.page_scopes), in the write.
    assert not is_write('INSERT INTO "projects_project" ("code") VALUES (%s)')
    assert not is_write('DELETE FROM "projects_estimateline" WHERE "id" = 1')
    assert is_write("WITH moved AS (UPDATE projects_project SET state = 'x') SELECT 1")
    assert is_write("TRUNCATE projects_project")
    assert not is_write('SELECT "projects_project"."code" FROM "projects_project"')
    assert not is_write("SAVEPOINT s1")
    # QuerySet.iterator()'s server-side cursor reads.
    assert not is_write('DECLARE "_django_curs_1" NO SCROLL CURSOR WITH HOLD FOR SELECT 1')
    # Saved on every request for the idle timeout, and never shown on a cached page.
    assert not is_write('UPDATE "django_session" SET "session_data" = %s')
    assert not is_write('INSERT INTO "axes_accessattempt" ("username") VALUES (%s)')
    assert not is_write('UPDATE "budgeting_exportjob" SET "rows_done" = %s')
    assert not is_write('INSERT INTO "django_tasks_database_dbtaskresult" ("id") VALUES (%s)')
    # The stored pages themselves (the pages cache in PostgreSQL).
    assert not is_write('INSERT INTO "ops_pagecache" ("cache_key") VALUES (%s)')
    assert not is_write('DELETE FROM "ops_pagecache" WHERE "expires" < %s')
    # The forms already acted on (ui.submissions), claimed with every registration.
    assert not is_write('INSERT INTO "ui_formsubmission" ("token") VALUES (%s)')
    assert not is_write('DELETE FROM "ui_formsubmission" WHERE "created_at" < %s')


def test_a_committed_write_moves_the_generation_once_and_a_rolled_back_one_not_at_all(
    project: Project,
) -> None:
    # A unit: a project's own rows touch their scopes instead (test_page_scopes.py).
    units = Organization.objects.filter(pk=project.organization_id)
    before = current_generation()
    with transaction.atomic():
        for name in ("一", "二", "三"):
            units.update(name=name)
    assert current_generation() == before + 1

    with pytest.raises(RuntimeError), transaction.atomic():
        units.update(name="回滚")
        raise RuntimeError
    assert current_generation() == before + 1


def test_the_second_visit_is_served_without_the_views_queries(
    client: Client, submitter: User, project: Project
) -> None:
    _log_in(client, submitter)
    for url in (reverse("projects:list"), _detail(project)):
        first, drawn = _get(client, url)
        second, served = _get(client, url)
        assert first.status_code == second.status_code == 200
        assert second.content == first.content
        # Kept on the server only: neither answer may be stored by a browser or proxy.
        assert first["Cache-Control"] == second["Cache-Control"] == "private, no-store"
        assert any("projects_project" in sql for sql in drawn)
        # The session, the user and the generation; nothing of the page itself.
        assert not any("projects_" in sql for sql in served), served
        assert len(served) < len(drawn)


def test_a_page_drawn_by_one_worker_is_served_by_every_other(
    client: Client, submitter: User, project: Project
) -> None:
    """The pages are kept in PostgreSQL, not in the worker's memory: another gunicorn
    worker (here a fresh cache handler, with nothing in memory) serves the same page."""
    _log_in(client, submitter)
    drawn = client.get(_detail(project))
    assert drawn["X-Page-Cache"] == "miss"
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ops_pagecache")
        assert cursor.fetchone()[0] >= 1
    page_cache.caches = CacheHandler()  # as a new process starts with
    try:
        served = client.get(_detail(project))
    finally:
        page_cache.caches = caches
    assert served["X-Page-Cache"] == "hit"
    assert served.content == drawn.content


def test_reading_pages_does_not_move_the_generation(
    client: Client, submitter: User, project: Project
) -> None:
    _log_in(client, submitter)
    client.get(_detail(project))
    client.get(_detail(project))
    before = current_generation()
    client.get(_detail(project))
    client.get(reverse("projects:list"))
    assert current_generation() == before


def test_a_change_shows_at_once_whoever_made_it_and_however(
    client: Client, submitter: User, project: Project
) -> None:
    _log_in(client, submitter)
    assert "教育考试综合管理平台" in client.get(_detail(project)).content.decode()
    assert "教育考试综合管理平台" in client.get(reverse("projects:list")).content.decode()
    # A bulk update sends no model signal: the write is seen on the connection.
    Project.objects.filter(pk=project.pk).update(name="考试报名系统升级")
    assert "考试报名系统升级" in client.get(_detail(project)).content.decode()
    assert "考试报名系统升级" in client.get(reverse("projects:list")).content.decode()


def test_a_user_who_loses_access_gets_404_not_the_page_drawn_before(
    client: Client, submitter: User, project: Project, health: Organization
) -> None:
    _log_in(client, submitter)
    assert client.get(_detail(project)).status_code == 200
    submitter.organization = health
    submitter.save()
    assert client.get(_detail(project)).status_code == 404


def test_another_user_never_gets_a_page_drawn_for_someone_else(
    client: Client, submitter: User, outsider: User, project: Project
) -> None:
    _log_in(client, submitter)
    assert client.get(_detail(project)).status_code == 200
    listed = client.get(reverse("projects:list")).content.decode()
    assert project.code in listed

    other = Client()
    _log_in(other, outsider)
    assert other.get(_detail(project)).status_code == 404
    assert project.code not in other.get(reverse("projects:list")).content.decode()


def test_each_browser_gets_a_csrf_token_its_own_cookie_accepts(
    submitter: User, project: Project, settings: Any
) -> None:
    browsers = [Client(enforce_csrf_checks=True) for _ in range(2)]
    for browser in browsers:
        _log_in(browser, submitter)
    for browser in browsers:
        for _visit in range(2):  # drawn, then served from the cache
            page = browser.get(_detail(project))
            secret = browser.cookies[settings.CSRF_COOKIE_NAME].value
            assert _unmask_cipher_token(_token_in(page)) == secret
    # And the token from a served page is accepted on a POST.
    page = browsers[0].get(_detail(project))
    response = browsers[0].post(reverse("logout"), {"csrfmiddlewaretoken": _token_in(page)})
    assert response.status_code == 302


def _token_in(page: Any) -> str:
    html = page.content.decode()
    start = html.index('name="csrfmiddlewaretoken" value="') + len(
        'name="csrfmiddlewaretoken" value="'
    )
    return html[start : html.index('"', start)]


def test_each_language_has_its_own_page(
    client: Client, submitter: User, project: Project, settings: Any
) -> None:
    _log_in(client, submitter)
    assert '<html lang="zh-Hans"' in client.get(reverse("projects:list")).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert '<html lang="en"' in client.get(reverse("projects:list")).content.decode()
    del client.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert '<html lang="zh-Hans"' in client.get(reverse("projects:list")).content.decode()


def test_no_page_is_kept_or_served_while_a_message_waits(
    rf: RequestFactory, submitter: User
) -> None:
    request = rf.get("/projects/")
    request.user = submitter
    request.META["CSRF_COOKIE"] = "a" * 32
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    MessageMiddleware(lambda r: HttpResponse()).process_request(request)
    assert page_key(request) is not None
    messages.success(request, "已保存")
    assert page_key(request) is None


def test_the_key_names_the_user_even_if_a_browser_kept_its_csrf_cookie(
    rf: RequestFactory, submitter: User, outsider: User
) -> None:
    # Django gives a new CSRF secret at every login; the key does not rely on it.
    keys = set()
    for user in (submitter, outsider):
        request = rf.get("/projects/")
        request.user = user
        request.META["CSRF_COOKIE"] = "a" * 32
        SessionMiddleware(lambda r: HttpResponse()).process_request(request)
        MessageMiddleware(lambda r: HttpResponse()).process_request(request)
        keys.add(page_key(request))
    assert len(keys) == 2 and None not in keys


def test_no_key_without_a_csrf_cookie_or_a_login(rf: RequestFactory, submitter: User) -> None:
    request = rf.get("/projects/")
    request.user = submitter
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    MessageMiddleware(lambda r: HttpResponse()).process_request(request)
    assert page_key(request) is None  # no CSRF cookie yet: the page would set one
    request.META["CSRF_COOKIE"] = "a" * 32
    request.user = AnonymousUser()
    assert page_key(request) is None


def test_the_cache_can_be_turned_off(
    client: Client, submitter: User, project: Project, settings: Any
) -> None:
    settings.PAGE_CACHE_SECONDS = 0
    _log_in(client, submitter)
    client.get(_detail(project))
    _response, queries = _get(client, _detail(project))
    assert any("projects_project" in sql for sql in queries)


def test_the_command_moves_the_generation_for_writes_made_outside_django(
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = current_generation()
    call_command("bump_page_generation")
    after = current_generation()
    assert after > before
    assert str(after) in capsys.readouterr().out


def test_after_a_restore_the_command_leaves_every_earlier_generation_behind(
    client: Client, submitter: User, project: Project
) -> None:
    _log_in(client, submitter)
    units = Organization.objects.filter(pk=project.organization_id)
    for name in ("一", "二", "三"):  # writes after the backup was taken
        units.update(name=f"备份后{name}")
    client.get(_detail(project))  # cached under a generation the backup never reached
    cached = current_generation()
    with connection.cursor() as cursor:  # pg_restore brings back the backup's generation
        cursor.execute("SELECT setval('ops_page_generation', %s)", [cached - 2])
    # One write after the restore reaches the cached page's generation again...
    units.update(name="恢复后的名称")
    assert current_generation() == cached
    call_command("bump_page_generation", stdout=io.StringIO())
    # ...which the command leaves behind.
    assert "恢复后的名称" in client.get(_detail(project)).content.decode()
