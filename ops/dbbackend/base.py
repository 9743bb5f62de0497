from typing import Any

from django.db.backends.postgresql import base

from ops import embedded_db


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        if not self.settings_dict.get("HOST"):
            params["host"] = embedded_db.ensure_running()
        return params
