"""The one table of the shared presentation: the forms already acted on (``ui.submissions``)."""

from django.db import models


class FormSubmission(models.Model):
    """A create form, drawn once, that was acted on: its key (the page's hidden
    ``submission`` token with a digest of what was sent) and where its result is, so the
    same form sent again (a double click) leads there instead of making a second record."""

    token = models.UUIDField(primary_key=True)
    result = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return str(self.token)
