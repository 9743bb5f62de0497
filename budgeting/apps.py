from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BudgetingConfig(AppConfig):
    """The review workflow: cycles, stages, reviews, decisions, batches, control figures."""

    name = "budgeting"
    verbose_name = _("Budgeting")

    def ready(self) -> None:
        from audit.labels import register, register_details
        from budgeting import receivers  # noqa: F401  (connects the signal receivers)
        from budgeting.history import DESCRIBERS

        register_details(DESCRIBERS)

        register(
            {
                "budgeting.project.submit": _("Submitted"),
                "budgeting.project.pass": _("Passed to the next stage"),
                "budgeting.project.return": _("Returned for revision"),
                "budgeting.project.reject": _("Rejected"),
                "budgeting.project.withdraw": _("Withdrawn"),
                "budgeting.project.approve": _("Approved"),
                "budgeting.line.amount_set": _("Approved amount of a line changed"),
                "budgeting.project.excess_allowed": _("Allowed over the control figure"),
                "budgeting.figure_draft.created": _("Control figure draft created"),
                "budgeting.figure_draft.changed": _("Control figure draft changed"),
                "budgeting.control_figures.issued": _("Control figures issued"),
                "budgeting.procurement.added": _("Added to a single-source procurement batch"),
                "budgeting.procurement.removed": _(
                    "Taken out of a single-source procurement batch"
                ),
                "budgeting.procurement.approved": _("Single-source procurement approved"),
                "budgeting.procurement.withdrawn": _(
                    "Single-source procurement approval withdrawn"
                ),
                "budgeting.procurement_batch.created": _("Procurement batch created"),
                "budgeting.procurement_batch.approved": _("Procurement batch approved"),
                "budgeting.project.declare": _("Declared for a budget year"),
                "budgeting.project.continued": _("Continued into a later year"),
                "budgeting.project.return_to_reserve": _("Returned to the project library"),
            }
        )
