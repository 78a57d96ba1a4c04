"""Check-in's periodic job: face descriptors are kept for the summit only, so once a summit's
last day is over (in its own time zone) they are purged without anyone having to remember."""

from django.utils import timezone

from huiwu.checkin import services
from huiwu.checkin.models import FaceDescriptor
from huiwu.summit.models import Summit

# Daily is enough: the descriptors go within a day of the summit's end.
PURGE_SECONDS = 24 * 60 * 60


def purge_ended_summits() -> dict[str, int]:
    """Purge the descriptors of every summit whose last day is over; how many per summit."""
    holding = Summit.objects.filter(
        pk__in=FaceDescriptor.objects.values("registration__summit_id")
    ).order_by("pk")
    return {
        summit.slug: services.purge_biometrics(summit)
        for summit in holding
        if summit.end_date < timezone.localdate(timezone=summit.tz)
    }
