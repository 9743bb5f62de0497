# ruff: noqa: E501  (the reference markup is the template's, lines as they were)
"""The project list's rows drawn in Python are the template's rows (issue #21)."""

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import Client
from django.test.html import parse_html
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts.models import Organization, User
from projects.list_rows import draw_rows, row_values
from projects.models import Project
from projects.tests.factories import register
from ui import fragments

pytestmark = pytest.mark.django_db

# The rows as the list's template drew them before list_rows (the reference markup).
TEMPLATE_ROWS = """{% load i18n ui %}
{% translate "Code" as code_label %}{% translate "Name" as name_label %}{% translate "Budget unit" as unit_label %}{% translate "Year" as year_label %}{% translate "Classification" as class_label %}{% translate "State" as state_label %}{% translate "Requested (yuan)" as amount_label %}
{% for project in projects %}
<tr>
  <td data-label="{{ code_label }}"><a href="{% url 'projects:detail' project.code %}">{{ project.code }}</a></td>
  <td data-label="{{ name_label }}">{{ project.name }}</td>
  <td data-label="{{ unit_label }}">{{ project.organization.name }}</td>
  <td data-label="{{ year_label }}">{{ project.budget_year }}</td>
  <td data-label="{{ class_label }}" class="classification"><span class="tags">
    <span class="tag">{{ project.kind_label }}</span>
    <span class="tag">{{ project.continuity_label }}</span>
    {% if project.managed_by_data_admin %}<span class="tag">{% translate "Managed" %}</span>{% endif %}
  </span></td>
  <td data-label="{{ state_label }}"><span class="state state--{{ project.state }}">{{ project.state_label }}</span></td>
  <td data-label="{{ amount_label }}" class="num">{{ project.requested_amount|yuan }}</td>
</tr>
{% endfor %}"""


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_rows_drawn_in_python_are_the_templates_rows(submitter: User, language: str) -> None:
    register(submitter, name="<script>alert('名')</script> & 平台", managed_by_data_admin=False)
    register(submitter, name="运维项目", managed_by_data_admin=True)
    Project.objects.filter(name="运维项目").update(requested_amount=Decimal("1234567.8"))
    projects = Project.objects.select_related("organization").order_by("code")
    with translation.override(language):
        expected = Template(TEMPLATE_ROWS).render(Context({"projects": projects}))
        drawn = draw_rows(row_values(projects))
    assert parse_html(drawn) == parse_html(expected)
    assert "&lt;script&gt;" in drawn


def test_the_list_draws_its_filter_form_once_per_scope(
    client: Client, submitter: User, exam_authority: Organization
) -> None:
    fragments.forget_all()
    register(submitter)
    client.force_login(submitter)
    url = reverse("projects:list")
    with CaptureQueriesContext(connection) as first:
        drawn = _filters(client.get(url, {"q": "x<"}))
    with CaptureQueriesContext(connection) as second:
        again = _filters(client.get(url, {"q": "x<"}))
    # Remembered: the same markup, and no more queries when drawn than when remembered.
    assert again == drawn
    assert len(first.captured_queries) == len(second.captured_queries)
    assert 'name="q" value="x&lt;"' in drawn
    # A renamed unit is another scope: the form shows the new name at once.
    Organization.objects.filter(pk=exam_authority.pk).update(name="改名后的考试院")
    assert "改名后的考试院" in _filters(client.get(url, {"q": "x<"}))


def _filters(response: Any) -> str:
    """The page's filter form (the rest carries a CSRF token new on every page)."""
    content = response.content.decode()
    start = content.index('<form method="get"')
    return content[start : content.index("</form>", start)]
