"""Guest registration over HTTP: integrations register guests, guests follow their status with
their personal key, organisers list the registrations they may see.

Thin: read through ``selectors``, write through ``services``, ask the ``rules`` predicates.
Identity-document numbers go to the secretariat only, portraits never leave through the API.
"""

import uuid

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja import Status as Answer
from ninja.errors import ValidationError
from ninja.pagination import paginate

from huiwu.core import throttle
from huiwu.core.api import NotFound, Pages, forbidden, session_auth
from huiwu.core.rules import is_organiser
from huiwu.core.schemas import ErrorOut, ValidationErrorOut
from huiwu.registration import rules, selectors, services
from huiwu.registration.models import (
    GuestCategory,
    Invitation,
    Registration,
    SeatRequest,
    SeatStatus,
    Status,
)
from huiwu.registration.schemas import (
    RegistrationCreated,
    RegistrationFilter,
    RegistrationIn,
    RegistrationOut,
    RegistrationStatusOut,
)
from huiwu.registration.services import RegistrationError
from huiwu.summit.models import Forum, Summit
from huiwu.summit.selectors import current_summit, managed_forums, public_summit

router = Router(tags=["Registrations"])

# The fields of ``RegistrationIn`` that are the guest's own, written by ``services.save_draft``.
GUEST_INPUT = sorted(set(services.GUEST_FIELDS) - {"photo"})


# --- Creating -----------------------------------------------------------------------------------
def _open_summit(slug: str | None) -> Summit:
    summit = public_summit(slug)
    if summit is None and not slug:
        raise RegistrationError(_("No summit is open for registration yet."), field="summit")
    if summit is None:
        raise RegistrationError(
            _("There is no published summit “%(slug)s”; give the slug of a summit from /summits.")
            % {"slug": slug},
            field="summit",
        )
    return summit


def _invitation(code: str | None) -> Invitation | None:
    if not code:
        return None
    try:
        return services.open_invitation(code)
    except RegistrationError as error:
        raise RegistrationError(error.message, field="invitation") from None


def _category(code: str | None, summit: Summit, invitation: Invitation | None) -> GuestCategory:
    if invitation is not None and (not code or code == invitation.category.code):
        return invitation.category
    if invitation is not None:
        raise RegistrationError(
            _("This invitation is for the category “%(code)s”; leave out “category” or give it.")
            % {"code": invitation.category.code},
            field="category",
        )
    if not code:
        raise RegistrationError(_("Choose a guest category."), field="category")
    category = GuestCategory.objects.filter(summit=summit, code=code).first()
    if category is None:
        raise RegistrationError(
            _("There is no guest category “%(code)s” in this summit.") % {"code": code},
            field="category",
        )
    if not category.public:
        raise RegistrationError(
            _("Guests of the category “%(category)s” register by invitation only.")
            % {"category": category},
            field="category",
        )
    return category


def _forums(slugs: list[str], summit: Summit) -> list[Forum]:
    """The published forums of ``summit`` with these slugs; unknown slugs are refused."""
    wanted = list(dict.fromkeys(slugs))
    forums = {
        forum.slug: forum
        for forum in Forum.objects.filter(summit=summit, is_public=True, slug__in=wanted)
    }
    missing = [slug for slug in wanted if slug not in forums]
    if missing:
        raise RegistrationError(
            _("There is no forum “%(slugs)s” in this summit; see /api/v1/forums.")
            % {"slugs": "”, “".join(missing)},
            field="forums",
        )
    return [forums[slug] for slug in wanted]


def _language(requested: str | None) -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    language = requested or get_language()
    return language if language in codes else settings.LANGUAGE_CODE


def _refusal(error: DjangoValidationError) -> ValidationError:
    """Every problem ``save_draft`` found, as the API's 422 answer names them."""
    return ValidationError(
        [
            {
                "loc": ("body", "payload")
                if field == NON_FIELD_ERRORS
                else ("body", "payload", field),
                "type": "value_error",
                "ctx": {"error": message},
            }
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    )


def _seats(registration: Registration) -> list[dict]:
    return [
        {"forum": seat.forum.slug, "status": seat.status}
        for seat in registration.seat_requests.exclude(status=SeatStatus.CANCELLED)
        .select_related("forum")
        .order_by("forum__starts_at", "forum__pk")
    ]


@router.post(
    "",
    auth=None,
    response={201: RegistrationCreated, 422: ValidationErrorOut},
)
def create_registration(request: HttpRequest, payload: RegistrationIn):
    """Register a guest and submit the registration to the secretariat in one step, with seat
    requests in the chosen forums (confirmed while seats are free, else on the waitlist).

    Open to anyone, without a session. Refused with 422 and nothing stored when a field is
    missing or malformed, the identity-document number has the wrong shape for its type, the
    travel dates are far from the summit, the face check-in consent is not answered, the
    category is by invitation only, or the e-mail address is already registered. The guest
    gets an e-mail with the personal link, which the answer also gives.
    """
    invitation = _invitation(payload.invitation)
    if invitation is not None and not payload.summit:
        summit = invitation.summit
    else:
        summit = _open_summit(payload.summit)
    if invitation is not None and invitation.summit_id != summit.pk:
        raise RegistrationError(
            _("This invitation is for another summit; leave out “summit”."), field="invitation"
        )
    category = _category(payload.category, summit, invitation)
    forums = _forums(payload.forums, summit)
    data = {field: getattr(payload, field) for field in GUEST_INPUT}
    data |= {
        "id_type": payload.id_type or "",
        "nationality": payload.nationality.upper(),
        "language": _language(payload.language),
    }
    registration = Registration(
        summit=summit,
        category=category,
        invitation=invitation,
        delegation=invitation.delegation if invitation else None,
    )
    try:
        # One transaction: a registration that cannot be submitted is not kept as a draft.
        with transaction.atomic():
            services.save_draft(registration, data, face_consent=payload.face_consent)
            services.submit(registration, forums=forums)
    except DjangoValidationError as error:
        raise _refusal(error) from None
    except IntegrityError:
        # Another request with the same address or invitation committed first.
        raise RegistrationError(
            _(
                "There is already a registration with this e-mail address or invitation; "
                "open the personal link we sent you instead."
            ),
            field="email",
        ) from None
    return Answer(
        201,
        {
            "id": str(registration.public_id),
            "status": registration.status,
            "personal_link": services.personal_link(registration),
            "seats": _seats(registration),
        },
    )


# --- The guest's view ----------------------------------------------------------------------------
def _waitlist_position(seat: SeatRequest) -> int:
    ahead = SeatRequest.objects.filter(forum_id=seat.forum_id, status=SeatStatus.WAITLISTED).filter(
        Q(requested_at__lt=seat.requested_at) | Q(requested_at=seat.requested_at, pk__lt=seat.pk)
    )
    return ahead.count() + 1


@router.get(
    "/{public_id}",
    auth=None,
    response={200: RegistrationStatusOut, 404: ErrorOut, 422: ValidationErrorOut, 429: ErrorOut},
)
@throttle.limit_link_guesses
def get_registration(request: HttpRequest, public_id: str, key: Query[str]):
    """The status of a registration, for the guest: its state, the reason of a decision
    against it and the seats with places on the waitlists. Needs the personal key (``key``,
    the last part of the personal link); a wrong id or key answers 404 alike, and too many of
    them from one address a 429."""
    message = _("No registration has this id and key; open the personal link from your e-mail.")
    try:
        parsed = uuid.UUID(public_id)
    except ValueError:
        raise NotFound(message) from None
    registration = (
        Registration.objects.select_related("summit", "category").filter(public_id=parsed).first()
    )
    if registration is None or not constant_time_compare(key, registration.access_key):
        raise NotFound(message)
    seats = (
        registration.seat_requests.exclude(status=SeatStatus.CANCELLED)
        .select_related("forum")
        .order_by("forum__starts_at", "forum__pk")
    )
    return {
        "id": str(registration.public_id),
        "summit": registration.summit.slug,
        "status": registration.status,
        "category": registration.category,
        "name": registration.name,
        "name_latin": registration.name_latin,
        "participation": registration.participation,
        "face_consent": registration.face_consent,
        "submitted_at": registration.submitted_at,
        "reason": registration.decision_reason
        if registration.status in {Status.INFO_REQUESTED, Status.REJECTED}
        else "",
        "seats": [
            {
                "forum": seat.forum.slug,
                "title": seat.forum.title,
                "status": seat.status,
                "waitlist_position": _waitlist_position(seat)
                if seat.status == SeatStatus.WAITLISTED
                else None,
            }
            for seat in seats
        ],
    }


# --- Organisers ----------------------------------------------------------------------------------
def _reviewed_summit(slug: str | None) -> Summit:
    summit = Summit.objects.filter(slug=slug).first() if slug else current_summit()
    if summit is None:
        raise NotFound(_("There is no summit “%(slug)s”.") % {"slug": slug or ""})
    return summit


def _visible(user, summit: Summit, filters: RegistrationFilter) -> QuerySet[Registration]:
    registrations = selectors.registrations_for(user, summit)
    if filters.status:
        registrations = registrations.filter(status=filters.status)
    if filters.category:
        registrations = registrations.filter(category__code=filters.category)
    if filters.country:
        registrations = registrations.filter(nationality=filters.country.upper())
    if filters.forum:
        asking = SeatRequest.objects.filter(forum__summit=summit, forum__slug=filters.forum)
        registrations = registrations.filter(
            pk__in=asking.exclude(status=SeatStatus.CANCELLED).values("registration_id")
        )
    seats = SeatRequest.objects.exclude(status=SeatStatus.CANCELLED).select_related("forum")
    if not is_organiser(user):
        # A co-organiser sees the guest's seats in its own forums, not the guest's other plans.
        seats = seats.filter(forum__in=managed_forums(user))
    return registrations.prefetch_related(
        Prefetch("seat_requests", queryset=seats, to_attr="visible_seats")
    )


@router.get(
    "",
    auth=session_auth,
    response={
        200: list[RegistrationOut],
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        422: ValidationErrorOut,
    },
)
@paginate(Pages)
def list_registrations(request: HttpRequest, filters: Query[RegistrationFilter]):
    """The registrations the user may review, newest submission first: every one for the
    secretariat; for a forum co-organiser, the guests of its own forums, with their seats in
    those forums only and without identity-document numbers. Needs a logged-in session."""
    user = request.user
    if not rules.can_use_secretariat(user):
        raise forbidden(_("Only the secretariat and forum co-organisers can see registrations."))
    return _visible(user, _reviewed_summit(filters.summit), filters)
