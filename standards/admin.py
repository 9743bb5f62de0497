"""Django admin for the standards: system admins only (``User.save`` makes them staff).

Every write goes through ``standards.services``; a published or retired set
and its contents are shown read-only.
"""

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from import_export.formats import base_formats
from import_export.forms import ImportForm as ImportExportForm

from accounts.admin_scopes import AdministeredRows
from accounts.models import User
from accounts.permissions import administered_scope, administers_province, jurisdiction_of
from standards import excel, import_service, services
from standards.forms import ImportForm
from standards.models import FeeCategory, Grade, ServiceItem, SetStatus, StandardSet
from standards.permissions import can_manage_set, can_manage_standards
from standards.resources import FeeCategoryResource, GradeResource, ServiceItemResource
from ui.excel import write_table, xlsx_response
from ui.uploads import check_package


class SafeXLSX(base_formats.XLSX):
    """import-export's Excel format, written by the one formula-safe writer: a name
    typed as ``=HYPERLINK(...)`` comes out as text, not as a formula."""

    def export_data(self, dataset: Any, **kwargs: Any) -> bytes:
        return write_table(dataset.title or "Sheet", dataset.headers or [], list(dataset))


class CheckedImportForm(ImportExportForm):
    """import-export's upload form, with the package check of every upload for a file
    read as a workbook (by the format chosen, its name or its content) before openpyxl
    opens it."""

    def __init__(self, formats: list[type[base_formats.Format]], *args: Any, **kwargs: Any):
        super().__init__(formats, *args, **kwargs)
        self.format_classes = list(formats)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        upload = cleaned.get("import_file")
        if upload is not None and self._is_workbook(upload, cleaned.get("format")):
            try:
                check_package(upload, upload.name or "", kind=".xlsx")
            except ValidationError as error:
                self.add_error("import_file", error)
        return cleaned

    def _is_workbook(self, upload: Any, chosen: Any) -> bool:
        try:
            format_class = self.format_classes[int(chosen)]
        except (TypeError, ValueError, IndexError):
            format_class = None
        is_zip = zipfile.is_zipfile(upload)
        upload.seek(0)
        suffix = Path(upload.name or "").suffix.lower()
        return is_zip or suffix != ".csv" or format_class is SafeXLSX


class StandardsAdminMixin(AdministeredRows):
    """Only system admins, each of the sets of the jurisdiction they administer (the
    province's admins every set: ``AdministeredRows`` by ``jurisdiction_path``, the way
    from the row to its set); changes only while the owning set is a draft. Imports read
    CSV or checked workbooks; exports are workbooks from the formula-safe writer (a CSV
    would let a spreadsheet run a formula typed into a name)."""

    jurisdiction_path = "standard_set"

    import_formats = [base_formats.CSV, SafeXLSX]
    export_formats = [SafeXLSX]
    import_form_class = CheckedImportForm

    def owning_set(self, obj: Any) -> StandardSet:
        raise NotImplementedError

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_manage_standards(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_manage_standards(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return can_manage_standards(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not can_manage_standards(request.user):
            return False
        if obj is None:
            return True
        owner = self.owning_set(obj)
        return owner.status == SetStatus.DRAFT and can_manage_set(request.user, owner)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)

    def has_import_permission(self, request: HttpRequest) -> bool:
        # Rows name their set by code, any set's: the province's admins alone import
        # them row-wise; a city's admins import a whole set of theirs (StandardSetAdmin).
        return can_manage_standards(request.user) and administers_province(request.user)

    def has_export_permission(self, request: HttpRequest) -> bool:
        return can_manage_standards(request.user)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # Offer only what the services accept: drafts to add to, published sets to derive from.
        # Drafts of the admin's own jurisdiction; a base from any jurisdiction above.
        own = administered_scope(request.user, "")
        choices = {
            "standard_set": StandardSet.objects.filter(own, status=SetStatus.DRAFT),
            "base": StandardSet.objects.filter(status=SetStatus.PUBLISHED),
            "item": ServiceItem.objects.filter(
                administered_scope(request.user, "standard_set"),
                standard_set__status=SetStatus.DRAFT,
            ),
        }
        if db_field.name in choices:
            kwargs["queryset"] = choices[db_field.name]
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        # One by one through the services, so each deletion is checked and recorded.
        for obj in queryset:
            self.delete_model(request, obj)  # type: ignore[attr-defined]

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _refusals_as_messages(super().changeform_view, request, *args, **kwargs)  # type: ignore[misc]

    def delete_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _refusals_as_messages(super().delete_view, request, *args, **kwargs)  # type: ignore[misc]

    def export_action(self, request: HttpRequest) -> HttpResponse:
        """import-export exports what the changelist's filters in the address select, but
        unlike the changelist it let a parameter that is no filter raise (``?year=1``, a
        500, issue #15): answered as the changelist answers it, with the page again
        without them (``?e=1``)."""
        try:
            return super().export_action(request)  # type: ignore[misc]
        except IncorrectLookupParameters:
            return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")


def _refusals_as_messages(view: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
    """A service's refusal after the form was valid (the set was published meanwhile):
    Django ran the save in one transaction, now rolled back; say why, not a 500."""
    try:
        return view(request, *args, **kwargs)
    except services.StandardsError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(request.get_full_path())


class GradeInline(StandardsAdminMixin, admin.TabularInline):
    model = Grade
    jurisdiction_path = "item__standard_set"
    extra = 0
    fields = ["code", "name", "unit_price", "coefficient", "range_min", "range_max", "position"]

    def owning_set(self, obj: Any) -> StandardSet:
        # For inlines Django passes the parent item.
        return obj.standard_set if isinstance(obj, ServiceItem) else obj.item.standard_set


@admin.register(StandardSet)
class StandardSetAdmin(StandardsAdminMixin, admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "region",
        "version_label",
        "effective_from",
        "effective_to",
        "status",
        "base",
    ]
    list_filter = ["status", "region"]
    search_fields = ["code", "name", "region"]
    list_select_related = ["base"]
    readonly_fields = ["status", "previous_version", "created_at", "published_at"]
    actions = ["publish", "retire", "copy"]

    jurisdiction_path = ""

    def owning_set(self, obj: StandardSet) -> StandardSet:
        return obj

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="standards_standardset_import",
            ),
            path(
                "<path:object_id>/export/",
                self.admin_site.admin_view(self.export_view),
                name="standards_standardset_export",
            ),
        ]
        return own + super().get_urls()

    def export_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Download the set as a workbook (the same file export_standards writes)."""
        if not can_manage_standards(request.user):
            raise PermissionDenied
        standard_set = get_object_or_404(
            self.get_queryset(request).select_related("base"), pk=object_id
        )
        buffer = io.BytesIO()
        excel.write_workbook(standard_set, buffer)
        return xlsx_response(buffer.getvalue(), f"{standard_set.code}.xlsx")

    def import_view(self, request: HttpRequest) -> TemplateResponse:
        """Upload a workbook into a draft: a dry run shows the changes, a real run makes them."""
        if not can_manage_standards(request.user):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        report = issues = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            suffix = Path(upload.name).suffix.lower()
            with tempfile.NamedTemporaryFile(suffix=suffix) as temporary:
                for chunk in upload.chunks():
                    temporary.write(chunk)
                temporary.flush()
                try:
                    report = import_service.import_catalogue(
                        form.cleaned_data["code"],
                        excel.read_workbook(temporary.name, upload.name),
                        actor=_actor(request),
                        dry_run=form.cleaned_data["dry_run"],
                        source=upload.name,
                        jurisdiction=jurisdiction_of(request.user),
                    )
                except excel.WorkbookError as error:
                    issues = error.issues
                except services.StandardsError as error:
                    form.add_error("code", error.message)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import a standard from Excel"),
            "form": form,
            "report": report,
            "issues": issues,
        }
        return TemplateResponse(request, "admin/standards/standardset/import.html", context)

    def save_model(self, request: HttpRequest, obj: StandardSet, form: Any, change: bool) -> None:
        services.save_set(obj, actor=_actor(request))

    def delete_model(self, request: HttpRequest, obj: StandardSet) -> None:
        services.delete_set(obj, actor=_actor(request))

    @admin.action(description=_("Publish the selected drafts"))
    def publish(self, request: HttpRequest, queryset: QuerySet[StandardSet]) -> None:
        self._each(request, queryset, services.publish_set, _("Published %s."))

    @admin.action(description=_("Retire the selected published standards"))
    def retire(self, request: HttpRequest, queryset: QuerySet[StandardSet]) -> None:
        self._each(request, queryset, services.retire_set, _("Retired %s."))

    @admin.action(description=_("Copy to a new draft version"))
    def copy(self, request: HttpRequest, queryset: QuerySet[StandardSet]) -> None:
        def copy_one(standard_set: StandardSet, *, actor: Any) -> StandardSet:
            code = _free_code(standard_set.code)
            return services.copy_to_new_version(
                standard_set,
                code=code,
                version_label=f"{standard_set.version_label} ({code})",
                effective_from=timezone.localdate(),
                actor=actor,
            )

        self._each(request, queryset, copy_one, _("Copied %s to a new draft."))

    def _each(self, request: HttpRequest, queryset: Any, service: Any, done: Any) -> None:
        succeeded = 0
        for standard_set in queryset:
            try:
                service(standard_set, actor=_actor(request))
            except services.StandardsError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                succeeded += 1
                self.message_user(request, done % standard_set.code, messages.SUCCESS)
        if not succeeded:
            self.message_user(request, _("Nothing changed."), messages.WARNING)


@admin.register(FeeCategory)
class FeeCategoryAdmin(StandardsAdminMixin, ImportExportModelAdmin):
    resource_classes = [FeeCategoryResource]
    list_display = ["code", "name", "parent", "standard_set", "position"]
    list_filter = ["standard_set"]
    search_fields = ["code", "name"]
    list_select_related = ["parent", "standard_set"]

    def owning_set(self, obj: FeeCategory) -> StandardSet:
        return obj.standard_set

    def save_model(self, request: HttpRequest, obj: FeeCategory, form: Any, change: bool) -> None:
        services.save_category(obj, actor=_actor(request))

    def delete_model(self, request: HttpRequest, obj: FeeCategory) -> None:
        services.delete_member(obj, actor=_actor(request))


@admin.register(ServiceItem)
class ServiceItemAdmin(StandardsAdminMixin, ImportExportModelAdmin):
    resource_classes = [ServiceItemResource]
    list_display = ["code", "name", "category", "unit", "pricing_method", "standard_set"]
    list_filter = ["standard_set", "pricing_method", "unit"]
    search_fields = ["code", "name"]
    list_select_related = ["category", "standard_set"]
    inlines = [GradeInline]
    # An override or a local item by its code against the base (``services.save_item``).
    readonly_fields = ["derivation"]

    def owning_set(self, obj: ServiceItem) -> StandardSet:
        return obj.standard_set

    def save_model(self, request: HttpRequest, obj: ServiceItem, form: Any, change: bool) -> None:
        services.save_item(obj, actor=_actor(request))

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        grades = formset.save(commit=False)
        for grade in formset.deleted_objects:
            services.delete_member(grade, actor=_actor(request))
        for grade in grades:
            grade.item = form.instance
            services.save_grade(grade, actor=_actor(request))

    def delete_model(self, request: HttpRequest, obj: ServiceItem) -> None:
        services.delete_member(obj, actor=_actor(request))


def _actor(request: HttpRequest) -> User:
    # has_*_permission let only active system admins this far.
    return request.user  # type: ignore[return-value]


def _free_code(code: str) -> str:
    """The first of CODE-V2, CODE-V3, ... that no set uses yet."""
    stem = code.rsplit("-V", 1)[0]
    taken = set(StandardSet.objects.filter(code__startswith=stem).values_list("code", flat=True))
    number = 2
    while f"{stem}-V{number}" in taken:
        number += 1
    return f"{stem}-V{number}"


@admin.register(Grade)
class GradeAdmin(StandardsAdminMixin, ImportExportModelAdmin):
    """Grades are edited with their item; this list is for import and export."""

    resource_classes = [GradeResource]
    jurisdiction_path = "item__standard_set"
    list_display = ["code", "name", "item", "unit_price", "coefficient", "range_min", "range_max"]
    list_filter = ["item__standard_set"]
    search_fields = ["code", "name", "item__code", "item__name"]
    list_select_related = ["item__standard_set"]

    def owning_set(self, obj: Grade) -> StandardSet:
        return obj.item.standard_set

    def save_model(self, request: HttpRequest, obj: Grade, form: Any, change: bool) -> None:
        services.save_grade(obj, actor=_actor(request))

    def delete_model(self, request: HttpRequest, obj: Grade) -> None:
        services.delete_member(obj, actor=_actor(request))
