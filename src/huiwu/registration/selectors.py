"""Read functions of registration, for pages, the API, figures and other apps."""

from django.db.models import Count, Q, QuerySet

from huiwu.core.rules import is_organiser
from huiwu.registration.models import (
    Participation,
    Registration,
    SeatRequest,
    SeatStatus,
    Status,
)
from huiwu.summit.models import Session, Summit
from huiwu.summit.selectors import managed_forums, public_sessions

ACTIVE = [Status.SUBMITTED, Status.INFO_REQUESTED, Status.APPROVED]


def registrations_for(user, summit: Summit) -> QuerySet[Registration]:
    """The registrations ``user`` may see: all for the secretariat; for a forum co-organiser,
    those of guests who asked for a seat in (or were invited to) one of its forums."""
    registrations = Registration.objects.filter(summit=summit).select_related(
        "category", "delegation"
    )
    if is_organiser(user):
        return registrations
    forums = managed_forums(user).filter(summit=summit)
    return registrations.filter(
        Q(pk__in=SeatRequest.objects.filter(forum__in=forums).values("registration_id"))
        | Q(invitation__forum__in=forums)
    )


def personal_agenda(registration: Registration) -> QuerySet[Session]:
    """The sessions of the forums where the guest holds a confirmed seat."""
    forums = SeatRequest.objects.filter(
        registration=registration, status=SeatStatus.CONFIRMED
    ).values("forum_id")
    return public_sessions(registration.summit).filter(forum_id__in=forums)


def guest_figures(summit: Summit) -> dict[str, int]:
    """The guests of the summit in figures, in one query."""
    approved = Q(status=Status.APPROVED)
    return Registration.objects.filter(summit=summit).aggregate(
        guests_registered=Count("pk", filter=Q(status__in=ACTIVE)),
        guests_on_site=Count("pk", filter=approved & Q(participation=Participation.ON_SITE)),
        guests_online=Count("pk", filter=approved & Q(participation=Participation.ONLINE)),
        guest_countries=Count("nationality", filter=approved, distinct=True),
    )


def guest_countries(summit: Summit):
    return set(
        Registration.objects.filter(summit=summit, status=Status.APPROVED).values_list(
            "nationality", flat=True
        )
    )
