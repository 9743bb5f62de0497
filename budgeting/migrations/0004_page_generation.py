from django.db import migrations

from budgeting.page_cache import SEQUENCE


class Migration(migrations.Migration):
    """The page generation of budgeting.page_cache: a sequence, so moving it never waits."""

    dependencies = [("budgeting", "0003_line_decisions")]

    operations = [
        migrations.RunSQL(
            f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}",
            f"DROP SEQUENCE IF EXISTS {SEQUENCE}",
        )
    ]
