"""Security headers, cookies and Django's deployment checks (ASVS V3)."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.helpers import PRODUCTION, run_python


def test_deploy_checks_pass_with_production_settings() -> None:
    result = run_python(PRODUCTION, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_cookies_have_plain_names_where_they_are_not_secure() -> None:
    code = "from config import settings as s; print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME)"
    result = run_python({"DEBUG": "true"}, "-c", code)
    assert result.stdout.split() == ["sessionid", "csrftoken"], result.stderr
    result = run_python(PRODUCTION, "-c", code)
    assert result.stdout.split() == ["__Host-sessionid", "__Host-csrftoken"], result.stderr


@pytest.mark.django_db
def test_every_page_carries_a_strict_content_security_policy(client: Client) -> None:
    response = client.get(reverse("login"), secure=True)
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_security_headers_on_a_response(client: Client) -> None:
    response = client.get(reverse("login"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_error_pages_carry_the_headers_too(client: Client) -> None:
    response = client.get("/no-such-page/", secure=True)
    assert response.status_code == 404
    assert "object-src 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_htmx_is_told_not_to_inject_an_inline_style(client: Client, db: None) -> None:
    page = client.get(reverse("login")).content.decode()
    assert """<meta name="htmx-config" content='{"includeIndicatorStyles":false}'>""" in page
    assert "<style" not in page
    assert " style=" not in page


@pytest.mark.django_db
def test_login_sets_secure_host_only_cookies(client: Client, submitter: User) -> None:
    login_page = client.get(reverse("login"), secure=True)
    csrf = login_page.cookies["__Host-csrftoken"]
    response = client.post(
        reverse("login"),
        {"username": "edu_clerk", "password": settings.DEMO_PASSWORD},
        secure=True,
    )
    assert response.status_code == 302
    session = response.cookies["__Host-sessionid"]
    for cookie in (csrf, session):
        assert cookie["secure"] is True
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"
        assert cookie["path"] == "/"
        assert not cookie["domain"]
    assert "sessionid" not in response.cookies


@pytest.mark.django_db
def test_a_logged_in_users_page_is_private_and_never_stored(
    client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    assert client.get(reverse("projects:list"))["Cache-Control"] == "private, no-store"


@pytest.mark.django_db
def test_a_view_that_sets_its_own_caching_keeps_it(client: Client, admin_user: User) -> None:
    client.force_login(admin_user)
    own = client.get(reverse("admin:index"))["Cache-Control"]  # Django admin's never_cache
    assert "max-age=0" in own and "no-store" in own


@pytest.mark.django_db
def test_anonymous_pages_are_not_marked_private(client: Client) -> None:
    assert not client.get("/no-such-page/").has_header("Cache-Control")


@pytest.mark.django_db
def test_static_files_keep_their_own_caching_for_logged_in_users(
    client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    response = client.get(f"{settings.STATIC_URL}css/app.css")
    assert response.status_code == 200
    assert "max-age" in response["Cache-Control"]
    assert "no-store" not in response["Cache-Control"]
