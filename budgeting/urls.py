from django.urls import path

from budgeting import (
    batch_views,
    figure_views,
    procurement_views,
    review_views,
    round_views,
)

app_name = "budgeting"

urlpatterns = [
    path("", review_views.my_tasks, name="tasks"),
    path("tasks.xlsx", review_views.my_tasks_export, name="tasks_export"),
    path("batches/", batch_views.batch_list, name="batches"),
    path("batches/approved/", batch_views.approved_batches, name="approved_batches"),
    path("batches/<uuid:public_id>/", batch_views.batch_detail, name="batch"),
    path("batches/<uuid:public_id>/export.xlsx", batch_views.batch_export, name="batch_export"),
    path("batches/<uuid:public_id>/sheet/", batch_views.batch_sheet, name="batch_sheet"),
    # Single-source procurement approval (单一来源采购审批), issue #17.
    path("procurement/", procurement_views.batch_list, name="procurement_batches"),
    path("procurement/new/", procurement_views.batch_create, name="procurement_create"),
    path(
        "procurement/<uuid:public_id>/",
        procurement_views.batch_detail,
        name="procurement_batch",
    ),
    path(
        "procurement/<uuid:public_id>/sheet/",
        procurement_views.batch_sheet,
        name="procurement_sheet",
    ),
    path(
        "procurement/<uuid:public_id>/export.xlsx",
        procurement_views.batch_export,
        name="procurement_export",
    ),
    path(
        "procurement/<uuid:public_id>/<slug:action>/",
        procurement_views.batch_act,
        name="procurement_act",
    ),
    path("years/", round_views.year_list, name="years"),
    path("years/<int:year>/", round_views.year_rounds, name="rounds"),
    path("years/<int:year>/advance/", round_views.advance, name="advance_round"),
    path(
        "years/<int:year>/rounds/<int:round_id>/window/",
        round_views.set_window,
        name="round_window",
    ),
    # Control figures (控制数): before the project codes, which "figures" would match.
    path("figures/", figure_views.figures_latest, name="figures_latest"),
    path("figures/<int:year>/", figure_views.figure_overview, name="figures"),
    path("figures/<int:year>/drafts/", figure_views.draft_create, name="figure_draft_create"),
    path("figures/<int:year>/compare/", figure_views.draft_compare, name="figure_compare"),
    path("figures/drafts/<uuid:public_id>/", figure_views.draft_detail, name="figure_draft"),
    path(
        "figures/drafts/<uuid:public_id>/template.xlsx",
        figure_views.draft_template,
        name="figure_draft_template",
    ),
    path(
        "figures/drafts/<uuid:public_id>/upload/",
        figure_views.draft_upload,
        name="figure_draft_upload",
    ),
    path("figures/drafts/<uuid:public_id>/issue/", figure_views.draft_issue, name="figure_issue"),
    path("<code:code>/", review_views.review_detail, name="review"),
    path("<code:code>/lines/<int:line_id>/cut/", review_views.cut_line, name="cut"),
    path("<code:code>/allow-excess/", review_views.allow_excess, name="allow_excess"),
    path("<code:code>/<slug:action>/", review_views.act, name="act"),
]
