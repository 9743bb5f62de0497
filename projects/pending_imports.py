"""Uploaded estimate files waiting for the clerk's confirmation.

Between the preview and the confirmation the file stays on the server (Django
storage, under var/media/estimate-imports/) under a random name; the session
holds, per random token, who uploaded it, for which project, at which project
version and with which standard in force. Confirming re-reads the stored file, so
nothing from the client but the token is trusted, and the token is useless to another
user or for another project; it is refused when the project or the standard in force
changed since the preview, so the clerk applies only prices they saw.
"""

import datetime
import secrets
from dataclasses import dataclass
from typing import IO, Any

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest
from django.utils import timezone

from accounts.permissions import request_member
from projects.models import Project
from standards.models import StandardSet

SESSION_KEY = "estimate_imports"
DIRECTORY = "estimate-imports"
# Uploads kept per session; the oldest is dropped first.
MAX_PENDING = 3
# Files older than this are removed whenever someone uploads.
MAX_AGE = datetime.timedelta(hours=24)


@dataclass(frozen=True)
class Pending:
    token: str
    project_code: str
    user_id: int
    version: int
    # The code of the standard in force at upload ("" if none was; None if not recorded,
    # as in uploads kept before it was, which then match no standard).
    standard: str | None
    file: str
    name: str

    def open(self) -> IO[bytes]:
        return default_storage.open(self.file, "rb")


def store(
    request: HttpRequest, project: Project, upload: UploadedFile, standard: StandardSet | None
) -> Pending:
    """Keep a checked upload for ``project``, previewed with ``standard`` (the standard in
    force now), and return its pending record."""
    _remove_stale_files()
    token = secrets.token_urlsafe(24)
    stored = default_storage.save(f"{DIRECTORY}/{token}.xlsx", upload)
    pending = Pending(
        token=token,
        project_code=project.code,
        user_id=request_member(request).pk,
        version=project.version,
        standard=standard.code if standard else "",
        file=stored,
        name=(upload.name or "")[:200],
    )
    entries = _entries(request)
    entries[token] = {
        "project": pending.project_code,
        "user": pending.user_id,
        "version": pending.version,
        "standard": pending.standard,
        "file": pending.file,
        "name": pending.name,
    }
    while len(entries) > MAX_PENDING:
        oldest = next(iter(entries))
        default_storage.delete(entries.pop(oldest)["file"])
    request.session[SESSION_KEY] = entries
    return pending


def find(request: HttpRequest, project: Project, token: str) -> Pending | None:
    """The pending upload for this token if this user made it for this project."""
    entry = _entries(request).get(token)
    if entry is None or entry["project"] != project.code or entry["user"] != request.user.pk:
        return None
    if not default_storage.exists(entry["file"]):
        return None
    return Pending(
        token=token,
        project_code=entry["project"],
        user_id=entry["user"],
        version=entry["version"],
        standard=entry.get("standard"),
        file=entry["file"],
        name=entry["name"],
    )


def discard(request: HttpRequest, pending: Pending) -> None:
    entries = _entries(request)
    entries.pop(pending.token, None)
    request.session[SESSION_KEY] = entries
    default_storage.delete(pending.file)


def _entries(request: HttpRequest) -> dict[str, dict[str, Any]]:
    return dict(request.session.get(SESSION_KEY, {}))


def _remove_stale_files() -> None:
    """Uploads nobody confirmed (the session ended) do not pile up."""
    try:
        _directories, files = default_storage.listdir(DIRECTORY)
    except FileNotFoundError:
        return
    cutoff = timezone.now() - MAX_AGE
    for name in files:
        path = f"{DIRECTORY}/{name}"
        if default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)
