"""Every app and model the admin lists is named in Chinese in the Chinese admin, the
third-party ones too (issue #15: django-axes, django-otp and django-tasks showed English)."""

import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import User

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")
# Packages whose field names are translatable strings without a Simplified Chinese of
# their own, translated in our catalogue (django-otp's device fields are not translatable).
THIRD_PARTY_FIELDS_TRANSLATED = {"axes", "django_tasks_database"}


def test_every_admin_app_and_model_has_a_chinese_name() -> None:
    english = []
    with translation.override("zh-hans"):
        for model in admin.site._registry:
            meta = model._meta
            names = (meta.app_config.verbose_name, meta.verbose_name, meta.verbose_name_plural)
            english += [f"{meta.label}: {name}" for name in names if not CHINESE.search(str(name))]
            if meta.app_label in THIRD_PARTY_FIELDS_TRANSLATED:
                english += [
                    f"{meta.label}.{field.name}: {field.verbose_name}"
                    for field in meta.fields
                    if field.name != "id" and not CHINESE.search(str(field.verbose_name))
                ]
    assert [name for name in english if not name.startswith("otp_totp.")] == []


def test_the_chinese_admin_index_shows_no_third_party_name_in_english(
    client: Client, admin_user: User
) -> None:
    client.force_login(admin_user)
    page = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for name in ("Axes", "Otp_Totp", "TOTP device", "Tasks Database Backend", "Task Result",
                 "access attempt", "access log"):  # fmt: skip
        assert name not in page, name
    for name in ("登录防护", "双因素认证", "验证器设备", "后台任务", "登录日志"):
        assert name in page, name


def test_the_packages_keep_their_app_labels() -> None:
    """The subclasses rename, nothing else: tables and migrations stay the packages'."""
    labels = ("axes", "otp_totp", "django_tasks_database")
    names = {apps.get_app_config(label).name for label in labels}
    assert names == {"axes", "django_otp.plugins.otp_totp", "django_tasks_db"}
    assert apps.is_installed("django_tasks_db")
