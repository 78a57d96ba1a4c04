"""factory_boy factories for every model; tests build only what they need."""

import datetime as dt
import zoneinfo

import factory
from django.contrib.auth import get_user_model

from huiwu.core.i18n import i18n
from huiwu.core.models import Membership, Organisation, OrganisationKind, Person
from huiwu.core.roles import Role, grant_role
from huiwu.summit import models as sm

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
SUMMIT_START = dt.date(2024, 11, 20)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of the test summit: ``day`` 0 is its first day, in Shanghai time."""
    return dt.datetime.combine(
        SUMMIT_START + dt.timedelta(days=day), dt.time(hour, minute), tzinfo=SHANGHAI
    )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "secret-pass-123")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or ():
            grant_role(self, Role(role))
        if create:
            self.save()


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: i18n(zh_hans=f"机构{n}", en=f"Institution {n}"))
    short_name = factory.Sequence(lambda n: f"INST{n}")
    kind = OrganisationKind.COMPANY
    country = "CN"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"张{n}")
    name_latin = factory.Sequence(lambda n: f"Zhang {n}")
    country = "CN"
    organisation = factory.SubFactory(OrganisationFactory)
    position = factory.LazyFunction(lambda: i18n(zh_hans="首席科学家", en="Chief Scientist"))


class SeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.Series
        django_get_or_create = ("slug",)

    slug = "wic"
    name = factory.LazyFunction(
        lambda: i18n(zh_hans="世界互联网大会", en="World Internet Conference")
    )


class SummitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.Summit

    series = factory.SubFactory(SeriesFactory)
    slug = factory.Sequence(lambda n: f"summit-{n}")
    name = factory.LazyFunction(
        lambda: i18n(zh_hans="世界互联网大会乌镇峰会", en="World Internet Conference Wuzhen Summit")
    )
    city = factory.LazyFunction(lambda: i18n(zh_hans="乌镇", en="Wuzhen"))
    start_date = SUMMIT_START
    end_date = SUMMIT_START + dt.timedelta(days=2)
    is_current = False


class VenueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.Venue

    summit = factory.SubFactory(SummitFactory)
    slug = factory.Sequence(lambda n: f"venue-{n}")
    name = factory.Sequence(lambda n: i18n(zh_hans=f"会场{n}", en=f"Venue {n}"))
    kind = sm.VenueKind.CONVENTION_CENTRE
    latitude = "30.743800"
    longitude = "120.486800"


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.Room

    venue = factory.SubFactory(VenueFactory)
    name = factory.Sequence(lambda n: i18n(zh_hans=f"{n}号厅", en=f"Hall {n}"))
    capacity = 300


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.Zone

    summit = factory.SubFactory(SummitFactory)
    name = factory.Sequence(lambda n: i18n(zh_hans=f"区域{n}", en=f"Zone {n}"))
    kind = sm.ZoneKind.MAIN_HALL


class ForumFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.Forum

    summit = factory.SubFactory(SummitFactory)
    slug = factory.Sequence(lambda n: f"forum-{n}")
    track = sm.Track.TECHNOLOGY
    title = factory.Sequence(lambda n: i18n(zh_hans=f"人工智能论坛{n}", en=f"AI Forum {n}"))
    room = factory.SubFactory(RoomFactory, venue__summit=factory.SelfAttribute("...summit"))
    starts_at = factory.LazyFunction(lambda: at(0, 9))
    ends_at = factory.LazyFunction(lambda: at(0, 12))


class ForumOrganiserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.ForumOrganiser

    forum = factory.SubFactory(ForumFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = sm.OrganiserRole.HOST


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.Session

    forum = factory.SubFactory(ForumFactory)
    title = factory.Sequence(lambda n: i18n(zh_hans=f"主旨演讲{n}", en=f"Keynote {n}"))
    starts_at = factory.LazyAttribute(lambda s: s.forum.starts_at)
    ends_at = factory.LazyAttribute(lambda s: s.forum.starts_at + dt.timedelta(minutes=30))


class SessionSpeakerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.SessionSpeaker

    session = factory.SubFactory(SessionFactory)
    person = factory.SubFactory(PersonFactory)
