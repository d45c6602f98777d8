"""Uploads are checked by content: images re-encoded, active PDFs refused, downloads logged and never sniffed."""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from minyi.appeals import attachments
from minyi.appeals.models import Appeal
from minyi.audit.models import SecurityEvent, SecurityKind
from minyi.workflow.machine import State

pytestmark = pytest.mark.django_db


def png(size: tuple[int, int] = (8, 8), **params: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG", **params)
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (16, 12), (30, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° when shown
    gps = {1: "N", 2: (31.0, 18.0, 0.0), 3: "E", 4: (120.0, 37.0, 0.0)}
    exif[0x8825] = gps  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=b"taken at home")
    return out.getvalue()


def pdf(catalog_extra: bytes = b"", extra_objects: bytes = b"") -> bytes:
    """A small hand-written PDF, page text included."""
    content = b"BT /F1 12 Tf 72 100 Td (Hello) Tj ET"
    return (
        b"%PDF-1.5\n"
        b"1 0 obj << /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >> endobj\n"
        b"4 0 obj << /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream\nendobj\n"
        + extra_objects
        + b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type)


def test_png_html_polyglot_is_stored_without_the_html(people: dict[str, Any], appeal_in: Callable[..., Appeal], settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    polyglot = png() + b"<html><script>alert(document.cookie)</script></html>"
    appeal = appeal_in(State.IN_PROGRESS)
    [stored] = attachments.attach_files(appeal, [upload("photo.png", polyglot, "text/html")], by=people["handler"])
    data = stored.file.open("rb").read()
    assert b"<script" not in data
    assert stored.content_type == "image/png" and stored.size == len(data)
    assert Image.open(io.BytesIO(data)).size == (8, 8)


def test_stored_files_are_readable_by_the_service_account_only(
    people: dict[str, Any], appeal_in: Callable[..., Appeal], settings: Any, tmp_path: Any
) -> None:
    """Found by the independent probe: attachments were 0644 in 0755 directories, readable by any local user."""
    import os
    import stat
    from pathlib import Path

    settings.MEDIA_ROOT = tmp_path
    [stored] = attachments.attach_files(appeal_in(State.IN_PROGRESS), [upload("photo.png", png(), "image/png")], by=people["handler"])
    path = Path(stored.file.path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o750


def test_jpeg_loses_exif_gps_and_comment_but_keeps_its_orientation() -> None:
    clean = attachments.inspect_upload(upload("现场.jpg", jpeg_with_gps(), "image/jpeg"))
    assert clean.content_type == "image/jpeg"
    image = Image.open(io.BytesIO(clean.content))
    assert len(image.getexif()) == 0
    assert "comment" not in image.info and "exif" not in image.info
    assert b"PhoneMaker" not in clean.content and b"taken at home" not in clean.content
    assert image.size == (12, 16)  # rotated into the pixels, since the orientation tag is gone


def test_png_text_chunks_are_dropped() -> None:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "家庭住址：明湖路 18 号")
    clean = attachments.inspect_upload(upload("a.png", png(pnginfo=info)))
    assert "明湖路".encode() not in clean.content and b"Comment" not in clean.content


def test_decompression_bomb_image_is_refused_cleanly(settings: Any) -> None:
    bomb = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(bomb, format="PNG")  # 144 MP of nothing, a few kB on disk
    assert len(bomb.getvalue()) < 100_000
    with pytest.raises(ValidationError, match="像素过多"):
        attachments.inspect_upload(upload("bomb.png", bomb.getvalue()))
    settings.MINYI_MAX_IMAGE_PIXELS = 10_000_000_000  # even past our own limit, Pillow's is caught too
    with pytest.raises(ValidationError, match="像素过多"):
        attachments.inspect_upload(upload("bomb.png", bomb.getvalue()))


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("x.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "已损坏"),  # the signature alone is not an image
        ("x.jpg", b"<html><script>alert(1)</script>", "不是允许的格式"),
        ("x.pdf", b"MZ\x90\x00 a program", "不是允许的格式"),
        ("x.gif", b"GIF89a" + b"\x00" * 32, "不是允许的格式"),
    ],
    ids=["png-signature-only", "html", "exe", "gif"],
)
def test_files_that_are_not_what_they_claim_are_refused(name: str, data: bytes, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        attachments.check_upload(upload(name, data, "image/png"))


@pytest.mark.parametrize(
    ("catalog", "objects", "words"),
    [
        (b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>", b"", "脚本"),
        (b"/OpenAction 5 0 R", b"5 0 obj << /S /J#61vaScript /J#53 (app.alert(1)) >> endobj\n", "脚本"),
        (b"/AA << /O << /S /Launch /F (cmd.exe) >> >>", b"", "自动执行"),
        (b"/Names << /EmbeddedFiles 5 0 R >>", b"", "嵌入的文件"),
        (b"/AcroForm << /XFA 5 0 R >>", b"", "XFA"),
        (b"/Extensions << /ADBE << /RichMedia 1 >> >>", b"", "富媒体"),
        (b"", b"6 0 obj << /Type /Action /S /Launch /F (calc) >> endobj\n", "启动外部程序"),
    ],
    ids=["javascript", "escaped-names", "additional-actions", "embedded-files", "xfa", "rich-media", "launch"],
)
def test_active_pdfs_are_refused_with_a_reason(catalog: bytes, objects: bytes, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        attachments.check_upload(upload("证明.pdf", pdf(catalog, objects), "application/pdf"))


def test_javascript_hidden_in_a_compressed_object_stream_is_found() -> None:
    hidden = zlib.compress(b"5 0 << /S /JavaScript /JS (app.launchURL('http://evil.example')) >>")
    head = b"7 0 obj << /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length " + str(len(hidden)).encode()
    objstm = head + b" >>\nstream\n" + hidden + b"\nendstream\nendobj\n"
    with pytest.raises(ValidationError, match="脚本"):
        attachments.check_upload(upload("a.pdf", pdf(b"", objstm)))
    odd = objstm.replace(b"/FlateDecode", b"/LZWDecode")
    with pytest.raises(ValidationError, match="无法检查"):
        attachments.check_upload(upload("a.pdf", pdf(b"", odd)))


def test_passive_pdfs_pass_even_with_random_bytes_in_streams() -> None:
    assert attachments.check_upload(upload("a.pdf", pdf())) == "application/pdf"
    made = io.BytesIO()
    Image.new("RGB", (300, 200), (10, 10, 10)).save(made, format="PDF")  # a real PDF, as a scanner app writes it
    assert attachments.check_upload(upload("scan.pdf", made.getvalue())) == "application/pdf"
    # Short names inside a page stream are not dictionaries (and turn up by chance in compressed bytes); long ones
    # (/Launch, /JavaScript …) are refused anywhere since the re-probe hid an action behind a fake "stream".
    noise = bytes(range(256)) * 64 + b"/JS /AA /XFA "
    stream = b"9 0 obj << /Length " + str(len(noise)).encode() + b" /Filter /DCTDecode >>\nstream\n" + noise + b"\nendstream\nendobj\n"
    assert attachments.check_upload(upload("b.pdf", pdf(b"", stream))) == "application/pdf"


def test_download_is_logged_never_sniffed_and_pdfs_are_attachments(
    client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal], settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    appeal = appeal_in(State.IN_PROGRESS)
    photo, paper = attachments.attach_files(appeal, [upload("现场.png", png()), upload("证明.pdf", pdf())], by=people["handler"])
    client.force_login(people["handler"])
    image = client.get(f"/appeals/{appeal.number}/files/{photo.pk}")
    assert image["X-Content-Type-Options"] == "nosniff"
    assert image["Content-Disposition"].startswith("inline")
    document = client.get(f"/appeals/{appeal.number}/files/{paper.pk}")
    assert document["Content-Disposition"].startswith("attachment")
    assert document["X-Content-Type-Options"] == "nosniff"
    events = SecurityEvent.objects.filter(kind=SecurityKind.ATTACHMENT_DOWNLOAD).order_by("id")
    assert [(e.actor, e.target, e.details["attachment"]) for e in events] == [
        (people["handler"], appeal.number, photo.pk),
        (people["handler"], appeal.number, paper.pk),
    ]
    client.force_login(people["other_handler"])
    assert client.get(f"/appeals/{appeal.number}/files/{photo.pk}").status_code == 404
    assert events.count() == 2  # a refused look is no download


def test_a_stream_keyword_in_a_comment_does_not_hide_an_open_action() -> None:
    """Found by the independent re-probe: '%stream' … '%endstream' made the check skip the catalog's action."""
    from minyi.appeals.pdfcheck import pdf_problem

    data = (
        b"%PDF-1.5\n"
        b"1 0 obj << /Type /Catalog /Pages 2 0 R\n%stream\n/OpenAction 4 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        b"4 0 obj << /S /JavaScript /JS (app.alert\\(1\\)) >>\n%endstream\nendobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )
    assert pdf_problem(data) != ""
    hidden_short = data.replace(b"/OpenAction", b"/AA").replace(b"/S /JavaScript ", b"/S /Java#53cript ")
    assert pdf_problem(hidden_short) != ""
