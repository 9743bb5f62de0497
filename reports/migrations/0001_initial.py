import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """ExportJob moves from budgeting to reports: the table budgeting 0005 created stays
    (db_table), only Django's state moves; budgeting 0006 drops it from budgeting's."""

    initial = True

    dependencies = [
        ("budgeting", "0005_export_job"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ExportJob",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ("year", models.PositiveSmallIntegerField(verbose_name="budget year")),
                        ("language", models.CharField(max_length=10)),
                        ("state", models.CharField(choices=[("queued", "Waiting for the worker"), ("running", "Being written"), ("done", "Ready"), ("failed", "Failed")], default="queued", max_length=10, verbose_name="state")),
                        ("rows_total", models.PositiveIntegerField(blank=True, null=True)),
                        ("rows_done", models.PositiveIntegerField(default=0)),
                        ("file", models.FileField(blank=True, upload_to="exports/%Y/%m/")),
                        ("error", models.TextField(blank=True)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        ("requested_by", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name": "export",
                        "verbose_name_plural": "exports",
                        "ordering": ["-created_at"],
                        "db_table": "budgeting_exportjob",
                        "indexes": [models.Index(fields=["requested_by", "year", "state"], name="budgeting_e_request_721898_idx")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
