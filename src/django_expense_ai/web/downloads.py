"""Download a stored statement file: its owner or a superuser only, 404 for everyone else."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from ..models import UploadedFile
from ..models.storage import download_name


@require_GET
def download_statement(request: HttpRequest, pk: int) -> FileResponse:
    """Send the stored file as an attachment under the name the user gave it.

    The name loses control and bidi characters and ends in the extension of
    the format the content was detected as (``evil.html`` holding CSV is sent
    as ``evil.html.csv``).

    :returns: a ``FileResponse`` (``application/octet-stream``, attachment).
    :raises Http404: not logged in, not the owner (nor a superuser), no such
        file, or its bytes were never stored (404 rather than 403: a stranger
        learns nothing about which ids exist).
    """
    user = request.user
    if not user.is_authenticated:
        raise Http404("No such statement.")
    qs = UploadedFile.objects.all() if user.is_superuser else UploadedFile.objects.for_user(user)
    uploaded_file = qs.filter(pk=pk).first()
    if uploaded_file is None or not uploaded_file.file.name:  # no bytes stored
        raise Http404("No such statement.")
    try:
        handle = uploaded_file.file.open("rb")
    except (OSError, FileNotFoundError) as err:
        raise Http404("The statement's stored file is missing.") from err
    # The shown name without control/bidi characters, ending in the stored (detected) extension.
    name = download_name(uploaded_file.filename, uploaded_file.file.name)
    response = FileResponse(handle, as_attachment=True, filename=name, content_type="application/octet-stream")
    # Never let a browser sniff an uploaded file into HTML, nor cache it in shared caches.
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
