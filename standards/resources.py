"""django-import-export resources for fee classes, items and grades (admin only).

Rows name their standard by code (标准编码) and their parents by code within
that standard. Every row is saved through ``standards.services``, so only
drafts change and each change has its history event; import-export's own
transaction makes a file all or nothing. The bulk path for whole workbooks
is ``import_standards`` (see ``excel`` and ``import_service``).
"""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from standards import services
from standards.models import FeeCategory, Grade, ServiceItem, StandardSet

SET_COLUMN = "标准编码"
# These imports save row by row through the services (each with its history
# event), some tens of rows a second: the cap keeps the admin's dry run
# and confirmation each well inside the 30 s request limit
# (benchmarks/test_largest_uploads.py). Whole standards go through the workbook import.
MAX_IMPORT_ROWS = 300


class ScopedCodeWidget(widgets.ForeignKeyWidget):
    """A foreign key by code, looked up within the row's standard (and what it inherits)."""

    def __init__(self, model: Any, scope: str) -> None:
        super().__init__(model, field="code")
        self.scope = scope

    def get_queryset(self, value: Any, row: Any, *args: Any, **kwargs: Any) -> QuerySet[Any]:
        set_code = row.get(SET_COLUMN) if row else None
        return self.model.objects.filter(**{self.scope: set_code})


class ServiceResource(resources.ModelResource):
    """Saves and deletes rows through the services with the importing user as actor."""

    standard_set = fields.Field(
        attribute="standard_set",
        column_name=SET_COLUMN,
        widget=widgets.ForeignKeyWidget(StandardSet, field="code"),
    )

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        if len(dataset) > MAX_IMPORT_ROWS:
            rows = len(dataset)
            # import-export goes on to the rows after this error: leave it none.
            headers = dataset.headers
            dataset.wipe()
            dataset.headers = headers
            raise ValueError(
                _(
                    "The file has %(rows)s rows; this import takes at most %(limit)s. "
                    "Import a whole standard from Excel on the standards page instead."
                )
                % {"rows": rows, "limit": MAX_IMPORT_ROWS}
            )

    def save_instance(self, instance: Any, is_create: bool, row: Any, **kwargs: Any) -> None:
        self.save_through_service(instance, actor=kwargs.get("user"))

    def delete_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
        services.delete_member(instance, actor=kwargs.get("user"))

    def save_through_service(self, instance: Any, *, actor: Any) -> None:
        raise NotImplementedError


class FeeCategoryResource(ServiceResource):
    parent = fields.Field(
        attribute="parent",
        column_name="上级编码",
        widget=ScopedCodeWidget(FeeCategory, "standard_set__code"),
    )

    class Meta:
        model = FeeCategory
        fields = ("standard_set", "code", "name", "parent", "position")
        import_id_fields = ("standard_set", "code")
        skip_unchanged = True
        report_skipped = False

    def save_through_service(self, instance: Any, *, actor: Any) -> None:
        services.save_category(instance, actor=actor)


class ServiceItemResource(ServiceResource):
    category = fields.Field(
        attribute="category",
        column_name="费用类别编码",
        widget=ScopedCodeWidget(FeeCategory, "standard_set__code"),
    )

    class Meta:
        model = ServiceItem
        fields = (
            "standard_set",
            "code",
            "name",
            "category",
            "unit",
            "project_kinds",
            "pricing_method",
            "parameters",
            "description",
            "basis",
            "position",
        )
        import_id_fields = ("standard_set", "code")
        skip_unchanged = True
        report_skipped = False

    def save_through_service(self, instance: Any, *, actor: Any) -> None:
        services.save_item(instance, actor=actor)


class GradeResource(ServiceResource):
    # Grades reach their standard through their item: exported, not imported.
    standard_set = fields.Field(
        attribute="item__standard_set__code", column_name=SET_COLUMN, readonly=True
    )
    item = fields.Field(
        attribute="item",
        column_name="服务内容编码",
        widget=ScopedCodeWidget(ServiceItem, "standard_set__code"),
    )

    class Meta:
        model = Grade
        fields = (
            "standard_set",
            "item",
            "code",
            "name",
            "unit_price",
            "coefficient",
            "range_min",
            "range_max",
            "position",
        )
        import_id_fields = ("item", "code")
        skip_unchanged = True
        report_skipped = False

    def save_through_service(self, instance: Any, *, actor: Any) -> None:
        services.save_grade(instance, actor=actor)
