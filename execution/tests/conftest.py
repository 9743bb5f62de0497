from api.tests.conftest import (  # noqa: F401  # the API's fixtures, for the write endpoint
    api_client,
    approved,
    deciders,
    finance_key,
    health_approved,
    register_client,
)
