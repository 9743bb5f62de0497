from django.urls import path

from projects import estimate_import_views, line_views, views

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("export.xlsx", views.project_export, name="export"),
    path("new/", views.project_create, name="create"),
    path("<str:code>/", views.project_detail, name="detail"),
    path("<str:code>/edit/", views.project_edit, name="edit"),
    path("<str:code>/lines/new/", line_views.line_add, name="line_add"),
    path(
        "<str:code>/lines/new/non-standard/",
        line_views.line_add_non_standard,
        name="line_add_non_standard",
    ),
    path("<str:code>/lines/<int:line_id>/edit/", line_views.line_edit, name="line_edit"),
    path("<str:code>/lines/<int:line_id>/remove/", line_views.line_remove, name="line_remove"),
    path("<str:code>/lines/preview/", line_views.line_preview, name="line_preview"),
    path("<str:code>/lines/reprice/", line_views.line_reprice, name="line_reprice"),
    path(
        "<str:code>/estimate/template.xlsx",
        estimate_import_views.estimate_template,
        name="estimate_template",
    ),
    path(
        "<str:code>/estimate/import/",
        estimate_import_views.estimate_import,
        name="estimate_import",
    ),
    path(
        "<str:code>/estimate/import/<str:token>/",
        estimate_import_views.estimate_import_preview,
        name="estimate_import_preview",
    ),
    path("<str:code>/targets/", views.target_add, name="target_add"),
    path("<str:code>/targets/<int:target_id>/remove/", views.target_remove, name="target_remove"),
    path("<str:code>/documents/", views.attachment_add, name="attachment_add"),
    path("<str:code>/documents/<uuid:public_id>/", views.attachment_download, name="attachment"),
    path(
        "<str:code>/documents/<uuid:public_id>/remove/",
        views.attachment_remove,
        name="attachment_remove",
    ),
]
