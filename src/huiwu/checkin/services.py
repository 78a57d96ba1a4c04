"""Every write of gate check-in: enrolment, devices, scans, offline sync, the manual lane.

A scan is recorded exactly once however often a gate retries: the device's idempotency key is
unique per device, and the fingerprint of what was sent tells a retry (answered with the first
decision) from another scan reusing the key (refused). Who is inside a zone is one ``Presence``
row per guest and zone, locked (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite every write
transaction starts with ``BEGIN IMMEDIATE``) while a scan changes it, so twenty gates scanning
the same guest at once let the guest in once.

Faces are computed outside the transactions (they take tens of milliseconds of CPU), and gate
frames are decided and discarded: only the decision and the match distance are kept.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from huiwu.checkin import access, faces, galleries, gallery, messages
from huiwu.checkin.models import (
    HIGH_SECURITY_ZONES,
    Decision,
    Direction,
    FaceDescriptor,
    GalleryVersion,
    GateDevice,
    Method,
    Mode,
    Presence,
    ScanEvent,
)
from huiwu.checkin.rules import can_check_in_manually
from huiwu.core.i18n import localized
from huiwu.core.services import DomainError, NotAllowed, actions_for, log_action
from huiwu.registration import badges
from huiwu.registration.models import Registration, Status
from huiwu.registration.selectors import ACTIVE
from huiwu.registration.validators import normalise_id_number
from huiwu.summit.models import Summit, Zone, ZoneKind

# A device's clock may run a little fast; a capture time further ahead is a wrong clock.
CLOCK_SKEW = dt.timedelta(minutes=5)
# Gates may be tried out the day before the summit opens; a capture time before that is a wrong
# clock (and a far-off one would not even fit the database).
SETUP_DAY = dt.timedelta(days=1)
# How long a gate may check badges against its offline list before it needs a fresh one.
OFFLINE_LIST_LIFETIME = dt.timedelta(hours=12)
OFFLINE_SALT = "huiwu.checkin.offline-list"
MAX_KEY_LENGTH = 100
# The audit entry on a summit whose face descriptors were purged; none is computed after it.
PURGED = "face.purged"
# Refusals on a typed document number that would tell whoever types it whether the number
# belongs to a guest of the summit; the gate hears one answer for all, the scan keeps which.
UNDISCLOSED = {messages.UNKNOWN_ID, messages.NOT_ENROLLED, messages.FACE_MISMATCH}


class CheckinError(DomainError):
    """A request of a gate or of staff that cannot be decided, and why."""


class FaceRefused(CheckinError):
    """A photo or frame without a usable face; ``code`` is the face engine's code."""

    def __init__(self, message, *, field: str, code: str):
        super().__init__(message, field=field)
        self.code = code


class ReplayConflict(CheckinError):
    """An idempotency key already used by this device for a different scan."""


def engine() -> faces.Engine:
    """The face engine the settings choose (dlib where the ArcFace model file is absent)."""
    return faces.get_engine(settings.FACE_ENGINE, settings.FACE_MODEL_PATH)


def thresholds(face_engine: faces.Engine) -> faces.Thresholds:
    """The engine's calibrated thresholds, with what ``FACE_THRESHOLDS`` overrides for it."""
    return dataclasses.replace(
        face_engine.thresholds, **settings.FACE_THRESHOLDS.get(face_engine.name, {})
    )


# --- Enrolment ------------------------------------------------------------------------------
def portrait_descriptor(data: bytes, *, field: str = "photo"):
    """The descriptor of the one usable face of a portrait, or ``FaceRefused`` saying what is
    wrong with the photo (no face, two faces, too small, too blurred …)."""
    try:
        return faces.enrolment_descriptor(engine(), data)
    except faces.FaceError as error:
        raise FaceRefused(messages.face_message(error.code), field=field, code=error.code) from None


def _portrait(registration: Registration) -> bytes:
    with registration.photo.open("rb") as stream:
        return stream.read()


def unusable_portrait(registration: Registration) -> str | None:
    """Why the stored portrait cannot be used for face check-in (a sentence), or None; None
    also without a portrait."""
    if not registration.photo:
        return None
    try:
        portrait_descriptor(_portrait(registration))
    except FaceRefused as refused:
        return refused.message
    return None


def may_hold_descriptor(registration: Registration) -> bool:
    """Consent given, a portrait to compute it from, a registration still under way, and a
    summit whose face descriptors have not been purged."""
    return (
        registration.face_consent is True
        and bool(registration.photo)
        and registration.status in ACTIVE
        and not _purged(registration.summit)
    )


def _purged(summit: Summit) -> bool:
    # Faces are kept for the summit only and purged after it (by the daily job once its last
    # day is over, or by hand with --force): the purge is where their retention ends, so from
    # then on no save of a guest computes one again. The purge, not the calendar, decides, so
    # that the one rule of when the summit is over stays the job's.
    return actions_for(summit).filter(action=PURGED).exists()


def needs_enrolment(registration: Registration) -> bool:
    """May hold a descriptor but has none computed from its current portrait."""
    if not may_hold_descriptor(registration):
        return False
    stored = FaceDescriptor.objects.filter(registration=registration).values_list(
        "source", "model_hash"
    )
    return stored.first() != (registration.photo.name, engine().model_hash)


def bump_gallery(summit_id: int) -> None:
    GalleryVersion.objects.update_or_create(
        summit_id=summit_id, defaults={"stamp": uuid.uuid4().hex}
    )


def enrol_face(registration: Registration, *, by=None) -> FaceDescriptor:
    """Compute and store the guest's face descriptor from the registration's portrait (never a
    copy of the photo). Needs the guest's consent; ``FaceRefused`` when the photo has no single
    usable face."""
    if registration.face_consent is not True:
        raise CheckinError(_("The guest has not agreed to face check-in."), field="face_consent")
    if not registration.photo:
        raise CheckinError(_("There is no portrait photo to enrol."), field="photo")
    if not may_hold_descriptor(registration):
        raise CheckinError(
            _(
                "Faces are enrolled only for registrations under way, until the summit's "
                "face data is purged; nothing was enrolled."
            )
        )
    source = registration.photo.name
    face_engine = engine()
    vector = portrait_descriptor(_portrait(registration))
    with transaction.atomic():
        current = Registration.objects.select_for_update().get(pk=registration.pk)
        # Consent withdrawn, photo replaced or registration ended while the face was
        # computed: keep nothing.
        if not may_hold_descriptor(current) or current.photo.name != source:
            raise CheckinError(
                _("The guest's consent or photo changed meanwhile; nothing was enrolled.")
            )
        descriptor, _created = FaceDescriptor.objects.update_or_create(
            registration=current,
            defaults={
                "engine": face_engine.name,
                "model_hash": face_engine.model_hash,
                "vector": vector.astype("float32").tobytes(),
                "source": source,
            },
        )
        bump_gallery(current.summit_id)
        log_action(
            current,
            "face.enrolled",
            by=by,
            data={"engine": face_engine.name, "model_hash": face_engine.model_hash},
        )
    return descriptor


def enrol_after_commit(registration_id: int) -> None:
    """Enrol once the registration's transaction has committed; a refusal is logged for the
    secretariat (the form has already checked the photo, so it is rare) and the guest keeps
    the QR badge."""
    registration = Registration.objects.filter(pk=registration_id).first()
    if registration is None or not needs_enrolment(registration):
        return
    try:
        enrol_face(registration)
    except FaceRefused as error:
        log_action(registration, "face.enrolment_refused", data={"code": error.code})
    except CheckinError:
        pass  # consent or photo changed meanwhile: the later save decides


def delete_descriptor(registration: Registration, *, reason: str, by=None) -> bool:
    """Delete the guest's descriptor at once (audited); False when there was none."""
    with transaction.atomic():
        deleted, _detail = FaceDescriptor.objects.filter(registration=registration).delete()
        if not deleted:
            return False
        bump_gallery(registration.summit_id)
        log_action(registration, "face.deleted", by=by, data={"reason": reason})
    return True


@transaction.atomic
def withdraw_face_consent(registration: Registration, *, by=None) -> Registration:
    """The guest no longer agrees to face check-in: the descriptor is deleted at once, in the
    same transaction as the consent; the QR badge keeps working."""
    from huiwu.registration.services import set_face_consent

    set_face_consent(registration, False, by=by)
    delete_descriptor(registration, reason="consent_withdrawn", by=by)
    return registration


@transaction.atomic
def purge_biometrics(summit: Summit, *, by=None) -> int:
    """Delete every face descriptor of the summit (after the event); each deletion is in the
    audit log, and no descriptor is computed for the summit afterwards. Returns how many were
    deleted."""
    descriptors = FaceDescriptor.objects.filter(registration__summit=summit).select_related(
        "registration"
    )
    count = 0
    for descriptor in descriptors.order_by("pk"):
        log_action(descriptor.registration, "face.deleted", by=by, data={"reason": "purged"})
        count += 1
    FaceDescriptor.objects.filter(registration__summit=summit).delete()
    if count:
        bump_gallery(summit.pk)
    log_action(summit, PURGED, by=by, data={"count": count})
    return count


# --- Devices ---------------------------------------------------------------------------------
def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def device_for_token(token: str) -> GateDevice | None:
    """The active device holding ``token``; None for an unknown or revoked token."""
    if not token or len(token) > 200:
        return None
    return (
        GateDevice.objects.select_related("zone", "summit")
        .filter(token_hash=token_hash(token.strip()), active=True)
        .first()
    )


def check_device(device: GateDevice) -> None:
    """``CheckinError`` naming the field when the device cannot be registered as it is."""
    if device.zone.summit_id != device.summit_id:
        raise CheckinError(_("The zone belongs to another summit."), field="zone")
    if device.mode == Mode.IDENTIFY and device.zone.kind in HIGH_SECURITY_ZONES:
        raise CheckinError(
            _("Gates of %(zone)s check the badge and the face together; choose the verify mode.")
            % {"zone": device.zone},
            field="mode",
        )
    try:
        device.full_clean(exclude=["token_hash"])
    except ValidationError as error:
        field, problems = next(iter(error.message_dict.items()))
        raise CheckinError(problems[0], field=None if field == "__all__" else field) from None


@transaction.atomic
def register_device(
    summit: Summit,
    *,
    name: str,
    zone: Zone,
    direction: str = Direction.IN,
    mode: str = Mode.VERIFY,
    by=None,
    token: str | None = None,
) -> tuple[GateDevice, str]:
    """A new gate device and its bearer token, returned once in plain (only its hash is kept).
    ``token`` fixes the token (the demo's devices, so its README can name them)."""
    plain = token or secrets.token_urlsafe(32)
    device = GateDevice(
        summit=summit,
        name=name.strip(),
        zone=zone,
        direction=direction,
        mode=mode,
        token_hash=token_hash(plain),
    )
    check_device(device)
    device.save()
    log_action(
        device,
        "gate_device.registered",
        by=by,
        data={"zone": zone.pk, "direction": direction, "mode": mode},
    )
    return device, plain


@transaction.atomic
def revoke_device(device: GateDevice, *, by=None) -> GateDevice:
    """The device's token stops working at once."""
    if not device.active:
        return device
    device.active = False
    device.revoked_at = timezone.now()
    device.save(update_fields=["active", "revoked_at"])
    log_action(device, "gate_device.revoked", by=by)
    return device


def touch_device(device: GateDevice) -> None:
    """Note that the device was heard from (at most once a minute, to spare the database)."""
    now = timezone.now()
    if device.last_seen_at is None or now - device.last_seen_at > dt.timedelta(minutes=1):
        GateDevice.objects.filter(pk=device.pk).update(last_seen_at=now)
        device.last_seen_at = now


# --- Scans ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScanResult:
    """A recorded scan and whether it was the answer to an earlier request with the same key;
    ``by_document`` for a typed document number, whose refusals the gate hears as one."""

    event: ScanEvent
    replayed: bool = False
    by_document: bool = False

    @property
    def decision(self) -> str:
        return self.event.decision

    @property
    def reason(self) -> str | None:
        """The reason the gate is told; the scan keeps the precise one for the staff."""
        if self.by_document and self.event.reason in UNDISCLOSED:
            return messages.UNCERTAIN
        return self.event.reason or None

    @property
    def registration(self) -> Registration | None:
        return self.event.registration

    @property
    def message(self) -> str:
        return messages.scan_message(self.event.decision, self.reason)


@dataclass
class _Identified:
    """Who stands at the gate, as far as the badge, ID number or face tell."""

    method: str
    registration: Registration | None = None
    failure: str | None = None  # a reason code when nobody can be admitted
    decision: str = Decision.DENY  # the decision of a failure
    distance: float | None = None


def _key(value: str) -> str:
    key = (value or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise CheckinError(
            _("Send an idempotency key of 1 to %(length)d printable characters.")
            % {"length": MAX_KEY_LENGTH},
            field="idempotency_key",
        )
    return key


def _moment(value: dt.datetime, summit: Summit, now: dt.datetime) -> dt.datetime:
    """An aware capture time (a naive one is read in the summit's time zone), from the day
    before the summit on, and not after ``now`` beyond a little clock skew. No bound at the
    summit's end: a gate's clock cannot run ahead of the server's, and scans after the summit
    are still recorded as they happened."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value, summit.tz)
    opening = dt.datetime.combine(summit.start_date, dt.time.min, tzinfo=summit.tz)
    if value < opening - SETUP_DAY:
        raise CheckinError(
            _("The capture time lies before the summit; check the device's clock."),
            field="captured_at",
        )
    if value > now + CLOCK_SKEW:
        raise CheckinError(
            _("The capture time lies in the future; check the device's clock."),
            field="captured_at",
        )
    return value


def _fingerprint(*parts) -> str:
    # An instant in UTC: the same capture time sent as 02:00Z or as 10:00+08:00 is a retry.
    parts = [
        part.astimezone(dt.UTC).isoformat() if isinstance(part, dt.datetime) else part
        for part in parts
    ]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def _earlier(device: GateDevice | None, key: str, fingerprint: str) -> ScanResult | None:
    """The scan already recorded under this device's key, or None; ``ReplayConflict`` when the
    key was used for something else."""
    if device is None:
        return None
    event = (
        ScanEvent.objects.select_related("registration__category", "zone")
        .filter(device=device, idempotency_key=key)
        .first()
    )
    if event is None:
        return None
    if event.fingerprint != fingerprint:
        raise ReplayConflict(
            _(
                "This idempotency key was already used for a different scan; "
                "send every new scan with a new key."
            ),
            field="idempotency_key",
        )
    return ScanResult(event, replayed=True)


def _badge_holder(token: str, summit: Summit) -> _Identified:
    try:
        registration = badges.registration_for_token(token)
    except badges.BadgeError as error:
        reason = {"revoked": messages.REVOKED, "not_approved": messages.NOT_APPROVED}.get(
            error.code, messages.INVALID_BADGE
        )
        return _Identified(Method.QR, failure=reason)
    if registration.summit_id != summit.pk:
        return _Identified(Method.QR, failure=messages.INVALID_BADGE)
    return _Identified(Method.QR, registration=registration)


def _probe(frame: bytes):
    """The descriptor of the face at the front of a gate frame; ``FaceRefused`` otherwise."""
    try:
        return faces.probe_descriptor(engine(), frame)
    except faces.FaceError as error:
        raise FaceRefused(
            messages.face_message(error.code, frame=True), field="frame", code=error.code
        ) from None


def _verify(found: _Identified, frame: bytes) -> _Identified:
    """The face of the frame compared 1:1 with the named guest's descriptor."""
    face_engine = engine()
    stored = (
        FaceDescriptor.objects.filter(
            registration=found.registration, model_hash=face_engine.model_hash
        )
        .values_list("vector", flat=True)
        .first()
    )
    if stored is None:
        return found  # no face check-in for this guest: the badge alone, as in the QR lane
    match = gallery.verify(
        face_engine,
        galleries.as_vector(stored),
        _probe(frame),
        thresholds=thresholds(face_engine),
    )
    if match.outcome != "admit":
        return _Identified(
            Method.FACE,
            registration=found.registration,
            failure=messages.FACE_MISMATCH,
            distance=match.distance,
        )
    return _Identified(Method.FACE, registration=found.registration, distance=match.distance)


def _id_holder(number: str, summit: Summit, frame: bytes | None) -> _Identified:
    if frame is None:
        raise CheckinError(
            _("A typed document number needs the guest's face; send a camera frame with it."),
            field="frame",
        )
    holders = list(
        Registration.objects.filter(
            summit=summit, status=Status.APPROVED, id_number=normalise_id_number(number)
        ).select_related("category")[:2]
    )
    if len(holders) != 1:
        return _Identified(Method.FACE, failure=messages.UNKNOWN_ID)
    has_face = FaceDescriptor.objects.filter(
        registration=holders[0], model_hash=engine().model_hash
    ).exists()
    if not has_face:
        return _Identified(Method.FACE, registration=holders[0], failure=messages.NOT_ENROLLED)
    return _verify(_Identified(Method.FACE, registration=holders[0]), frame)


def _face_search(device: GateDevice, frame: bytes, now: dt.datetime) -> _Identified:
    """1:N over the guests who may enter the device's zone ``now`` (at an exit: who is
    inside), and only them."""
    face_engine = engine()
    probe = _probe(frame)
    if device.direction == Direction.IN:
        candidates = access.admissible(device.zone, now).values_list("pk", flat=True)
    else:
        candidates = Presence.objects.filter(zone=device.zone, inside=True).values_list(
            "registration_id", flat=True
        )
    allowed = set(candidates)
    match = gallery.identify(
        face_engine,
        galleries.summit_gallery(device.summit_id, face_engine),
        probe,
        allowed,
        thresholds=thresholds(face_engine),
    )
    if match.outcome != "admit":
        return _Identified(
            Method.FACE,
            failure=messages.UNCERTAIN,
            decision=Decision.NO_MATCH,
            distance=match.distance,
        )
    registration = Registration.objects.select_related("category", "summit").get(pk=match.key)
    return _Identified(Method.FACE, registration=registration, distance=match.distance)


def _lock_presence(zone: Zone, registration: Registration) -> Presence:
    Presence.objects.bulk_create(
        [Presence(zone=zone, registration=registration)], ignore_conflicts=True
    )
    return Presence.objects.select_for_update().get(zone=zone, registration=registration)


def _lock_if_counted(zone: Zone) -> bool:
    """Whether entries into ``zone`` are counted against its places; if so the zone's row is
    locked until the transaction ends, so that two gates cannot both let in the last guest.
    ``no_key``: an exit holding a guest's presence while its scan's foreign key checks the
    zone row (FOR KEY SHARE) must not wait for an entry that waits for that presence."""
    if not zone.stop_when_full:
        return False
    return (
        Zone.objects.select_for_update(no_key=True).filter(pk=zone.pk, stop_when_full=True).exists()
    )


def _session_since(zone: Zone, last_scan_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether a forum room's doors opened for the forum held now after the guest's last scan
    there: a forum room has a list of its own per forum, so the morning's entry does not turn
    the guest away from the afternoon's forum in the same room."""
    if zone.kind != ZoneKind.FORUM_ROOM or last_scan_at is None:
        return False
    doors = [forum.starts_at - access.DOORS_OPEN for forum in access.open_forums(zone, now)]
    return bool(doors) and last_scan_at < min(doors)


def _full(zone: Zone) -> bool:
    places = zone.places()
    return places is not None and zone.presences.filter(inside=True).count() >= places


def _record(
    found: _Identified,
    *,
    zone: Zone,
    direction: str,
    moment: dt.datetime,
    now: dt.datetime,
    key: str,
    fingerprint: str,
    device: GateDevice | None = None,
    staff=None,
) -> ScanEvent:
    """Check the rules at ``now``, move the guest, store the scan captured at ``moment``: one
    transaction."""
    with transaction.atomic():
        decision, reason, moved = found.decision, found.failure, False
        registration = found.registration
        if reason is None and direction == Direction.IN:
            reason = access.refusal(registration, zone, now)
        if reason is None:
            counted = direction == Direction.IN and _lock_if_counted(zone)
            presence = _lock_presence(zone, registration)
            if presence.last_scan_at is not None and moment < presence.last_scan_at:
                # A later scan of the guest here reached the server first (this one was
                # delayed): it decided where the guest is, as for the offline scans.
                decision = Decision.ADMIT
            elif (
                direction == Direction.IN
                and presence.inside
                and not _session_since(zone, presence.last_scan_at, now)
            ):
                reason = messages.ALREADY_INSIDE
            elif counted and not presence.inside and _full(zone):
                reason = messages.FULL
            else:
                decision = Decision.ADMIT
                entering = direction == Direction.IN
                # Back for a later forum of a room nobody is seen leaving: counted already.
                moved = presence.inside != entering
                if not moved and not entering:
                    reason = messages.NOT_INSIDE  # leaving without a recorded entry
                presence.inside = entering
                presence.last_scan_at = max(filter(None, [presence.last_scan_at, moment]))
                presence.save(update_fields=["inside", "last_scan_at"])
        event = ScanEvent.objects.create(
            device=device,
            staff=staff,
            idempotency_key=key,
            fingerprint=fingerprint,
            registration=registration,
            zone=zone,
            direction=direction,
            method=found.method,
            decision=decision,
            reason=reason or "",
            distance=found.distance,
            moved=moved,
            captured_at=moment,
        )
        if found.method == Method.FACE and registration is not None:
            log_action(
                registration,
                "face.matched" if found.failure is None else "face.mismatched",
                data={"event": event.pk, "zone": zone.pk, "distance": found.distance},
            )
    return event


def scan(
    device: GateDevice,
    *,
    idempotency_key: str,
    captured_at: dt.datetime,
    qr_token: str | None = None,
    frame: bytes | None = None,
    id_number: str | None = None,
    now: dt.datetime | None = None,
) -> ScanResult:
    """Decide one scan at ``device``'s gate and record it once.

    A QR token alone opens the gate for its guest (the QR lane works for everyone); with a
    frame (verify mode) the face must also match the guest's enrolled descriptor. A typed
    document number always needs a matching face. A frame alone (identify mode) is searched
    among the guests allowed in the zone now, and admitted only on a clear match. A frame
    without a usable face, or a request with nothing to decide on, is ``CheckinError`` and
    records nothing.

    The gate waits for the answer, so the scan is judged at ``now`` (the server's clock; tests
    pass their own): a claimed capture time, however old, opens no forum that is over. The
    capture time is recorded, and a scan captured before the guest's last one here does not
    move the guest.
    """
    now = now or timezone.now()
    key = _key(idempotency_key)
    moment = _moment(captured_at, device.summit, now)
    qr_token, id_number = (qr_token or "").strip(), (id_number or "").strip()
    by_document = bool(id_number) and not qr_token
    frame_hash = hashlib.sha256(frame).hexdigest() if frame is not None else None
    fingerprint = _fingerprint("scan", moment, qr_token, id_number, frame_hash)
    if (earlier := _earlier(device, key, fingerprint)) is not None:
        return dataclasses.replace(earlier, by_document=by_document)
    if qr_token:
        found = _badge_holder(qr_token, device.summit)
        if found.failure is None and frame is not None:
            found = _verify(found, frame)
    elif id_number:
        found = _id_holder(id_number, device.summit, frame)
    elif frame is not None:
        if device.mode != Mode.IDENTIFY:
            raise CheckinError(
                _("This gate checks the badge and the face together; send the QR token too."),
                field="qr_token",
            )
        found = _face_search(device, frame, now)
    else:
        raise CheckinError(
            _("Send a QR token, a document number or a camera frame."), field="qr_token"
        )
    try:
        event = _record(
            found,
            zone=device.zone,
            direction=device.direction,
            moment=moment,
            now=now,
            key=key,
            fingerprint=fingerprint,
            device=device,
        )
    except IntegrityError:
        # The same key from a retry that raced this one: the first one's answer.
        earlier = _earlier(device, key, fingerprint)
        if earlier is None:
            raise
        return dataclasses.replace(earlier, by_document=by_document)
    return ScanResult(event, by_document=by_document)


@transaction.atomic
def manual_checkin(staff_user, registration: Registration, zone: Zone, direction: str):
    """Staff let a guest in (or out) by hand after checking the person; the same rules as at
    the gates, and audited."""
    if not can_check_in_manually(staff_user):
        raise NotAllowed(_("Only gate staff and the secretariat can check guests in by hand."))
    if direction not in Direction.values:
        raise CheckinError(_("Choose entry or exit."), field="direction")
    if registration.summit_id != zone.summit_id:
        raise CheckinError(_("This guest is registered for another summit."), field="zone")
    key = f"manual-{uuid.uuid4().hex}"
    now = timezone.now()
    event = _record(
        _Identified(Method.MANUAL, registration=registration),
        zone=zone,
        direction=direction,
        moment=now,
        now=now,
        key=key,
        fingerprint=_fingerprint("manual", key),
        staff=staff_user,
    )
    log_action(
        registration,
        "checkin.manual",
        by=staff_user,
        data={
            "event": event.pk,
            "zone": zone.pk,
            "direction": direction,
            "decision": event.decision,
            "reason": event.reason,
        },
    )
    return ScanResult(event)


# --- Offline gates ---------------------------------------------------------------------------
def badge_fingerprint(token: str) -> str:
    """What an offline list holds of a badge: the SHA-256 of its QR token, never the token."""
    return hashlib.sha256(token.strip().encode()).hexdigest()


def offline_signature(body: dict) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return salted_hmac(OFFLINE_SALT, canonical, algorithm="sha256").hexdigest()


def signed_offline_list(device: GateDevice, *, now: dt.datetime | None = None) -> dict:
    """The guests the device's gate may let through while the network is down, for its
    lifetime: their badges' hashes, names and categories, signed by the server."""
    issued = now or timezone.now()
    expires = issued + OFFLINE_LIST_LIFETIME
    if device.direction == Direction.IN:
        guests = access.admissible(device.zone, issued, expires)
    else:
        guests = Registration.objects.filter(
            summit_id=device.summit_id, status=Status.APPROVED, badge_revoked=False
        )
    body = {
        "zone": localized(device.zone.name),
        "issued_at": issued.isoformat(),
        "expires_at": expires.isoformat(),
        "entries": [
            {
                "badge": badge_fingerprint(badges.badge_token(guest)),
                "name": str(guest),
                "category": localized(guest.category.name),
            }
            for guest in guests.select_related("category").order_by("pk")
        ],
    }
    return {**body, "signature": offline_signature(body)}


@dataclass(frozen=True)
class OfflineScan:
    """One scan a gate decided on its own while offline."""

    idempotency_key: str
    captured_at: dt.datetime
    qr_token: str
    decision: str  # admit | deny


@dataclass(frozen=True)
class SyncOutcome:
    idempotency_key: str
    outcome: str  # recorded | duplicate | conflict
    event: ScanEvent | None = None
    detail: str = ""


def _record_offline(device: GateDevice, scan: OfflineScan, moment, fingerprint) -> ScanEvent:
    """What happened at the gate is recorded as it happened: an offline admit moves the guest
    unless a later scan of the guest at this zone is known; the server's rules are checked
    again, and an admit they would have refused is marked for review."""
    key, direction = scan.idempotency_key, device.direction
    found = _badge_holder(scan.qr_token, device.summit)
    registration = found.registration
    refusal = found.failure
    if refusal is None and direction == Direction.IN:
        refusal = access.refusal(registration, device.zone, moment)
    admitted = scan.decision == Decision.ADMIT
    moved = False
    with transaction.atomic():
        if admitted and registration is not None:
            presence = _lock_presence(device.zone, registration)
            if presence.last_scan_at is None or moment >= presence.last_scan_at:
                moved = presence.inside != (direction == Direction.IN)
                presence.inside = direction == Direction.IN
                presence.last_scan_at = moment
                presence.save(update_fields=["inside", "last_scan_at"])
        return ScanEvent.objects.create(
            device=device,
            idempotency_key=key,
            fingerprint=fingerprint,
            registration=registration,
            zone=device.zone,
            direction=direction,
            method=Method.OFFLINE,
            decision=Decision.ADMIT if admitted else Decision.DENY,
            reason="" if admitted else refusal or messages.NOT_ON_LIST,
            review=(refusal or "") if admitted else "",
            moved=moved,
            captured_at=moment,
        )


def sync(device: GateDevice, scans: list[OfflineScan]) -> list[SyncOutcome]:
    """Record the scans a gate made offline, oldest first, each once: a key already recorded
    with the same content is a duplicate (merged), with other content a conflict (kept as it
    was). A scan that can never be recorded (a bad key, decision or capture time) is a
    conflict too, with the reason in ``detail``, and the others are recorded. Each scan is its
    own transaction, so one problem loses no other scan."""
    now = timezone.now()
    outcomes: list[SyncOutcome | None] = [None] * len(scans)
    checked = []
    for index, item in enumerate(scans):
        try:
            key = _key(item.idempotency_key)
            moment = _moment(item.captured_at, device.summit, now)
            if item.decision not in (Decision.ADMIT, Decision.DENY):
                raise CheckinError(_("An offline decision is admit or deny."), field="decision")
        except CheckinError as refused:
            # Answered for good, so that the gate drops it from its queue rather than sending
            # it again with every batch.
            outcomes[index] = SyncOutcome(item.idempotency_key, "conflict", detail=refused.message)
            continue
        checked.append((moment, key, index, item))
    for moment, key, index, item in sorted(checked, key=lambda entry: entry[:3]):
        fingerprint = _fingerprint("offline", moment, item.qr_token.strip(), item.decision)
        outcomes[index] = _sync_one(device, item, key, moment, fingerprint)
    return outcomes


def _sync_one(device, item: OfflineScan, key: str, moment, fingerprint: str) -> SyncOutcome:
    for _attempt in range(2):
        try:
            earlier = _earlier(device, key, fingerprint)
        except ReplayConflict as conflict:
            return SyncOutcome(key, "conflict", detail=conflict.message)
        if earlier is not None:
            return SyncOutcome(key, "duplicate", earlier.event)
        item = OfflineScan(key, moment, item.qr_token.strip(), item.decision)
        try:
            return SyncOutcome(key, "recorded", _record_offline(device, item, moment, fingerprint))
        except IntegrityError:
            continue  # another upload of the same batch recorded it first: read it back
    raise CheckinError(_("This scan could not be recorded; send the batch again."))
