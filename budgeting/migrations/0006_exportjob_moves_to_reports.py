from django.db import migrations


class Migration(migrations.Migration):
    """ExportJob now belongs to the reports app (reports 0001): the table stays."""

    dependencies = [("budgeting", "0005_export_job")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ExportJob")],
            database_operations=[],
        ),
    ]
