"""Demo points for 明湖区: the seed's 19 rider stands and 7 集中区 stands, 8 markets with their scales,
and 270+ service points of the 15-minute service circle, all at plausible (fictional) places.

``seed_points()`` is called at the end of ``minyi seed-demo``; it does nothing when points exist.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from minyi.appeals.services import IntakeData
from minyi.directory.models import Channel, Department, GridCell
from minyi.points import services
from minyi.points.models import Point
from minyi.points.services import PointData
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.services import SYSTEM

# Community centres of the fictional district (around MINYI_MAP_CENTER 31.30, 120.61).
CENTRES: dict[str, tuple[float, float]] = {
    "mhjd-hb": (31.3180, 120.5980), "mhjd-mz": (31.3120, 120.6120), "mhjd-wy": (31.3225, 120.6205),
    "qfjd-ft": (31.2960, 120.5720), "qfjd-qs": (31.2880, 120.5830), "qfjd-yl": (31.3035, 120.5800),
    "gyjd-jg": (31.2760, 120.6060), "gyjd-yg": (31.2700, 120.6180),
    "lajd-yh": (31.3000, 120.6420), "lajd-cq": (31.2900, 120.6500),
    "sqjd-gq": (31.2980, 120.6060), "sqjd-xf": (31.2920, 120.6180),
    "ytjd-yt": (31.3200, 120.6460), "ytjd-kj": (31.3300, 120.6600),
}  # fmt: skip
ROADS: dict[str, list[str]] = {
    "mhjd": ["明湖路", "湖滨大道", "望月街", "明珠路"],
    "qfjd": ["青枫路", "枫桥路", "杨柳巷", "青石街"],
    "gyjd": ["桂园路", "金桂街", "银桂路", "丹桂巷"],
    "lajd": ["柳岸路", "运河西路", "长桥街", "码头路"],
    "sqjd": ["石桥路", "古桥街", "新丰路", "老街"],
    "ytjd": ["云塘路", "科技大道", "软件园路", "创业街"],
}

# 19 外卖骑手站点 and 7 集中区 (食品安全"随手拍"立牌).
RIDER_STANDS = [
    ("mhjd-hb", "湖滨骑手驿站"), ("mhjd-mz", "明珠广场骑手驿站"), ("mhjd-wy", "望月里外卖配送站"), ("qfjd-ft", "枫亭骑手之家"),
    ("qfjd-qs", "青石新村外卖配送站"), ("qfjd-yl", "杨柳岸骑手驿站"), ("gyjd-jg", "金桂花园外卖配送站"), ("gyjd-yg", "银桂苑骑手驿站"),
    ("lajd-yh", "运河码头骑手驿站"), ("lajd-cq", "长桥外卖配送站"), ("sqjd-gq", "古桥骑手之家"), ("sqjd-xf", "新丰家园外卖配送站"),
    ("ytjd-yt", "云塘花苑骑手驿站"), ("ytjd-kj", "科技城骑手之家"), ("ytjd-kj", "软件园外卖配送站"), ("ytjd-kj", "创业大厦骑手驿站"),
    ("mhjd-mz", "明湖路即时配送站"), ("lajd-yh", "运河西路骑手驿站"), ("sqjd-xf", "新丰路跑腿配送站"),
]  # fmt: skip
ZONE_STANDS = [
    ("ytjd-kj", "科技城美食街"), ("sqjd-gq", "石桥老街餐饮集中区"), ("lajd-yh", "运河码头夜市"), ("mhjd-mz", "明珠广场美食城"),
    ("qfjd-ft", "枫亭小吃街"), ("sqjd-xf", "新丰农贸市场熟食区"), ("ytjd-yt", "云塘美食广场"),
]  # fmt: skip

# 8 家农贸市场和生鲜超市 (一秤一码): (community, market, merchants as (stall, name, scales)).
MARKETS: list[tuple[str, str, list[tuple[str, str, int]]]] = [
    ("qfjd-ft", "枫亭菜场", [("3号", "老王蔬菜", 2), ("7号", "张记鲜肉", 2), ("12号", "枫亭水产", 2), ("15号", "陈家豆制品", 1), ("21号", "四季鲜果", 1)]),
    ("sqjd-xf", "新丰农贸市场", [("A01", "新丰猪肉", 2), ("A06", "徐记牛羊肉", 1), ("B03", "阿香蔬菜", 2), ("B11", "太湖水产", 2), ("C02", "鲜禽专营", 1)]),
    ("mhjd-hb", "湖滨农贸市场", [("1号", "湖滨蔬菜", 2), ("5号", "周记猪肉", 1), ("9号", "鲜活水产", 2), ("14号", "时令水果", 1)]),
    ("gyjd-jg", "桂园生鲜超市", [("称重台1", "果蔬区", 2), ("称重台2", "肉品区", 1), ("称重台3", "水产区", 1), ("称重台4", "熟食区", 1)]),
    ("lajd-yh", "运河农贸市场", [("东08", "运河鲜肉", 2), ("东12", "渔家水产", 2), ("西03", "农家菜园", 2), ("西09", "干货南北货", 1)]),
    ("qfjd-qs", "青石菜市场", [("2号", "青石蔬菜", 1), ("6号", "孙记猪肉", 1), ("10号", "湖鲜水产", 1), ("13号", "豆腐坊", 1)]),
    ("ytjd-kj", "科技城生鲜超市", [("称重台1", "蔬果区", 2), ("称重台2", "肉禽区", 1), ("称重台3", "海鲜区", 1)]),
    ("mhjd-wy", "望月农贸市场", [("101", "望月蔬菜", 2), ("106", "李记鲜肉", 1), ("111", "江鲜水产", 1), ("118", "鲜果铺", 1)]),
]

S = Point.Service
GUIDES: dict[str, tuple[str, list[str]]] = {
    S.GOV: ("周一至周五 9:00-12:00，13:30-17:30；周六 9:00-12:00", ["居住证办理", "社会救助申请", "老年优待证", "居民医保参保登记", "各类证明开具"]),
    S.MEDICAL_INSURANCE: ("周一至周五 8:30-17:00", ["医保卡挂失补办", "异地就医备案", "门诊慢特病申请", "医保关系转移接续", "医保个人账户查询"]),
    S.EMPLOYMENT: ("周一至周五 9:00-17:00", ["求职登记", "失业登记", "灵活就业登记", "职业技能培训报名", "创业担保贷款咨询"]),
    S.SOCIAL_SECURITY: ("周一至周五 9:00-17:00；周六 9:00-16:00", ["社保卡申领", "社保卡挂失补换", "养老保险缴费查询", "养老金资格认证"]),
    S.ELDERLY: ("每天 8:00-18:00", ["居家养老上门服务预约", "老年助餐", "日间照料", "适老化改造申请", "高龄津贴申请"]),
    S.VETERANS: ("周一至周五 9:00-17:00", ["优待证申领", "退役军人就业创业咨询", "优抚对象帮扶"]),
    S.DISABILITY: ("周一至周五 8:30-16:30", ["残疾人证办理咨询", "辅助器具申领", "康复训练", "残疾人就业登记"]),
    S.LEGAL: ("周一至周五 9:00-17:00", ["法律咨询", "法律援助申请", "人民调解", "公证咨询"]),
    S.TAX: ("周一至周五 9:00-17:00", ["个税申报辅导", "发票代开", "城乡居民社保费缴纳", "税务登记咨询"]),
    S.POLICE: ("每天 24 小时", ["户籍业务咨询", "居住登记", "身份证办理", "出入境业务咨询"]),
}
# Per community: (service, names); ``{c}`` is the community's short name (湖滨), ``{s}`` the street's (明湖).
COMMUNITY_SERVICES: list[tuple[str, list[str]]] = [
    (S.GOV, ["{c}社区党群服务中心", "{c}社区便民服务站"]),
    (S.MEDICAL_INSURANCE, ["{c}社区卫生服务站医保服务点", "{c}大药房医保服务点", "农商银行{c}支行医保服务站"]),
    (S.EMPLOYMENT, ["{c}社区就业服务站", "{c}零工驿站"]),
    (S.SOCIAL_SECURITY, ["工商银行{c}支行社保卡服务网点", "{c}社区社保服务窗口"]),
    (S.ELDERLY, ["{c}社区居家养老服务站", "{c}社区老年助餐点", "{c}日间照料中心"]),
    (S.VETERANS, ["{c}社区退役军人服务站"]),
    (S.DISABILITY, ["{c}社区助残服务点"]),
    (S.LEGAL, ["{c}社区法律服务站"]),
    (S.POLICE, ["{c}社区警务室"]),
]
STREET_SERVICES: list[tuple[str, list[str]]] = [
    (S.GOV, ["{s}街道便民服务中心"]),
    (S.MEDICAL_INSURANCE, ["{s}街道社区卫生服务中心医保窗口"]),
    (S.EMPLOYMENT, ["{s}街道人力资源和社会保障服务所"]),
    (S.VETERANS, ["{s}街道退役军人服务站"]),
    (S.DISABILITY, ["{s}街道残疾人之家"]),
    (S.LEGAL, ["{s}街道公共法律服务工作站"]),
    (S.TAX, ["{s}街道税务服务点"]),
    (S.POLICE, ["{s}派出所户籍窗口"]),
]
DEPT_FOR_SERVICE: dict[str, str] = {S.GOV: "sjj", S.MEDICAL_INSURANCE: "rsj", S.EMPLOYMENT: "rsj", S.SOCIAL_SECURITY: "rsj", S.ELDERLY: "mzj",
                    S.VETERANS: "mzj", S.DISABILITY: "cl", S.LEGAL: "sjj", S.TAX: "sjj", S.POLICE: "gaj"}  # fmt: skip

SCALE_REPORTS = [
    ("qfjd-ft", "老王蔬菜", "买了两斤青菜，回家用自家秤称只有一斤七两，电子秤显示的数字明显偏多。"),
    ("qfjd-ft", "老王蔬菜", "早上在这个摊位买番茄三斤，到菜场公平秤复称少了三两，摊主不承认。"),
    ("qfjd-ft", "老王蔬菜", "电子秤没放东西时就显示 0.15 斤，怀疑秤被调过，请市场监管部门检查。"),
    ("sqjd-xf", "新丰猪肉", "买五花肉两斤，公平秤复称一斤八两，缺了二两。"),
    ("sqjd-xf", "太湖水产", "称鱼时连水带袋一起称，扣除后明显不足，希望规范。"),
    ("lajd-yh", "渔家水产", "买的基围虾标一斤，回家称只有八两多，电子秤屏幕有划痕看不清。"),
    ("mhjd-hb", "周记猪肉", "排骨称重不足，复称少了一两半，且电子秤检定标签已经过期。"),
    ("gyjd-jg", "果蔬区", "超市称重台打出的价签重量比实际多，苹果少了约 100 克。"),
]


def _jitter(rng: random.Random, centre: tuple[float, float], spread: float = 0.004) -> tuple[Decimal, Decimal]:
    lat = centre[0] + rng.uniform(-spread, spread)
    lng = centre[1] + rng.uniform(-spread, spread) * 1.15
    return Decimal(f"{lat:.6f}"), Decimal(f"{lng:.6f}")


def _address(rng: random.Random, street_code: str) -> str:
    return f"{rng.choice(ROADS[street_code])}{rng.randint(1, 399)}号"


def _short(name: str) -> str:
    return name.removesuffix("社区").removesuffix("街道")


def point_items(seed: int = 19, today: dt.date | None = None) -> list[PointData]:
    """Every demo point, deterministic for a seed."""
    rng = random.Random(seed)
    today = today or dt.date(2026, 11, 1)
    cells = {c.code: c for c in GridCell.objects.select_related("parent").filter(code__in=CENTRES)}
    departments = {d.code: d for d in Department.objects.filter(code__in={"scj", "scj-sp", *DEPT_FOR_SERVICE.values()})}
    items: list[PointData] = []
    for code, name in RIDER_STANDS + ZONE_STANDS:
        lat, lng = _jitter(rng, CENTRES[code], 0.003)
        items.append(PointData(kind=Point.Kind.STAND, name=f"随手拍立牌·{name}", grid=cells[code], address=f"{_address(rng, code[:4])}（{name}）",
                               lat=lat, lng=lng, department=departments.get("scj-sp")))  # fmt: skip
    for code, market, merchants in MARKETS:
        address = _address(rng, code[:4])
        base = _jitter(rng, CENTRES[code], 0.002)
        for stall, merchant, scales in merchants:
            for n in range(1, scales + 1):
                roll = rng.random()
                verified = today - dt.timedelta(days=rng.randint(20, 330))
                status = Point.Verification.VALID
                if roll > 0.93:
                    status, verified = Point.Verification.EXPIRED, today - dt.timedelta(days=rng.randint(370, 420))
                elif roll > 0.88:
                    status = Point.Verification.DUE
                suffix = f" {n}号秤" if scales > 1 else ""
                items.append(PointData(
                    kind=Point.Kind.SCALE, name=f"{market} {stall} {merchant}{suffix}", grid=cells[code], address=address,
                    lat=base[0], lng=base[1], department=departments.get("scj"), market=market, merchant=merchant, stall=stall,
                    verified_on=verified, verification=status,
                ))  # fmt: skip
    for _, cell in sorted(cells.items()):
        street = cell.parent.name if cell.parent else ""
        for service, names in COMMUNITY_SERVICES:
            for template in names:
                items.append(_service(rng, service, template.format(c=_short(cell.name), s=_short(street)), cell, departments))
    for street_code in ROADS:
        cell = next(c for c in cells.values() if c.code.startswith(street_code))
        street = cell.parent.name if cell.parent else ""
        for service, names in STREET_SERVICES:
            for template in names:
                items.append(_service(rng, service, template.format(s=_short(street), c=""), cell, departments))
    return items


def _service(rng: random.Random, service: str, name: str, cell: GridCell, departments: dict[str, Department]) -> PointData:
    hours, offered = GUIDES[service]
    if "药房" in name:
        hours = "每天 8:00-21:00"
    elif "银行" in name:
        hours = "周一至周日 9:00-17:00"
    lat, lng = _jitter(rng, CENTRES[cell.code])
    chosen = [s for s in offered if rng.random() < 0.8] or offered[:1]
    phone = f"0512-6{rng.randint(100, 999)}{rng.randint(1000, 9999)}"
    return PointData(kind=Point.Kind.SERVICE, name=name, grid=cell, address=_address(rng, cell.code[:4]), lat=lat, lng=lng,
                     department=departments.get(DEPT_FOR_SERVICE[service]), service=service, hours=hours, services="\n".join(chosen),
                     phone=phone)  # fmt: skip


def seed_points(seed: int = 19) -> dict[str, int]:
    """Create the demo points, a few scale reports this month (routed to 市场监管) and reward findings. Idempotent."""
    if Point.objects.exists():
        return {}
    services.short_weight_category()
    today = timezone.now().astimezone(SHANGHAI).date()
    with transaction.atomic():
        points = services.import_points(point_items(seed, today), by=SYSTEM, source="演示数据")
    counts: dict[str, int] = {}
    for p in points:
        counts[p.kind] = counts.get(p.kind, 0) + 1
    _scale_reports(random.Random(seed))
    return counts


def _scale_reports(rng: random.Random) -> None:
    channel = Channel.objects.get(code="ssp")
    handler: Any = get_user_model().objects.filter(username="h-scj").first() or SYSTEM
    for i, (code, merchant, text) in enumerate(SCALE_REPORTS):
        point = Point.objects.filter(kind=Point.Kind.SCALE, grid__code=code, owner__name=merchant).order_by("id").first()
        if point is None:
            continue
        data = IntakeData(channel=channel, title=f"缺斤短两：{point.owner}", content=text, phone=f"139{rng.randint(10000000, 99999999)}",
                          grid=point.grid, address=point.address)  # fmt: skip
        appeal, _ = services.report_at_point(point, data, caller="demo", idempotency_key=f"points-demo-{i}")
        services.route_report(appeal.pk, point.pk)  # at once, whatever the outbox transport; the job then finds it dispatched
        if i % 3 == 0:
            appeal.refresh_from_db()
            services.decide_reward(appeal, valid=True, by=handler, note="现场复核属实，已责令整改")
