from django.db import migrations


class Migration(migrations.Migration):
    """The page generation of ops.page_cache: a sequence, so moving it never waits.
    Databases from before the ops app have it as budgeting_page_generation: renamed, so
    its value (and the pages cached under it) carries on."""

    initial = True
    dependencies: list[tuple[str, str]] = []

    operations = [
        migrations.RunSQL(
            "ALTER SEQUENCE IF EXISTS budgeting_page_generation RENAME TO ops_page_generation;"
            " CREATE SEQUENCE IF NOT EXISTS ops_page_generation",
            "DROP SEQUENCE IF EXISTS ops_page_generation",
        )
    ]
