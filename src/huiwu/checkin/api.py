"""Gate devices over HTTP: scans, the device's own settings, offline lists and their sync.

Devices authenticate with their bearer token (``Authorization: Bearer <token>``); an unknown
or revoked token is a 401 that says so. Thin: every decision is ``services``'. Descriptors
never leave the server; a guest's portrait only through a link signed for a few minutes.
"""

import datetime as dt

from django.core import signing
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Router
from ninja import Status as Answer
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.security import HttpBearer

from huiwu.checkin import faces, messages, services
from huiwu.checkin.models import GateDevice, ScanEvent
from huiwu.checkin.schemas import (
    DeviceOut,
    OfflineListOut,
    ScanOut,
    SyncIn,
    SyncOut,
)
from huiwu.core import throttle
from huiwu.core.api import NotFound
from huiwu.core.i18n import localized
from huiwu.core.schemas import ErrorOut, ValidationErrorOut
from huiwu.registration.models import Registration
from huiwu.registration.views import photo_response

router = Router(tags=["Check-in"])

PHOTO_SALT = "huiwu.checkin.guest-photo"
PHOTO_LINK_LIFETIME = 300  # seconds: long enough for the gate to show it, no longer
ERRORS = {401: ErrorOut, 422: ValidationErrorOut}


class DeviceToken(HttpBearer):
    """A gate device's bearer token; every refusal says what is wrong, as a 401. An address
    that sent too many unknown tokens is answered 429 for the unknown ones."""

    def __call__(self, request: HttpRequest) -> GateDevice:
        scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HttpError(
                401, _("Send the gate device's token in the header “Authorization: Bearer …”.")
            )
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> GateDevice:
        device = services.device_for_token(token)
        if device is not None:
            # A registered gate is never locked out: its token cannot be guessed, and the
            # arrivals must not stop because something else on the venue's network guessed.
            services.touch_device(device)
            return device
        address = throttle.client_address(request)
        if throttle.wait_seconds(throttle.DEVICE_TOKEN, address):
            # A right token works at once, so the sentence says which, not how long to wait.
            raise HttpError(
                429,
                _(
                    "Too many unknown gate device tokens came from this address; use the token "
                    "the secretariat gave for this gate."
                ),
            )
        throttle.record_failure(throttle.DEVICE_TOKEN, address)
        raise HttpError(
            401,
            _(
                "This gate device token is unknown or has been revoked; "
                "ask the secretariat for a new one."
            ),
        )


device_auth = DeviceToken()


def _photo_url(request: HttpRequest, registration: Registration) -> str | None:
    if not registration.photo:
        return None
    token = signing.TimestampSigner(salt=PHOTO_SALT).sign(registration.public_id.hex)
    return request.build_absolute_uri(reverse("api:checkin_guest_photo", args=[token]))


def _answer(request: HttpRequest, result: services.ScanResult) -> dict:
    event: ScanEvent = result.event
    guest = None
    if event.decision == "admit" and event.registration is not None:
        registration = event.registration
        guest = {
            "name": str(registration),
            "category": localized(registration.category.name),
            "photo_url": _photo_url(request, registration),
        }
    return {
        "decision": event.decision,
        "reason": result.reason,
        "message": result.message,
        "guest": guest,
        "zone": localized(event.zone.name),
        "direction": event.direction,
        "event_id": event.pk,
        "replayed": result.replayed,
    }


@router.post("/scan", auth=device_auth, response={200: ScanOut, 409: ErrorOut, **ERRORS})
def scan(
    request: HttpRequest,
    idempotency_key: Form[str],
    captured_at: Form[dt.datetime],
    qr_token: Form[str | None] = None,
    id_number: Form[str | None] = None,
    frame: File[UploadedFile] = None,
):
    """Decide one scan at this gate: a QR token (the badge), a QR token with a camera frame
    (badge and face, 1:1), a document number with a frame (1:1), or a frame alone at a
    face-only gate (1:N among the guests allowed in the zone now).

    A scan is recorded once: a retry with the same ``idempotency_key`` and the same content
    gets the first answer with ``replayed: true``; the same key with other content is a 409.
    A frame that is not a picture, or shows no face, is a 422 and records nothing.
    """
    # Refused before it is read: an oversized upload must not be copied into memory.
    if frame is not None and frame.size > faces.MAX_BYTES:
        message = messages.face_message("too_large", frame=True)
        raise services.FaceRefused(message, field="frame", code="too_large")
    try:
        result = services.scan(
            request.auth,
            idempotency_key=idempotency_key,
            captured_at=captured_at,
            qr_token=qr_token,
            id_number=id_number,
            frame=frame.read() if frame is not None else None,
        )
    except services.ReplayConflict as conflict:
        return Answer(409, {"detail": conflict.message, "field": conflict.field})
    return _answer(request, result)


@router.get("/device", auth=device_auth, response={200: DeviceOut, 401: ErrorOut})
def device(request: HttpRequest):
    """The gate this token belongs to: its name, zone, direction and mode."""
    gate: GateDevice = request.auth
    return {
        "name": gate.name,
        "zone": localized(gate.zone.name),
        "direction": gate.direction,
        "mode": gate.mode,
        "summit": localized(gate.summit.name),
    }


@router.get("/offline-list", auth=device_auth, response={200: OfflineListOut, 401: ErrorOut})
def offline_list(request: HttpRequest):
    """The badges this gate may accept while the network is down (SHA-256 of each QR token,
    with the guest's name and category), valid for twelve hours, signed by the server."""
    return services.signed_offline_list(request.auth)


@router.post("/sync", auth=device_auth, response={200: SyncOut, **ERRORS})
def sync(request: HttpRequest, payload: SyncIn):
    """Upload the scans this gate decided offline. Each is recorded once, as it happened:
    a key recorded before merges (``duplicate``), a key used before for another scan is a
    ``conflict`` and changes nothing. The server checks its rules again and marks an offline
    admit they would have refused for review. A scan that can never be recorded (a capture
    time before the summit or in the future, a blank key) is a ``conflict`` with the reason in
    ``detail``, and the others are recorded; a batch that does not parse records nothing."""
    outcomes = services.sync(
        request.auth,
        [
            services.OfflineScan(
                idempotency_key=item.idempotency_key,
                captured_at=item.captured_at,
                qr_token=item.qr_token,
                decision=item.decision,
            )
            for item in payload.events
        ],
    )
    return {
        "results": [
            {
                "idempotency_key": outcome.idempotency_key,
                "outcome": outcome.outcome,
                "event_id": outcome.event.pk if outcome.event else None,
                "decision": outcome.event.decision if outcome.event else None,
                "review": (outcome.event.review or None) if outcome.event else None,
                "detail": outcome.detail,
            }
            for outcome in outcomes
        ]
    }


@router.get(
    "/guest-photo/{token}",
    auth=None,
    url_name="checkin_guest_photo",
    response={404: ErrorOut},
)
def guest_photo(request: HttpRequest, token: str):
    """The portrait of a guest a gate has just admitted, through the link of the scan's
    answer; the link works for five minutes."""
    message = _("This photo link is not valid or has expired.")
    try:
        public_id = signing.TimestampSigner(salt=PHOTO_SALT).unsign(
            token, max_age=PHOTO_LINK_LIFETIME
        )
    except signing.BadSignature:
        raise NotFound(message) from None
    registration = Registration.objects.filter(public_id=public_id).first()
    if registration is None or not registration.photo:
        raise NotFound(message)
    return photo_response(registration)
