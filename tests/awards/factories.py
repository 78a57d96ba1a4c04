"""factory_boy factories for the awards models, and a small competition to run end to end."""

import datetime as dt

import factory
from django.utils import timezone

from huiwu.awards import models as am
from huiwu.core.i18n import i18n
from tests import factories


class ProgrammeFactory(factory.django.DjangoModelFactory):
    """A competition whose call is open now (ten days in, ten days to go)."""

    class Meta:
        model = am.Programme

    summit = factory.SubFactory(factories.SummitFactory)
    slug = factory.Sequence(lambda n: f"programme-{n}")
    kind = am.ProgrammeKind.COMPETITION
    name = factory.Sequence(
        lambda n: i18n(zh_hans=f"互联网大赛{n}", en=f"Internet Competition {n}")
    )
    call = factory.LazyFunction(lambda: i18n(zh_hans="欢迎参赛。", en="Everyone is welcome."))
    opens_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=10))
    deadline = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=10))


class TrackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.Track

    programme = factory.SubFactory(ProgrammeFactory)
    code = factory.Sequence(lambda n: f"track-{n}")
    name = factory.Sequence(lambda n: i18n(zh_hans=f"赛道{n}", en=f"Track {n}"))


class SubmissionFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.SubmissionField

    programme = factory.SubFactory(ProgrammeFactory)
    key = factory.Sequence(lambda n: f"field{n}")
    label = factory.Sequence(lambda n: i18n(zh_hans=f"问题{n}", en=f"Question {n}"))
    kind = am.FieldKind.LONG_TEXT


class RoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.Round

    programme = factory.SubFactory(ProgrammeFactory)
    order = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: i18n(zh_hans=f"第{n}轮", en=f"Round {n}"))
    kind = am.RoundKind.ONLINE_REVIEW
    reviewers_per_submission = 2
    min_load = 0
    max_load = 10


class CriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.Criterion

    round = factory.SubFactory(RoundFactory)
    name = factory.Sequence(lambda n: i18n(zh_hans=f"标准{n}", en=f"Criterion {n}"))
    description = factory.LazyFunction(lambda: i18n(zh_hans="说明", en="What counts."))
    weight = 1.0
    min_score = 0
    max_score = 10


class PrizeTierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.PrizeTier

    programme = factory.SubFactory(ProgrammeFactory)
    code = factory.Sequence(lambda n: f"tier-{n}")
    name = factory.Sequence(lambda n: i18n(zh_hans=f"{n}等奖", en=f"Prize {n}"))
    quota = 1


class ExpertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.Expert
        skip_postgeneration_save = True

    user = factory.SubFactory(factories.UserFactory, roles=["expert"])
    name = factory.Sequence(lambda n: f"Expert {n}")
    organisation_name = factory.Sequence(lambda n: f"Lab {n}")
    country = "DE"
    expertise = "machine learning"

    @factory.post_generation
    def programmes(self, create, extracted, **kwargs):
        if create and extracted:
            self.programmes.add(*extracted)


class SubmissionFactory(factory.django.DjangoModelFactory):
    """A submission as sent, in its programme's first round."""

    class Meta:
        model = am.Submission

    programme = factory.SubFactory(ProgrammeFactory)
    applicant = factory.SubFactory(factories.UserFactory)
    organisation_name = factory.Sequence(lambda n: f"Start-up {n}")
    country = "CN"
    title = factory.Sequence(lambda n: f"Project {n}")
    abstract = "A new way of doing things."
    status = am.SubmissionStatus.SUBMITTED
    submitted_at = factory.LazyFunction(timezone.now)
    current_round = factory.LazyAttribute(lambda s: s.programme.rounds.order_by("order").first())
