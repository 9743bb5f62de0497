from django.urls import path

from inventory import views

app_name = "inventory"

urlpatterns = [
    path("", views.index, name="index"),
    path("baseline/", views.baseline_report, name="baseline"),
    path("baseline.xlsx", views.baseline_export, name="baseline_export"),
    path("surveys/new/", views.campaign_open, name="campaign_open"),
    path("surveys/<uuid:public_id>/", views.campaign_detail, name="campaign"),
    path("surveys/<uuid:public_id>/remind/", views.campaign_remind, name="campaign_remind"),
    path("units/<uuid:public_id>/", views.survey_detail, name="survey"),
    path("units/<uuid:public_id>/rows/<slug:kind>/new/", views.row_add, name="row_add"),
    path(
        "units/<uuid:public_id>/rows/<slug:kind>/<int:row_id>/edit/",
        views.row_edit,
        name="row_edit",
    ),
    path(
        "units/<uuid:public_id>/rows/<slug:kind>/<int:row_id>/history/",
        views.row_history,
        name="row_history",
    ),
    path(
        "units/<uuid:public_id>/rows/<slug:kind>/<int:row_id>/remove/",
        views.row_remove,
        name="row_remove",
    ),
    path("units/<uuid:public_id>/act/<slug:action>/", views.survey_act, name="survey_act"),
    path("units/<uuid:public_id>/workbook.xlsx", views.survey_template, name="template"),
    path("units/<uuid:public_id>/upload/", views.survey_upload, name="upload"),
]
