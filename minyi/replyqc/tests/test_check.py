"""答复质检's pure checks, on small made-up appeals (never the real data)."""

from __future__ import annotations

from minyi.replyqc.check import DEFAULT_WEIGHTS, FEATURES, check_reply, completeness, substance

TITLE = "明湖路3号小区门口路灯不亮"
CONTENT = "明湖街道明湖路3号小区门口的路灯已经一周不亮了，晚上出行很不安全，请尽快维修。"
GOOD = (
    "您好！您反映的“明湖路3号小区门口路灯不亮”问题已收悉。经核实，该路段路灯线路老化，"
    "区城管局已于3月5日派人现场维修，目前路灯已恢复照明。如有疑问，请致电0512-6688123。感谢您的监督！"
)
OTHER = (
    "您好！您反映的“湖滨村垃圾清运不及时”问题已收悉。经核实，湖滨村垃圾中转站清运车辆故障，区环卫所已于3月6日调配车辆清运，目前垃圾已清理完毕。感谢您的监督！"
)


def codes(result: object) -> list[str]:
    return result.codes()  # type: ignore[attr-defined]


def test_weights_match_features() -> None:
    assert len(DEFAULT_WEIGHTS) == len(FEATURES)


def test_own_reply_passes_and_is_complete() -> None:
    result = check_reply(TITLE, CONTENT, GOOD)
    assert result.relevance > 0.5
    assert result.completeness == 1.0
    assert codes(result) == []


def test_reply_of_another_appeal_is_off_topic_with_a_reason() -> None:
    result = check_reply(TITLE, CONTENT, OTHER)
    assert result.relevance < 0.5
    assert "off_topic" in codes(result)
    reason = next(w.reason for w in result.warnings if w.code == "off_topic")
    assert "路灯" in reason or "灯不亮" in reason  # names what the appeal is about and the reply misses
    assert "湖滨村" in reason  # names the place the reply talks about instead
    assert check_reply(TITLE, CONTENT, GOOD).relevance > result.relevance


def test_boilerplate_only() -> None:
    result = check_reply(TITLE, CONTENT, "网友：您好！您的留言已收悉，感谢您对我们工作的支持！")
    assert "boilerplate" in codes(result)
    assert substance("网友：您好！留言已收悉。2019年3月5日") == ""


def test_deflection_without_referral_is_flagged_and_with_referral_is_not() -> None:
    bare = "您好，经查，明湖路3号小区门口路灯不属于我单位职责，感谢您的理解。"
    referred = "您好，经查，明湖路3号小区门口路灯不属于我单位职责，已转区城管局办理，由区城管局负责维修。"
    assert "deflection" in codes(check_reply(TITLE, CONTENT, bare))
    assert "deflection" not in codes(check_reply(TITLE, CONTENT, referred))


def test_third_party_mobile_and_id_are_flagged_but_not_the_citizens_own_or_an_office_line() -> None:
    reply = GOOD + "施工负责人王某，电话13900001111，身份证110101199003078515。"
    result = check_reply(TITLE, CONTENT, reply, citizen_numbers=["13812345678"])
    assert "third_party_pii" in codes(result)
    reason = next(w.reason for w in result.warnings if w.code == "third_party_pii")
    assert "手机号" in reason and "身份证号" in reason
    own = GOOD + "我们已按您留的电话13812345678联系过您。"
    assert "third_party_pii" not in codes(check_reply(TITLE, CONTENT, own, citizen_numbers=["138 1234 5678"]))


def test_tone() -> None:
    reply = GOOD + "请不要再无理取闹。"
    result = check_reply(TITLE, CONTENT, reply)
    assert "tone" in codes(result)
    assert "无理取闹" in next(w.reason for w in result.warnings if w.code == "tone")


def test_completeness_names_what_is_missing_and_a_promised_contact() -> None:
    score, missing = completeness("您好，关于明湖路路灯的问题，如有疑问请联系我们。")
    assert "联系电话" in missing and "办理结果" in missing
    assert score < 0.5
    result = check_reply(TITLE, CONTENT, "您好，关于明湖路3号小区门口路灯的问题，如有疑问请联系我们。")
    assert "no_contact" in codes(result)
