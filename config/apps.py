"""The third-party apps the admin lists, named in the user's language.

Django's admin heads each app with its AppConfig's ``verbose_name`` and each model with
its Meta verbose names. django-axes and django-otp's TOTP plugin give their apps none
(the admin showed “Axes” and “Otp_Totp”), django-tasks-db an English one, and
TOTPDevice an English model name that is not even translatable. These subclasses,
named in INSTALLED_APPS instead of the packages, keep each app's name and label (so
tables, migrations and ``apps.is_installed`` are unchanged) and give it a translatable
name. Model and field names that the packages do mark for translation but ship no
Simplified Chinese for are translated in our catalogue (locale/zh_Hans).
"""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.apps import DefaultConfig as TOTPAppConfig
from django_tasks_db.apps import TasksAppConfig


class AxesConfig(AxesAppConfig):
    verbose_name = _("Login protection")


class TOTPConfig(TOTPAppConfig):
    verbose_name = _("Two-factor authentication")

    def ready(self) -> None:
        super().ready()
        # Only the names the admin shows: Meta.original_attrs, which migrations compare,
        # is left alone, so no migration of the package's is ever asked for.
        meta = self.get_model("TOTPDevice")._meta
        meta.verbose_name = _("authenticator device")
        meta.verbose_name_plural = _("authenticator devices")


class TasksDatabaseConfig(TasksAppConfig):
    verbose_name = _("Background tasks")  # type: ignore[assignment]  # lazy, as Django allows
