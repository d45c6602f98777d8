"""答复质检: score a reply against its appeal before it reaches the citizen. Pure code, no Django.

``check_reply(appeal_title, appeal_content, reply)`` returns a ``QcResult``: a relevance score
(0–1), a completeness score (0–1) and a list of warnings, each with a code and a reason in
Chinese that says what to fix. The checks:

* **relevance** (``off_topic``): does the reply answer *this* appeal? Features of the pair: how
  much of the title the reply contains, how the words overlap, the places and numbers both
  name, and the places the reply names that the appeal does not (a copy-paste slip from a
  similar case), the dense cosine of the two vectors and the past-replies index's judgement
  (``ReplyIndex.fit_of``: would this reply be found as this appeal's answer among the archive's
  best replies for it?). Scored by a logistic model: fitted on the district's own archive
  (``minyi replyqc fit``), or the hand-set default weights below when none has been fitted;
* **completeness** (``incomplete``, ``no_contact``): what was done, the result, a time, and a
  contact number where the reply promises one;
* **推诿** (``deflection``): "not our duty" without saying who is responsible or where it was sent;
* **boilerplate only** (``boilerplate``): 「已收悉」 and courtesies, nothing else;
* **third-party personal data** (``third_party_pii``): a mobile number, ID or bank card number
  that is not the citizen's own;
* **tone** (``tone``): dismissive or blaming wording.

The check never blocks: it informs the handler and the approver (see services.py).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from minyi.assistant.replyindex import char_grams
from minyi.triage.pii import find_pii

_WS = re.compile(r"\s+")
_KEEP = re.compile(r"[^\u4e00-\u9fffA-Za-z0-9]+")
_CODE = re.compile(r"[A-Z]\d{1,3}(?:市|区|县|镇|乡)?")
_PLACE = re.compile(r"[\u4e00-\u9fff]{2,6}?(?:小区|社区|村|路|街道|街|大道|公园|学校|小学|中学|医院|广场|花园|大厦|公司)")
_NUM = re.compile(r"\d{2,}")
_USER = re.compile(r"[A-Z]{1,2}\d{5,}")  # masked platform user ids quoted in replies

_DONE = re.compile(r"核实|核查|调查|现场|查看|处理|协调|督促|责令|约谈|整改|答复|安排|检查|走访|调解|立案|处罚|维修|清理|拆除|研究|会同|对接|了解")
_RESULT = re.compile(
    r"已(?:经)?[\u4e00-\u9fff]{0,4}(?:完成|解决|整改|修复|恢复|拆除|清理|办理|到位|处理|落实|纳入|发放|退还|安排)|"
    r"经核实|经查|属实|不属实|目前|现已|结果|决定|同意|不符合|符合|下一步|将于|计划"
)
_TIME = re.compile(r"\d{1,4}年|\d{1,2}月\d{0,2}日?|\d+个?工作日|\d+日内|近日|近期|日前|目前|今年|明年|下一步|尽快|年底|月底")
_PROMISE_CONTACT = re.compile(r"(?:如有|若有|还有)(?:疑问|问题|异议|需要)|请(?:您)?(?:致电|来电|联系|拨打)|咨询电话|联系电话|联系方式|联系人")
_CONTACT = re.compile(r"\d{3,4}[-－—–]{0,2}\d{7,8}|\d{7,8}|1[3-9]\d{9}|12345")
_DEFLECT = re.compile(
    r"不属于?(?:我|本)(?:单位|局|部门|委|办|中心|镇|街道)?(?:的)?(?:职责|职能|管辖|业务|受理)|非(?:我|本)(?:单位|局|部门)(?:职责|职能|管辖)|不在(?:我|本)(?:单位|局|"
    r"部门)?(?:的)?(?:职责|管辖)|无权(?:处理|受理)|不归(?:我们|我单位|我局)管"
)
_REFERRAL = re.compile(
    r"转(?:交|办|至|给|到|送)|移交|移送|建议(?:您)?(?:向|到|与|联系|咨询|拨打)|请(?:您)?(?:向|到|与|联系|咨询|拨打)|由[\u4e00-\u9fff]{2,14}(?:负责|办理|处理|"
    r"管理)|(?<!不)属于?(?![我本])[\u4e00-\u9fff]{2,14}(?:的)?(?:职责|管辖)(?:范围)?[，,。]|(?:主管|责任)(?:部门|单位)(?:是|为)"
)
_BOILER = re.compile(
    r"网友|尊敬的|市民|朋友|您好|你好|留言|来信|信件|已收悉|收悉|收到|现(?:将有关情况)?(?:回复|答复)如下|特此(?:回复|答复)|回复|答复|感谢|谢谢|您对|我们|工作|"
    r"的|关心|关注|支持|理解|监督|信任|平台|问政|西地省|栏目|反映|的问题|情况|已转|有关|相关|部门|调查|核处|如有|将|及时|反馈|"
    r"\d{4}年\d{1,2}月\d{1,2}日|[A-Z]{1,2}\d{4,}"
)
_TONE = re.compile(r"无理取闹|胡搅蛮缠|不要再|别再|少管|你自己|自己去|爱找谁找谁|不归我们管|胡说|瞎说|闹事|刁民|无聊|自己看|请自重|不懂法|没有义务")
_POLITE = re.compile(r"您好|感谢|谢谢|理解|支持|抱歉|歉意")
_MOBILE = re.compile(r"1[3-9]\d{9}")

RELEVANCE_WARN = 0.5
FEATURES = (
    "title_in_reply", "title_run", "quote_title", "word_overlap", "char_cos", "codes_shared", "codes_extra",
    "places_shared", "places_extra", "nums_shared", "reply_in_appeal", "appeal_in_reply", "log_reply_len",
    "log_content_len", "boiler_share", "w_title", "w_appeal", "w_reply", "tfidf_cos", "rare_shared", "rare_extra",
    "has_dense", "dense_cos", "has_fit", "fit_logit", "bias",
)  # fmt: skip
# Hand-set default (used until the district's own archive has been fitted): each weight says how
# much one unit of the feature moves the log-odds that the reply answers this appeal.
DEFAULT_WEIGHTS = (3.0, 2.0, 1.5, 3.0, 4.0, 0.6, -0.8, 0.5, -0.5, 0.2, 1.0, 1.0, 0.0, 0.0, 0.0, 2.0, 2.0, 1.0, 3.0, 0.5, -2.0, -6.8, 8.0, 0.0, 1.0, -5.0)
IdfFn = Callable[[str], float]


@dataclass
class QcWarning:
    code: str
    label: str
    reason: str


@dataclass
class QcResult:
    relevance: float
    completeness: float
    warnings: list[QcWarning] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # completeness elements not found

    @property
    def flagged(self) -> bool:
        return bool(self.warnings)

    def codes(self) -> list[str]:
        return [w.code for w in self.warnings]

    def summary(self) -> str:
        return "；".join(f"{w.label}：{w.reason}" for w in self.warnings)


def squash(text: str) -> str:
    return _WS.sub("", (text or "").replace("_x000D_", ""))


def grams(text: str, n: int = 3) -> set[str]:
    out: set[str] = set()
    for run in _KEEP.split(text):
        if len(run) < n:
            if run:
                out.add(run)
            continue
        out.update(run[i : i + n] for i in range(len(run) - n + 1))
    return out


def _contain(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a) if a else 0.0


def _run(a: str, b: str) -> int:
    best = 0
    for i in range(len(a)):
        j = i + best + 1
        while j <= len(a) and a[i:j] in b:
            best = j - i
            j += 1
    return best


def _places(text: str) -> set[str]:
    return {m[-6:] for m in _PLACE.findall(text)}


def _codes(text: str) -> set[str]:
    return set(_CODE.findall(_USER.sub(" ", text)))


def _words(text: str) -> set[str]:
    from minyi.assistant.text import words

    return {w for w in words(text) if len(w) >= 2}


def substance(reply: str) -> str:
    """The reply without greetings, courtesies, dates and platform boilerplate."""
    return _KEEP.sub("", _BOILER.sub("", squash(reply)))


def _uniform(_gram: str) -> float:
    return 1.0


def _idf_features(title: str, appeal: str, reply: str, idf: IdfFn) -> list[float]:
    """IDF-weighted overlaps of char 2–3-grams (the IDF of the district's past replies, when known)."""
    tc, ac, rc = Counter(char_grams(title)), Counter(char_grams(appeal)), Counter(char_grams(reply))
    w = {g: idf(g) for g in set(ac) | set(rc) | set(tc)}

    def share(src: Counter[str], other: Counter[str]) -> float:
        total = sum(w[g] for g in src)
        return sum(w[g] for g in src if g in other) / total if total else 0.0

    va = {g: (1 + math.log(c)) * w[g] for g, c in ac.items()}
    vr = {g: (1 + math.log(c)) * w[g] for g, c in rc.items()}
    na, nr = math.sqrt(sum(v * v for v in va.values())), math.sqrt(sum(v * v for v in vr.values()))
    cos = sum(v * vr[g] for g, v in va.items() if g in vr) / (na * nr) if na and nr else 0.0
    top = max(w.values(), default=1.0)
    rare = {g for g in w if w[g] >= 0.7 * top}
    rare_reply = [g for g in rc if g in rare]
    return [
        share(tc, rc),
        share(ac, rc),
        share(rc, ac),
        cos,
        min(sum(w[g] for g in rare_reply if g in ac) / (20 * top), 3.0),
        sum(1 for g in rare_reply if g not in ac) / len(rare_reply) if rare_reply else 0.0,
    ]


def features(title: str, content: str, reply: str, idf: IdfFn | None = None, dense_cos: float | None = None, fit: float | None = None) -> list[float]:
    """The pair's features (``FEATURES``); ``dense_cos`` is the cosine of the appeal's and the reply's
    vectors (assistant/dense.py) when both are known, else the dense pair reads 0; ``fit`` is the
    past-replies index's P(this is the appeal's own reply) among the archive (``ReplyIndex.fit_of``)."""
    title_s, content_s, reply_s = _KEEP.sub("", squash(title)), squash(content), squash(reply)
    appeal = squash(title) + content_s
    tg, ag, rg = grams(title_s), grams(appeal), grams(reply_s)
    a2, r2 = grams(appeal, 2), grams(reply_s, 2)
    quotes = [grams(_KEEP.sub("", q)) for q in re.findall(r"[“\"「《]([^”\"」》]{4,60})[”\"」》]", reply_s)]
    ac, rc = _codes(appeal), _codes(reply_s)
    ap, rp = _places(appeal), _places(reply_s)
    aw, rw = _words(appeal), _words(reply_s)
    cos = len(a2 & r2) / math.sqrt(len(a2) * len(r2)) if a2 and r2 else 0.0
    sub = substance(reply)
    return [
        _contain(tg, rg),
        _run(title_s, reply_s) / max(len(title_s), 1),
        max((len(tg & q) / len(tg | q) for q in quotes if tg | q), default=0.0),
        len(aw & rw) / math.sqrt(len(aw) * len(rw)) if aw and rw else 0.0,
        cos,
        min(len(ac & rc), 3.0),
        min(len(rc - ac), 3.0),
        min(len(ap & rp), 3.0),
        min(len(rp - ap), 3.0),
        min(len(set(_NUM.findall(appeal)) & set(_NUM.findall(_USER.sub(" ", reply_s)))), 3.0),
        _contain(rg, ag),
        _contain(ag, rg),
        math.log1p(len(reply_s)),
        math.log1p(len(content_s)),
        1.0 - len(sub) / max(len(_KEEP.sub("", reply_s)), 1),
        *_idf_features(title, squash(title) + " " + content, _USER.sub(" ", reply), idf or _uniform),
        0.0 if dense_cos is None else 1.0,
        0.0 if dense_cos is None else dense_cos,
        0.0 if fit is None else 1.0,
        0.0 if fit is None else math.log(min(max(fit, 1e-4), 1 - 1e-4) / (1 - min(max(fit, 1e-4), 1 - 1e-4))),
        1.0,
    ]


def relevance(x: Sequence[float], weights: Sequence[float] = DEFAULT_WEIGHTS) -> float:
    z = sum(w * v for w, v in zip(weights, x, strict=True))
    return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


def completeness(reply: str) -> tuple[float, list[str]]:
    """Share of the elements a reply should carry: what was done, the result, a time (and a contact if promised)."""
    text = squash(reply)
    sub = substance(reply)
    missing = []
    if not _DONE.search(sub):
        missing.append("办理过程")
    if not _RESULT.search(text):
        missing.append("办理结果")
    if not _TIME.search(_USER.sub(" ", text)):
        missing.append("时间")
    needed = 3
    if _PROMISE_CONTACT.search(text):
        needed += 1
        if not _CONTACT.search(text):
            missing.append("联系电话")
    return (needed - len(missing)) / needed, missing


def _terms_missing(title: str, reply: str, limit: int = 3) -> list[str]:
    reply_s = squash(reply)
    out = [w for w in sorted(_words(title), key=len, reverse=True) if w not in reply_s and not w.isdigit()]
    return out[:limit]


def check_reply(
    title: str,
    content: str,
    reply: str,
    *,
    citizen_numbers: Iterable[str] = (),
    weights: Sequence[float] = DEFAULT_WEIGHTS,
    idf: IdfFn | None = None,
    dense_cos: float | None = None,
    fit: float | None = None,
) -> QcResult:
    reply = reply or ""
    x = features(title, content, reply, idf, dense_cos, fit)
    rel = relevance(x, weights)
    comp, missing = completeness(reply)
    result = QcResult(relevance=rel, completeness=comp, missing=missing)
    warn = result.warnings.append
    sub = substance(reply)
    if len(sub) < 15:
        warn(QcWarning("boilerplate", "只有套话", "答复只有「已收悉」、感谢等客套话，没有说明办理情况。请写明做了什么、结果如何。"))
    if rel < RELEVANCE_WARN:
        appeal = squash(title) + squash(content)
        extra = sorted(_codes(squash(reply)) - _codes(appeal)) + sorted(_places(squash(reply)) - _places(appeal))
        absent = _terms_missing(title, reply)
        parts = []
        if absent:
            parts.append("答复没有提到诉求中的「" + "」「".join(absent) + "」")
        if extra:
            parts.append("却提到了诉求中没有的「" + "」「".join(extra[:3]) + "」")
        detail = "，".join(parts) if parts else "答复与诉求内容几乎没有共同之处"
        warn(QcWarning("off_topic", "可能答非所问", f"{detail}。请核对是否粘贴了其他工单的答复。"))
    if _DEFLECT.search(squash(reply)) and not _REFERRAL.search(squash(reply)):
        warn(QcWarning("deflection", "推诿", "答复称不属于本单位职责，但没有说明由哪个部门负责、是否已转办。请写明责任部门或转办情况。"))
    if "boilerplate" not in result.codes() and len(missing) >= 2 and "联系电话" not in missing:
        warn(QcWarning("incomplete", "要素不全", "答复缺少" + "、".join(missing) + "。请补充办理过程、办理结果和时间。"))
    if "联系电话" in missing:
        warn(QcWarning("no_contact", "缺少联系电话", "答复请群众联系或咨询，却没有留联系电话。请补上电话号码。"))
    own = {re.sub(r"\D", "", n) for n in citizen_numbers if n}
    others = []
    for m in find_pii(reply):
        digits = re.sub(r"\D", "", m.value)
        if m.kind in {"id_number", "bank_card"} and digits not in own:
            others.append("身份证号" if m.kind == "id_number" else "银行卡号")
        elif m.kind == "phone" and _MOBILE.fullmatch(digits) and digits not in own:
            others.append("手机号")
    if others:
        kinds = "、".join(dict.fromkeys(others))
        warn(QcWarning("third_party_pii", "含他人个人信息", f"答复中有不属于诉求人的{kinds}。答复会发给群众并可能公开，请删去或打码。"))
    tone = sorted(set(_TONE.findall(squash(reply))))
    if tone:
        warn(QcWarning("tone", "语气不当", "答复中有「" + "」「".join(tone[:3]) + "」等生硬或指责的说法，请改为平和、说明性的表述。"))
    elif len(sub) >= 15 and not _POLITE.search(reply) and reply.count("！") + reply.count("!") >= 3:
        warn(QcWarning("tone", "语气不当", "答复多处使用感叹号，且没有问候或感谢。请使用平和的语气。"))
    return result
