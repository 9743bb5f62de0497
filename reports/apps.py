from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Summaries, charts, the home dashboard, exports (in the background too), open data."""

    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from audit.labels import register
        from ops.workers import worker_starting
        from reports import page_scopes
        from reports.export_jobs import fail_abandoned_exports

        page_scopes.register()

        worker_starting.connect(fail_abandoned_exports, dispatch_uid="reports.exports")

        exported = _("Estimate lines exported")
        # Events written before the reports app existed keep their old type.
        register({"reports.export.lines": exported, "budgeting.export.lines": exported})
