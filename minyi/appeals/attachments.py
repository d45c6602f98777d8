"""Attachments: checked by their content, not by the name or the browser's word.

* **Images** (JPEG, PNG) are decoded and re-encoded with Pillow. What is stored is the new
  file: bytes appended after the image (a PNG/HTML polyglot) and metadata (EXIF with GPS
  position, comments, text chunks) are gone, and the orientation is applied to the pixels.
  Images over ``MINYI_MAX_IMAGE_PIXELS`` (a decompression bomb) are refused before decoding.
* **PDFs** are stored as uploaded, after :mod:`minyi.appeals.pdfcheck` found no active
  content (JavaScript, automatic actions, launch, embedded files, rich media, XFA).
* Anything else is refused.

Downloads go through :func:`serve`: logged in the security log, ``nosniff``, and inline
only for images (their content type is all a browser may act on).
"""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import FileResponse, HttpRequest
from PIL import Image, ImageOps, UnidentifiedImageError

from minyi.appeals.models import Appeal, Attachment
from minyi.appeals.pdfcheck import pdf_problem
from minyi.audit.models import SecurityKind
from minyi.audit.services import record_security_event
from minyi.workflow import services as wf

# Leading bytes of the formats we accept.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "application/pdf": (b"%PDF-",),
}
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
MAX_FILES = 5
DEFAULT_MAX_IMAGE_PIXELS = 40_000_000  # 40 MP: above any phone photo's default, far below a bomb
_CHECKED = "_minyi_checked"  # the checked file is kept on the upload: views check, then attach


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    content: bytes  # what will be stored: a re-encoded image, or the PDF as uploaded


def sniff(head: bytes) -> str | None:
    for content_type, prefixes in SIGNATURES.items():
        if any(head.startswith(p) for p in prefixes):
            return content_type
    return None


def _not_allowed(name: str) -> ValidationError:
    return ValidationError(f"附件“{name}”不是允许的格式（JPG、PNG、PDF）")


def reencode_image(data: bytes, content_type: str, name: str) -> bytes:
    """The image decoded and written again: pixels only, no trailing bytes, no metadata."""
    limit = int(getattr(settings, "MINYI_MAX_IMAGE_PIXELS", DEFAULT_MAX_IMAGE_PIXELS))
    fmt = PILLOW_FORMATS[content_type]
    bomb = ValidationError(f"图片“{name}”的像素过多（疑似恶意构造的图片），请缩小后再上传")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[fmt]) as opened:
                width, height = opened.size
                if width * height > limit:
                    raise bomb
                opened.load()
                image = ImageOps.exif_transpose(opened) if opened.getexif().get(0x0112, 1) != 1 else opened
                transparency = image.info.get("transparency")
                image.info = {}  # Pillow writes comments, ICC profiles and text from info: none of them
                if transparency is not None and fmt == "PNG":
                    image.info["transparency"] = transparency
                if fmt == "JPEG" and image.mode not in ("L", "RGB", "CMYK"):
                    image = image.convert("RGB")
                out = io.BytesIO()
                image.save(out, format=fmt, **({"quality": 90} if fmt == "JPEG" else {"optimize": False}))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise bomb from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ValidationError(f"图片“{name}”已损坏或不是真正的 JPG/PNG 图片") from None
    return out.getvalue()


def inspect_upload(upload: UploadedFile) -> CheckedFile:
    """Read and check one upload; raise ValidationError in Chinese."""
    cached = getattr(upload, _CHECKED, None)
    if isinstance(cached, CheckedFile):
        return cached
    name = upload.name or "file"
    limit = int(settings.MINYI_MAX_ATTACHMENT_BYTES)
    if upload.size is None or upload.size == 0:
        raise ValidationError("附件为空文件")
    if upload.size > limit:
        raise ValidationError(f"附件“{name}”超过 {limit // (1024 * 1024)} MB")
    upload.seek(0)
    data = upload.read(limit + 1)
    upload.seek(0)
    content_type = sniff(data[:16])
    if content_type is None or content_type not in settings.MINYI_ATTACHMENT_TYPES:
        raise _not_allowed(name)
    if content_type in PILLOW_FORMATS:
        checked = CheckedFile(content_type, reencode_image(data, content_type, name))
    else:
        if problem := pdf_problem(data):
            raise ValidationError(f"PDF“{name}”{problem}，不能上传；请用“打印为 PDF”另存一份普通文档后再上传")
        checked = CheckedFile(content_type, data)
    setattr(upload, _CHECKED, checked)
    return checked


def check_upload(upload: UploadedFile) -> str:
    """Return the real content type, or raise ValidationError in Chinese."""
    return inspect_upload(upload).content_type


def attach_files(appeal: Appeal, uploads: list[UploadedFile], *, by: Any, stage: str = Attachment.Stage.INTAKE) -> list[Attachment]:
    """Check every file first, then store them all and write one audit row. ``stage``: the step they came with
    (a reply's files are shown to the citizen on the tracking page)."""
    if len(uploads) > MAX_FILES:
        raise ValidationError(f"最多上传 {MAX_FILES} 个附件")
    checked = [(upload, inspect_upload(upload)) for upload in uploads]
    actor = wf.Actor.of(by)
    with transaction.atomic():
        stored = []
        for upload, clean in checked:
            attachment = Attachment(
                appeal=appeal,
                original_name=(upload.name or "file")[:200],
                stored_name=uuid.uuid4().hex + settings.MINYI_ATTACHMENT_TYPES[clean.content_type],
                content_type=clean.content_type,
                size=len(clean.content),
                uploaded_by_id=actor.user_id,
                stage=stage,
            )
            attachment.file.save(attachment.stored_name, ContentFile(clean.content), save=False)
            attachment.save()
            stored.append(attachment)
        if stored:
            wf.record_note(appeal, by=actor, kind="attach", payload={"files": [a.original_name for a in stored], "stage": stage})
    return stored


THUMB_SIZE = (240, 240)


def thumbnail(item: Attachment) -> bytes:
    """A small JPEG of an image attachment, made once and kept beside the file (the file itself is already re-encoded)."""
    name = f"thumbs/{item.stored_name}.jpg"
    storage = item.file.storage
    if storage.exists(name):
        with storage.open(name, "rb") as kept:
            return bytes(kept.read())
    with item.file.open("rb") as source, Image.open(source) as image:
        image.thumbnail(THUMB_SIZE)
        out = io.BytesIO()
        image.convert("RGB").save(out, "JPEG", quality=80)
    storage.save(name, ContentFile(out.getvalue()))
    return out.getvalue()


def serve(request: HttpRequest, appeal: Appeal, item: Attachment) -> FileResponse:
    """The file for someone already allowed to see the appeal: logged, never sniffed, never run."""
    record_security_event(
        SecurityKind.ATTACHMENT_DOWNLOAD,
        request=request,
        target=appeal.number,
        details={"attachment": item.pk, "name": item.original_name, "content_type": item.content_type},
    )
    inline = item.content_type in PILLOW_FORMATS  # images only; a PDF is saved, not opened in our origin
    response = FileResponse(item.file.open("rb"), content_type=item.content_type, as_attachment=not inline, filename=item.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response
