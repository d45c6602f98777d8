"""Synthetic appeal generator shared by the triage tests.

The sentences are written for these tests; no real appeal text is used.
"""

from __future__ import annotations

import random

TOPICS: dict[str, list[str]] = {
    "城乡建设": [
        "小区物业乱收停车费",
        "楼道电梯经常故障无人维修",
        "开发商延期交房",
        "小区违章搭建阳光房",
        "房屋漏水物业不管",
        "安置房质量很差墙面开裂",
        "小区绿化被改成停车位",
        "商品房产权证迟迟办不下来",
    ],
    "交通运输": [
        "公交线路突然取消",
        "出租车司机拒载绕路",
        "路口红绿灯时间太短",
        "公交车站台没有遮雨棚",
        "货车超载压坏道路",
        "网约车平台乱扣费",
        "长途客运站发车不准时",
        "公交车司机开车太猛",
    ],
    "教育文体": [
        "学校强制学生订购教辅资料",
        "幼儿园收费太高",
        "孩子入学划片不合理",
        "老师在校外有偿补课",
        "学校食堂饭菜质量差",
        "体育馆不对市民开放",
        "中学教室太拥挤",
        "教师工资迟迟不发",
    ],
    "环境保护": [
        "工厂夜间偷排废气气味刺鼻",
        "河道里有污水直排",
        "搅拌站粉尘污染严重",
        "养猪场臭气熏天",
        "夜间施工噪音扰民",
        "垃圾焚烧厂冒黑烟",
        "餐馆油烟直排居民楼",
        "采砂场破坏河岸",
    ],
}
FILLERS = [
    "请领导重视",
    "希望有关部门尽快处理",
    "已经反映多次",
    "严重影响生活",
    "谢谢",
    "恳请解决",
    "居民意见很大",
    "望早日答复",
    "这种情况持续很久了",
    "大家都很着急",
]
PLACES = ["东湖街道", "西山社区", "南门小区", "北站路", "建设路", "幸福里"]


def make_dataset(n_per_class: int = 40, seed: int = 0, labels: list[str] | None = None) -> tuple[list[str], list[str]]:
    """Return (texts, labels); each text is ``title\\nbody`` like the CSV rows."""
    rng = random.Random(seed)
    texts: list[str] = []
    ys: list[str] = []
    for label in labels or list(TOPICS):
        topics = TOPICS[label]
        for _ in range(n_per_class):
            main = rng.choice(topics)
            other = rng.choice(topics)
            title = f"{rng.choice(PLACES)}{main}"
            body = "，".join([f"我住在{rng.choice(PLACES)}", main, other, rng.choice(FILLERS), rng.choice(FILLERS)]) + "。"
            texts.append(f"{title}\n{body}")
            ys.append(label)
    order = list(range(len(texts)))
    rng.shuffle(order)
    return [texts[i] for i in order], [ys[i] for i in order]


def write_csv(path: object, texts: list[str], labels: list[str], bom: bool = True) -> None:
    import csv

    with open(str(path), "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["留言编号", "留言用户", "留言主题", "留言详情", "一级标签"])
        for i, (t, y) in enumerate(zip(texts, labels, strict=True)):
            title, _, body = t.partition("\n")
            w.writerow([i + 1, f"U{i % 7:07d}", title, body, y])
