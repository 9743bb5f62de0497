from pathlib import Path

import polib
import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_chinese_is_the_default_even_for_an_english_browser(
    client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    page = response.content.decode()
    assert '<html lang="zh-Hans">' in page
    assert "我的预算单位" in page


def test_switching_to_english_and_back(client: Client, submitter: User) -> None:
    client.force_login(submitter)
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    assert response.status_code == 302
    page = client.get(reverse("home")).content.decode()
    assert '<html lang="en">' in page
    assert "My budget unit" in page
    client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("home")})
    assert "我的预算单位" in client.get(reverse("home")).content.decode()


def test_login_page_offers_the_language_switch(client: Client) -> None:
    page = client.get(reverse("login")).content.decode()
    assert 'action="/i18n/setlang/"' in page
    assert "English" in page


def test_chinese_translation_is_complete_and_compiled() -> None:
    catalogue = polib.pofile(str(LOCALE_DIR / "django.po"))
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert not untranslated, f"untranslated: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:10]}"
    compiled = polib.mofile(str(LOCALE_DIR / "django.mo"))
    compiled_ids = {entry.msgid for entry in compiled}
    stale = [
        entry.msgid for entry in catalogue.translated_entries() if entry.msgid not in compiled_ids
    ]
    assert not stale, f"run `make messages`: django.mo lacks {stale[:10]}"
