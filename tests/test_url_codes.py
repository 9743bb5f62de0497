"""Addresses with a public code take only the code's alphabet (issue #15).

``<str:code>`` took a NUL byte too, and PostgreSQL refuses one in a query: the
address answered 500 where it names nothing. A code, token or action outside its
alphabet is now no match, a 404, before the view or the database sees it.
"""

from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import PathConverter, StringConverter

from accounts.models import User
from projects.models import Project
from projects.tests.factories import register
from standards.models import StandardSet
from standards.tests.factories import filled_set

# Each with the segment under test as {}; P is a real project, S a real standard.
CODE_ADDRESSES = (
    "/projects/{}/",
    "/projects/{}/edit/",
    "/projects/{}/lines/new/",
    "/projects/{}/estimate/template.xlsx",
    "/review/{}/",
    "/standards/{}/",
    "/standards/S/items/{}/",
)
OTHER_ADDRESSES = (
    "/projects/P/estimate/import/{}/",  # a token
    "/review/P/{}/",  # an action
)
# Outside every alphabet; then outside a code's alone (a token or an action may
# start with a dash and an action is a slug of any length: the view knows them).
HOSTILE = ("ab%00cd", "{code}%00x", "%00", "a%20b", "%3Cscript%3E")
NOT_A_CODE = ("-lead", "x" * 65)
CASES = [
    *((address, segment) for address in CODE_ADDRESSES for segment in HOSTILE + NOT_A_CODE),
    *((address, segment) for address in OTHER_ADDRESSES for segment in HOSTILE),
]


@pytest.fixture
def world(admin_user: User, submitter: User) -> tuple[Project, StandardSet]:
    return register(submitter, name="地址测试项目"), filled_set()


@pytest.mark.django_db
@pytest.mark.parametrize(("address", "segment"), CASES)
def test_a_code_outside_its_alphabet_is_not_found(
    client: Client, admin_user: User, world: tuple[Project, StandardSet], address: str, segment: str
) -> None:
    project, standard = world
    client.force_login(admin_user)
    path = address.replace("/P/", f"/{project.code}/").replace("/S/", f"/{standard.code}/")
    url = path.format(segment.format(code=project.code))
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "x"}).status_code == 404


@pytest.mark.django_db
def test_the_real_codes_still_answer(
    client: Client, admin_user: User, world: tuple[Project, StandardSet]
) -> None:
    project, standard = world
    item = standard.items.first()
    assert item is not None
    client.force_login(admin_user)
    for url in (
        f"/projects/{project.code}/",
        f"/review/{project.code}/",
        f"/standards/{standard.code}/",
        f"/standards/{standard.code}/items/{item.code}/",
    ):
        assert client.get(url).status_code == 200, url


def _our_patterns(patterns: list[URLPattern | URLResolver]) -> Iterator[URLPattern]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if getattr(pattern.urlconf_module, "__name__", "").startswith("django."):
                continue  # Django's own (set_language), not ours
            if pattern.app_name == "admin":
                continue  # the admin's ids are its own (<path:object_id>, checked by the admin)
            yield from _our_patterns(pattern.url_patterns)
        else:
            yield pattern


def test_no_address_of_ours_captures_any_text() -> None:
    """Every captured segment has a converter with an alphabet: none is str or path."""
    loose = [
        f"{pattern.pattern} <{name}>"
        for pattern in _our_patterns(get_resolver().url_patterns)
        for name, converter in pattern.pattern.converters.items()
        if type(converter) in (StringConverter, PathConverter)
    ]
    assert loose == []
