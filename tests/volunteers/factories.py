"""factory_boy factories for the volunteers models; tests build only what they need."""

import factory

from huiwu.core.i18n import i18n
from huiwu.volunteers import models as vm
from tests import factories
from tests.factories import SUMMIT_START, at

# A square of about 110 m by 95 m around the test venue's point (30.7438, 120.4868).
OUTLINE = {
    "type": "Polygon",
    "coordinates": [
        [
            [120.4863, 30.7433],
            [120.4873, 30.7433],
            [120.4873, 30.7443],
            [120.4863, 30.7443],
            [120.4863, 30.7433],
        ]
    ],
}
INSIDE = (30.7438, 120.4868)
# About 330 m north of the outline's northern edge.
OUTSIDE = (30.7473, 120.4868)


def whole_summit(summit=None) -> list[dict]:
    """Free from 07:00 to 22:00 on every day of the test summit (three days)."""
    days = summit.days if summit is not None else [SUMMIT_START]
    return [{"date": day.isoformat(), "from": "07:00", "to": "22:00"} for day in days]


class UniversityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = vm.University
        django_get_or_create = ("short_name",)

    short_name = factory.Sequence(lambda n: f"U{n}")
    name = factory.Sequence(lambda n: i18n(zh_hans=f"大学{n}", en=f"University {n}"))
    city = factory.LazyFunction(lambda: i18n(zh_hans="杭州", en="Hangzhou"))


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A submitted application of a student speaking Chinese and English at CET-6, who agreed
    to location on duty and is free during the whole summit."""

    class Meta:
        model = vm.Application

    summit = factory.SubFactory(factories.SummitFactory)
    user = factory.SubFactory(factories.UserFactory)
    status = vm.ApplicationStatus.SUBMITTED
    name = factory.Sequence(lambda n: f"学生{n}")
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    email = factory.LazyAttribute(lambda a: a.user.email if a.user else "student@example.org")
    university = factory.SubFactory(UniversityFactory)
    student_number = factory.Sequence(lambda n: f"2023{n:06d}")
    languages = factory.LazyFunction(
        lambda: [{"code": "zh", "level": 5}, {"code": "en", "level": 4}]
    )
    skills = factory.LazyFunction(list)
    availability = factory.LazyAttribute(lambda a: whole_summit(a.summit))
    tshirt_size = "M"
    emergency_name = "家长"
    emergency_phone = "13900000000"
    location_consent = True


class SelectedFactory(ApplicationFactory):
    status = vm.ApplicationStatus.SELECTED


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = vm.Post

    summit = factory.SubFactory(factories.SummitFactory)
    venue = factory.SubFactory(
        factories.VenueFactory,
        summit=factory.SelfAttribute("..summit"),
        outline=OUTLINE,
    )
    name = factory.Sequence(lambda n: i18n(zh_hans=f"注册台{n}", en=f"Registration desk {n}"))
    kind = vm.PostKind.REGISTRATION_DESK


class ShiftFactory(factory.django.DjangoModelFactory):
    """The first morning, 08:00 to 12:00."""

    class Meta:
        model = vm.Shift

    summit = factory.SubFactory(factories.SummitFactory)
    name = factory.LazyFunction(lambda: i18n(zh_hans="上午班", en="Morning"))
    start = factory.LazyFunction(lambda: at(0, 8))
    end = factory.LazyFunction(lambda: at(0, 12))


class PostShiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = vm.PostShift

    post = factory.SubFactory(PostFactory)
    shift = factory.SubFactory(ShiftFactory, summit=factory.SelfAttribute("..post.summit"))
    headcount = 2


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = vm.Assignment

    post_shift = factory.SubFactory(PostShiftFactory)
    application = factory.SubFactory(
        SelectedFactory, summit=factory.SelfAttribute("..post_shift.post.summit")
    )
    source = vm.AssignmentSource.MANUAL
