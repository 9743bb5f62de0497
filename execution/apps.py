from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExecutionConfig(AppConfig):
    name = "execution"
    verbose_name = _("Budget execution")

    def ready(self) -> None:
        from audit.labels import register
        from execution import demo, receivers  # noqa: F401  # connects their receivers

        register(
            {
                "execution.batch.recorded": _("Contracts and payments recorded"),
                "execution.contract.recorded": _("Contract recorded"),
                "execution.payment.recorded": _("Payment recorded"),
                "execution.target.set": _("Execution target set"),
                "execution.carry_over.requested": _("Carry-over requested"),
                "execution.carry_over.approved": _("Carry-over approved"),
                "execution.carry_over.refused": _("Carry-over refused"),
                "execution.project.closed": _("Project closed"),
            }
        )
