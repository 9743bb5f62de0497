from django.urls import path

from standards import views

app_name = "standards"

urlpatterns = [
    path("", views.browse, name="index"),
    path("compare/", views.compare, name="compare"),
    path("<str:code>/", views.browse, name="set"),
    path("<str:code>/items/<str:item_code>/", views.item_detail, name="item"),
]
