from django.urls import path

from budgeting import batch_views, review_views, round_views

app_name = "budgeting"

urlpatterns = [
    path("", review_views.my_tasks, name="tasks"),
    path("tasks.xlsx", review_views.my_tasks_export, name="tasks_export"),
    path("batches/", batch_views.batch_list, name="batches"),
    path("batches/<uuid:public_id>/", batch_views.batch_detail, name="batch"),
    path("batches/<uuid:public_id>/export.xlsx", batch_views.batch_export, name="batch_export"),
    path("batches/<uuid:public_id>/sheet/", batch_views.batch_sheet, name="batch_sheet"),
    path("years/", round_views.year_list, name="years"),
    path("years/<int:year>/", round_views.year_rounds, name="rounds"),
    path("years/<int:year>/advance/", round_views.advance, name="advance_round"),
    path(
        "years/<int:year>/rounds/<int:round_id>/window/",
        round_views.set_window,
        name="round_window",
    ),
    path("<code:code>/", review_views.review_detail, name="review"),
    path("<code:code>/lines/<int:line_id>/cut/", review_views.cut_line, name="cut"),
    path("<code:code>/allow-excess/", review_views.allow_excess, name="allow_excess"),
    path("<code:code>/<slug:action>/", review_views.act, name="act"),
]
