"""A create form acts once, however often it is sent (a double click, a reload of the
answer): the page draws a one-time token in the hidden field ``submission`` (the template
tag ``{% submission_field %}``) and the view runs its write through ``act_once``.

What is claimed is the token together with a digest of what the form carries (its
fields and files): a double click sends the same, while two different uploads from one
page drawn once (two tabs, or a cached page: a page's token may be drawn for a user
more than once) differ, and each acts.

The claim is an insert in the write's own transaction. A twin request sent
at the same moment waits on the token's key until the first commits, then finds the token
taken and is sent where the first went, with a message; if the first wrote nothing (a
refusal), its claim was undone with it and the twin acts. Forms whose write already
checks a version the page carried (a decision, an edit) need none of this.
"""

import datetime
import hashlib
import uuid
from collections.abc import Callable

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from ui.models import FormSubmission

FIELD = "submission"
KEPT = datetime.timedelta(days=2)  # a token's row; a page older than that acts anew


def new_token() -> str:
    return str(uuid.uuid4())


def act_once(
    request: HttpRequest, act: Callable[[], HttpResponse], *, fallback: str
) -> HttpResponse:
    """``act()``'s answer, once per token of the posted form: the write happens and its
    redirect is kept with the token, or (the token taken already) a redirect to where the
    first went (``fallback`` if it was no redirect), saying the form was sent twice. An
    answer that is no redirect (the form drawn again, refused) keeps nothing: the claim
    is undone, so the corrected form may act. A request without a valid token (a GET, a
    page drawn before the token) acts as before."""
    token = _token(request.POST.get(FIELD))
    if token is None:
        return act()
    key = _sent(token, request)
    with transaction.atomic():
        try:
            with transaction.atomic():
                FormSubmission.objects.create(token=key)
        except IntegrityError:
            earlier = FormSubmission.objects.filter(token=key).values_list("result", flat=True)
            messages.info(request, _("This form was sent twice; it was acted on once."))
            return redirect(next(iter(earlier), "") or fallback)
        answer = act()
        if answer.status_code in (301, 302, 303):
            FormSubmission.objects.filter(token=key).update(result=answer["Location"][:500])
        else:
            transaction.set_rollback(True)  # nothing was written: the token stays free
    _forget_old()
    return answer


def _token(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


def _sent(token: uuid.UUID, request: HttpRequest) -> uuid.UUID:
    """The token and what the form carries, as one key: every field but the CSRF token
    (drawn afresh per page) and every file's bytes (read, then rewound for the view)."""
    digest = hashlib.sha256(token.bytes)
    for name in sorted(set(request.POST) - {"csrfmiddlewaretoken"}):
        for value in request.POST.getlist(name):
            digest.update(f"{name}\0{value}\0".encode(errors="surrogatepass"))
    for name in sorted(request.FILES):
        for upload in request.FILES.getlist(name):
            digest.update(f"{name}\0{upload.name}\0".encode(errors="surrogatepass"))
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return uuid.UUID(bytes=digest.digest()[:16])


def _forget_old() -> None:
    FormSubmission.objects.filter(created_at__lt=timezone.now() - KEPT).delete()
