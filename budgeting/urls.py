from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts import views as accounts_views
from budgeting import views

admin.site.site_header = _("IT project budgeting · administration")
admin.site.site_title = _("IT project budgeting")

account_patterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"
    ),
    path("two-factor/", accounts_views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/verify/", accounts_views.two_factor_verify, name="two_factor_verify"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("projects/", include("projects.urls")),
    path("review/", include("budgeting.review_urls")),
    path("accounts/", include(account_patterns)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("standards/", include("standards.urls")),
]
