from django.urls import path

from standards import views

app_name = "standards"

urlpatterns = [
    path("", views.browse, name="index"),
    path("compare/", views.compare, name="compare"),
    path("<code:code>/", views.browse, name="set"),
    path("<code:code>/rebase/", views.rebase_page, name="rebase"),
    path("<code:code>/items/<code:item_code>/", views.item_detail, name="item"),
]
