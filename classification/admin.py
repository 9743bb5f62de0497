"""Code lists in Django admin: browse, and import a workbook (all or nothing)."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from accounts.admin_scopes import ProvinceAdminsOnly
from classification.importing import ImportRefusedError, import_codes, read_codes
from classification.models import ClassificationCode


class ImportForm(forms.Form):
    workbook = forms.FileField(
        label=_("Workbook (.xlsx)"),
        help_text=_("One sheet; headings 代码表, 年度, 编码, 名称 in the first row."),
    )


@admin.register(ClassificationCode)
class ClassificationCodeAdmin(ProvinceAdminsOnly, admin.ModelAdmin):
    """The finance core system's code lists, one for the whole province: its admins
    import them (issue #18: a city's admins use them, never change them)."""

    list_display = ["code", "name", "kind", "year"]
    list_filter = ["kind", "year"]
    search_fields = ["code", "name"]
    change_list_template = "classification/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # imported from the finance department's workbook

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # projects may carry the code

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="classification_classificationcode_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        form = ImportForm(request.POST or None, request.FILES or None)
        problems: list[str] = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["workbook"]
            try:
                codes = read_codes(upload, upload.name or "")
            except ImportRefusedError as error:
                problems = [str(problem) for problem in error.problems]
            else:
                result = import_codes(codes, actor=request.user, file_name=upload.name or "")
                messages.success(
                    request,
                    _("%(created)s codes added, %(renamed)s renamed, %(unchanged)s unchanged.")
                    % {
                        "created": result.created,
                        "renamed": result.renamed,
                        "unchanged": result.unchanged,
                    },
                )
                return HttpResponseRedirect(
                    reverse("admin:classification_classificationcode_changelist")
                )
        return TemplateResponse(
            request,
            "classification/import.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Import classification codes"),
                "form": form,
                "problems": problems,
                "opts": self.model._meta,
            },
        )
