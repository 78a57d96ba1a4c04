"""Badge tokens: what a badge's QR code carries. Signed and unguessable, never a database id."""

from django.core import signing
from django.utils.translation import gettext as _

from huiwu.core.services import DomainError
from huiwu.registration.models import Registration, Status

SALT = "huiwu.badge"


class BadgeError(DomainError):
    """A QR code that does not open the gates, and why: ``code`` is ``invalid``, ``revoked``
    or ``not_approved``, for the gates to record."""

    def __init__(self, message, *, code: str):
        super().__init__(message)
        self.code = code


def badge_token(registration: Registration) -> str:
    """The token printed as the badge's QR code: the guest's public id and badge version,
    signed with the server's secret key. Revoking the badge changes the version."""
    return signing.Signer(salt=SALT).sign(
        f"{registration.public_id.hex}.{registration.badge_version}"
    )


def registration_for_token(token: str) -> Registration:
    """The approved guest a badge token belongs to; ``BadgeError`` for a forged, outdated or
    revoked badge, or a guest who is not (or no longer) approved."""
    try:
        public_id, version = signing.Signer(salt=SALT).unsign(token.strip()).split(".", 1)
        registration = Registration.objects.select_related("category", "summit").get(
            public_id=public_id
        )
    except (signing.BadSignature, ValueError, Registration.DoesNotExist):
        raise BadgeError(_("This is not a valid badge of this summit."), code="invalid") from None
    if registration.badge_revoked or str(registration.badge_version) != version:
        raise BadgeError(
            _("This badge has been revoked; the guest should see the help desk."), code="revoked"
        )
    if registration.status != Status.APPROVED:
        raise BadgeError(_("This guest's registration is not approved."), code="not_approved")
    return registration
