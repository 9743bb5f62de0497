from django.urls import path

from budgeting import batch_views, export_views, report_views, review_views

app_name = "budgeting"

urlpatterns = [
    path("", review_views.my_tasks, name="tasks"),
    path("tasks.xlsx", review_views.my_tasks_export, name="tasks_export"),
    path("summary/", report_views.summary, name="summary"),
    path("summary/export.xlsx", report_views.summary_export, name="summary_export"),
    path("summary/review/", report_views.review_figures, name="review_figures"),
    path("summary/waterfall.xlsx", report_views.waterfall_export, name="waterfall_export"),
    path("summary/cut-reasons.xlsx", report_views.cut_reasons_export, name="cut_reasons_export"),
    path("summary/lines/", export_views.lines_export, name="lines_export"),
    path("exports/<uuid:public_id>/", export_views.export_status, name="export"),
    path(
        "exports/<uuid:public_id>/download/", export_views.export_download, name="export_download"
    ),
    path("summary/open-data.zip", report_views.open_data_package, name="open_data"),
    path("batches/", batch_views.batch_list, name="batches"),
    path("batches/<uuid:public_id>/", batch_views.batch_detail, name="batch"),
    path("batches/<uuid:public_id>/export.xlsx", batch_views.batch_export, name="batch_export"),
    path("<str:code>/", review_views.review_detail, name="review"),
    path("<str:code>/lines/<int:line_id>/cut/", review_views.cut_line, name="cut"),
    path("<str:code>/<str:action>/", review_views.act, name="act"),
]
