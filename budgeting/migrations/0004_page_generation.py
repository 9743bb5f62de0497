from django.db import migrations


class Migration(migrations.Migration):
    """Created the page cache's sequence; it now belongs to the ops app, whose migration
    0001 renames it (keeping its value) or creates it. Kept, empty, for the graph."""

    dependencies = [("budgeting", "0003_line_decisions")]

    operations = [migrations.RunSQL(migrations.RunSQL.noop, migrations.RunSQL.noop)]
