from collections.abc import Callable

from django.contrib import admin
from django.http import HttpResponseBase
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from api.endpoints import api
from ops.views import healthz
from reports.home_views import home

# A database connection error raised in a middleware gets the 503 page too (ops/outage.py),
# as does a session that could not be saved for it (a 400 otherwise).
handler400 = "ops.outage.bad_request"
handler500 = "ops.outage.server_error"
# JSON under /api/, the site's page elsewhere.
handler404 = "api.endpoints.not_found_page"

admin.site.site_header = _("IT project budgeting · administration")
admin.site.site_title = _("IT project budgeting")


def moved(pattern_name: str) -> Callable[..., HttpResponseBase]:
    """A permanent redirect from a report's old address under /review/ (bookmarks, mails)."""
    return RedirectView.as_view(pattern_name=pattern_name, permanent=True, query_string=True)


# The reports lived under /review/ until they got their own app; their old addresses
# still answer, before budgeting's /review/<code>/ could take them for a project code.
legacy_report_urls = [
    path("summary/", moved("reports:summary")),
    path("summary/export.xlsx", moved("reports:summary_export")),
    path("summary/review/", moved("reports:review_figures")),
    path("summary/waterfall.xlsx", moved("reports:waterfall_export")),
    path("summary/cut-reasons.xlsx", moved("reports:cut_reasons_export")),
    path("summary/open-data.zip", moved("reports:open_data")),
    path("exports/<uuid:public_id>/", moved("reports:export")),
    path("exports/<uuid:public_id>/download/", moved("reports:export_download")),
]

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("projects/library/", include("budgeting.library_urls")),
    path("projects/", include("projects.urls")),
    path("review/", include(legacy_report_urls)),
    path("review/", include("budgeting.urls")),
    path("reports/", include("reports.urls")),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("standards/", include("standards.urls")),
    path("inventory/", include("inventory.urls")),
    path("execution/", include("execution.urls")),
    # The API for other systems: /api/v1/..., /api/schema/, /api/docs/ (docs/api.md).
    path("api/", api.urls),
]
