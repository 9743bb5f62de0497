"""What the reports app keeps: large exports written in the background, and the
summary's kept totals."""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExportState(models.TextChoices):
    QUEUED = "queued", _("Waiting for the worker")
    RUNNING = "running", _("Being written")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class ExportJob(models.Model):
    """A large Excel export written in the background (``reports.export_jobs``).

    The requester watches its progress and downloads the file; nobody else sees
    either. The file lives in the shared media storage for ``export_jobs.KEEP``.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("budget year"))
    # The workbook's headings and state names are in the requester's language.
    language = models.CharField(max_length=10)
    state = models.CharField(
        _("state"), max_length=10, choices=ExportState.choices, default=ExportState.QUEUED
    )
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/%Y/%m/", blank=True)
    error = models.TextField(blank=True)
    # The worker process writing it (ops.workers.this_process()), so a worker starting
    # on the same machine can tell that it died and fail the export at once.
    worker = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Moves with every progress step: an unfinished job that stops moving has lost its worker.
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at"]
        # Created by budgeting's migrations before this app existed: same table and index.
        db_table = "budgeting_exportjob"
        indexes = [
            models.Index(
                fields=["requested_by", "year", "state"], name="budgeting_e_request_721898_idx"
            )
        ]

    def __str__(self) -> str:
        return f"estimate-lines-{self.year}"

    @property
    def filename(self) -> str:
        return f"estimate-lines-{self.year}.xlsx"

    @property
    def is_finished(self) -> bool:
        return self.state in (ExportState.DONE, ExportState.FAILED)

    @property
    def percent(self) -> int:
        if self.state == ExportState.DONE:
            return 100
        if not self.rows_total:
            return 0
        # 95 at most while rows are written: packing the workbook takes the rest.
        return min(95, self.rows_done * 95 // self.rows_total)


# Sums of a year's projects: larger than any one project's amount (``money_field``).
TOTAL_DIGITS = 20


# What a cell is keyed by besides its year: the project's fields the summary groups or
# scopes by, and the fee class (empty on a row of projects).
CELL_KEYS = (
    "organization",
    "reached_roles",
    "kind",
    "continuity",
    "managed_by_data_admin",
    "budget_category",
    "procurement_method",
    "state",
    "functional_code",
    "economic_government_code",
    "economic_department_code",
    "fund_type_code",
    "fund_source_code",
    "fee_class",
)


class CellFigures(models.Model):
    """The keys and the figures a cell and a project's share of it have in common."""

    budget_year = models.PositiveSmallIntegerField()
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    reached_roles = ArrayField(models.CharField(max_length=32), default=list)
    kind = models.CharField(max_length=20)
    continuity = models.CharField(max_length=20)
    managed_by_data_admin = models.BooleanField()
    budget_category = models.CharField(max_length=40)
    procurement_method = models.CharField(max_length=40)
    state = models.CharField(max_length=20)
    # The ids of the project's classification codes (issue #20), as the project's own
    # fields hold them, so the summary groups the cells by them as it groups projects.
    functional_code = models.BigIntegerField(null=True)
    economic_government_code = models.BigIntegerField(null=True)
    economic_department_code = models.BigIntegerField(null=True)
    fund_type_code = models.BigIntegerField(null=True)
    fund_source_code = models.BigIntegerField(null=True)
    fee_class = models.CharField(max_length=100, blank=True)
    # Plain integers: the triggers add a change as one signed delta (see reports.cells).
    projects = models.IntegerField()
    # Of a project row: how many of its projects have a line (the fee classes' total).
    with_lines = models.IntegerField(default=0)
    requested = models.DecimalField(max_digits=TOTAL_DIGITS, decimal_places=2)
    approved = models.DecimalField(max_digits=TOTAL_DIGITS, decimal_places=2)
    requested_of_decided = models.DecimalField(max_digits=TOTAL_DIGITS, decimal_places=2)
    # Of a fee class row: its lines once every stage so far has decided (审核数, the
    # province's roll-up), whatever the project's state; 0 on a project row.
    reviewed = models.DecimalField(max_digits=TOTAL_DIGITS, decimal_places=2, default=0)

    class Meta:
        abstract = True


class SummaryCell(CellFigures):
    """The budget summary's totals, kept (issue #21): one row per combination of a
    project's classification, unit, reached review stages and state in a budget year
    (``fee_class`` empty), and one per such combination and fee class of its lines.

    The fields carry the names of the project's own, so the summary's groupings and the
    project list's scope filters (``projects.permissions.project_scope``) apply to the
    cells as they are. Kept current by PostgreSQL triggers in the transaction of every
    write to projects, lines and line decisions (``reports.cells``), so they are always
    the database's figures."""

    # The unit's jurisdiction, kept with the cell (``reports_summary_fold``) and moved with
    # its unit (``reports_move_units``), so a reviewer's cells are read by an index on it
    # instead of reading the whole province's year and joining the units (issue #21).
    jurisdiction = models.ForeignKey(
        "accounts.Jurisdiction", on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        indexes = [
            models.Index(fields=["budget_year", "fee_class"], name="summary_cell_year"),
            models.Index(
                fields=["budget_year", "jurisdiction", "fee_class"],
                name="summary_cell_jurisdiction",
            ),
            # The cells a change emptied, deleted after it.
            models.Index(fields=["id"], condition=models.Q(projects=0), name="summary_cell_empty"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["budget_year", *CELL_KEYS], name="summary_cell_keys", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        return f"{self.budget_year} {self.organization_id} {self.fee_class or '-'}"


class SummaryShare(CellFigures):
    """What one project adds to the cells now: its row of projects and a row per fee
    class of its lines, and a row per submission round it has figures in (``round_id``
    set: these go to the ``UnitCell`` alone). A change subtracts the project's shares
    from the cells and adds its shares counted afresh, so the triggers never need the
    rows as they were."""

    project_id = models.BigIntegerField(db_index=True)
    # A round's row (``UnitCell``): the round, and the state recorded when the project
    # left it (``RoundResult.state``), or "" while it is still in it (live).
    round_id = models.BigIntegerField(null=True)
    recorded_state = models.CharField(max_length=20, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.project_id} {self.fee_class or '-'}"


# What a unit cell is keyed by besides its year: what the user's scope filters on
# (``projects.permissions.project_scope``: the unit, the reached stages and the state),
# the fee class, and for a round's figures the round and the state recorded in it.
UNIT_CELL_KEYS = (
    "organization",
    "reached_roles",
    "state",
    "fee_class",
    "round_id",
    "recorded_state",
)


class UnitCell(models.Model):
    """The summary's default view and round columns, kept coarse (issue #21): the
    ``SummaryCell`` rows summed over everything the scope does not filter on (one row
    per unit, reached stages, state and fee class: a number that does not grow with the
    projects), and the round columns' figures (两上两下, ``reports.rounds``) per unit,
    reached stages, state and submission round (``round_id`` set; ``recorded_state``
    the state recorded when the project left the round, "" while it is in it).

    Kept by the same fold as the cells, in the write's transaction, from the projects'
    shares (``SummaryShare``), so every figure is the sum of its projects' after every
    write; triggers on the reviews (a project's round) and the round results fold their
    projects too."""

    budget_year = models.PositiveSmallIntegerField()
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    jurisdiction = models.ForeignKey(
        "accounts.Jurisdiction", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    reached_roles = ArrayField(models.CharField(max_length=32), default=list)
    state = models.CharField(max_length=20)
    fee_class = models.CharField(max_length=100, blank=True)
    round_id = models.BigIntegerField(null=True)
    recorded_state = models.CharField(max_length=20, blank=True, default="")
    projects = models.IntegerField()
    with_lines = models.IntegerField(default=0)
    requested = models.DecimalField(max_digits=TOTAL_DIGITS, decimal_places=2)
    approved = models.DecimalField(max_digits=TOTAL_DIGITS, decimal_places=2)
    requested_of_decided = models.DecimalField(max_digits=TOTAL_DIGITS, decimal_places=2)
    # Of a fee class row: its lines after every review so far; of a round's row: the
    # reviewed figure (recorded, or live the project's lines after the reviews so far).
    reviewed = models.DecimalField(max_digits=TOTAL_DIGITS, decimal_places=2, default=0)

    class Meta:
        indexes = [
            models.Index(
                fields=["budget_year", "jurisdiction", "fee_class"], name="unit_cell_jurisdiction"
            ),
            models.Index(fields=["id"], condition=models.Q(projects=0), name="unit_cell_empty"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["budget_year", *UNIT_CELL_KEYS], name="unit_cell_keys", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        return f"{self.budget_year} {self.organization_id} {self.round_id or self.fee_class or '-'}"


class RollUpCell(models.Model):
    """The province's roll-up's totals, kept (issue #18): the estimate lines of a budget
    year summed per jurisdiction of their project's unit, kind, state and fee class. A
    few thousand rows for the whole province, however many projects and lines, so the
    roll-up (``reports.province``) reads them instead of summing the year's lines.

    Kept by the same triggers as the summary's cells, in the write's transaction: each
    change to the cells is added here too (``reports_summary_fold``), and a unit moved
    to another jurisdiction moves its cells' figures (``reports_move_unit``)."""

    budget_year = models.PositiveSmallIntegerField()
    jurisdiction = models.ForeignKey(
        "accounts.Jurisdiction", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20)
    state = models.CharField(max_length=20)
    fee_class = models.CharField(max_length=100, blank=True)
    # How many projects have a line here: the row goes when it falls to 0.
    projects = models.IntegerField()
    requested = models.DecimalField(max_digits=TOTAL_DIGITS, decimal_places=2)
    reviewed = models.DecimalField(max_digits=TOTAL_DIGITS, decimal_places=2)

    class Meta:
        indexes = [
            models.Index(fields=["id"], condition=models.Q(projects=0), name="roll_up_cell_empty")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["budget_year", "jurisdiction", "kind", "state", "fee_class"],
                name="roll_up_cell_keys",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.budget_year} {self.jurisdiction_id} {self.kind} {self.state} {self.fee_class}"
        )
