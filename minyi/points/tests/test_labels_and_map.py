"""Label sheets (PDF → PNG → QR decoded), the demo data, and the 15-minute service map."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from minyi.directory.models import GridCell
from minyi.points import demo, geo, labels
from minyi.points.models import Point

pytestmark = pytest.mark.django_db

ARTEFACTS = Path(settings.VAR_DIR) / "artefacts"
DPI = 300


@pytest.fixture
def demo_points(district: None) -> dict[str, int]:
    return demo.seed_points()


def test_demo_has_the_seeds_stands_markets_and_270_service_points(demo_points: dict[str, int]) -> None:
    assert demo_points["stand"] == 19 + 7
    assert demo_points["service"] >= 270
    markets = {p.owner.market.name for p in Point.objects.filter(kind=Point.Kind.SCALE).select_related("owner__market") if p.owner and p.owner.market}
    assert len(markets) == 8
    assert demo_points["scale"] >= 40
    assert set(Point.objects.filter(kind=Point.Kind.SERVICE).values_list("service", flat=True)) == set(Point.Service.values)
    assert demo.seed_points() == {}  # idempotent
    # A few scanned scale reports this month, routed to 市场监管, some with a reward finding.
    from minyi.appeals.models import Appeal

    scanned = Appeal.objects.filter(point_link__isnull=False)
    assert scanned.count() == len(demo.SCALE_REPORTS)
    assert set(scanned.values_list("department__code", flat=True)) == {"scj"}


def _decode(png: Path) -> list[str]:
    import zxingcpp
    from PIL import Image

    return [r.text for r in zxingcpp.read_barcodes(Image.open(png)) if r.format == zxingcpp.BarcodeFormat.QRCode]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (Debian poppler-utils) is not installed: apt-get install poppler-utils")
def test_printed_labels_decode_to_each_scales_page(demo_points: dict[str, int], tmp_path: Path) -> None:
    pytest.importorskip("zxingcpp", reason="zxing-cpp (requirements-dev.txt) is not installed")
    out = tmp_path / "labels.pdf"
    stdout = io.StringIO()
    call_command("codes", "print", "--kind", "scale", "--out", str(out), stdout=stdout)
    scales = list(Point.objects.filter(kind=Point.Kind.SCALE, active=True))
    assert f"已生成 {len(scales)} 个标签" in stdout.getvalue()
    assert out.read_bytes().startswith(b"%PDF")
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm is not None
    subprocess.run([pdftoppm, "-png", "-r", str(DPI), str(out), str(tmp_path / "sheet")], check=True)  # noqa: S603 (fixed arguments)
    pages = sorted(tmp_path.glob("sheet-*.png"))
    per_sheet = labels.COLUMNS * labels.ROWS
    assert len(pages) == -(-len(scales) // per_sheet)
    decoded: list[str] = []
    for page in pages:
        found = _decode(page)
        assert 0 < len(found) <= per_sheet
        decoded.extend(found)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(pages[0], ARTEFACTS / "point-labels-page1.png")
    assert sorted(decoded) == sorted(labels.point_url(p) for p in scales)  # every scale once, nothing else
    client = Client()
    by_code = {p.code: p for p in scales}
    for url in decoded[:per_sheet]:
        path = urlsplit(url).path
        page = client.get(path)
        assert page.status_code == 200
        point = by_code[path.rsplit("/", 1)[1]]
        assert page.context["point"] == point
        assert point.owner is not None and point.owner.name in page.content.decode()


def test_service_map_answers_the_nearest_medical_insurance_point(demo_points: dict[str, int]) -> None:
    page = Client().get("/fuwu/", {"near": "qfjd-ft", "service": Point.Service.MEDICAL_INSURANCE})
    text = page.content.decode()
    assert page.status_code == 200
    ranked = page.context["ranked"]
    centre = geo.community_centres()["qfjd-ft"]
    every = [p for p in Point.objects.filter(kind=Point.Kind.SERVICE, service=Point.Service.MEDICAL_INSURANCE, active=True)]
    truth = min(every, key=lambda p: geo.distance_m(centre.lat, centre.lng, float(p.lat), float(p.lng)))  # type: ignore[arg-type]
    assert ranked[0]["point"] == truth
    assert all(r["point"].service == Point.Service.MEDICAL_INSURANCE for r in ranked)
    assert [r["metres"] for r in ranked] == sorted(r["metres"] for r in ranked)
    assert f"离枫亭社区最近的医保服务点是{truth.name}" in text
    assert ranked[0]["nav"].startswith("geo:")
    assert "<svg" in text  # the schematic map, drawn from coordinates
    assert "tile" not in text.lower() and "leaflet" not in text.lower()  # no external tiles at all
    assert 'src="http' not in text and 'href="http' not in text


def test_service_map_searches_by_service_and_uses_the_intranet_map(demo_points: dict[str, int], settings: Any) -> None:
    settings.MINYI_MAP_NAV_URL = "https://map.gov.local/nav?to={lat},{lng}&name={name}"
    page = Client().get("/fuwu/", {"q": "异地就医备案"})
    listed = page.context["listed"]
    assert listed and all("异地就医备案" in r["point"].services for r in listed)
    assert listed[0]["nav"].startswith("https://map.gov.local/nav?to=")
    assert page.context["total"] == Point.objects.filter(kind=Point.Kind.SERVICE, services__contains="异地就医备案").count()


def test_service_point_code_opens_its_guide(demo_points: dict[str, int]) -> None:
    point = Point.objects.filter(kind=Point.Kind.SERVICE).first()
    assert point is not None
    page = Client().get(f"/q/{point.code}")
    assert page.status_code == 200 and "form" not in page.context
    assert point.hours in page.content.decode()


def test_community_centres_cover_every_community(demo_points: dict[str, int]) -> None:
    centres = geo.community_centres()
    assert set(centres) == set(GridCell.objects.filter(level=GridCell.Level.COMMUNITY).values_list("code", flat=True))
    lat, lng = demo.CENTRES["mhjd-hb"]
    assert geo.distance_m(centres["mhjd-hb"].lat, centres["mhjd-hb"].lng, lat, lng) < 800
