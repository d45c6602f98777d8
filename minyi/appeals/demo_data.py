"""Sentences for demo appeals, written by the minyi team for the fictional 明湖区.

Each template belongs to a level-2 category code from ``minyi.directory.defaults``.
Slots: {place} a named place from the grid aliases, {n} a small number, {days} a
duration, {shop} a business name. Nothing here comes from real citizens' messages.
"""

from __future__ import annotations

TEMPLATES: dict[str, list[tuple[str, str, str]]] = {
    # code: [(kind, title, content)]
    "cxjs-wy": [
        (
            "complaint",
            "{place}电梯频繁故障无人维修",
            "{place}{n}号楼电梯近{days}经常停运，老人上下楼非常困难，多次联系物业都说在等配件，请相关部门督促物业尽快维修。",
        ),
        ("complaint", "{place}物业不作为垃圾堆积", "{place}小区物业服务差，楼道垃圾{days}没人清理，绿化带杂草丛生，业主多次反映无果，要求物业整改。"),
        ("consult", "咨询{place}维修资金使用流程", "{place}屋面漏水需要维修，想咨询使用住宅专项维修资金需要哪些材料、经过哪些表决程序。"),
    ],
    "cxjs-zf": [
        ("consult", "咨询公租房申请条件", "本人在明湖区工作{n}年，无自有住房，想咨询公租房申请需要满足什么条件，到哪里办理。"),
        ("suggestion", "建议{place}老旧小区加装电梯", "{place}是上世纪九十年代的老小区，住户老人多，建议纳入老旧小区改造计划并加装电梯。"),
    ],
    "cxjs-sz": [
        ("help", "{place}路面塌陷存在安全隐患", "{place}附近路面出现一个直径约{n}十厘米的坑，晚上看不清，已经有电动车摔倒，请尽快修复。"),
        ("complaint", "{place}路灯不亮{days}", "{place}一段路灯已经{days}不亮了，晚上出行很不安全，请安排维修。"),
        ("help", "{place}井盖缺失", "{place}人行道上一个井盖缺失，只用树枝挡着，孩子放学经过很危险，请尽快补上。"),
    ],
    "csgl-wz": [
        ("report", "举报{place}违章搭建", "{place}{n}楼住户在楼顶搭建彩钢板房，影响楼下采光且有安全隐患，请城管部门依法处理。"),
        ("complaint", "{place}占道经营影响通行", "{place}门口每天傍晚有流动摊贩占道经营，人行道被堵，车辆进出困难，请加强管理。"),
    ],
    "csgl-hw": [
        ("complaint", "{place}垃圾清运不及时", "{place}垃圾桶已经满溢{days}，气味很大，夏天蚊蝇很多，希望增加清运频次。"),
        ("suggestion", "建议{place}增设分类垃圾桶", "{place}只有两组垃圾桶，居民垃圾分类投放不方便，建议增加可回收物和有害垃圾投放点。"),
    ],
    "csgl-tc": [
        ("complaint", "{place}车辆乱停堵塞消防通道", "{place}小区内车辆乱停乱放，消防通道被占，一旦发生火灾消防车进不来，请相关部门处理。"),
        ("consult", "咨询{place}周边停车收费标准", "想了解{place}周边公共停车场的收费标准，以及居民是否可以办理包月停车。"),
    ],
    "hjbh-zs": [
        ("complaint", "{place}工地夜间施工噪音扰民", "{place}附近工地连续{days}晚上十点以后还在施工，噪音很大，孩子无法入睡，请查处。"),
        ("complaint", "{shop}音响声音太大", "{place}的{shop}每天在门口放高音喇叭促销，噪声扰民，请相关部门管理。"),
    ],
    "hjbh-dq": [
        ("complaint", "{shop}油烟直排扰民", "{place}楼下的{shop}没有安装油烟净化设施，油烟直接排到居民窗口，请环保部门检查。"),
        ("report", "{place}工地扬尘严重", "{place}施工工地没有覆盖防尘网，刮风天尘土飞扬，周边居民无法开窗。"),
    ],
    "hjbh-ss": [
        ("report", "{place}河道发黑发臭", "{place}旁边的河道近{days}水体发黑并有异味，怀疑有商户偷排污水，请尽快调查。"),
    ],
    "jtys-gj": [
        ("suggestion", "建议增开到{place}的公交线路", "{place}周边新建了几个小区，居民出行不便，建议增开公交线路或加密班次。"),
        ("complaint", "{n}路公交车经常不到站", "{n}路公交车在{place}站经常过站不停，等车时间超过半小时，请公交公司整改。"),
    ],
    "jtys-cz": [
        ("complaint", "出租车在{place}拒载", "在{place}打车，出租车司机嫌距离近拒载，车牌已记下，请依法处理。"),
    ],
    "ldsb-qx": [
        ("complaint", "{shop}拖欠工资{n}个月", "本人在{place}的{shop}工作，公司已拖欠{n}个月工资共计{n}万余元，多次讨要无果，请劳动监察部门帮助。"),
        ("help", "农民工工资被拖欠", "我们{n}十名工人在{place}工地干活，包工头拖欠工资{days}，年底回家没钱，请政府帮忙协调。"),
    ],
    "ldsb-sb": [
        ("consult", "咨询灵活就业人员养老保险缴费", "本人是灵活就业人员，想咨询养老保险如何办理缴费、缴费基数怎么选择。"),
        ("consult", "咨询医保异地就医备案", "父母在外地居住，想咨询医保异地就医备案怎么办理，需要哪些材料。"),
    ],
    "ldsb-jy": [
        ("consult", "咨询创业补贴申请", "准备在{place}开一家小店，想咨询一次性创业补贴的申请条件和流程。"),
    ],
    "jywt-jy": [
        ("consult", "咨询{place}入学划片", "孩子明年上小学，户口在{place}，想咨询对口的是哪所学校，什么时候报名。"),
        ("complaint", "校外培训机构退费难", "在{place}的{shop}报了培训课程，机构突然停课，剩余{n}千元学费一直不退，请教育部门处理。"),
    ],
    "jywt-wt": [
        ("suggestion", "建议{place}增加健身设施", "{place}周边居民多，公共健身器材只有几件且有损坏，建议增设并定期维护。"),
    ],
    "wsjk-yl": [
        ("complaint", "医院挂号难排队时间长", "在区医院看病挂号排队{n}个小时，自助机经常故障，希望改进服务。"),
    ],
    "wsjk-gw": [
        ("help", "{place}蚊虫多请求消杀", "{place}绿化带积水多，蚊子特别多，请安排病媒消杀。"),
        ("consult", "咨询儿童疫苗接种时间", "想咨询{place}社区卫生服务中心儿童疫苗接种的时间和预约方式。"),
    ],
    "smjg-xf": [
        ("complaint", "{shop}预付卡无法退款", "在{place}的{shop}办了{n}千元预付卡，现在门店关门，老板联系不上，请求帮助退款。"),
        ("complaint", "{shop}商品价格欺诈", "{place}的{shop}标价与结算价不一致，多收了钱，要求处理。"),
    ],
    "smjg-sp": [
        ("report", "{shop}销售过期食品", "在{place}的{shop}买到过期牛奶，已保留小票和商品，请市场监管部门查处。"),
        ("report", "{shop}后厨卫生脏乱", "{place}的{shop}后厨卫生条件很差，有老鼠出没，请检查。"),
    ],
    "sdly-sm": [
        ("suggestion", "建议{place}菜场延长营业时间", "{place}菜场下午五点就关门，上班族买菜不方便，建议延长营业时间。"),
    ],
    "ggaq-rq": [
        ("help", "{place}闻到燃气味", "{place}{n}号楼楼道里闻到很浓的燃气味，怀疑燃气泄漏，请马上派人检查！"),
        ("report", "{shop}违规使用瓶装液化气", "{place}的{shop}在室内存放多个液化气瓶，存在安全隐患。"),
    ],
    "ggaq-xf": [
        ("report", "{place}楼道电动车充电", "{place}{n}号楼有住户把电动车推进楼道充电，飞线充电，存在火灾隐患，请处理。"),
        ("complaint", "{place}消防通道被杂物堵塞", "{place}消防通道堆满杂物，物业不管，存在安全隐患。"),
    ],
    "ggaq-zs": [
        ("complaint", "{place}路口交通拥堵", "{place}路口早晚高峰拥堵严重，信号灯配时不合理，建议交警优化。"),
    ],
    "mzfw-yl": [
        ("help", "{place}独居老人需要帮助", "{place}有一位{n}十多岁独居老人，行动不便，最近几天没见出门，请社区上门看望。"),
        ("consult", "咨询居家养老服务补贴", "家里老人{n}十岁，想咨询居家养老服务补贴如何申请。"),
    ],
    "mzfw-jz": [
        ("help", "家庭困难申请救助", "家住{place}，丈夫重病，家里收入很低，想申请低保或临时救助。"),
    ],
    "mzfw-cj": [
        ("suggestion", "{place}无障碍通道被占用", "{place}的无障碍坡道经常被车辆占用，轮椅无法通行，请管理。"),
        ("consult", "咨询残疾人两项补贴", "想咨询残疾人生活补贴和重度残疾人护理补贴的申请条件。"),
    ],
    "yshj-zc": [
        ("consult", "咨询小微企业惠企政策", "我公司是{place}的小微企业，想了解今年有哪些稳岗和房租减免政策，如何申报。"),
        ("help", "企业补贴迟迟未兑现", "我公司去年申报的{n}万元技改补贴已公示，但至今未到账，请帮助协调。"),
    ],
    "yshj-sp": [
        ("complaint", "证照办理时间过长", "在政务服务中心办理食品经营许可证，材料齐全但{days}还没办好，请加快。"),
        ("suggestion", "建议企业开办一件事全程网办", "建议把企业开办涉及的多个事项整合为一件事，全程网上办理，减少跑腿。"),
    ],
    "zwfw-rx": [
        ("consult", "咨询居住证办理", "刚来明湖区工作，想咨询居住证办理需要什么材料、在哪里办。"),
        ("praise", "表扬{place}社区工作人员", "{place}社区工作人员耐心帮助我办理了业务，服务热情周到，特此表扬。"),
    ],
}

SHOPS = ["好味面馆", "鑫源超市", "快乐成长教育", "阳光健身会所", "老街烧烤", "顺发餐饮", "金福珠宝", "佳佳便利店", "明湖大酒店", "恒通汽修"]
DURATIONS = ["两天", "三天", "一周", "半个月", "一个多月", "两个月"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["女士", "先生", "阿姨", "师傅"]
ENTERPRISES = ["明湖智造科技有限公司", "青枫文化传媒有限公司", "桂园餐饮管理有限公司", "运河物流有限公司", "云塘软件有限公司"]
REPLIES = [
    "经现场核查，情况属实，已责令相关责任方于{days}内整改完毕，并已电话告知诉求人。",
    "已联系诉求人说明相关政策规定，并提供办理指引，诉求人表示理解。",
    "已安排工作人员现场处置，问题已解决，后续将加强日常巡查。",
    "经调查，该事项已纳入本年度整治计划，预计{days}内完成，已向诉求人解释说明。",
]

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
    "ldsb-jy": [("fgw", "yshj-zc", "一次性创业补贴属就业扶持政策，由区人社局受理。")],
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
