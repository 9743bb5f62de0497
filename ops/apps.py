from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Operations: the embedded database, backups, the page cache, request logs, /healthz.
    Imports no domain app (import-linter's contract in pyproject.toml)."""

    name = "ops"
    verbose_name = _("Operations")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from ops.page_cache import install_write_watcher

        connection_created.connect(install_write_watcher, dispatch_uid="ops.page_cache")
