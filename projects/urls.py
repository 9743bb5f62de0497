from django.urls import path

from projects import (
    estimate_import_views,
    inventory_views,
    line_views,
    procurement_views,
    views,
)

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("export.xlsx", views.project_export, name="export"),
    path("new/", views.project_create, name="create"),
    path("new/reserve/", views.reserve_create, name="create_reserve"),
    path("<code:code>/", views.project_detail, name="detail"),
    path("<code:code>/edit/", views.project_edit, name="edit"),
    path(
        "<code:code>/procurement/",
        procurement_views.procurement_change,
        name="procurement_change",
    ),
    path("<code:code>/lines/new/", line_views.line_add, name="line_add"),
    path(
        "<code:code>/lines/new/non-standard/",
        line_views.line_add_non_standard,
        name="line_add_non_standard",
    ),
    path("<code:code>/lines/<int:line_id>/edit/", line_views.line_edit, name="line_edit"),
    path("<code:code>/lines/<int:line_id>/remove/", line_views.line_remove, name="line_remove"),
    path("<code:code>/lines/preview/", line_views.line_preview, name="line_preview"),
    path("<code:code>/lines/reprice/", line_views.line_reprice, name="line_reprice"),
    path(
        "<code:code>/lines/from-inventory/",
        inventory_views.lines_from_inventory,
        name="inventory_lines",
    ),
    path(
        "<code:code>/estimate/template.xlsx",
        estimate_import_views.estimate_template,
        name="estimate_template",
    ),
    path(
        "<code:code>/estimate/import/",
        estimate_import_views.estimate_import,
        name="estimate_import",
    ),
    path(
        "<code:code>/estimate/import/<token:token>/",
        estimate_import_views.estimate_import_preview,
        name="estimate_import_preview",
    ),
    path("<code:code>/targets/", views.target_add, name="target_add"),
    path("<code:code>/targets/<int:target_id>/remove/", views.target_remove, name="target_remove"),
    path("<code:code>/documents/", views.attachment_add, name="attachment_add"),
    path("<code:code>/documents/<uuid:public_id>/", views.attachment_download, name="attachment"),
    path(
        "<code:code>/documents/<uuid:public_id>/remove/",
        views.attachment_remove,
        name="attachment_remove",
    ),
]
