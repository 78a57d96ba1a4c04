"""factory_boy factories for the registration models; tests build only what they need."""

import datetime as dt

import factory

from huiwu.core.i18n import i18n
from huiwu.registration import models as rm
from tests import factories


class GuestCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.GuestCategory
        django_get_or_create = ("summit", "code")

    summit = factory.SubFactory(factories.SummitFactory)
    code = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: i18n(zh_hans=f"嘉宾类别{n}", en=f"Guest category {n}"))
    badge_colour = "#1f4e8c"
    required_fields = factory.LazyFunction(lambda: ["organisation", "id_document"])
    public = True


class DelegationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.Delegation

    summit = factory.SubFactory(factories.SummitFactory)
    name = factory.Sequence(lambda n: f"Delegation {n}")
    country = "FR"


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.Invitation

    summit = factory.SubFactory(factories.SummitFactory)
    email = factory.Sequence(lambda n: f"invited{n}@example.org")
    name = factory.Sequence(lambda n: f"Invited Guest {n}")
    category = factory.SubFactory(GuestCategoryFactory, summit=factory.SelfAttribute("..summit"))
    language = "en"


class RegistrationFactory(factory.django.DjangoModelFactory):
    """A complete, submitted registration of a French guest with a passport."""

    class Meta:
        model = rm.Registration

    summit = factory.SubFactory(factories.SummitFactory)
    category = factory.SubFactory(GuestCategoryFactory, summit=factory.SelfAttribute("..summit"))
    status = rm.Status.SUBMITTED
    name = factory.Sequence(lambda n: f"Marie Curie {n}")
    name_latin = factory.LazyAttribute(lambda r: r.name)
    nationality = "FR"
    email = factory.Sequence(lambda n: f"guest{n}@example.org")
    phone = "+33 1 23 45 67 89"
    organisation_name = "Institut Pasteur"
    position = "Director"
    id_type = rm.IdType.PASSPORT
    id_number = factory.Sequence(lambda n: f"E{n:08d}")
    participation = rm.Participation.ON_SITE
    arrival_date = factory.LazyAttribute(lambda r: r.summit.start_date - dt.timedelta(days=1))
    departure_date = factory.LazyAttribute(lambda r: r.summit.end_date)
    language = "en"
    face_consent = False
    submitted_at = factory.LazyFunction(lambda: dt.datetime.now(dt.UTC))


class SeatHoldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.SeatHold

    forum = factory.SubFactory(factories.ForumFactory)
    label = factory.LazyFunction(lambda: i18n(zh_hans="贵宾", en="VIP"))
    seats = 5


class SeatRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.SeatRequest

    registration = factory.SubFactory(RegistrationFactory)
    forum = factory.SubFactory(
        factories.ForumFactory, summit=factory.SelfAttribute("..registration.summit")
    )
    status = rm.SeatStatus.CONFIRMED
    confirmed_at = factory.LazyFunction(lambda: dt.datetime.now(dt.UTC))


def wrong_key(key: str) -> str:
    """A key one character off from ``key``, and never ``key`` itself."""
    return key[:-1] + ("y" if key[-1] == "x" else "x")
