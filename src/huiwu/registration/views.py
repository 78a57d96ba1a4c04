"""The guests' pages: choose a category, fill in the form (new, by invitation, or again), the
personal page with the status, the e-badge and the personal agenda, and the delegation leader's
page. Thin: read, call ``services``, render.

A guest has no account: the personal link (``access_key``, about 190 random bits) is the key
to the guest's own pages, the photo and the badge. A wrong key is a 404, never a hint; an
address that opens too many is refused for a while (``throttle.limit_link_guesses``).
"""

import itertools
from dataclasses import dataclass

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from huiwu.checkin.services import unusable_portrait
from huiwu.core import throttle
from huiwu.core.i18n import localized
from huiwu.registration import selectors, services
from huiwu.registration.badges import badge_token
from huiwu.registration.badges_pdf import render_badges
from huiwu.registration.forms import MemberFormSet, RegistrationForm, consent_value
from huiwu.registration.models import (
    Delegation,
    GuestCategory,
    Invitation,
    Registration,
    SeatRequest,
    SeatStatus,
    Status,
)
from huiwu.registration.services import EDITABLE, RegistrationError
from huiwu.summit import calendar
from huiwu.summit import selectors as summit_selectors
from huiwu.summit.models import Forum, ForumKind, Summit

PHOTO_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def _summit(request: HttpRequest) -> Summit:
    summit = summit_selectors.request_summit(request)
    if summit is None:
        raise Http404(_("No summit has been published yet."))
    return summit


def _registration(access_key: str) -> Registration:
    return get_object_or_404(
        Registration.objects.select_related("summit", "category", "delegation", "invitation"),
        access_key=access_key,
    )


def _render(request: HttpRequest, template: str, context: dict, *, summit: Summit, status=200):
    # Times on the guests' pages are the summit's local times, as on the programme.
    with timezone.override(summit.tz):
        return render(request, template, {"summit": summit, **context}, status=status)


# --- Forums offered on the form -------------------------------------------------------------
@dataclass
class ForumOption:
    """A sub-forum on the form: its seats left, whether the guest chose it, and the guest's
    seat in it when one was already requested."""

    forum: Forum
    seats_left: int
    chosen: bool
    seat: SeatRequest | None = None


def _offered_forums(registration: Registration) -> list[Forum]:
    """The public sub-forums, and the forum the guest was invited to whatever its kind."""
    offered = Q(kind=ForumKind.SUB_FORUM)
    if registration.invitation_id and registration.invitation.forum_id:
        offered |= Q(pk=registration.invitation.forum_id)
    return list(summit_selectors.public_forums(registration.summit).filter(offered))


def _active_seats(registration: Registration) -> dict[int, SeatRequest]:
    if not registration.pk:
        return {}
    seats = registration.seat_requests.exclude(status=SeatStatus.CANCELLED)
    return {seat.forum_id: seat for seat in seats}


def _forum_options(
    forums: list[Forum], chosen: set[int], seats: dict[int, SeatRequest]
) -> list[ForumOption]:
    return [
        ForumOption(
            forum=forum,
            seats_left=services.seats_free(forum),
            chosen=forum.pk in chosen,
            seat=seats.get(forum.pk),
        )
        for forum in forums
    ]


def _remembered_forums(registration: Registration) -> set[int]:
    """The forums the guest ticked in the draft, else those already requested."""
    chosen = {forum.pk for forum in registration.chosen_forums.all()}
    return chosen or set(_active_seats(registration))


# --- The registration form ------------------------------------------------------------------
def _apply_errors(form: Form, error: ValidationError | RegistrationError) -> None:
    if isinstance(error, RegistrationError):
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


def _submit(registration: Registration, chosen: list[Forum]) -> None:
    """Submit and bring the seat requests in line with the forums chosen now: new ones are
    requested, those no longer chosen given up (a guest asked for more information may change
    the choice)."""
    seats = _active_seats(registration)
    services.submit(registration, forums=chosen)
    chosen_ids = {forum.pk for forum in chosen}
    for forum_id, seat in seats.items():
        if forum_id not in chosen_ids:
            services.cancel_seat(seat)


def _save(request: HttpRequest, registration: Registration, form: RegistrationForm, chosen):
    """Save the draft, and submit it when the guest pressed "Submit", in one transaction.
    Raises the services' errors with nothing kept: no row, no photo file."""
    creating = registration.pk is None
    previous_photo = registration.photo.name if registration.photo else ""
    data = form.guest_data()
    try:
        with transaction.atomic():
            services.save_draft(
                registration,
                data,
                face_consent=form.cleaned_data.get("face_consent"),
                forums=None if form.submitting else list(chosen),
            )
            if form.submitting:
                _submit(registration, chosen)
    except (RegistrationError, ValidationError):
        stored = registration.photo.name if registration.photo else ""
        if "photo" in data and stored and stored != previous_photo:
            registration.photo.storage.delete(stored)
        if creating:
            registration.pk = None
            registration._state.adding = True
        raise
    if "photo" in data and previous_photo:
        # A replaced portrait is personal data nobody needs any more.
        registration.photo.storage.delete(previous_photo)
    if form.submitting:
        messages.success(
            request,
            _(
                "Thank you: your registration has been submitted. We have sent a confirmation "
                "to %(email)s and will write again when the secretariat has decided."
            )
            % {"email": registration.email},
        )
    else:
        messages.success(
            request,
            _("Your draft is saved. Keep the link of this page to come back to it."),
        )


def _registration_form(
    request: HttpRequest,
    registration: Registration,
    *,
    chosen: set[int],
    invitation: Invitation | None = None,
) -> HttpResponse:
    summit = registration.summit
    forums = _offered_forums(registration)
    choices = [(forum.pk, localized(forum.title)) for forum in forums]
    seats = _active_seats(registration)
    if request.method == "POST":
        form = RegistrationForm(
            request.POST, request.FILES, registration=registration, forum_choices=choices
        )
        chosen = {int(value) for value in form.data.getlist("forums") if value.isdigit()}
        if form.is_valid():
            picked = [forum for forum in forums if str(forum.pk) in form.cleaned_data["forums"]]
            try:
                _save(request, registration, form, picked)
            except (RegistrationError, ValidationError) as error:
                _apply_errors(form, error)
            else:
                return redirect("registration:guest", registration.access_key)
    else:
        form = RegistrationForm(registration=registration, forum_choices=choices)
    context = {
        "form": form,
        "registration": registration,
        "category": registration.category,
        "invitation": invitation,
        "forum_options": _forum_options(forums, chosen, seats),
        # A browser cannot send a chosen file again: say so when a good photo came along
        # with other problems.
        "photo_lost": bool(
            form.errors and request.FILES.get("photo") and not form.has_error("photo")
        ),
    }
    status = 400 if form.is_bound and form.errors else 200
    return _render(request, "registration/form.html", context, summit=summit, status=status)


def start(request: HttpRequest) -> HttpResponse:
    summit = _summit(request)
    categories = GuestCategory.objects.filter(summit=summit, public=True)
    context = {"categories": categories, "secretariat_email": settings.DEFAULT_FROM_EMAIL}
    return _render(request, "registration/start.html", context, summit=summit)


@never_cache
def new(request: HttpRequest, category: str) -> HttpResponse:
    summit = _summit(request)
    chosen_category = get_object_or_404(GuestCategory, summit=summit, public=True, code=category)
    registration = Registration(summit=summit, category=chosen_category, language=get_language())
    return _registration_form(request, registration, chosen=set())


@never_cache
@throttle.limit_link_guesses
def invitation(request: HttpRequest, code: str) -> HttpResponse:
    try:
        invited = services.open_invitation(code)
    except RegistrationError as error:
        used = Invitation.objects.filter(code=code, used_at__isnull=False).exists()
        summit = summit_selectors.request_summit(request)
        context = {
            "message": error.message,
            "used": used,
            "secretariat_email": settings.DEFAULT_FROM_EMAIL,
        }
        with timezone.override(summit.tz if summit else None):
            return render(
                request,
                "registration/invitation_invalid.html",
                {"summit": summit, **context},
                status=410 if used else 404,
            )
    existing = Registration.objects.filter(invitation=invited).first()
    if existing is not None:
        # The guest saved a draft from this invitation before: carry on there.
        return redirect("registration:edit", existing.access_key)
    name = invited.name
    registration = Registration(
        summit=invited.summit,
        category=invited.category,
        invitation=invited,
        delegation=invited.delegation,
        email=invited.email,
        name=name,
        name_latin=name if name.isascii() else "",
        language=invited.language,
    )
    chosen = {invited.forum_id} if invited.forum_id else set()
    return _registration_form(request, registration, chosen=chosen, invitation=invited)


@never_cache
@throttle.limit_link_guesses
def edit(request: HttpRequest, access_key: str) -> HttpResponse:
    registration = _registration(access_key)
    if registration.status not in EDITABLE:
        messages.info(request, _("This registration can no longer be changed."))
        return redirect("registration:guest", access_key)
    return _registration_form(request, registration, chosen=_remembered_forums(registration))


# --- The personal page ----------------------------------------------------------------------
@dataclass
class SeatRow:
    seat: SeatRequest
    waitlist_position: int | None
    can_give_up: bool


# A guest changes seats from the personal page once the secretariat has the registration (a
# draft chooses its forums on the form) and for as long as it may hold seats.
SEATS_CHANGEABLE = {Status.SUBMITTED, Status.INFO_REQUESTED, Status.APPROVED}


def _started(forum: Forum) -> bool:
    return forum.starts_at <= timezone.now()


def _seat_rows(registration: Registration, *, changeable: bool) -> list[SeatRow]:
    seats = (
        registration.seat_requests.exclude(status=SeatStatus.CANCELLED)
        .select_related("forum__room__venue")
        .order_by("forum__starts_at", "forum_id")
    )
    rows = []
    for seat in seats:
        position = None
        if seat.status == SeatStatus.WAITLISTED:
            ahead = SeatRequest.objects.filter(
                forum_id=seat.forum_id, status=SeatStatus.WAITLISTED
            ).filter(
                Q(requested_at__lt=seat.requested_at)
                | Q(requested_at=seat.requested_at, id__lt=seat.id)
            )
            position = ahead.count() + 1
        rows.append(
            SeatRow(
                seat=seat,
                waitlist_position=position,
                can_give_up=changeable and not _started(seat.forum),
            )
        )
    return rows


def _joinable_forums(registration: Registration) -> list[ForumOption]:
    """The offered forums not begun yet where the guest has neither a seat nor a waitlist
    place, with their seats left."""
    seats = _active_seats(registration)
    forums = [
        forum
        for forum in _offered_forums(registration)
        if forum.pk not in seats and not _started(forum)
    ]
    return _forum_options(forums, set(), {})


def _qr_svg(registration: Registration) -> str:
    code = segno.make(badge_token(registration), error="m", micro=False)
    # segno writes the SVG itself from the token: no text of ours or the guest's goes in.
    return mark_safe(code.svg_inline(scale=1, border=2, omitsize=True, dark="#101828"))


def _agenda_by_day(registration: Registration) -> list[tuple]:
    """The guest's sessions grouped by the summit's local day."""
    tz = registration.summit.tz
    sessions = selectors.personal_agenda(registration)
    return [
        (day, list(group))
        for day, group in itertools.groupby(
            sessions, key=lambda session: session.starts_at.astimezone(tz).date()
        )
    ]


def _masked(number: str) -> str:
    """An identity-document number with all but its last three characters hidden: the page
    may be read over the guest's shoulder."""
    if len(number) <= 3:
        return number
    return f"••••{number[-3:]}"


@never_cache
@throttle.limit_link_guesses
def guest(request: HttpRequest, access_key: str) -> HttpResponse:
    registration = _registration(access_key)
    summit = registration.summit
    badge_ready = registration.status == Status.APPROVED and not registration.badge_revoked
    chosen = (
        {forum.pk for forum in registration.chosen_forums.all()}
        if registration.status == Status.DRAFT
        else set()
    )
    changeable = registration.status in SEATS_CHANGEABLE
    context = {
        "registration": registration,
        "category": registration.category,
        "editable": registration.status in EDITABLE,
        "can_withdraw": registration.status not in {Status.WITHDRAWN, Status.REJECTED},
        "badge_ready": badge_ready,
        "qr_svg": _qr_svg(registration) if badge_ready else "",
        "seats": _seat_rows(registration, changeable=changeable),
        "joinable_forums": _joinable_forums(registration) if changeable else [],
        "draft_forums": [forum for forum in _offered_forums(registration) if forum.pk in chosen],
        "agenda": _agenda_by_day(registration) if badge_ready else [],
        "masked_id": _masked(registration.id_number),
        "personal_url": request.build_absolute_uri(
            reverse("registration:guest", args=[access_key])
        ),
    }
    return _render(request, "registration/guest.html", context, summit=summit)


@require_POST
@throttle.limit_link_guesses
def submit(request: HttpRequest, access_key: str) -> HttpResponse:
    registration = _registration(access_key)
    offered = {forum.pk: forum for forum in _offered_forums(registration)}
    chosen = [offered[pk] for pk in _remembered_forums(registration) if pk in offered]
    try:
        with transaction.atomic():
            _submit(registration, chosen)
    except RegistrationError as error:
        if registration.status in EDITABLE:
            messages.error(
                request,
                _("Your registration is not complete yet: %(problem)s")
                % {"problem": error.message},
            )
            return redirect("registration:edit", access_key)
        messages.error(request, error.message)
        return redirect("registration:guest", access_key)
    messages.success(
        request,
        _(
            "Thank you: your registration has been submitted. We have sent a confirmation "
            "to %(email)s and will write again when the secretariat has decided."
        )
        % {"email": registration.email},
    )
    return redirect("registration:guest", access_key)


@require_POST
@throttle.limit_link_guesses
def withdraw(request: HttpRequest, access_key: str) -> HttpResponse:
    registration = _registration(access_key)
    if registration.status == Status.REJECTED:
        messages.error(request, _("A registration that was declined cannot be withdrawn."))
    elif registration.status != Status.WITHDRAWN:
        services.withdraw(registration)
        messages.success(
            request,
            _("Your registration is withdrawn and your seats are given to other guests."),
        )
    return redirect("registration:guest", access_key)


@require_POST
@throttle.limit_link_guesses
def consent(request: HttpRequest, access_key: str) -> HttpResponse:
    registration = _registration(access_key)
    answer = consent_value(request.POST.get("face_consent"))
    if answer is None:
        messages.error(request, _("Please choose whether you agree to face check-in."))
    elif answer and (refusal := unusable_portrait(registration)):
        messages.error(request, refusal)
    else:
        services.set_face_consent(registration, answer)
        if answer:
            messages.success(request, _("Thank you: you may enter the venues by face check-in."))
        else:
            messages.success(
                request,
                _("Face check-in is off for you: please show your QR code at the gates."),
            )
    return redirect(f"{reverse('registration:guest', args=[access_key])}#face-check-in")


def _seats_refusal(request: HttpRequest, registration: Registration) -> str | None:
    """Why the guest may not change seats at all now, or ``None``."""
    if request.method != "POST":
        return _("Please use the buttons of your page to change your seats.")
    if registration.status not in SEATS_CHANGEABLE:
        return _("A registration that is “%(status)s” cannot be changed this way.") % {
            "status": registration.get_status_display()
        }
    return None


def _started_refusal(forum: Forum) -> str:
    return _("“%(forum)s” has already begun: its seats can no longer be changed.") % {
        "forum": localized(forum.title)
    }


def _back_to_seats(access_key: str) -> HttpResponse:
    return redirect(f"{reverse('registration:guest', args=[access_key])}#seats")


@throttle.limit_link_guesses
def give_up_seat(request: HttpRequest, access_key: str, seat: int) -> HttpResponse:
    registration = _registration(access_key)
    held = (
        registration.seat_requests.exclude(status=SeatStatus.CANCELLED)
        .select_related("forum")
        .filter(pk=seat)
        .first()
    )
    if refusal := _seats_refusal(request, registration):
        messages.error(request, refusal)
    elif held is None:
        messages.error(
            request, _("This seat is not on your registration, or you gave it up already.")
        )
    elif _started(held.forum):
        messages.error(request, _started_refusal(held.forum))
    else:
        waitlisted = held.status == SeatStatus.WAITLISTED
        services.cancel_seat(held)
        title = {"forum": localized(held.forum.title)}
        if waitlisted:
            messages.success(request, _("You left the waitlist of “%(forum)s”.") % title)
        else:
            messages.success(
                request,
                _("You gave up your seat in “%(forum)s”: it goes to the next guest waiting.")
                % title,
            )
    return _back_to_seats(access_key)


def _ask_refusal(registration: Registration, forum: Forum | None) -> str | None:
    """Why the guest may not ask for a seat in ``forum`` (``None`` when it is not offered to
    them), or ``None`` when they may."""
    if forum is None:
        return _(
            "You cannot ask for a seat in this forum from your page; please write to the "
            "secretariat."
        )
    title = localized(forum.title)
    if _started(forum):
        return _started_refusal(forum)
    if forum.pk in _active_seats(registration):
        return _("You already have a seat or a waitlist place in “%(forum)s”.") % {"forum": title}
    if clash := services.clashing_seat(registration, forum):
        return _(
            "“%(forum)s” takes place at the same time as “%(other)s”, where you already have a "
            "seat or a waitlist place. Give that one up first if you prefer this forum."
        ) % {"forum": title, "other": localized(clash.forum.title)}
    return None


@throttle.limit_link_guesses
def ask_seat(request: HttpRequest, access_key: str, forum: int) -> HttpResponse:
    registration = _registration(access_key)
    wanted = next(
        (offered for offered in _offered_forums(registration) if offered.pk == forum), None
    )
    refusal = _seats_refusal(request, registration) or _ask_refusal(registration, wanted)
    if refusal is not None:
        messages.error(request, refusal)
        return _back_to_seats(access_key)
    try:
        seat = services.request_seat(registration, wanted)
    except RegistrationError as error:
        messages.error(request, error.message)
        return _back_to_seats(access_key)
    title = {"forum": localized(wanted.title)}
    if seat.status == SeatStatus.CONFIRMED:
        messages.success(request, _("You have a seat in “%(forum)s”.") % title)
    else:
        messages.success(
            request,
            _(
                "“%(forum)s” is full: you are on its waitlist, and we will write to you when a "
                "seat frees up."
            )
            % title,
        )
    return _back_to_seats(access_key)


def photo_response(registration: Registration) -> FileResponse:
    """The guest's portrait, never cached on disk (also the gates' photo link)."""
    if not registration.photo:
        raise Http404(_("There is no photo."))
    extension = registration.photo.name.rsplit(".", 1)[-1].lower()
    try:
        stored = registration.photo.open("rb")
    except FileNotFoundError:
        raise Http404(_("There is no photo.")) from None
    response = FileResponse(stored, content_type=PHOTO_TYPES.get(extension, "image/jpeg"))
    # A portrait is personal data: never kept by shared caches or the browser's disk cache.
    response["Cache-Control"] = "private, no-store"
    return response


@throttle.limit_link_guesses
def photo(request: HttpRequest, access_key: str) -> FileResponse:
    return photo_response(_registration(access_key))


def _approved(access_key: str) -> Registration:
    registration = _registration(access_key)
    if registration.status != Status.APPROVED or registration.badge_revoked:
        raise Http404(_("There is no badge for this registration."))
    return registration


@throttle.limit_link_guesses
def badge_pdf(request: HttpRequest, access_key: str) -> HttpResponse:
    registration = _approved(access_key)
    response = HttpResponse(content_type="application/pdf")
    filename = slugify(registration.name_latin) or "guest"
    response["Content-Disposition"] = f'attachment; filename="badge-{filename}.pdf"'
    response["Cache-Control"] = "private, no-store"
    render_badges([registration], response)
    return response


@throttle.limit_link_guesses
def agenda_ics(request: HttpRequest, access_key: str) -> HttpResponse:
    registration = _registration(access_key)
    summit = registration.summit
    body = calendar.programme_calendar(
        summit,
        selectors.personal_agenda(registration),
        language=get_language(),
        url_for_forum=lambda forum: request.build_absolute_uri(
            reverse("summit:forum", kwargs={"slug": forum.slug})
        ),
        name=_("%(summit)s: my agenda") % {"summit": localized(summit.name)},
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{summit.slug}-my-agenda.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- Delegations ----------------------------------------------------------------------------
def delegation_category(delegation: Delegation) -> tuple[GuestCategory | None, bool]:
    """The category of a delegation's members: the one of the delegation's invitations (the
    secretariat chose it when inviting the delegation), else the summit's first public
    category. The flag says whether it was chosen by the secretariat."""
    invitation = (
        Invitation.objects.filter(delegation=delegation)
        .select_related("category")
        .order_by("created_at")
        .first()
    )
    if invitation is not None:
        return invitation.category, True
    category = GuestCategory.objects.filter(summit=delegation.summit, public=True).first()
    return category, False


@never_cache
@throttle.limit_link_guesses
def delegation(request: HttpRequest, access_key: str) -> HttpResponse:
    team = get_object_or_404(Delegation.objects.select_related("summit"), access_key=access_key)
    summit = team.summit
    category, chosen_by_secretariat = delegation_category(team)
    if request.method == "POST" and category is not None:
        formset = MemberFormSet(request.POST, prefix="members")
        if formset.is_valid():
            added = _add_members(team, category, formset)
            if added:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d member added. Send each member their personal link below: "
                        "they add their photo, answer about face check-in and submit.",
                        "%(count)d members added. Send each member their personal link below: "
                        "they add their photo, answer about face check-in and submit.",
                        added,
                    )
                    % {"count": added},
                )
                return redirect("registration:delegation", access_key)
            if not any(form.errors for form in formset.forms):
                formset.forms[0].add_error(None, _("Fill in at least one member."))
    else:
        formset = MemberFormSet(prefix="members")
    members = team.members.select_related("category").order_by("created_at", "id")
    context = {
        "delegation": team,
        "category": category,
        "category_from_secretariat": chosen_by_secretariat,
        "formset": formset,
        "members": [
            (
                member,
                request.build_absolute_uri(reverse("registration:guest", args=[member.access_key])),
            )
            for member in members
        ],
        "secretariat_email": settings.DEFAULT_FROM_EMAIL,
    }
    status = 400 if formset.is_bound and any(form.errors for form in formset.forms) else 200
    return _render(request, "registration/delegation.html", context, summit=summit, status=status)


def _add_members(team: Delegation, category: GuestCategory, formset) -> int:
    """Save every filled row as a draft of the delegation, all or none: a row with a problem
    gets its messages and nothing is saved."""
    rows = [form for form in formset.forms if form.has_changed()]
    failed = False
    with transaction.atomic():
        for form in rows:
            member = Registration(
                summit=team.summit,
                category=category,
                delegation=team,
                nationality=team.country,
                language=get_language(),
            )
            try:
                services.save_draft(member, dict(form.cleaned_data))
            except (ValidationError, RegistrationError) as error:
                _apply_errors(form, error)
                failed = True
        if failed:
            transaction.set_rollback(True)
            return 0
    return len(rows)
