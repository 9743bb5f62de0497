"""The OpenAPI schema: valid OpenAPI 3, and every endpoint answers as it says.

schemathesis generates requests from the schema (valid and invalid parameters,
hostile strings, huge numbers, odd cursors) and checks each answer: never a 5xx, a
status the schema lists, a body that matches the schema for its status.
"""

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate

from api.endpoints import api
from api.schemas import SummaryQuery
from api.scopes import Scope
from api.tests.conftest import bearer
from config.wsgi import application
from reports.summary import DIMENSIONS

pytestmark = pytest.mark.django_db


def test_the_schema_is_valid_openapi_3(api_client: Client) -> None:
    response = api_client.get("/api/schema/")
    assert response.status_code == 200
    spec = json.loads(response.content)
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/projects/", "/api/v1/quotas/", "/api/v1/summary/"} <= set(spec["paths"])
    quota = spec["components"]["schemas"]["Quota"]["properties"]
    assert {"APPLY_UP", "FIN_AUDIT_MONEY", "REPLY_AMT"} <= set(quota)
    assert spec["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"


def test_the_summary_offers_exactly_the_summary_pages_dimensions() -> None:
    offered = SummaryQuery.model_json_schema()["properties"]["by"]["enum"]
    assert set(offered) == set(DIMENSIONS)


# Loaded from the API object (no request at import time), then bound to the WSGI app.
schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api"))
schema.app = application


@pytest.fixture
def key(register_client: Any, approved: Any) -> Iterator[str]:
    """A key that reads and writes everything, with an approved project to read.

    schemathesis calls the WSGI application itself, whose request signals would close
    the test's database connection (and its transaction) on each request: Django's
    test client leaves them out the same way."""
    signals = (request_started, request_finished)
    for signal in signals:
        signal.disconnect(close_old_connections)
    try:
        yield register_client("fuzz", scopes=list(Scope))[1]
    finally:
        for signal in signals:
            signal.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_answer_matches_the_schema(case: Any, key: str) -> None:
    case.call_and_validate(base_url="http://testserver", headers=bearer(key))
