from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExecutionConfig(AppConfig):
    name = "execution"
    verbose_name = _("Budget execution")

    def ready(self) -> None:
        from audit.labels import register

        register({"execution.batch.recorded": _("Contracts and payments recorded")})
