"""The demo reads true to a Chinese reader: coherent texts, seasons, places, timelines, enterprises, events and 专题."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import defaultdict

import pytest

from minyi.accountability.demo import ANNUAL_TOPICS
from minyi.accountability.models import AnnualTopic, Engagement, Enterprise, Topic
from minyi.appeals import demo_data
from minyi.appeals.demo import seed_demo
from minyi.appeals.models import Appeal, SubmitterType
from minyi.directory.defaults import STREETS
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.models import AuditEvent

# Mid-December: the seeded 90 days run from late September, so summer-only texts must thin out and stop.
ANCHOR = dt.datetime(2026, 12, 20, tzinfo=SHANGHAI)
ALIASES = {a for _, _, _, communities in STREETS for _, _, aliases in communities for a in aliases.splitlines()}
# Words that belong to a season: (word, the months it may appear in).
SEASONAL = [("蚊", demo_data.WARM), ("过年", demo_data.YEAR_END), ("冻裂", demo_data.WINTER), ("积水到小腿", demo_data.RAINY)]
DIGIT_THEN_NUMERAL = re.compile(r"\d[十百千]")  # "老人3十岁", "3十名工人"


def _texts(appeal: Appeal) -> str:
    return f"{appeal.title}\n{appeal.content}\n{appeal.reply_text}"


# --- The generator itself: no database ----------------------------------------------------------------------


def test_every_address_alias_is_classified_and_every_category_has_a_template_for_every_month() -> None:
    assert set(demo_data.PLACE_KINDS) >= ALIASES, ALIASES - set(demo_data.PLACE_KINDS)
    for code, templates in demo_data.TEMPLATES.items():
        for month in range(1, 13):
            assert any(month in t.months for t in templates), (code, month)


def test_a_filled_template_names_the_same_shop_number_and_place_in_title_and_content() -> None:
    rng = random.Random(1)
    aliases = ["湖滨新村", "湖滨花园", "望月小学", "枫亭菜场", "科技城"]
    for code, templates in demo_data.TEMPLATES.items():
        for template in templates:
            if not demo_data.fits(template, aliases):
                continue
            for _ in range(20):
                title, content, place = demo_data.fill(template, rng, aliases=aliases, community="湖滨社区")
                assert "{" not in title + content and "}" not in title + content
                assert not DIGIT_THEN_NUMERAL.search(title + content), (code, content)
                # Whatever shop or place the title names, the content is about the same one.
                for name in [*demo_data.SHOPS, *aliases]:
                    if name in title:
                        assert name in content, (code, title, content)
                assert place in aliases
                # A training school complaint names a training school, a canteen's kitchen a canteen.
                if "培训" in content:
                    assert any(shop in content for shop in demo_data.TRADES["training"]), content
                if "后厨" in content or "油烟" in content:
                    assert any(shop in content for shop in demo_data.TRADES["eatery"]), content


def test_places_are_of_the_right_kind() -> None:
    """A lift, a 号楼 or an 物业 is in a housing estate, never in a primary school or a market."""
    rng = random.Random(2)
    aliases = sorted(ALIASES)
    for templates in demo_data.TEMPLATES.values():
        for template in templates:
            for _ in range(10):
                _title, content, _place = demo_data.fill(template, rng, aliases=aliases, community="湖滨社区")
                for alias in aliases:
                    if demo_data.PLACE_KINDS[alias] != "estate":
                        assert not re.search(re.escape(alias) + r"(\d+号楼|物业|小区)", content), content


def test_enterprise_names_are_distinct_and_each_has_one_credit_code() -> None:
    assert len(set(demo_data.ENTERPRISES)) == len(demo_data.ENTERPRISES)
    codes = {demo_data.enterprise_code(name) for name in demo_data.ENTERPRISES}
    assert len(codes) == len(demo_data.ENTERPRISES)
    assert demo_data.enterprise_code(demo_data.ENTERPRISES[0]) == demo_data.enterprise_code(demo_data.ENTERPRISES[0])


def test_the_year_programme_has_twelve_topics_as_in_the_seed() -> None:
    # "全年设置人工智能、消费新业态、古建老宅活化利用等12个重点交流主题" (the district's own account).
    assert len(ANNUAL_TOPICS) == len(set(ANNUAL_TOPICS)) == 12
    assert {"人工智能", "消费新业态", "古建老宅活化利用"} <= set(ANNUAL_TOPICS)


# --- A seeded demo -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_seeded_demo_reads_true() -> None:
    seed_demo(400, 7, anchor=ANCHOR)
    appeals = list(Appeal.objects.select_related("grid", "category"))
    assert len(appeals) == 400

    for appeal in appeals:
        text = _texts(appeal)
        assert "{" not in text and "}" not in text, (appeal.number, text)
        assert not DIGIT_THEN_NUMERAL.search(text), (appeal.number, text)
        month = appeal.created_at.astimezone(SHANGHAI).month
        for word, months in SEASONAL:
            if word in appeal.content:
                assert month in months, (word, appeal.created_at, appeal.content)
        # The place is in the community the appeal is filed under.
        assert appeal.grid is not None
        own = [a for a in appeal.grid.aliases.splitlines() if a]
        assert any(appeal.address.endswith(a) for a in own), (appeal.address, own)
        for name in [*demo_data.SHOPS, *ALIASES]:
            if name in appeal.title:
                assert name in appeal.content, (appeal.title, appeal.content)
        # An enterprise writes as a company; a person never signs with a company's name.
        if appeal.submitter_type == SubmitterType.ENTERPRISE:
            assert appeal.submitter_name in demo_data.ENTERPRISES
            assert appeal.credit_code == demo_data.enterprise_code(appeal.submitter_name)
            assert not re.search("孩子|父母|丈夫|本人", appeal.content), appeal.content

    # Every timeline is in order: each audit row is no earlier than the one written before it, and the
    # 智能分析 note comes right after registration, before any 派单.
    trails: dict[int, list[AuditEvent]] = defaultdict(list)
    for row in AuditEvent.objects.order_by("appeal_id", "id"):
        trails[row.appeal_id].append(row)
    for appeal_id, rows in trails.items():
        times = [r.at for r in rows]
        assert times == sorted(times), [(r.event, r.at.isoformat()) for r in rows]
        events = [r.event for r in rows]
        if "triage" in events and "dispatch" in events:
            assert events.index("triage") < events.index("dispatch"), (appeal_id, events)

    # One enterprise, one name.
    names = list(Enterprise.objects.values_list("name", flat=True))
    assert names and len(names) == len(set(names)), names
    pairs = Appeal.objects.filter(submitter_type=SubmitterType.ENTERPRISE).values_list("credit_code", "submitter_name").distinct()
    by_code: dict[str, set[str]] = defaultdict(set)
    for code, name in pairs:
        by_code[code].add(name)
    assert all(len(v) == 1 for v in by_code.values()), by_code

    # An event lists only the appeals raised there, on or after its day, from the enterprises it invited.
    events = list(Engagement.objects.prefetch_related("appeals", "enterprises"))
    assert len(events) == 3
    for event in events:
        raised = list(event.appeals.all())
        assert raised
        invited = {e.credit_code for e in event.enterprises.all()}
        for appeal in raised:
            assert appeal.created_at.astimezone(SHANGHAI).date() >= event.date, (event, appeal.created_at)
            if appeal.submitter_type == SubmitterType.ENTERPRISE:
                assert appeal.credit_code in invited
        assert event.date.weekday() == 6  # 每月第二个星期日
    assert AnnualTopic.objects.filter(year=ANCHOR.year).count() == 12

    # A 专题 on lifts lists lift appeals; one on night works lists night-works appeals; a closed one has all solved.
    topics = {t.title: t for t in Topic.objects.prefetch_related("appeals")}
    lifts = topics["湖滨新村老旧电梯集中更新"]
    assert lifts.status == Topic.Status.CLOSED and lifts.appeals.count() >= 3
    assert all("电梯" in a.title and "湖滨新村" in a.address for a in lifts.appeals.all())
    assert all(a.status == "closed" for a in lifts.appeals.all())
    noise = topics["运河码头周边夜间施工噪声治理"]
    assert noise.appeals.exists() and all("施工" in a.title for a in noise.appeals.all())
    for topic in (lifts, noise):
        for appeal in topic.appeals.all():
            link = appeal.audit.get(event="topic_link")
            assert link.at >= appeal.created_at


def test_a_reply_fits_the_appeal() -> None:
    """A family in hardship is not told its case "has been put into this year's rectification plan"."""
    rng = random.Random(3)
    for _ in range(20):
        assert "整治计划" not in demo_data.reply_for("help", rng, "mzfw-jz")
        assert "补贴" in demo_data.reply_for("consult", rng, "mzfw-yl")
        assert "表扬" in demo_data.reply_for("praise", rng, "zwfw-rx")
    for (code, kind), _text in demo_data.REPLIES_BY_CATEGORY.items():
        assert any(t.kind == kind for t in demo_data.TEMPLATES[code]), (code, kind)
