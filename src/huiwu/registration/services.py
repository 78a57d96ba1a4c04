"""Every write of guest registration: one function per use case, each in its own transaction.

Seats are the data that must never go wrong: ``request_seat``, ``cancel_seat`` and the waitlist
promotion lock the forum's row first (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite every
write transaction starts with ``BEGIN IMMEDIATE`` and so runs alone), then count and write.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from huiwu.core.services import DomainError, log_action
from huiwu.registration import notifications
from huiwu.registration.models import (
    GuestCategory,
    Invitation,
    OptionalField,
    Registration,
    SeatHold,
    SeatRequest,
    SeatStatus,
    Status,
)
from huiwu.registration.validators import normalise_id_number, validate_id_number
from huiwu.summit.models import Forum, Summit


class RegistrationError(DomainError):
    """A guest's or organiser's request that breaks a rule of registration."""


# Fields a guest may write, in the order the form asks for them; everything else (status,
# decision, badge) only services change.
GUEST_FIELDS = (
    "name",
    "name_latin",
    "nationality",
    "email",
    "phone",
    "organisation_name",
    "position",
    "id_type",
    "id_number",
    "participation",
    "arrival_date",
    "departure_date",
    "dietary",
    "accessibility",
    "language",
    "photo",
)
EDITABLE = {Status.DRAFT, Status.INFO_REQUESTED}


def personal_link(registration: Registration, *, absolute: bool = True) -> str:
    """The guest's own page, in the guest's language."""
    with translation.override(registration.language):
        path = reverse("registration:guest", args=[registration.access_key])
    return f"{settings.SITE_URL}{path}" if absolute else path


def _check(registration: Registration, *, complete: bool) -> None:
    """Field shapes always; with ``complete``, also what the category requires."""
    errors: dict[str, list] = {}

    def fail(field: str, message) -> None:
        errors.setdefault(field, []).append(message)

    if registration.id_number:
        registration.id_number = normalise_id_number(registration.id_number)
        try:
            validate_id_number(registration.id_type, registration.id_number)
        except ValidationError as error:
            fail("id_number" if registration.id_type else "id_type", error.messages[0])
    summit = registration.summit
    # A guest may arrive a week before and leave a week after; further is surely a typo.
    earliest = summit.start_date - dt.timedelta(days=7)
    latest = summit.end_date + dt.timedelta(days=7)
    for field in ("arrival_date", "departure_date"):
        day = getattr(registration, field)
        if day is not None and not earliest <= day <= latest:
            fail(
                field,
                _("Give a date between %(start)s and %(end)s, around the summit.")
                % {"start": earliest, "end": latest},
            )
    if (
        registration.arrival_date
        and registration.departure_date
        and registration.departure_date < registration.arrival_date
    ):
        fail("departure_date", _("The departure cannot be before the arrival."))
    if complete:
        category = registration.category
        if category.requires(OptionalField.ORGANISATION) and not registration.organisation_name:
            fail("organisation_name", _("Please give your organisation."))
        if category.requires(OptionalField.POSITION) and not registration.position:
            fail("position", _("Please give your position."))
        if category.requires(OptionalField.PHONE) and not registration.phone:
            fail("phone", _("Please give a phone number."))
        if category.requires(OptionalField.ID_DOCUMENT) and not registration.id_number:
            fail("id_number", _("Please give the number of your identity document."))
        if category.requires(OptionalField.PHOTO) and not registration.photo:
            fail("photo", _("Please upload a portrait photo."))
        if (
            registration.participation == "on_site"
            and category.requires(OptionalField.TRAVEL_DATES)
            and not (registration.arrival_date and registration.departure_date)
        ):
            fail("arrival_date", _("Please give your arrival and departure dates."))
        if registration.face_consent is None:
            fail(
                "face_consent",
                _("Please say whether you agree to face check-in (you may refuse)."),
            )
    try:
        registration.full_clean(exclude=["photo"])
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            for message in messages:
                fail(field, message)
    if errors:
        raise ValidationError(errors)


def check_registration(registration: Registration, *, complete: bool) -> None:
    """Raise a ``ValidationError`` with every problem of an unsaved ``registration``: the
    shapes of its fields, and with ``complete`` also what ``submit`` requires. Forms call it
    to show every problem at once, before anything (a photo above all) is written."""
    _check(registration, complete=complete)


def _as_domain_error(error: ValidationError) -> RegistrationError:
    field, messages = next(iter(error.message_dict.items()))
    return RegistrationError(messages[0], field=None if field == "__all__" else field)


@transaction.atomic
def save_draft(
    registration: Registration,
    data: dict,
    *,
    face_consent: bool | None = None,
    forums: list[Forum] | None = None,
) -> Registration:
    """Create or update a guest's draft from the fields in ``data``; the shapes of what is given
    are checked, completeness only on submission. ``forums``, when given, are the forums the
    guest ticks, kept with the draft until submission. Raises ``ValidationError`` with every
    problem (for forms) — nothing is saved then."""
    if registration.pk and registration.status not in EDITABLE:
        raise RegistrationError(
            _("This registration can no longer be changed; please write to the secretariat.")
        )
    unknown = set(data) - set(GUEST_FIELDS)
    if unknown:
        raise RegistrationError(_("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)})
    for field, value in data.items():
        setattr(registration, field, value)
    if face_consent is not None:
        _set_consent(registration, face_consent)
    _check(registration, complete=False)
    creating = registration.pk is None
    registration.save()
    if forums is not None:
        if any(forum.summit_id != registration.summit_id for forum in forums):
            raise RegistrationError(_("That forum belongs to another summit."), field="forums")
        registration.chosen_forums.set(forums)
    if creating:
        log_action(registration, "registration.created")
    return registration


def _set_consent(registration: Registration, consent: bool) -> None:
    if registration.face_consent != consent:
        registration.face_consent = consent
        registration.face_consent_at = timezone.now()


@transaction.atomic
def set_face_consent(registration: Registration, consent: bool, *, by=None) -> Registration:
    """Give or withdraw the consent to face check-in; always possible, always logged."""
    _set_consent(registration, consent)
    registration.save(update_fields=["face_consent", "face_consent_at", "updated_at"])
    log_action(registration, "registration.face_consent", by=by, data={"consent": consent})
    return registration


@transaction.atomic
def submit(registration: Registration, *, forums=()) -> Registration:
    """Send a complete draft to the secretariat and request seats in ``forums``."""
    if registration.status not in EDITABLE:
        raise RegistrationError(_("This registration has already been submitted."))
    try:
        _check(registration, complete=True)
    except ValidationError as error:
        raise _as_domain_error(error) from error
    for forum in forums:
        if forum.summit_id != registration.summit_id:
            raise RegistrationError(_("That forum belongs to another summit."), field="forums")
    registration.status = Status.SUBMITTED
    registration.submitted_at = timezone.now()
    registration.save()
    if registration.invitation_id and not registration.invitation.used_at:
        Invitation.objects.filter(pk=registration.invitation_id).update(used_at=timezone.now())
    for forum in sorted(forums, key=lambda f: f.pk):
        _request_seat(registration, forum, hold=None)
    registration.chosen_forums.clear()  # they are seat requests now
    log_action(registration, "registration.submitted")
    notifications.notify_guest(registration, "submitted", link=personal_link(registration))
    return registration


def _decide(registration: Registration, status: str, *, by, reason: str, allowed: set[str]):
    if registration.status not in allowed:
        raise RegistrationError(
            _("A registration that is “%(status)s” cannot be changed this way.")
            % {"status": registration.get_status_display()}
        )
    registration.status = status
    registration.decided_at = timezone.now()
    registration.decided_by = by if by is not None and by.is_authenticated else None
    registration.decision_reason = reason
    registration.save()
    log_action(registration, f"registration.{status}", by=by, data={"reason": reason})


@transaction.atomic
def approve(registration: Registration, *, by, reason: str = "") -> Registration:
    _decide(
        registration,
        Status.APPROVED,
        by=by,
        reason=reason,
        allowed={Status.SUBMITTED, Status.INFO_REQUESTED, Status.REJECTED},
    )
    notifications.notify_guest(registration, "approved", link=personal_link(registration))
    return registration


@transaction.atomic
def reject(registration: Registration, *, by, reason: str) -> Registration:
    if not reason.strip():
        raise RegistrationError(_("Please give the guest a reason."), field="reason")
    _decide(
        registration,
        Status.REJECTED,
        by=by,
        reason=reason,
        allowed={Status.SUBMITTED, Status.INFO_REQUESTED, Status.APPROVED},
    )
    _release_seats(registration, by=by)
    notifications.notify_guest(registration, "rejected", reason=reason)
    return registration


@transaction.atomic
def request_info(registration: Registration, *, by, reason: str) -> Registration:
    if not reason.strip():
        raise RegistrationError(_("Please say what information is missing."), field="reason")
    _decide(registration, Status.INFO_REQUESTED, by=by, reason=reason, allowed={Status.SUBMITTED})
    notifications.notify_guest(
        registration, "info_requested", reason=reason, link=personal_link(registration)
    )
    return registration


@transaction.atomic
def withdraw(registration: Registration) -> Registration:
    """The guest cancels: the seats go to the waitlists."""
    if registration.status == Status.WITHDRAWN:
        return registration
    registration.status = Status.WITHDRAWN
    registration.save()
    _release_seats(registration, by=None)
    log_action(registration, "registration.withdrawn")
    return registration


def unchanged_message(count: int) -> str:
    """What to tell the organiser about the registrations a bulk decision left as they were."""
    return ngettext(
        "%(count)d registration could not change: its status does not allow it.",
        "%(count)d registrations could not change: their status does not allow it.",
        count,
    ) % {"count": count}


def bulk_decide(registrations, action: str, *, by, reason: str = "") -> int:
    """Approve, reject or ask for information for many; each in its own transaction, so one
    that cannot change does not hold back the others. Returns how many changed."""
    functions = {"approve": approve, "reject": reject, "request_info": request_info}
    if action not in functions:
        raise RegistrationError(_("Unknown action."))
    if action != "approve" and not reason.strip():
        raise RegistrationError(_("Please give the guests a reason."), field="reason")
    changed = 0
    for registration in registrations:
        try:
            if action == "approve":
                approve(registration, by=by, reason=reason)
            else:
                functions[action](registration, by=by, reason=reason)
        except RegistrationError:
            continue
        changed += 1
    return changed


@transaction.atomic
def revoke_badge(registration: Registration, *, by, reason: str) -> Registration:
    """Every badge printed so far stops opening the gates."""
    registration.badge_revoked = True
    registration.badge_version += 1
    registration.save(update_fields=["badge_revoked", "badge_version", "updated_at"])
    log_action(registration, "badge.revoked", by=by, data={"reason": reason})
    return registration


@transaction.atomic
def reissue_badge(registration: Registration, *, by) -> Registration:
    registration.badge_revoked = False
    registration.badge_version += 1
    registration.save(update_fields=["badge_revoked", "badge_version", "updated_at"])
    log_action(registration, "badge.reissued", by=by)
    return registration


# --- Seats ----------------------------------------------------------------------------------
def _lock(forum: Forum) -> Forum:
    # Only the forum's row: forums share rooms, and locking the room too would let two guests
    # asking for forums in the same rooms wait on each other in a cycle (a deadlock).
    return Forum.objects.select_for_update(of=("self",)).select_related("room").get(pk=forum.pk)


def seats_free(forum: Forum) -> int:
    """Seats of ``forum`` that guests may still get (reserved seats left out)."""
    held = SeatHold.objects.filter(forum=forum).aggregate(total=Sum("seats"))["total"] or 0
    taken = SeatRequest.objects.filter(
        forum=forum, status=SeatStatus.CONFIRMED, hold__isnull=True
    ).count()
    return max(0, forum.seats - held - taken)


def clashing_seat(registration: Registration, forum: Forum) -> SeatRequest | None:
    """The guest's seat or waitlist place in another forum whose time overlaps ``forum``'s,
    if any: a guest asking from the personal page cannot be in two rooms at once, and a
    waitlist place counts because it may turn into a seat."""
    return (
        registration.seat_requests.exclude(status=SeatStatus.CANCELLED)
        .exclude(forum=forum)
        .filter(forum__starts_at__lt=forum.ends_at, forum__ends_at__gt=forum.starts_at)
        .select_related("forum")
        .order_by("forum__starts_at", "forum_id")
        .first()
    )


def _check_hold_room(hold: SeatHold) -> None:
    used = SeatRequest.objects.filter(hold=hold, status=SeatStatus.CONFIRMED).count()
    if used >= hold.seats:
        raise RegistrationError(
            _("All %(count)d reserved seats “%(label)s” are given.")
            % {"count": hold.seats, "label": hold}
        )


def _request_seat(registration: Registration, forum: Forum, *, hold: SeatHold | None):
    locked = _lock(forum)
    existing = SeatRequest.objects.filter(registration=registration, forum=forum).exclude(
        status=SeatStatus.CANCELLED
    )
    if existing.exists():
        return existing.get()
    if hold is not None:
        _check_hold_room(hold)
        free = True
    else:
        free = seats_free(locked) > 0
    now = timezone.now()
    return SeatRequest.objects.create(
        registration=registration,
        forum=forum,
        hold=hold,
        status=SeatStatus.CONFIRMED if free else SeatStatus.WAITLISTED,
        confirmed_at=now if free else None,
    )


@transaction.atomic
def request_seat(
    registration: Registration, forum: Forum, *, hold: SeatHold | None = None, by=None
) -> SeatRequest:
    """A seat for the guest if one is free, else a place on the forum's waitlist. A second
    request for the same forum returns the first one."""
    if registration.status in {Status.REJECTED, Status.WITHDRAWN}:
        raise RegistrationError(_("This registration cannot hold seats."))
    if forum.summit_id != registration.summit_id:
        raise RegistrationError(_("That forum belongs to another summit."), field="forum")
    if hold is not None and hold.forum_id != forum.pk:
        raise RegistrationError(_("Those reserved seats belong to another forum."))
    seat = _request_seat(registration, forum, hold=hold)
    log_action(seat, f"seat.{seat.status}", by=by, data={"forum": forum.slug})
    return seat


@transaction.atomic
def cancel_seat(seat: SeatRequest, *, by=None) -> list[SeatRequest]:
    """Give the seat up; the first guests on the waitlist move up. Returns those promoted."""
    _lock(seat.forum)
    seat.refresh_from_db()
    if seat.status == SeatStatus.CANCELLED:
        return []
    seat.status = SeatStatus.CANCELLED
    seat.save(update_fields=["status"])
    log_action(seat, "seat.cancelled", by=by)
    return _promote(seat.forum)


def _release_seats(registration: Registration, *, by) -> None:
    # Forums are locked in the order of their ids, as ``submit`` locks them.
    seats = registration.seat_requests.exclude(status=SeatStatus.CANCELLED)
    for seat in seats.select_related("forum").order_by("forum_id"):
        cancel_seat(seat, by=by)


def _promote(forum: Forum) -> list[SeatRequest]:
    """Move waitlisted guests to free seats, first come first served. The forum is locked."""
    promoted = []
    free = seats_free(Forum.objects.select_related("room").get(pk=forum.pk))
    if free <= 0:
        return promoted
    waiting = (
        SeatRequest.objects.filter(forum=forum, status=SeatStatus.WAITLISTED)
        .select_related("registration__summit")
        .order_by("requested_at", "id")[:free]
    )
    now = timezone.now()
    for seat in waiting:
        seat.status = SeatStatus.CONFIRMED
        seat.confirmed_at = now
        seat.save(update_fields=["status", "confirmed_at"])
        log_action(seat, "seat.promoted")
        notifications.notify_guest(
            seat.registration, "promoted", forum=forum, link=personal_link(seat.registration)
        )
        promoted.append(seat)
    return promoted


@transaction.atomic
def promote_waitlist(forum: Forum) -> list[SeatRequest]:
    """Fill free seats from the waitlist (after capacity grows or reserved seats are freed)."""
    _lock(forum)
    return _promote(forum)


@transaction.atomic
def give_reserved_seat(seat: SeatRequest, hold: SeatHold, *, by=None) -> SeatRequest:
    """Seat a waitlisted guest on one of the forum's reserved seats (a co-organiser vouching
    for a guest of its own); the guest is told as when the waitlist moves up."""
    _lock(seat.forum)
    seat.refresh_from_db()
    hold.refresh_from_db()
    if hold.forum_id != seat.forum_id:
        raise RegistrationError(_("Those reserved seats belong to another forum."))
    if seat.status != SeatStatus.WAITLISTED:
        raise RegistrationError(_("Only a guest on the waitlist can be given a reserved seat."))
    _check_hold_room(hold)
    seat.status = SeatStatus.CONFIRMED
    seat.hold = hold
    seat.confirmed_at = timezone.now()
    seat.save(update_fields=["status", "hold", "confirmed_at"])
    log_action(seat, "seat.reserved", by=by, data={"forum": seat.forum.slug, "hold": hold.pk})
    notifications.notify_guest(
        seat.registration, "promoted", forum=seat.forum, link=personal_link(seat.registration)
    )
    return seat


def _held_seats(hold: SeatHold) -> int:
    """The seats ``hold`` keeps back as stored (0 for a new one)."""
    if hold.pk is None:
        return 0
    return SeatHold.objects.filter(pk=hold.pk).values_list("seats", flat=True).first() or 0


@transaction.atomic
def save_hold(hold: SeatHold, *, by=None) -> SeatHold:
    """Keep ``hold.seats`` seats of its forum back (VIP, press), or change how many: never more
    than are free, never fewer than are already given from it. Seats no longer held go to the
    waitlist."""
    forum = _lock(hold.forum)
    try:
        hold.full_clean()
    except ValidationError as error:
        raise _as_domain_error(error) from error
    before = _held_seats(hold)
    used = (
        SeatRequest.objects.filter(hold=hold, status=SeatStatus.CONFIRMED).count() if hold.pk else 0
    )
    if hold.seats < used:
        raise RegistrationError(
            _("%(used)d of these reserved seats are already given; keep at least that many.")
            % {"used": used},
            field="seats",
        )
    free = seats_free(forum)
    if hold.seats - before > free:
        raise RegistrationError(
            _("Only %(free)d seats of this forum are free; hold at most %(most)d.")
            % {"free": free, "most": before + free},
            field="seats",
        )
    creating = hold.pk is None
    hold.save()
    log_action(
        hold,
        "seats.held" if creating else "seats.hold_changed",
        by=by,
        data={"forum": forum.slug, "seats": hold.seats},
    )
    if hold.seats < before:
        _promote(forum)
    return hold


@transaction.atomic
def release_hold(hold: SeatHold, *, by=None) -> list[SeatRequest]:
    """Stop keeping seats back: guests seated from them keep their seats, the rest go to the
    waitlist. Returns the guests promoted."""
    forum = _lock(hold.forum)
    log_action(hold, "seats.released", by=by, data={"forum": forum.slug, "seats": hold.seats})
    hold.delete()
    return _promote(forum)


# --- Invitations ----------------------------------------------------------------------------
@transaction.atomic
def invite(
    summit: Summit,
    *,
    email: str,
    category: GuestCategory,
    language: str,
    name: str = "",
    forum: Forum | None = None,
    by=None,
) -> Invitation:
    """A personal, single-use invitation, e-mailed once the transaction commits."""
    if category.summit_id != summit.pk:
        raise RegistrationError(_("That category belongs to another summit."), field="category")
    invitation = Invitation(
        summit=summit, email=email, name=name, category=category, language=language, forum=forum
    )
    invitation.invited_by = by if by is not None and by.is_authenticated else None
    try:
        # Invitations sent by the platform itself have no sender; that is not an error.
        invitation.full_clean(exclude=["invited_by"])
    except ValidationError as error:
        raise _as_domain_error(error) from error
    invitation.sent_at = timezone.now()
    invitation.save()
    log_action(invitation, "invitation.sent", by=by, data={"email": email})
    with translation.override(language):
        path = reverse("registration:invitation", args=[invitation.code])
    notifications.send(
        "invited",
        to=email,
        language=language,
        context={"invitation": invitation, "summit": summit, "link": f"{settings.SITE_URL}{path}"},
    )
    return invitation


def open_invitation(code: str) -> Invitation:
    """The unused invitation with this code; a ``RegistrationError`` otherwise."""
    invitation = Invitation.objects.select_related("summit", "category").filter(code=code).first()
    if invitation is None:
        raise RegistrationError(
            _("This invitation link is not valid; please check it or write to the secretariat.")
        )
    if invitation.used_at is not None:
        raise RegistrationError(
            _("This invitation has already been used; open your personal link instead.")
        )
    return invitation
