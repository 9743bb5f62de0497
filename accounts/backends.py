"""How a session's user is read on every request."""

from typing import Any

from django.contrib.auth import backends

from accounts.models import User


class ModelBackend(backends.ModelBackend):
    """Django's, reading the user's unit in the same query: every page's header names
    it (``base.html``), which cost each page a query of its own (issue #21)."""

    def get_user(self, user_id: Any) -> User | None:
        try:
            user = User._default_manager.select_related("organization").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
