"""Per-endpoint grants replace the two switches: *may read* becomes every read grant,
*may write payments* the two treasury write grants (contracts and payments), so every
existing client may call exactly what it could before."""

import django.contrib.postgres.fields
from django.db import migrations, models

READ = [
    "projects:read",
    "lines:read",
    "history:read",
    "quotas:read",
    "standards:read",
    "summary:read",
    "codes:read",
]
WRITE = ["contracts:write", "payments:write"]
CHOICES = [
    ("projects:read", "Read projects (projects list, one project)"),
    ("lines:read", "Read estimate lines (a project's lines, lines of many projects)"),
    ("history:read", "Read a project's history"),
    ("quotas:read", "Read budget quotas (预算指标) and receive their webhooks"),
    ("standards:read", "Read published budget standards"),
    ("summary:read", "Read the budget summary's figures"),
    ("codes:read", "Read the classification code lists (支出功能分类, 经济分类…)"),
    ("contracts:write", "Write contracts from the treasury"),
    ("payments:write", "Write payments from the treasury"),
]


def switches_to_grants(apps, schema_editor):
    ApiClient = apps.get_model("api", "ApiClient")
    for client in ApiClient.objects.all():
        client.scopes = (READ if client.may_read else []) + (
            WRITE if client.may_write_payments else []
        )
        client.save(update_fields=["scopes"])


def grants_to_switches(apps, schema_editor):
    ApiClient = apps.get_model("api", "ApiClient")
    for client in ApiClient.objects.all():
        client.may_read = any(scope in READ for scope in client.scopes)
        client.may_write_payments = "payments:write" in client.scopes
        client.save(update_fields=["may_read", "may_write_payments"])


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0002_webhooks"),
    ]

    operations = [
        migrations.AddField(
            model_name="apiclient",
            name="scopes",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(choices=CHOICES, max_length=32),
                blank=True,
                default=list,
                help_text="The endpoints the client may call, each for reading or writing.",
                size=None,
                verbose_name="scopes",
            ),
        ),
        migrations.RunPython(switches_to_grants, grants_to_switches),
        migrations.RemoveField(model_name="apiclient", name="may_read"),
        migrations.RemoveField(model_name="apiclient", name="may_write_payments"),
    ]
