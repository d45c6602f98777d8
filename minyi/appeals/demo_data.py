"""Sentences for demo appeals, written by the minyi team for the fictional 明湖区.

Each template belongs to a level-2 category code from ``minyi.directory.defaults``. Its slots are
filled once per appeal (``fill``), so the title and the content name the same shop, the same
building and the same number. Places come from the grid's own address aliases, by what they are
(``PLACE_KINDS``: a housing estate, a school, a market …), so the address always resolves to the
community the appeal is filed under and a 菜场 is never a 小学. A template may be seasonal
(``months``: no mosquitoes in December), and says who writes it (a person, an enterprise, or either).
Nothing here comes from real citizens' messages.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from typing import NamedTuple

from minyi.appeals.validators import credit_code_check_char

ALL_YEAR = frozenset(range(1, 13))
WARM = frozenset({5, 6, 7, 8, 9, 10})  # mosquitoes, open windows
SUMMER = frozenset({6, 7, 8, 9})
RAINY = frozenset({5, 6, 7, 8, 9})  # 梅雨 and typhoons
WINTER = frozenset({12, 1, 2})
YEAR_END = frozenset({11, 12, 1})  # migrant workers want their pay before 春节

PERSON, ENTERPRISE, EITHER = "person", "enterprise", "either"


class Template(NamedTuple):
    kind: str
    title: str
    content: str
    months: frozenset[int] = ALL_YEAR
    who: str = PERSON


T = Template

TEMPLATES: dict[str, list[Template]] = {
    "cxjs-wy": [
        T(
            "complaint",
            "{estate}{building}号楼电梯频繁故障无人维修",
            "{estate}{building}号楼电梯近{days}经常停运，老人上下楼非常困难，多次联系物业都说在等配件，请相关部门督促物业尽快维修。",
        ),
        T("complaint", "{estate}物业不作为楼道垃圾堆积", "{estate}物业服务差，楼道垃圾{days}没人清理，绿化带杂草丛生，业主多次反映无果，要求物业整改。"),
        T("consult", "咨询{estate}维修资金使用流程", "{estate}{building}号楼屋面漏水需要维修，想咨询使用住宅专项维修资金需要哪些材料、经过哪些表决程序。"),
        T(
            "help",
            "{estate}{building}号楼水管冻裂漏水",
            "这几天降温，{estate}{building}号楼楼道里的供水管冻裂了，一直在漏水，楼梯结冰很滑，请物业尽快抢修。",
            WINTER,
        ),
    ],
    "cxjs-zf": [
        T("consult", "咨询公租房申请条件", "本人在明湖区工作{years}年，无自有住房，想咨询公租房申请需要满足什么条件，到哪里办理。"),
        T("suggestion", "建议{estate}老旧小区加装电梯", "{estate}是上世纪九十年代建成的老小区，住户老人多，建议纳入老旧小区改造计划并加装电梯。"),
    ],
    "cxjs-sz": [
        T("help", "{place}附近路面塌陷存在安全隐患", "{place}附近路面出现一个直径约{hole}厘米的坑，晚上看不清，已经有电动车摔倒，请尽快修复。", who=EITHER),
        T("complaint", "{place}附近路灯{days}不亮", "{place}附近一段路灯已经{days}不亮了，晚上出行很不安全，请安排维修。"),
        T("help", "{place}人行道井盖缺失", "{place}人行道上一个井盖缺失，只用树枝挡着，孩子放学经过很危险，请尽快补上。"),
        T("complaint", "{place}门口下雨积水严重", "{place}门口道路地势低，一下雨就积水到小腿，行人只能蹚水，请疏通排水管道。", RAINY),
        T(
            "complaint",
            "{business}园区道路破损影响货车通行",
            "我公司在{business}，园区门口道路破损严重，货车进出颠簸，已经损坏过货物，请尽快安排修补。",
            who=ENTERPRISE,
        ),
    ],
    "csgl-wz": [
        T("report", "举报{estate}违章搭建", "{estate}{building}号楼顶楼住户在楼顶搭建彩钢板房，影响楼下采光且有安全隐患，请依法处理。"),
        T("complaint", "{place}门口占道经营影响通行", "{place}门口每天傍晚有流动摊贩占道经营，人行道被堵，车辆进出困难，请加强管理。"),
    ],
    "csgl-hw": [
        T("complaint", "{estate}垃圾清运不及时", "{estate}垃圾桶已经满溢{days}，气味很大，影响居民出行，希望增加清运频次。"),
        T("complaint", "{estate}垃圾桶满溢蚊蝇多", "天气热，{estate}垃圾桶满溢{days}没人清运，气味很大，蚊蝇很多，请尽快处理。", SUMMER),
        T("suggestion", "建议{estate}增设分类垃圾桶", "{estate}只有两组垃圾桶，居民垃圾分类投放不方便，建议增加可回收物和有害垃圾投放点。"),
    ],
    "csgl-tc": [
        T("complaint", "{estate}车辆乱停堵塞消防通道", "{estate}小区内车辆乱停乱放，消防通道被占，一旦发生火灾消防车进不来，请相关部门处理。"),
        T("consult", "咨询{place}周边停车收费标准", "想了解{place}周边公共停车场的收费标准，以及居民是否可以办理包月停车。"),
        T("suggestion", "建议{business}周边增设停车位", "我公司在{business}办公，周边停车位严重不足，员工和访客停车难，建议增设公共停车位。", who=ENTERPRISE),
    ],
    "hjbh-zs": [
        T("complaint", "{estate}附近工地夜间施工噪音扰民", "{estate}附近工地连续{days}晚上十点以后还在施工，噪音很大，孩子无法入睡，请查处。"),
        T("complaint", "{loud}门口音响声音太大", "{place}的{loud}每天在门口放高音喇叭促销，噪声扰民，请相关部门管理。"),
    ],
    "hjbh-dq": [
        T("complaint", "{eatery}油烟直排扰民", "{estate}楼下的{eatery}没有安装油烟净化设施，油烟直接排到居民窗口，请环保部门检查。"),
        T("report", "{place}附近工地扬尘严重", "{place}附近施工工地没有覆盖防尘网，刮风天尘土飞扬，周边居民无法开窗。"),
    ],
    "hjbh-ss": [
        T("report", "{place}旁河道发黑发臭", "{place}旁边的河道近{days}水体发黑并有异味，怀疑有商户偷排污水，请尽快调查。"),
    ],
    "jtys-gj": [
        T("suggestion", "建议增开到{place}的公交线路", "{place}周边新建了几个小区，居民出行不便，建议增开公交线路或加密班次。"),
        T("complaint", "{bus}路公交车在{place}站经常过站不停", "{bus}路公交车在{place}站经常过站不停，等车时间超过半小时，请公交公司整改。"),
        T("suggestion", "建议开通{business}通勤公交", "我公司在{business}，员工大多住在城区，早晚通勤不便，建议开通高峰通勤公交线路。", who=ENTERPRISE),
    ],
    "jtys-cz": [
        T("complaint", "出租车在{place}拒载", "在{place}打车，出租车司机嫌距离近拒载，车牌已记下，请依法处理。"),
    ],
    "ldsb-qx": [
        T(
            "complaint",
            "{employer}拖欠工资{months}个月",
            "本人在{employer}工作，公司已拖欠{months}个月工资共计{wage}万余元，多次讨要无果，请劳动监察部门帮助。",
        ),
        T(
            "help",
            "{place}附近工地农民工工资被拖欠",
            "我们{workers}名工人在{place}附近的工地干活，包工头拖欠工资{days}，马上过年回家没钱，请政府帮忙协调。",
            YEAR_END,
        ),
        T("help", "{place}附近工地完工后工资未结清", "我们{workers}名工人在{place}附近的工地干活，工程完工{days}了，工资一直没有结清，请政府帮忙协调。"),
    ],
    "ldsb-sb": [
        T("consult", "咨询灵活就业人员养老保险缴费", "本人是灵活就业人员，想咨询养老保险如何办理缴费、缴费基数怎么选择。"),
        T("consult", "咨询医保异地就医备案", "父母在外地居住，想咨询医保异地就医备案怎么办理，需要哪些材料。"),
    ],
    "ldsb-jy": [
        T("consult", "咨询一次性创业补贴申请", "准备在{place}附近开一家小店，想咨询一次性创业补贴的申请条件和流程。"),
        T("consult", "咨询企业吸纳就业补贴", "我公司今年新招了{workers}名应届毕业生，想咨询吸纳就业补贴的申请条件和办理流程。", who=ENTERPRISE),
    ],
    "jywt-jy": [
        T("consult", "咨询{estate}入学划片", "孩子明年上小学，户口在{estate}，想咨询对口的是哪所学校，什么时候报名。"),
        T("complaint", "{training}停课退费难", "孩子在{place}附近的{training}报了培训课程，机构突然停课，剩余{fee}元学费一直不退，请教育部门处理。"),
        T("suggestion", "建议{school}门口增设护学岗", "{school}门口上下学时段车辆和行人混行，孩子过马路很危险，建议增设护学岗和减速带。"),
    ],
    "jywt-wt": [
        T("suggestion", "建议{estate}增加健身设施", "{estate}周边居民多，公共健身器材只有几件且有损坏，建议增设并定期维护。"),
    ],
    "wsjk-yl": [
        T("complaint", "区医院挂号排队时间长", "在区医院看病挂号排了{hours}，自助机经常故障，希望改进服务。"),
    ],
    "wsjk-gw": [
        T("help", "{estate}蚊虫多请求消杀", "{estate}绿化带积水多，蚊子特别多，请安排病媒消杀。", WARM),
        T("consult", "咨询儿童疫苗接种时间", "想咨询{community}卫生服务站儿童疫苗接种的时间和预约方式。"),
    ],
    "smjg-xf": [
        T("complaint", "{prepaid}预付卡无法退款", "在{place}附近的{prepaid}办了{fee}元预付卡，现在门店关门，老板联系不上，请求帮助退款。"),
        T("complaint", "{seller}标价与结算价不一致", "{place}附近的{seller}商品标价与结算价不一致，多收了钱，要求处理。"),
    ],
    "smjg-sp": [
        T("report", "{grocer}销售过期食品", "在{place}附近的{grocer}买到过期牛奶，已保留小票和商品，请市场监管部门查处。"),
        T("report", "{eatery}后厨卫生脏乱", "{place}附近的{eatery}后厨卫生条件很差，有老鼠出没，请检查。"),
    ],
    "sdly-sm": [
        T("suggestion", "建议{market}延长营业时间", "{market}下午五点就关门，上班族买菜不方便，建议延长营业时间。"),
    ],
    "ggaq-rq": [
        T("help", "{estate}{building}号楼闻到燃气味", "{estate}{building}号楼楼道里闻到很浓的燃气味，怀疑燃气泄漏，请马上派人检查！"),
        T("report", "{eatery}违规使用瓶装液化气", "{place}附近的{eatery}在室内存放多个液化气瓶，存在安全隐患。"),
    ],
    "ggaq-xf": [
        T("report", "{estate}{building}号楼楼道电动车充电", "{estate}{building}号楼有住户把电动车推进楼道充电，飞线充电，存在火灾隐患，请处理。"),
        T("complaint", "{estate}消防通道被杂物堵塞", "{estate}消防通道堆满杂物，物业不管，存在安全隐患。"),
    ],
    "ggaq-zs": [
        T("complaint", "{place}路口交通拥堵", "{place}路口早晚高峰拥堵严重，信号灯配时不合理，建议交警优化。", who=EITHER),
    ],
    "mzfw-yl": [
        T("help", "{estate}独居老人需要帮助", "{estate}{building}号楼有一位{elder}岁的独居老人，行动不便，最近几天没见出门，请社区上门看望。"),
        T("consult", "咨询居家养老服务补贴", "家里老人{parent_age}岁，想咨询居家养老服务补贴如何申请。"),
    ],
    "mzfw-jz": [
        T("help", "家庭困难申请救助", "家住{estate}，丈夫重病，家里收入很低，想申请低保或临时救助。"),
    ],
    "mzfw-cj": [
        T("suggestion", "{place}无障碍通道被占用", "{place}的无障碍坡道经常被车辆占用，轮椅无法通行，请管理。"),
        T("consult", "咨询残疾人两项补贴", "想咨询残疾人生活补贴和重度残疾人护理补贴的申请条件。"),
    ],
    "yshj-zc": [
        T("consult", "咨询小微企业惠企政策", "我公司是{business}的小微企业，想了解今年有哪些稳岗和房租减免政策，如何申报。", who=ENTERPRISE),
        T("help", "企业技改补贴迟迟未兑现", "我公司去年申报的{subsidy}万元技改补贴已公示，但至今未到账，请帮助协调。", who=ENTERPRISE),
    ],
    "yshj-sp": [
        T("complaint", "食品经营许可证办理时间过长", "我公司在政务服务中心申请食品经营许可证，材料齐全但{days}还没办好，请加快。", who=ENTERPRISE),
        T("suggestion", "建议企业开办一件事全程网办", "建议把企业开办涉及的多个事项整合为一件事，全程网上办理，减少企业跑腿。", who=ENTERPRISE),
    ],
    "zwfw-rx": [
        T("consult", "咨询居住证办理", "刚来明湖区工作，想咨询居住证办理需要什么材料、在哪里办。"),
        T("praise", "表扬{community}工作人员", "{community}工作人员耐心帮助我办理了业务，服务热情周到，特此表扬。"),
    ],
}

# What each of the grid's address aliases (``minyi.directory.defaults.STREETS``) is, so a template asking for a
# housing estate never gets a primary school. ``place`` slots take any of them.
PLACE_KINDS: dict[str, str] = {
    **dict.fromkeys(
        [
            "湖滨新村",
            "湖滨花园",
            "明珠苑",
            "望月里",
            "枫亭苑",
            "青石弄",
            "青石新村",
            "杨柳岸小区",
            "金桂花园",
            "银桂苑",
            "运河人家",
            "长桥新村",
            "古桥弄",
            "新丰家园",
            "云塘花苑",
        ],
        "estate",
    ),
    **dict.fromkeys(["明珠广场", "运河码头", "石桥老街"], "square"),
    **dict.fromkeys(["望月小学", "金桂小学"], "school"),
    **dict.fromkeys(["枫亭菜场", "新丰农贸市场"], "market"),
    **dict.fromkeys(["科技城", "创业大厦", "软件园"], "business"),
}
PLACE_SLOTS = {"estate", "school", "market", "business"}  # slots naming an alias of that kind; "place" takes any

# Businesses by trade: a 培训 complaint names a training school, never a noodle bar.
TRADES: dict[str, list[str]] = {
    "eatery": ["好味面馆", "老街烧烤", "顺发小吃", "湖畔酒家", "川味小厨"],
    "grocer": ["鑫源超市", "佳佳便利店", "惠民生鲜超市"],
    "training": ["快乐成长教育", "启航艺术培训", "博学英语培训中心"],
    "prepaid": ["阳光健身会所", "美丽佳人美容院", "洁净洗衣店", "快乐成长教育"],
    "seller": ["金福珠宝", "鑫源超市", "潮流服饰店"],
    "loud": ["鑫源超市", "潮流服饰店", "佳佳便利店"],
    "employer": ["顺发装饰工程有限公司", "恒通汽车维修有限公司", "明湖大酒店", "湖畔餐饮管理有限公司"],
}
SHOPS = sorted({name for names in TRADES.values() for name in names})

DURATIONS = ["两天", "三天", "一周", "半个月", "一个多月"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["女士", "先生", "阿姨", "师傅"]
# Fictional enterprises, each named once (its credit code follows from its name: ``minyi.appeals.demo``).
ENTERPRISES = [
    "明湖智造科技有限公司",
    "青枫文化传媒有限公司",
    "桂园餐饮管理有限公司",
    "运河物流有限公司",
    "云塘软件有限公司",
    "湖光精密机械有限公司",
    "长桥新材料科技有限公司",
    "石桥古建修缮有限公司",
    "枫亭生物医药有限公司",
    "新丰农产品贸易有限公司",
    "望月数字科技有限公司",
    "金桂酒店管理有限公司",
    "科技城智能装备有限公司",
    "明珠商业管理有限公司",
]


def enterprise_code(name: str) -> str:
    """A valid 统一社会信用代码 that follows from the enterprise's name: one name, one enterprise."""
    rng = random.Random(f"enterprise-{name}")
    body = "91320508" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    return body + credit_code_check_char(body)


_NUMBERS: dict[str, Callable[[random.Random], str]] = {
    "building": lambda r: str(r.randint(1, 28)),
    "days": lambda r: r.choice(DURATIONS),
    "years": lambda r: r.choice(["两", "三", "五", "八"]),
    "months": lambda r: r.choice(["两", "三", "四", "五"]),
    "wage": lambda r: str(r.randint(2, 9)),
    "workers": lambda r: r.choice(["十几", "二十多", "三十多"]),
    "hole": lambda r: r.choice(["30", "50", "80"]),
    "bus": lambda r: r.choice(["3", "12", "27", "45", "103", "216"]),
    "hours": lambda r: r.choice(["两个多小时", "三个小时", "一个半小时"]),
    "fee": lambda r: r.choice(["2000", "3000", "5000", "8000"]),
    "subsidy": lambda r: r.choice(["5", "8", "12", "20", "30"]),
    "elder": lambda r: r.choice(["七十多", "八十多", "八十", "九十"]),
    "parent_age": lambda r: r.choice(["七十五", "八十二", "八十六", "九十"]),
}

# 答复 by kind of appeal: a consultation is answered with the policy, a complaint with what was done on site.
REPLY_DAYS = ["三个工作日", "一周", "半个月"]
REPLIES: dict[str, list[str]] = {
    "complaint": [
        "经现场核查，情况属实，已责令相关责任方于{days}内整改完毕，并已电话告知诉求人。",
        "已安排工作人员现场处置，问题已解决，后续将加强日常巡查。",
        "经调查，该事项已纳入本年度整治计划，预计{days}内完成，已向诉求人解释说明。",
    ],
    "consult": ["已联系诉求人说明相关政策规定，并提供办理指引，诉求人表示理解。"],
    "suggestion": ["感谢您的建议。经研究，已将该建议纳入本单位工作计划统筹考虑，并已电话告知诉求人。"],
    "praise": ["感谢您的肯定，已将表扬转达给相关工作人员，我们将继续做好服务。"],
}
REPLIES["help"] = REPLIES["report"] = REPLIES["complaint"]
# Where the usual answer of the kind would not fit the category (a family in hardship is not "rectified on site"),
# by (category, kind): within a category the templates differ in kind.
REPLIES_BY_CATEGORY: dict[tuple[str, str], str] = {
    ("mzfw-jz", "help"): "社区工作人员已上门核实家庭情况，指导诉求人提交低保和临时救助申请材料，街道将在规定时限内完成审核并告知结果。",
    ("mzfw-yl", "help"): "社区工作人员已上门看望，老人身体状况良好，已纳入社区重点关爱对象，每周上门探访。",
    ("mzfw-yl", "consult"): "已向诉求人说明居家养老服务补贴的申请条件和流程，并指导其在社区提交申请。",
    ("mzfw-cj", "consult"): "已向诉求人说明残疾人两项补贴的申请条件，并指导其通过残联窗口办理。",
    ("mzfw-cj", "suggestion"): "已协调物业和执法队员清理占用无障碍坡道的车辆，并设置禁停标识。",
    ("wsjk-gw", "help"): "已安排专业消杀人员对绿化带积水和蚊虫滋生点进行消杀，并督促物业清理积水。",
    ("ggaq-rq", "help"): "燃气公司抢修人员已到场检测，排除泄漏隐患，并对楼道燃气管道进行了全面检查。",
    ("ggaq-rq", "report"): "已督促商户将液化气瓶移出室内，按规定存放，并开展安全用气宣传。",
    ("yshj-zc", "help"): "已协调相关部门核实补贴兑现进度，补贴资金已进入拨付流程，并电话告知企业。",
    ("yshj-sp", "complaint"): "已协调审批部门加快办理，相关证照已办结，并电话告知企业。",
    ("yshj-sp", "suggestion"): "感谢您的建议。企业开办“一件事”已纳入今年改革计划，将逐步实现全程网办。",
    ("ldsb-qx", "complaint"): "劳动保障监察大队已约谈用人单位，督促其在规定期限内足额支付拖欠工资，并已告知诉求人后续维权途径。",
    ("ldsb-qx", "help"): "劳动保障监察大队已约谈施工总包单位，督促其在规定期限内足额支付农民工工资，并已告知诉求人。",
}
REDO_REPLIES = {
    "consult": "重新答复：已再次电话联系诉求人，详细解释政策口径并寄送办事指南。",
}
REDO_REPLY = "重新办理：已再次现场处置并整改到位。"


def slots(template: Template) -> set[str]:
    """The slot names a template uses, title and content together."""
    names = set()
    for text in (template.title, template.content):
        names |= {field for _, field, _, _ in string.Formatter().parse(text) if field}
    return names


def fits(template: Template, aliases: list[str]) -> bool:
    """Whether a community with these address aliases has every kind of place the template names."""
    kinds = {PLACE_KINDS.get(a) for a in aliases}
    return all(name in kinds for name in slots(template) & PLACE_SLOTS)


def fill(template: Template, rng: random.Random, *, aliases: list[str], community: str, place: str | None = None) -> tuple[str, str, str]:
    """(title, content, place) with every slot drawn once, so the title and the content agree.

    ``place`` (an alias of the community) is where the appeal happened; the address is built from it.
    """
    names = slots(template)
    values: dict[str, str] = {"community": community}
    for kind in sorted(names & PLACE_SLOTS):
        chosen = place if place is not None and PLACE_KINDS.get(place) == kind else rng.choice([a for a in aliases if PLACE_KINDS.get(a) == kind])
        values[kind] = chosen
    values["place"] = place if place is not None and place in aliases else rng.choice(aliases)
    for kind in sorted(names & set(TRADES)):
        values[kind] = rng.choice(TRADES[kind])
    for kind in sorted(names & set(_NUMBERS)):
        values[kind] = _NUMBERS[kind](rng)
    located = next((values[k] for k in ("estate", "school", "market", "business") if k in names), values["place"])
    return template.title.format(**values), template.content.format(**values), located


def reply_for(kind: str, rng: random.Random, code: str = "") -> str:
    """A department's 答复 that fits the appeal: by its category where the kind's usual answer would not fit."""
    fitting = REPLIES_BY_CATEGORY.get((code, kind))
    choices = [fitting] if fitting else REPLIES.get(kind, REPLIES["complaint"])
    return rng.choice(choices).format(days=rng.choice(REPLY_DAYS))


def example_text(code: str, rng: random.Random) -> str:
    """A filled demo text of the category (training examples for the tests), in 湖滨社区."""
    aliases = ["湖滨新村", "湖滨花园", "望月小学", "枫亭菜场", "科技城", "明珠广场"]
    template = rng.choice(TEMPLATES[code])
    title, content, _ = fill(template, rng, aliases=aliases, community="湖滨社区")
    return f"{title}\n{content}"


# 派错部门: where a dispatcher plausibly sends an appeal of this category by mistake, and what the wrong
# department writes when it hands it back. Each entry is (department code, the category the dispatcher
# picked, 退单 reason); "street" is the street office where the appeal happened, "neighbour" the next
# street (a place-name mix-up, returned as 不属本辖区). ``minyi.appeals.demo`` corrects every one of them.
MISROUTES: dict[str, list[tuple[str, str, str]]] = {
    "cxjs-wy": [
        ("zjj", "cxjs-wy", "小区物业服务纠纷实行属地管理，应由所在街道牵头督促物业整改，请改派属地街道。"),
        ("neighbour", "cxjs-wy", "经核实，该小区不在本街道辖区，请改派属地街道。"),
    ],
    "cxjs-zf": [("zjj", "cxjs-zf", "公租房申请受理和老旧小区改造摸底由属地街道负责，本局不直接受理个人申请。")],
    "cxjs-sz": [
        ("cgj", "csgl-hw", "道路、路灯、井盖等市政设施的养护属区住建局职责，本局无养护队伍和经费。"),
        ("street", "cxjs-sz", "市政道路设施维修属区住建局职责，街道无维修权限，请改派。"),
    ],
    "csgl-wz": [
        ("zjj", "cxjs-wy", "违法搭建查处和占道经营整治属街道综合行政执法职责，不属住建部门。"),
        ("cgj", "csgl-wz", "相关执法权已下放街道，违法建设和占道经营由属地街道综合执法队查处。"),
        ("neighbour", "csgl-wz", "经现场核实，该处不在本街道辖区，请改派属地街道。"),
    ],
    "csgl-hw": [
        ("cgj", "csgl-hw", "生活垃圾清运由属地街道组织实施，请改派所在街道。"),
        ("neighbour", "csgl-hw", "经现场核实，诉求地点不在本街道辖区，请改派属地街道。"),
    ],
    "csgl-tc": [
        ("gaj", "ggaq-zs", "小区内部道路停车不属交警管辖范围，应由属地街道协调物业处理。"),
        ("neighbour", "csgl-tc", "经核实，该小区属相邻街道管辖，请改派。"),
    ],
    "hjbh-zs": [
        ("zjj", "cxjs-sz", "施工噪声扰民由生态环境部门依法查处，本局不具备噪声执法权限。"),
        ("street", "csgl-wz", "噪声扰民的监测和查处属区生态环境局职责，街道无监测设备和执法权。"),
    ],
    "hjbh-dq": [("scj", "smjg-sp", "餐饮油烟排放和工地扬尘不属市场监管职责，应由生态环境部门查处。")],
    "hjbh-ss": [("street", "csgl-hw", "涉嫌偷排污水需由生态环境部门取样检测并立案查处，街道无此职能。")],
    "jtys-gj": [("gaj", "ggaq-zs", "公交线路设置和到站问题属交通运输部门职责，不属交警管辖。")],
    "jtys-cz": [("gaj", "ggaq-zs", "出租车拒载属客运市场管理事项，由区交通运输局处理。")],
    "ldsb-qx": [("zjj", "cxjs-sz", "欠薪投诉由人社部门劳动保障监察受理，请改派区人社局。")],
    "ldsb-sb": [("wjw", "wsjk-yl", "养老保险缴费和医保异地就医备案属社会保险经办事项，不属卫健委职责。")],
    "ldsb-jy": [("fgw", "yshj-zc", "创业补贴和吸纳就业补贴属就业扶持政策，由区人社局受理。")],
    "jywt-jy": [("scj", "smjg-xf", "校外培训机构停课退费由教育部门牵头处置，请改派区教体文旅委。")],
    "wsjk-gw": [("street", "csgl-hw", "病媒生物防制由区卫健委统筹安排专业消杀，街道无专业队伍。")],
    "smjg-xf": [("swj", "sdly-sm", "预付卡退费和价格欺诈属消费维权，由市场监管部门处理。")],
    "smjg-sp": [("wjw", "wsjk-gw", "食品销售和餐饮后厨卫生的监管属市场监管部门职责。")],
    "sdly-sm": [("scj", "smjg-sp", "菜场营业时间调整属商贸流通管理，应由区商务局负责。")],
    "ggaq-xf": [("zjj", "cxjs-wy", "电动车违规充电和消防通道堵塞属消防安全隐患，由应急管理部门督促整治。")],
    "ggaq-zs": [("jtj", "jtys-gj", "信号灯配时和路口通行秩序属公安交警职责。")],
    "mzfw-yl": [
        ("mzj", "mzfw-yl", "独居老人探视和居家养老服务补贴申请由属地街道、社区落实。"),
        ("neighbour", "mzfw-yl", "经社区核实，该老人住址不在本街道辖区，请改派属地街道。"),
    ],
    "mzfw-cj": [("mzj", "mzfw-jz", "残疾人两项补贴和无障碍设施问题由区残联负责。")],
    "yshj-zc": [("swj", "sdly-sm", "惠企政策兑现和技改补贴由区发改委营商环境科统筹，请改派。")],
}
