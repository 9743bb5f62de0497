from django.urls import path

from execution import views

app_name = "execution"

urlpatterns = [
    path("<code:code>/", views.project_execution, name="project"),
]
