from django import forms
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User


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
