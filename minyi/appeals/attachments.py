"""Attachments: checked by their bytes, not by the name or the browser's word."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from minyi.appeals.models import Appeal, Attachment
from minyi.workflow import services as wf

# Leading bytes of the formats we accept.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "application/pdf": (b"%PDF-",),
}
MAX_FILES = 5


def sniff(head: bytes) -> str | None:
    for content_type, prefixes in SIGNATURES.items():
        if any(head.startswith(p) for p in prefixes):
            return content_type
    return None


def check_upload(upload: UploadedFile) -> str:
    """Return the real content type, or raise ValidationError in Chinese."""
    limit = int(settings.MINYI_MAX_ATTACHMENT_BYTES)
    if upload.size is None or upload.size == 0:
        raise ValidationError("附件为空文件")
    if upload.size > limit:
        raise ValidationError(f"附件“{upload.name}”超过 {limit // (1024 * 1024)} MB")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = sniff(head)
    if content_type is None or content_type not in settings.MINYI_ATTACHMENT_TYPES:
        raise ValidationError(f"附件“{upload.name}”不是允许的格式（JPG、PNG、PDF）")
    return content_type


def attach_files(appeal: Appeal, uploads: list[UploadedFile], *, by: Any) -> list[Attachment]:
    """Check every file first, then store them all and write one audit row."""
    if len(uploads) > MAX_FILES:
        raise ValidationError(f"最多上传 {MAX_FILES} 个附件")
    checked = [(upload, check_upload(upload)) for upload in uploads]
    actor = wf.Actor.of(by)
    with transaction.atomic():
        stored = []
        for upload, content_type in checked:
            attachment = Attachment(
                appeal=appeal,
                original_name=(upload.name or "file")[:200],
                stored_name=uuid.uuid4().hex + settings.MINYI_ATTACHMENT_TYPES[content_type],
                content_type=content_type,
                size=upload.size or 0,
                uploaded_by_id=actor.user_id,
            )
            attachment.file.save(attachment.stored_name, upload, save=False)
            attachment.save()
            stored.append(attachment)
        if stored:
            wf.record_note(appeal, by=actor, kind="attach", payload={"files": [a.original_name for a in stored]})
    return stored
