from django.urls import path

from reports import derivation_views, export_views, plan_views, province_views, views

app_name = "reports"

urlpatterns = [
    path("summary/", views.summary, name="summary"),
    path("summary/export.xlsx", views.summary_export, name="summary_export"),
    path("summary/rounds.xlsx", views.rounds_export, name="rounds_export"),
    path("summary/review/", views.review_figures, name="review_figures"),
    path("summary/waterfall.xlsx", views.waterfall_export, name="waterfall_export"),
    path("summary/cut-reasons.xlsx", views.cut_reasons_export, name="cut_reasons_export"),
    path("summary/lines/", export_views.lines_export, name="lines_export"),
    path("summary/open-data.zip", views.open_data_package, name="open_data"),
    path("province/", province_views.province_rollup, name="province"),
    path("province/export.xlsx", province_views.province_export, name="province_export"),
    path("inventory/", views.inventory_spend, name="inventory_spend"),
    path("inventory/export.xlsx", views.inventory_spend_export, name="inventory_spend_export"),
    path("plan/", plan_views.plan_vs_request_page, name="plan_vs_request"),
    path("plan/export.xlsx", plan_views.plan_vs_request_export, name="plan_vs_request_export"),
    path("derivations/", derivation_views.derivations_page, name="derivations"),
    path(
        "derivations/export.xlsx",
        derivation_views.derivations_export,
        name="derivations_export",
    ),
    path(
        "derivations/<code:code>/<code:item_code>/",
        derivation_views.derivation_projects,
        name="derivation_projects",
    ),
    path("exports/<uuid:public_id>/", export_views.export_status, name="export"),
    path(
        "exports/<uuid:public_id>/download/", export_views.export_download, name="export_download"
    ),
]
