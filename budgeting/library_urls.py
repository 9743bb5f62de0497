"""The project library under /projects/library/ (issue #17); included before the
projects' own URLs, whose ``<code>/`` would take "library" for a project code."""

from django.urls import path

from budgeting import library_views

app_name = "library"

urlpatterns = [
    path("", library_views.library_index, name="index"),
    path("plan/", library_views.rolling_plan_page, name="plan"),
    path("<code:code>/declare/<int:year>/", library_views.library_declare, name="declare"),
    path("<code:code>/return/", library_views.library_return, name="return"),
]
