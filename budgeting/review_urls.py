from django.urls import path

from budgeting import review_views

app_name = "budgeting"

urlpatterns = [
    path("", review_views.my_tasks, name="tasks"),
    path("<str:code>/", review_views.review_detail, name="review"),
    path("<str:code>/<str:action>/", review_views.act, name="act"),
]
