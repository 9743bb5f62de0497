from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from budgeting.workflow import COMMENT_REQUIRED, Action
from projects.models import Project


class ActionForm(forms.Form):
    """The confirmation form of one workflow action; it carries the version the user saw."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    to_previous_stage = forms.BooleanField(
        label=_("Return to the previous stage instead of the submitter"), required=False
    )

    def __init__(
        self,
        *args: Any,
        action: Action,
        project: Project,
        offer_previous_stage: bool = True,
        **kwargs: Any,
    ) -> None:
        """``offer_previous_stage``: whether the page offers a return to the previous
        stage (there is one); a posted form keeps the field, and the service decides."""
        kwargs.setdefault("prefix", action.value)
        super().__init__(*args, **kwargs)
        self.action = action
        self.initial["version"] = project.version
        if action in COMMENT_REQUIRED:
            self.fields["comment"].required = True
            self.fields["comment"].label = _("Reason (required)")
        if action == Action.SUBMIT:
            del self.fields["comment"]
        if action != Action.RETURN or not offer_previous_stage:
            del self.fields["to_previous_stage"]
