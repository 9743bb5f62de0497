from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    AuthenticationForm,
    PasswordChangeForm,
    UserChangeForm,
    UserCreationForm,
)
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import Role, User


class RefusesMalformedLogin(AuthenticationForm):
    """A username longer than any user's, or a NUL in the username or the password, is
    refused as a wrong password is, before anyone is looked up (issue #15).

    Django's login form checks neither the username's length nor, in the same words,
    the NUL: django-axes then stored the refused username in a column of 255
    characters, and a longer one was a server error for anyone, before login.
    """

    def clean(self) -> dict[str, Any]:
        malformed = False
        for name in ("username", "password"):
            if self.has_error(name, "null_characters_not_allowed"):
                del self.errors[name]
                malformed = True
        username = self.cleaned_data.get("username") or ""
        if malformed or len(username) > (self.username_field.max_length or 0):
            raise self.get_invalid_login_error()
        return super().clean()


class LoginForm(RefusesMalformedLogin):
    """The login page's form."""


class AdminLoginForm(RefusesMalformedLogin, AdminAuthenticationForm):
    """The admin's login page's form (staff only, as Django's)."""


class RolesField(forms.TypedMultipleChoiceField):
    """Roles as check boxes, rather than the comma-separated text of an ArrayField."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: object) -> None:
        super().__init__(choices=Role.choices, coerce=str, required=False, **kwargs)  # type: ignore[arg-type]


class UserAdminChangeForm(UserChangeForm):
    roles = RolesField(label=_("roles"))

    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class UserAdminCreationForm(UserCreationForm):
    roles = RolesField(label=_("roles"))

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "organization", "roles", "email")


class AdminPasswordForm(AdminPasswordChangeForm):
    """Django admin's password page, saving through ``services.set_password``."""

    def __init__(self, user: User, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.actor = actor

    def save(self, commit: bool = True) -> User:
        usable = self.cleaned_data["set_usable_password"]
        password = self.cleaned_data["password1"] if usable else None
        return services.set_password(self.user, password, actor=self.actor)


class OwnPasswordForm(PasswordChangeForm):
    """A user changing their own password, through ``services.set_password``."""

    def save(self, commit: bool = True) -> User:
        return services.set_password(self.user, self.cleaned_data["new_password1"], actor=self.user)


class OneTimeCodeForm(forms.Form):
    """The six-digit code of a TOTP device; valid only if the device accepts it.

    django-otp refuses a code already used (single use) and slows down
    guessing: after each wrong code the next try must wait longer.
    """

    code = forms.CharField(
        label=_("Six-digit code"),
        help_text=_("The code your authenticator app shows now."),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, device: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        allowed, _details = self.device.verify_is_allowed()
        if not allowed:
            raise forms.ValidationError(
                _("Too many wrong codes. Wait a minute, then enter the current code.")
            )
        if not self.device.verify_token(code):
            raise forms.ValidationError(
                _("That code is wrong or has expired. Enter the code your app shows now.")
            )
        return code
