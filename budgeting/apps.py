from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BudgetingConfig(AppConfig):
    name = "budgeting"
    verbose_name = _("Budgeting")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from budgeting.middleware import remember_login_time

        user_logged_in.connect(remember_login_time, dispatch_uid="budgeting.login_time")

        from django.db.backends.signals import connection_created

        from budgeting.page_cache import install_write_watcher

        connection_created.connect(install_write_watcher, dispatch_uid="budgeting.page_cache")

        from audit.labels import register

        register(
            {
                "budgeting.project.submit": _("Submitted"),
                "budgeting.project.pass": _("Passed to the next stage"),
                "budgeting.project.return": _("Returned for revision"),
                "budgeting.project.reject": _("Rejected"),
                "budgeting.project.withdraw": _("Withdrawn"),
                "budgeting.project.approve": _("Approved"),
                "budgeting.line.amount_set": _("Approved amount of a line changed"),
                "budgeting.export.lines": _("Estimate lines exported"),
            }
        )
