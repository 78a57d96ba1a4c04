# ruff: noqa: RUF001  (Chinese texts use Chinese punctuation)
"""The demo summit's four evaluations, with the numbers of the 2024 Wuzhen Summit, driven through
the services from submissions to published winners:

- the Distinguished Contribution Award: nominations judged by a committee; 7 individuals and 14
  companies honoured;
- the Leading Technology Awards: 40 experts evaluate 270 achievements; 20 winners;
- the Excellence Cases: 236 applications; 13 selected;
- the "Straight to Wuzhen" global competition: 1,048 projects from 27 countries, three rounds;
  59 prizes (1 special, 5 first, 15 second, 38 third).

Winners and their tiers come out of the reviews, the ranking and the tiers' quotas; nothing
here names a winner. Scores are drawn from a hidden quality per submission, a leniency per
expert and noise, so that normalisation has lenient and harsh experts to correct.
"""

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from huiwu.awards import services
from huiwu.awards.models import (
    Criterion,
    Expert,
    ExpertDocument,
    FieldKind,
    Normalisation,
    PrizeTier,
    Programme,
    ProgrammeKind,
    Round,
    RoundKind,
    SubmissionField,
    Track,
)
from huiwu.core.i18n import i18n
from huiwu.core.roles import Role, grant_role

SEED = 7
# The demo's awards accounts, listed by ``huiwu demo`` with the others.
ACCOUNTS = {
    "awards": "the awards office: programmes, assignment, normalisation, decisions, results",
    "expert": "an expert with a profile, conflicts and submissions to score",
}

# (code, Chinese, English, topics as (Chinese, English))
TRACKS = [
    (
        "ai",
        "人工智能",
        "Artificial intelligence",
        [
            ("大语言模型", "large language models"),
            ("计算机视觉", "computer vision"),
            ("多模态推理", "multimodal reasoning"),
            ("智能体", "AI agents"),
            ("语音识别", "speech recognition"),
            ("推荐系统", "recommender systems"),
        ],
    ),
    (
        "5g6g",
        "5G/6G",
        "5G/6G",
        [
            ("毫米波通信", "millimetre-wave communication"),
            ("网络切片", "network slicing"),
            ("星地融合网络", "satellite-terrestrial networks"),
            ("大规模天线", "massive MIMO"),
            ("边缘计算", "edge computing"),
            ("通感一体化", "integrated sensing and communication"),
        ],
    ),
    (
        "data",
        "大数据",
        "Big data",
        [
            ("数据治理", "data governance"),
            ("隐私计算", "privacy-preserving computation"),
            ("数据交易", "data marketplaces"),
            ("流式计算", "stream processing"),
            ("知识图谱", "knowledge graphs"),
            ("数据库系统", "database systems"),
        ],
    ),
    (
        "security",
        "网络安全",
        "Cybersecurity",
        [
            ("零信任架构", "zero-trust architecture"),
            ("威胁情报", "threat intelligence"),
            ("后量子密码", "post-quantum cryptography"),
            ("漏洞挖掘", "vulnerability discovery"),
            ("安全运营", "security operations"),
            ("恶意软件检测", "malware detection"),
        ],
    ),
    (
        "chips",
        "芯片",
        "Chips",
        [
            ("RISC-V处理器", "RISC-V processors"),
            ("AI加速芯片", "AI accelerator chips"),
            ("芯粒封装", "chiplet packaging"),
            ("EDA工具", "EDA tools"),
            ("光子芯片", "photonic chips"),
            ("存算一体", "compute-in-memory"),
        ],
    ),
    (
        "embodied",
        "具身智能",
        "Embodied intelligence",
        [
            ("人形机器人", "humanoid robots"),
            ("灵巧操作", "dexterous manipulation"),
            ("机器人导航", "robot navigation"),
            ("虚实迁移学习", "sim-to-real learning"),
            ("自动驾驶", "autonomous driving"),
            ("无人机集群", "drone swarms"),
        ],
    ),
]
APPLICATIONS = [
    ("智能制造", "smart manufacturing"),
    ("医疗健康", "healthcare"),
    ("智慧农业", "agriculture"),
    ("金融服务", "financial services"),
    ("智慧城市", "smart cities"),
    ("在线教育", "education"),
    ("能源电网", "energy grids"),
    ("交通物流", "logistics"),
    ("文化旅游", "cultural tourism"),
]
# The 27 countries of "Straight to Wuzhen", with the weight of their projects.
COUNTRIES = [
    ("CN", 520),
    ("US", 40),
    ("GB", 30),
    ("DE", 30),
    ("FR", 25),
    ("SG", 30),
    ("JP", 25),
    ("KR", 25),
    ("RU", 25),
    ("IN", 25),
    ("IL", 20),
    ("BR", 20),
    ("MY", 20),
    ("TH", 20),
    ("ID", 20),
    ("VN", 18),
    ("AE", 18),
    ("SA", 15),
    ("EG", 15),
    ("ZA", 15),
    ("KE", 12),
    ("NG", 12),
    ("PK", 12),
    ("KZ", 12),
    ("IT", 12),
    ("ES", 12),
    ("CA", 10),
]
NAME_SCHEMES = {
    "CN": "zh",
    "US": "faker:en_US",
    "GB": "faker:en_GB",
    "DE": "faker:de_DE",
    "FR": "faker:fr_FR",
    "JP": "ja",
    "KR": "ko",
    "RU": "cyr:ru:ru_RU",
    "BR": "faker:pt_BR",
    "IT": "faker:it_IT",
    "ES": "faker:es_ES",
    "SG": "latin:sea_chinese",
}
COMPANY_WORDS = [
    ("云智", "Cloudwise"),
    ("星河", "Galaxy"),
    ("深擎", "DeepEngine"),
    ("远景", "Vista"),
    ("量子", "Quantum"),
    ("数联", "DataLink"),
    ("芯原", "CoreSource"),
    ("慧眼", "SmartEye"),
    ("天枢", "Polaris"),
    ("极光", "Aurora"),
    ("灵犀", "Lingxi"),
    ("海川", "OceanRiver"),
]
COMPANY_KINDS = [("科技", "Technologies"), ("网络", "Networks"), ("智能", "Intelligence")]
UNIVERSITIES = [
    ("清华大学", "Tsinghua University"),
    ("浙江大学", "Zhejiang University"),
    ("北京大学", "Peking University"),
    ("上海交通大学", "Shanghai Jiao Tong University"),
    ("中国科学院", "Chinese Academy of Sciences"),
    ("复旦大学", "Fudan University"),
    ("南京大学", "Nanjing University"),
    ("哈尔滨工业大学", "Harbin Institute of Technology"),
]
RUBRIC = [
    (
        "创新性",
        "Innovation",
        "技术或模式上的原创程度。",
        "How new the technology or model is.",
        0.35,
    ),
    (
        "技术水平",
        "Technical merit",
        "方案的先进性与完成度。",
        "How advanced and complete it is.",
        0.30,
    ),
    (
        "应用价值",
        "Impact",
        "已取得和可预期的经济社会效益。",
        "Economic and social benefit, shown and expected.",
        0.25,
    ),
    (
        "示范作用",
        "Exemplary value",
        "可复制、可推广的程度。",
        "How far others can follow it.",
        0.10,
    ),
]


@dataclass
class _Spec:
    slug: str
    kind: str
    name: tuple[str, str]
    call: tuple[str, str]
    submissions: int
    experts: int
    tracks: list[str]
    rounds: list[tuple]  # (name zh, name en, kind, k, max load, shortlist top n per track)
    tiers: list[tuple]  # (code, zh, en, quota, track code or None)
    opens: dt.date
    deadline: dt.date


SPECS = [
    _Spec(
        "distinguished-contribution",
        ProgrammeKind.AWARD,
        ("世界互联网大会杰出贡献奖", "World Internet Conference Distinguished Contribution Award"),
        (
            "表彰为全球互联网发展作出杰出贡献的个人和企业。请提名候选人并说明其贡献。",
            "Honours people and companies whose work has shaped the Internet worldwide. "
            "Nominate a candidate and describe the contribution.",
        ),
        submissions=63,
        experts=15,
        tracks=["individual", "company"],
        rounds=[("评审委员会评议", "Committee review", RoundKind.PANEL, 5, 25, None)],
        tiers=[
            ("individual", "杰出贡献个人", "Distinguished individual", 7, "individual"),
            ("company", "杰出贡献企业", "Distinguished company", 14, "company"),
        ],
        opens=dt.date(2024, 5, 1),
        deadline=dt.date(2024, 8, 31),
    ),
    _Spec(
        "leading-technology",
        ProgrammeKind.COMPETITION,
        (
            "世界互联网领先科技成果",
            "World Leading Internet Scientific and Technological Achievements",
        ),
        (
            "征集全球范围内具有引领性的互联网科技成果，由国际专家评审遴选。",
            "A call for the world's leading Internet achievements, selected by international "
            "experts.",
        ),
        submissions=270,
        experts=40,
        tracks=["ai", "5g6g", "data", "security", "chips", "embodied"],
        rounds=[
            ("网络初评", "Online review", RoundKind.ONLINE_REVIEW, 3, 24, 8),
            ("终评会", "Final panel", RoundKind.PANEL, 5, 8, None),
        ],
        tiers=[("leading", "领先科技成果", "Leading achievement", 20, None)],
        opens=dt.date(2024, 5, 15),
        deadline=dt.date(2024, 8, 15),
    ),
    _Spec(
        "excellence-cases",
        ProgrammeKind.COMPETITION,
        ("世界互联网大会精品案例", "World Internet Conference Excellence Cases"),
        (
            "征集数字技术赋能经济社会发展的精品实践案例。",
            "Practical cases of digital technology serving economies and societies.",
        ),
        submissions=236,
        experts=20,
        tracks=["ai", "data", "security", "5g6g"],
        rounds=[("专家评审", "Expert review", RoundKind.ONLINE_REVIEW, 3, 40, None)],
        tiers=[("selected", "入选精品案例", "Selected case", 13, None)],
        opens=dt.date(2024, 6, 1),
        deadline=dt.date(2024, 9, 10),
    ),
    _Spec(
        "straight-to-wuzhen",
        ProgrammeKind.COMPETITION,
        ("“直通乌镇”全球互联网大赛", "“Straight to Wuzhen” Global Internet Competition"),
        (
            "面向全球的互联网创新创业大赛，经初赛、复赛与决赛路演，优胜项目直通乌镇。",
            "A global Internet start-up competition: a preliminary review, a semi-final and a "
            "final live pitch; the winners go straight to Wuzhen.",
        ),
        submissions=1048,
        experts=60,
        tracks=["ai", "5g6g", "data", "security", "chips", "embodied"],
        rounds=[
            ("初赛", "Preliminary review", RoundKind.ONLINE_REVIEW, 3, 60, 20),
            ("复赛", "Semi-final", RoundKind.PANEL, 5, 20, 12),
            ("决赛路演", "Final live pitch", RoundKind.LIVE_PITCH, 7, 20, None),
        ],
        tiers=[
            ("special", "特等奖", "Special prize", 1, None),
            ("first", "一等奖", "First prize", 5, None),
            ("second", "二等奖", "Second prize", 15, None),
            ("third", "三等奖", "Third prize", 38, None),
        ],
        opens=dt.date(2024, 4, 1),
        deadline=dt.date(2024, 8, 31),
    ),
]
EXTRA_TRACKS = {"individual": ("个人", "Individuals"), "company": ("企业", "Companies")}


class _Builder:
    def __init__(self, summit, names, say: Callable[[str, object], None]) -> None:
        self.summit = summit
        self.names = names
        self.say = say
        self.rng = random.Random(SEED)
        self.office = None
        self.expert_count = 0

    def moment(self, day: dt.date, hour: int = 12) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour), tzinfo=self.summit.tz)

    def accounts(self) -> None:
        users = get_user_model()
        self.office = users.objects.create_user("awards", email="awards@example.org", is_staff=True)
        grant_role(self.office, Role.AWARDS_OFFICE)

    def person(self, country: str) -> str:
        scheme = NAME_SCHEMES.get(country, "faker:en_US")
        name, latin, _female = self.names.person([(scheme, 1)])
        return name if country == "CN" else latin

    def topic(self, track: str) -> tuple[tuple[str, str], tuple[str, str]]:
        topics = dict((code, t) for code, _zh, _en, t in TRACKS).get(track) or TRACKS[0][3]
        return self.rng.choice(topics), self.rng.choice(APPLICATIONS)

    def company(self) -> tuple[str, str]:
        word, kind = self.rng.choice(COMPANY_WORDS), self.rng.choice(COMPANY_KINDS)
        return f"{word[0]}{kind[0]}", f"{word[1]} {kind[1]}"

    # -- programme configuration ---------------------------------------------------------------

    def programme(self, order: int, spec: _Spec) -> Programme:
        programme = Programme.objects.create(
            summit=self.summit,
            slug=spec.slug,
            kind=spec.kind,
            name=i18n(zh_hans=spec.name[0], en=spec.name[1]),
            call=i18n(zh_hans=spec.call[0], en=spec.call[1]),
            eligibility=i18n(
                zh_hans="全球的机构、企业和个人均可参加；每个项目只能提交一次。",
                en="Open to institutions, companies and people worldwide; one entry per project.",
            ),
            opens_at=self.moment(spec.opens, 9),
            deadline=self.moment(spec.deadline, 23),
            order=order,
        )
        names = {code: (zh, en) for code, zh, en, _topics in TRACKS} | EXTRA_TRACKS
        Track.objects.bulk_create(
            Track(
                programme=programme,
                code=code,
                name=i18n(zh_hans=names[code][0], en=names[code][1]),
                order=index,
            )
            for index, code in enumerate(spec.tracks)
        )
        SubmissionField.objects.bulk_create(
            [
                SubmissionField(
                    programme=programme,
                    key="achievements",
                    label=i18n(zh_hans="主要成果与应用情况", en="Results and use so far"),
                    kind=FieldKind.LONG_TEXT,
                    required=True,
                    order=0,
                ),
                SubmissionField(
                    programme=programme,
                    key="website",
                    label=i18n(zh_hans="网址", en="Website"),
                    kind=FieldKind.URL,
                    order=1,
                ),
                SubmissionField(
                    programme=programme,
                    key="dossier",
                    label=i18n(zh_hans="申报材料（PDF）", en="Dossier (PDF)"),
                    kind=FieldKind.FILE,
                    accepted_types=["pdf"],
                    max_size_mb=20,
                    order=2,
                ),
            ]
        )
        tracks = {track.code: track for track in programme.tracks.all()}
        PrizeTier.objects.bulk_create(
            PrizeTier(
                programme=programme,
                code=code,
                name=i18n(zh_hans=zh, en=en),
                quota=quota,
                track=tracks.get(track) if track else None,
                order=index,
            )
            for index, (code, zh, en, quota, track) in enumerate(spec.tiers)
        )
        for index, (zh, en, kind, k, max_load, top_n) in enumerate(spec.rounds, start=1):
            round_ = Round.objects.create(
                programme=programme,
                order=index,
                name=i18n(zh_hans=zh, en=en),
                kind=kind,
                reviewers_per_submission=k,
                min_load=0,
                max_load=max_load,
                normalisation=Normalisation.ZSCORE if index == 1 else Normalisation.BIAS,
                shortlist_top_n=top_n,
            )
            Criterion.objects.bulk_create(
                Criterion(
                    round=round_,
                    name=i18n(zh_hans=c[0], en=c[1]),
                    description=i18n(zh_hans=c[2], en=c[3]),
                    weight=c[4],
                    min_score=0,
                    max_score=10,
                    order=order,
                )
                for order, c in enumerate(RUBRIC)
            )
        return programme

    def experts(self, programme: Programme, spec: _Spec) -> list[Expert]:
        users = get_user_model()
        accounts = []
        for _index in range(spec.experts):
            self.expert_count += 1
            username = "expert" if self.expert_count == 1 else f"expert{self.expert_count:03d}"
            accounts.append(users(username=username, email=f"{username}@example.org"))
        for account in accounts:
            account.set_unusable_password()
        users.objects.bulk_create(accounts)
        accounts = list(users.objects.filter(username__in=[a.username for a in accounts]))
        experts = []
        for account in sorted(accounts, key=lambda a: a.username):
            country = "CN" if self.rng.random() < 0.6 else self.rng.choice(list(NAME_SCHEMES))
            track = self.rng.choice(spec.tracks)
            if self.rng.random() < 0.5:
                organisation = self.rng.choice(UNIVERSITIES)
            else:
                organisation = self.company()
            experts.append(
                Expert(
                    user=account,
                    name=self.person(country),
                    organisation_name=organisation[0] if country == "CN" else organisation[1],
                    country=country,
                    expertise=self.expertise(track),
                    keywords=", ".join(self.topic(track)[0][1] for _ in range(3)),
                )
            )
        Expert.objects.bulk_create(experts)
        Expert.programmes.through.objects.bulk_create(
            Expert.programmes.through(expert_id=expert.pk, programme_id=programme.pk)
            for expert in experts
        )
        documents = []
        for expert in experts:
            for _paper in range(3):
                track = self.rng.choice(spec.tracks)
                (topic_zh, topic_en), (use_zh, use_en) = self.topic(track)
                documents.append(
                    ExpertDocument(
                        expert=expert,
                        title=f"{topic_en[0].upper()}{topic_en[1:]} in {use_en}",
                        abstract=(
                            f"We study {topic_en} for {use_en}. 本文研究面向{use_zh}的{topic_zh}。"
                        ),
                    )
                )
        ExpertDocument.objects.bulk_create(documents)
        return experts

    def expertise(self, track: str) -> str:
        (topic_zh, topic_en), (use_zh, use_en) = self.topic(track)
        return f"{topic_zh}、{use_zh}。Research on {topic_en} and {use_en}."

    # -- the evaluation ------------------------------------------------------------------------

    def submissions(self, programme: Programme, spec: _Spec, experts: list[Expert]) -> None:
        tracks = list(programme.tracks.all())
        codes, weights = zip(*COUNTRIES, strict=True)
        if spec.slug != "straight-to-wuzhen":
            codes, weights = codes[:12], weights[:12]
        rows = []
        opens, deadline = programme.opens_at, programme.deadline
        span = (deadline - opens).total_seconds()
        expert_organisations = [expert.organisation_name for expert in experts]
        for index in range(spec.submissions):
            # Every country of the list takes part at least once.
            country = codes[index] if index < len(codes) else self.rng.choices(codes, weights)[0]
            track = tracks[index % len(tracks)] if index < len(tracks) else self.rng.choice(tracks)
            topic_code = track.code if track.code in dict((t[0], 1) for t in TRACKS) else "ai"
            (topic_zh, topic_en), (use_zh, use_en) = self.topic(topic_code)
            (other_zh, other_en), _use = self.topic(topic_code)
            zh_company, en_company = self.company()
            if self.rng.random() < 0.04:
                # Some entries come from the experts' own institutions: conflicts of interest.
                organisation = self.rng.choice(expert_organisations)
            else:
                organisation = zh_company if country == "CN" else en_company
            nominee = ""
            if track.code == "individual":
                nominee = self.person(country)
            elif track.code == "company":
                nominee = organisation
            if country == "CN":
                title = f"面向{use_zh}的{topic_zh}"
                abstract = f"本项目研究{topic_zh}与{other_zh}，已在{use_zh}领域规模化应用。"
                users, patents = self.rng.randint(2, 900), self.rng.randint(3, 80)
                achievements = f"服务用户超过{users}万，获得专利{patents}项。"
            else:
                title = f"{topic_en[0].upper()}{topic_en[1:]} for {use_en}"
                abstract = (
                    f"This project combines {topic_en} and {other_en}, and is deployed at scale "
                    f"in {use_en}."
                )
                achievements = (
                    f"Used by {self.rng.randint(20, 9000)} thousand people; "
                    f"{self.rng.randint(3, 80)} patents."
                )
            rows.append(
                {
                    "track": track,
                    "nominee": nominee,
                    "organisation_name": organisation,
                    "country": country,
                    "title": title,
                    "abstract": abstract,
                    "answers": {"achievements": achievements, "website": ""},
                    "submitted_at": opens + dt.timedelta(seconds=self.rng.random() * span),
                }
            )
        services.import_submissions(
            programme, rows, by=self.office, now=deadline - dt.timedelta(hours=1)
        )

    def reviews(self, round_: Round, quality: dict[int, float], leniency: dict[int, float]):
        criteria = list(round_.criteria.all())
        rows = []
        for pair in round_.assignments.filter(forbidden=False):
            base = quality[pair.submission_id] + leniency[pair.expert_id]
            scores = {
                str(c.pk): max(0, min(10, round(base + self.rng.gauss(0, 0.8)))) for c in criteria
            }
            rows.append((pair, scores, ""))
        services.import_reviews(round_, rows, by=self.office)

    def conflicts(self, programme: Programme, experts: list[Expert]) -> None:
        """One expert declares a conflict with a company, the office lists another's
        relationship with one: both keep them off that company's entries."""
        companies = list(
            programme.submissions.values_list("organisation_name", flat=True).distinct()[:2]
        )
        services.declare_conflict(
            experts[0],
            organisation_name=companies[0],
            reason="顾问 / Adviser to the company",
            by=experts[0].user,
        )
        services.declare_conflict(
            experts[1],
            organisation_name=companies[-1],
            reason="前雇主 / Former employer",
            source="relationship",
            by=self.office,
        )

    def evaluate(self, programme: Programme, experts: list[Expert]) -> None:
        quality = {
            pk: self.rng.gauss(6.0, 1.3)
            for pk in programme.submissions.values_list("pk", flat=True)
        }
        leniency = {expert.pk: self.rng.gauss(0, 0.9) for expert in experts}
        rounds = list(programme.rounds.order_by("order"))
        for round_ in rounds:
            report = services.run_assignment(round_, by=self.office)
            self.reviews(round_, quality, leniency)
            if round_ is not rounds[-1]:
                chosen = services.advance_shortlist(
                    round_,
                    by=self.office,
                    reason="按赛道择优晋级 / The best of each track go on.",
                )
                self.say(
                    f"{programme.slug} {round_.order}",
                    f"{report['pairs']} assignments, {len(chosen)} advance",
                )
            else:
                decisions = services.award_prizes(
                    round_, by=self.office, reason="评审委员会审定 / Approved by the committee."
                )
                prizes = sum(1 for d in decisions if d.tier_id)
                self.say(
                    f"{programme.slug} {round_.order}",
                    f"{report['pairs']} assignments, {prizes} prizes",
                )
        services.publish_results(
            programme, by=self.office, now=self.moment(self.summit.start_date, 18)
        )


def build(summit, *, names, say) -> None:
    """Add the four evaluations of the 2024 summit to ``summit``; ``say(label, detail)``
    reports progress."""
    builder = _Builder(summit, names, say)
    with transaction.atomic():
        builder.accounts()
        for order, spec in enumerate(SPECS):
            programme = builder.programme(order, spec)
            experts = builder.experts(programme, spec)
            builder.submissions(programme, spec, experts)
            builder.conflicts(programme, experts)
            builder.evaluate(programme, experts)
    say("awards", f"{len(SPECS)} programmes, {builder.expert_count} experts")
