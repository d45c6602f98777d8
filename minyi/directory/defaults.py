"""The default district written by us: 明湖区, a fictional district of a fictional city.

Loaded by ``minyi load-defaults`` (and by ``seed-demo``/``demo``); idempotent, so an
admin's later edits to names survive only if they also change the codes.
"""

from __future__ import annotations

from django.db import transaction

from minyi.directory.models import Category, Channel, Department, GridCell

DISTRICT = ("mh", "明湖区人民政府")

BUREAUS: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("zjj", "区住房和城乡建设局", [("zjj-wy", "物业管理科"), ("zjj-gc", "工程建设科")]),
    ("cgj", "区城市管理局", [("cgj-sr", "市容环卫科"), ("cgj-zf", "综合执法大队")]),
    ("hbj", "区生态环境局", [("hbj-jc", "环境监察大队")]),
    ("jtj", "区交通运输局", [("jtj-gj", "公交客运科")]),
    ("rsj", "区人力资源和社会保障局", [("rsj-ld", "劳动监察大队"), ("rsj-sb", "社会保险科")]),
    ("jtw", "区教育体育和文化旅游委员会", [("jtw-jy", "基础教育科"), ("jtw-ly", "文旅市场科")]),
    ("wjw", "区卫生健康委员会", [("wjw-yz", "医政科")]),
    ("swj", "区商务局", []),
    ("scj", "区市场监督管理局", [("scj-xb", "消费者权益保护科"), ("scj-sp", "食品安全科")]),
    ("gaj", "公安分局", [("gaj-jj", "交警大队")]),
    ("mzj", "区民政局", []),
    ("sjj", "区数据局", [("sjj-12345", "12345热线分中心")]),
    ("yjj", "区应急管理局", []),
    ("cl", "区残疾人联合会", []),
    ("fgw", "区发展和改革委员会", [("fgw-yshj", "营商环境科")]),
]

STREETS: list[tuple[str, str, str, list[tuple[str, str, str]]]] = [
    (
        "mhjd",
        "明湖街道",
        "明湖路\n湖滨大道",
        [("mhjd-hb", "湖滨社区", "湖滨新村\n湖滨花园"), ("mhjd-mz", "明珠社区", "明珠苑\n明珠广场"), ("mhjd-wy", "望月社区", "望月里\n望月小学")],
    ),
    (
        "qfjd",
        "青枫街道",
        "青枫路\n枫桥",
        [("qfjd-ft", "枫亭社区", "枫亭苑\n枫亭菜场"), ("qfjd-qs", "青石社区", "青石弄\n青石新村"), ("qfjd-yl", "杨柳社区", "杨柳岸小区")],
    ),
    ("gyjd", "桂园街道", "桂园路\n桂花公园", [("gyjd-jg", "金桂社区", "金桂花园\n金桂小学"), ("gyjd-yg", "银桂社区", "银桂苑")]),
    ("lajd", "柳岸街道", "柳岸路\n运河码头", [("lajd-yh", "运河社区", "运河人家\n运河码头"), ("lajd-cq", "长桥社区", "长桥新村")]),
    ("sqjd", "石桥街道", "石桥路\n古石桥", [("sqjd-gq", "古桥社区", "古桥弄\n石桥老街"), ("sqjd-xf", "新丰社区", "新丰家园\n新丰农贸市场")]),
    ("ytjd", "云塘街道", "云塘路\n高新园", [("ytjd-yt", "云塘社区", "云塘花苑"), ("ytjd-kj", "科技城社区", "科技城\n创业大厦\n软件园")]),
]

# (code, name, department code or "" for 属地/street, [(code, name, [level-3 names])])
CATEGORIES: list[tuple[str, str, str, list[tuple[str, str, list[str]]]]] = [
    (
        "cxjs",
        "城乡建设",
        "zjj",
        [
            ("cxjs-wy", "物业管理", ["物业服务", "电梯维修", "维修资金"]),
            ("cxjs-zf", "住房保障", ["公租房", "老旧小区改造"]),
            ("cxjs-sz", "市政设施", ["道路破损", "路灯故障", "井盖缺失"]),
        ],
    ),
    (
        "csgl",
        "城市管理",
        "",
        [
            ("csgl-wz", "违章搭建", ["违章建筑", "占道经营"]),
            ("csgl-hw", "市容环卫", ["垃圾清运", "公厕管理", "垃圾分类"]),
            ("csgl-tc", "停车管理", ["乱停车", "停车收费"]),
        ],
    ),
    (
        "hjbh",
        "环境保护",
        "hbj",
        [
            ("hjbh-zs", "噪声污染", ["施工噪声", "商业噪声", "夜间施工"]),
            ("hjbh-dq", "大气污染", ["油烟扰民", "扬尘污染"]),
            ("hjbh-ss", "水污染", ["河道污染", "污水排放"]),
        ],
    ),
    (
        "jtys",
        "交通运输",
        "jtj",
        [
            ("jtys-gj", "公共交通", ["公交线路", "公交站点"]),
            ("jtys-cz", "出租网约车", ["拒载绕路", "网约车投诉"]),
        ],
    ),
    (
        "ldsb",
        "劳动和社会保障",
        "rsj",
        [
            ("ldsb-qx", "欠薪讨薪", ["拖欠工资", "农民工工资"]),
            ("ldsb-sb", "社会保险", ["养老保险", "医疗保险", "失业保险"]),
            ("ldsb-jy", "就业创业", ["就业补贴", "技能培训"]),
        ],
    ),
    (
        "jywt",
        "教育文体",
        "jtw",
        [
            ("jywt-jy", "教育管理", ["入学招生", "校外培训", "校园安全"]),
            ("jywt-wt", "文体旅游", ["景区管理", "体育设施"]),
        ],
    ),
    (
        "wsjk",
        "卫生计生",
        "wjw",
        [
            ("wsjk-yl", "医疗服务", ["医院服务", "医疗纠纷"]),
            ("wsjk-gw", "公共卫生", ["疫苗接种", "病媒防制"]),
        ],
    ),
    (
        "smjg",
        "市场监管",
        "scj",
        [
            ("smjg-xf", "消费维权", ["预付卡", "商品质量", "价格欺诈"]),
            ("smjg-sp", "食品安全", ["餐饮卫生", "过期食品"]),
        ],
    ),
    ("sdly", "商贸旅游", "swj", [("sdly-sm", "商贸流通", ["商业网点", "菜场管理"])]),
    (
        "ggaq",
        "公共安全",
        "yjj",
        [
            ("ggaq-rq", "燃气安全", ["燃气泄漏", "瓶装液化气"]),
            ("ggaq-xf", "消防安全", ["消防通道堵塞", "电动车违规充电"]),
            ("ggaq-zs", "治安交通", ["交通秩序", "治安问题"]),
        ],
    ),
    (
        "mzfw",
        "民政服务",
        "mzj",
        [
            ("mzfw-yl", "养老服务", ["居家养老", "养老机构"]),
            ("mzfw-jz", "社会救助", ["低保", "临时救助"]),
            ("mzfw-cj", "助残服务", ["残疾人补贴", "无障碍设施"]),
        ],
    ),
    (
        "yshj",
        "营商环境",
        "fgw",
        [
            ("yshj-zc", "惠企政策", ["政策咨询", "补贴兑现"]),
            ("yshj-sp", "审批服务", ["证照办理", "项目审批"]),
        ],
    ),
    ("zwfw", "政务服务", "sjj", [("zwfw-rx", "热线服务", ["咨询答复", "办事指南"])]),
]

# Categories whose handling falls to the street where it happens (属地).
TERRITORIAL_L1 = {"csgl"}
TERRITORIAL_L2 = {"cxjs-wy", "cxjs-zf", "mzfw-yl"}

DEPT_FOR_L2 = {"ggaq-zs": "gaj", "mzfw-cj": "cl", "ggaq-xf": "yjj", "smjg-sp": "scj"}

# (code, name, public self-service, open data). Open data: the channel's appeals may show, masked, on
# Open311 and a public map. Only the public-facing self-service channels, where citizens post for all to
# see; the hotline, meetings and referrals carry what people said in confidence.
CHANNELS: list[tuple[str, str, bool, bool]] = [
    ("12345", "12345热线", False, False),
    ("sst", "苏商通", False, False),
    ("zqzch", "政企早餐会", False, False),
    ("sqmy", "社情民意联系日", False, False),
    ("dzf", "大走访", False, False),
    ("ssp", "随手拍", True, True),
    ("wzxx", "网站信箱", True, True),
    ("cl", "残联转办", False, False),
    ("rdjy", "人大建议", False, False),
    ("zxta", "政协提案", False, False),
]


@transaction.atomic
def load_defaults() -> dict[str, int]:
    """Create or update the default organisation, grid, categories and channels."""

    def dept(code: str, name: str, kind: str, parent: Department | None) -> Department:
        obj, _ = Department.objects.update_or_create(code=code, defaults={"name": name, "kind": kind, "parent": parent})
        return obj

    root = dept(DISTRICT[0], DISTRICT[1], Department.Kind.DISTRICT, None)
    departments: dict[str, Department] = {}
    for code, name, sections in BUREAUS:
        departments[code] = dept(code, name, Department.Kind.BUREAU, root)
        for s_code, s_name in sections:
            dept(s_code, s_name, Department.Kind.SECTION, departments[code])
    for code, name, aliases, communities in STREETS:
        street_dept = dept(code, name, Department.Kind.STREET, root)
        street, _ = GridCell.objects.update_or_create(
            code=code, defaults={"name": name, "level": GridCell.Level.STREET, "department": street_dept, "aliases": aliases}
        )
        for c_code, c_name, c_aliases in communities:
            community_dept = dept(c_code, c_name, Department.Kind.COMMUNITY, street_dept)
            GridCell.objects.update_or_create(
                code=c_code,
                defaults={"name": c_name, "level": GridCell.Level.COMMUNITY, "parent": street, "department": community_dept, "aliases": c_aliases},
            )
    for code, name, dept_code, children in CATEGORIES:
        l1, _ = Category.objects.update_or_create(
            code=code,
            defaults={"name": name, "level": 1, "default_department": departments.get(dept_code), "territorial": code in TERRITORIAL_L1},
        )
        for c2, n2, leaves in children:
            d2 = departments.get(DEPT_FOR_L2.get(c2, dept_code))
            territorial = code in TERRITORIAL_L1 or c2 in TERRITORIAL_L2
            l2, _ = Category.objects.update_or_create(
                code=c2, defaults={"name": n2, "parent": l1, "level": 2, "default_department": d2, "territorial": territorial}
            )
            for i, leaf in enumerate(leaves, start=1):
                Category.objects.update_or_create(
                    code=f"{c2}-{i}",
                    defaults={"name": leaf, "parent": l2, "level": 3, "default_department": d2, "territorial": territorial},
                )
    for sort, (code, name, public, open_data) in enumerate(CHANNELS):
        # open_data only when the channel is new: an administrator's choice is never overwritten by a reload.
        defaults = {"name": name, "sort": sort, "public": public}
        Channel.objects.update_or_create(code=code, defaults=defaults, create_defaults={**defaults, "open_data": open_data})
    from minyi.directory.services import ensure_demo_shapes

    ensure_demo_shapes()  # the district map's polygons; a real district's loaded boundaries are kept
    return {
        "departments": Department.objects.count(),
        "grid_cells": GridCell.objects.count(),
        "categories": Category.objects.count(),
        "channels": Channel.objects.count(),
    }
