"""The names of conftest.py's persona fixtures, for tests that go through them all."""

MEMBERS = (
    "submitter",
    "outsider",
    "department_approver",
    "data_reviewer",
    "finance_reviewer",
    "finance_approver",
    "admin_user",
)
