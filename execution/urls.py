from django.urls import path

from execution import views

app_name = "execution"

urlpatterns = [
    path("progress/", views.progress, name="progress"),
    path("targets/", views.target_set, name="target_set"),
    path("import/", views.payments_import, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("<code:code>/", views.project_execution, name="project"),
    path("<code:code>/contracts/", views.contract_add, name="contract_add"),
    path("<code:code>/payments/", views.payment_add, name="payment_add"),
    path("<code:code>/carry-over/", views.carry_over_request, name="carry_over_request"),
    path("<code:code>/carry-over/decision/", views.carry_over_decide, name="carry_over_decide"),
    path("<code:code>/close/", views.close, name="close"),
]
