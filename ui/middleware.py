"""The interface language of every request."""

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Use the language the user chose (the language cookie), else Simplified Chinese.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so an
    English-configured browser in a provincial office would get English
    without asking. Chinese is the working language; English is a choice.
    """

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
