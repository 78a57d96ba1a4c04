"""The secretariat's and co-organisers' pages for guests: the review queue, a guest's file,
decisions singly and in bulk, invitations in bulk, imports, exports, badge printing and the
seats of forums.

Who sees and does what is decided by the predicates of ``registration.rules`` (the module's
docstring gives the reasons): the secretariat sees and decides everything; a forum
co-organiser sees the guests of its own forums, invites guests to them and manages their
seats, while approving a guest stays with the secretariat. Every list starts from
``selectors.registrations_for``, so a co-organiser's queue, exports and counts hold only its
own guests; one guest's pages answer 404 to whoever may not see the guest.

The pages work without JavaScript; htmx refreshes the queue as filters change and follows a
badge print run, and a small script selects rows for bulk decisions.
"""

import datetime as dt
import secrets
import uuid
from collections import Counter
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django_countries.fields import Country

from huiwu.core.i18n import i18n, localized
from huiwu.core.rules import is_organiser
from huiwu.core.services import actions_for
from huiwu.registration import exports, imports, rules, services, tasks
from huiwu.registration.models import (
    Delegation,
    GuestCategory,
    Invitation,
    Registration,
    SeatHold,
    SeatRequest,
    SeatStatus,
    Status,
)
from huiwu.registration.selectors import registrations_for
from huiwu.registration.services import RegistrationError
from huiwu.summit.models import Forum, Summit
from huiwu.summit.selectors import managed_forums

PER_PAGE = 100
SEARCH_MAX_LENGTH = 100
REASON_MAX_LENGTH = 2000
#: The queue's orders: a name for the address, the label, the database ordering.
ORDERS = {
    "newest": (gettext_lazy("Newest first"), ["-submitted_at", "-id"]),
    "oldest": (gettext_lazy("Oldest first"), ["submitted_at", "id"]),
    "name": (gettext_lazy("By name"), ["name_latin", "id"]),
}
DECISIONS = {
    "approve": gettext_lazy("Approve"),
    "request_info": gettext_lazy("Ask for more information"),
    "reject": gettext_lazy("Reject"),
}
# The statuses from which each decision is possible (``services`` refuses the others).
DECISION_FROM = {
    "approve": {Status.SUBMITTED, Status.INFO_REQUESTED, Status.REJECTED},
    "request_info": {Status.SUBMITTED},
    "reject": {Status.SUBMITTED, Status.INFO_REQUESTED, Status.APPROVED},
}
ACTION_LABELS = {
    "registration.created": gettext_lazy("Draft started"),
    "registration.submitted": gettext_lazy("Submitted"),
    "registration.imported": gettext_lazy("Imported from a guest list"),
    "registration.approved": gettext_lazy("Approved"),
    "registration.rejected": gettext_lazy("Rejected"),
    "registration.info_requested": gettext_lazy("More information requested"),
    "registration.withdrawn": gettext_lazy("Withdrawn by the guest"),
    "registration.face_consent": gettext_lazy("Consent to face check-in given or withdrawn"),
    "badge.revoked": gettext_lazy("Badge revoked"),
    "badge.reissued": gettext_lazy("New badge issued"),
    "seat.confirmed": gettext_lazy("Seat confirmed"),
    "seat.waitlisted": gettext_lazy("Put on the waitlist"),
    "seat.promoted": gettext_lazy("Moved up from the waitlist"),
    "seat.reserved": gettext_lazy("Given a reserved seat"),
    "seat.cancelled": gettext_lazy("Seat cancelled"),
}


# --- Access ------------------------------------------------------------------------------------


def secretariat_page(view):
    """Signed-in users who may use the secretariat's pages; others are sent to sign in, or
    refused."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not rules.can_use_secretariat(request.user):
            raise PermissionDenied(_("These pages are for the secretariat and co-organisers."))
        return view(request, *args, **kwargs)

    return wrapped


def _summit(request: HttpRequest) -> Summit:
    """The summit chosen with ``?summit=slug``, else the current (or latest) one."""
    summits = Summit.objects.order_by("-is_current", "-start_date", "id")
    slug = request.GET.get("summit") or request.POST.get("summit")
    summit = summits.filter(slug=slug).first() if slug else summits.first()
    if summit is None:
        raise Http404(_("There is no such summit."))
    return summit


def _visible_registration(request: HttpRequest, public_id: uuid.UUID) -> Registration:
    """The registration, if the user may see it; 404 otherwise, so that nobody learns
    whether a guest exists."""
    registration = (
        Registration.objects.select_related(
            "summit", "category", "delegation", "invitation__forum", "decided_by"
        )
        .filter(public_id=public_id)
        .first()
    )
    if registration is None or not rules.can_view_registration(request.user, registration):
        raise Http404(_("There is no such registration, or it is not yours to see."))
    return registration


def _reason(request: HttpRequest) -> str:
    return request.POST.get("reason", "").strip()[:REASON_MAX_LENGTH]


def _render(request, template, context, *, fragment=None, status=200) -> HttpResponse:
    """Render in the summit's time zone; an htmx request gets ``fragment`` alone."""
    partial = fragment is not None and request.htmx and not request.htmx.history_restore_request
    summit = context.get("summit")
    with timezone.override(summit.tz if summit else None):
        response = render(request, fragment if partial else template, context, status=status)
    if fragment is not None:
        patch_vary_headers(response, ("HX-Request",))
    return response


def _navigation(request: HttpRequest, summit: Summit, current: str) -> list[dict]:
    """The sections of these pages the user may open, the current one marked."""
    user = request.user
    query = f"?{urlencode({'summit': summit.slug})}"
    items = [
        ("queue", _("Registrations"), True),
        ("invite", _("Invitations"), rules.can_invite_guests(user)),
        ("import", _("Import"), rules.can_import_registrations(user)),
        ("badges", _("Badges"), rules.can_print_badges(user)),
        ("forums", _("Forum seats"), True),
    ]
    return [
        {
            "label": label,
            "url": reverse(f"secretariat:{name}") + query,
            "current": name == current,
        }
        for name, label, allowed in items
        if allowed
    ]


def _context(request: HttpRequest, summit: Summit, section: str, **extra) -> dict:
    summits = list(Summit.objects.order_by("-is_current", "-start_date", "id"))
    return {
        "summit": summit,
        "summits": summits if len(summits) > 1 else [],
        "sections": _navigation(request, summit, section),
        "is_secretariat": is_organiser(request.user),
        **extra,
    }


# --- The queue ---------------------------------------------------------------------------------


@dataclass
class QueueFilters:
    """What the queue shows: read from the query, each value checked against what exists
    (anything else is ignored)."""

    summit: Summit
    status: str = ""
    category: str = ""
    nationality: str = ""
    forum: str = ""
    delegation: str = ""
    q: str = ""
    order: str = "newest"

    NAMES = ("status", "category", "nationality", "forum", "delegation", "q", "order")

    @classmethod
    def read(cls, data, summit: Summit) -> "QueueFilters":
        status = data.get("status", "")
        order = data.get("order", "")
        delegation = data.get("delegation", "")
        return cls(
            summit=summit,
            status=status if status in Status.values else "",
            category=data.get("category", "")[:50],
            nationality=data.get("nationality", "").upper()[:2],
            forum=data.get("forum", "")[:50],
            delegation=delegation if delegation.isdigit() else "",
            q=data.get("q", "").strip()[:SEARCH_MAX_LENGTH],
            order=order if order in ORDERS else "newest",
        )

    def params(self, **changes) -> dict[str, str]:
        values = {name: getattr(self, name) for name in self.NAMES}
        values.update(changes)
        if values.get("order") == "newest":
            values["order"] = ""
        return {"summit": self.summit.slug, **{k: v for k, v in values.items() if v}}

    def query(self, **changes) -> str:
        return urlencode(self.params(**changes))

    def apply(self, registrations: QuerySet[Registration]) -> QuerySet[Registration]:
        """``registrations`` narrowed by every filter but the status."""
        if self.category:
            registrations = registrations.filter(category__code=self.category)
        if self.nationality:
            registrations = registrations.filter(nationality=self.nationality)
        if self.delegation:
            registrations = registrations.filter(delegation_id=self.delegation)
        if self.forum:
            seated = SeatRequest.objects.filter(forum__summit=self.summit, forum__slug=self.forum)
            registrations = registrations.filter(
                Q(pk__in=seated.exclude(status=SeatStatus.CANCELLED).values("registration_id"))
                | Q(invitation__forum__slug=self.forum, invitation__forum__summit=self.summit)
            )
        for word in self.q.split():
            registrations = registrations.filter(
                Q(name__icontains=word)
                | Q(name_latin__icontains=word)
                | Q(email__icontains=word)
                | Q(organisation_name__icontains=word)
            )
        return registrations

    def shown(self, registrations: QuerySet[Registration]) -> QuerySet[Registration]:
        """``registrations`` narrowed by every filter, status included, in the chosen order."""
        matching = self.apply(registrations)
        if self.status:
            matching = matching.filter(status=self.status)
        return matching.order_by(*ORDERS[self.order][1])


def _status_counts(matching: QuerySet[Registration]) -> dict[str, int]:
    counts = Counter(dict(matching.order_by().values_list("status").annotate(count=Count("id"))))
    return {status: counts[status] for status in Status.values}


def _choices(user, summit: Summit, visible: QuerySet[Registration]) -> dict:
    """What the filters offer: only what the user's registrations contain."""
    nationalities = sorted(
        {
            code
            for code in visible.order_by().values_list("nationality", flat=True).distinct()
            if code
        },
        key=lambda code: str(Country(code).name),
    )
    delegations = Delegation.objects.filter(summit=summit, pk__in=visible.values("delegation_id"))
    return {
        "categories": GuestCategory.objects.filter(summit=summit),
        "nationalities": [Country(code) for code in nationalities],
        "forums": managed_forums(user).filter(summit=summit).order_by("starts_at", "id"),
        "delegations": delegations,
        "orders": [(name, label) for name, (label, _ordering) in ORDERS.items()],
    }


def _queue_response(
    request: HttpRequest,
    summit: Summit,
    filters: QueueFilters,
    *,
    selected: frozenset[str] = frozenset(),
    bulk: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    visible = registrations_for(user, summit)
    matching = filters.apply(visible)
    counts = _status_counts(matching)
    # The seats shown are those of forums the user manages (all, for the secretariat).
    seats = (
        SeatRequest.objects.exclude(status=SeatStatus.CANCELLED)
        .filter(forum__in=managed_forums(user))
        .select_related("forum")
    )
    shown = filters.shown(matching).prefetch_related(
        Prefetch("seat_requests", queryset=seats, to_attr="visible_seats")
    )
    # A refused bulk decision shows again the page its rows were chosen on.
    number = request.GET.get("page") or request.POST.get("page")
    page = Paginator(shown, PER_PAGE).get_page(number)
    base = reverse("secretariat:queue")
    status_tabs = [("", _("All"), sum(counts.values()))] + [
        (value, label, counts[value]) for value, label in Status.choices
    ]
    context = _context(
        request,
        summit,
        "queue",
        filters=filters,
        page=page,
        page_range=page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        page_query=f"{base}?{filters.query()}&page=",
        status_tabs=status_tabs,
        matching_count=page.paginator.count,
        selected=selected,
        bulk=bulk or {},
        can_decide=rules.can_decide_registration(user),
        decisions=list(DECISIONS.items()),
        export_xlsx=f"{reverse('secretariat:export', args=['xlsx'])}?{filters.query()}",
        export_csv=f"{reverse('secretariat:export', args=['csv'])}?{filters.query()}",
        **_choices(user, summit, visible),
    )
    return _render(
        request,
        "registration/secretariat/queue.html",
        context,
        fragment="registration/secretariat/_queue_results.html",
        status=status,
    )


@secretariat_page
def queue(request: HttpRequest) -> HttpResponse:
    summit = _summit(request)
    return _queue_response(request, summit, QueueFilters.read(request.GET, summit))


def _uuids(values: list[str]) -> list[uuid.UUID]:
    found = []
    for value in values:
        try:
            found.append(uuid.UUID(value))
        except ValueError:
            continue
    return found


@require_POST
@secretariat_page
def bulk_decide(request: HttpRequest) -> HttpResponse:
    """Approve, reject or ask for information for the selected registrations, or for every
    registration matching the filters."""
    if not rules.can_decide_registration(request.user):
        raise PermissionDenied(_("Only the secretariat decides on registrations."))
    summit = _summit(request)
    filters = QueueFilters.read(request.POST, summit)
    visible = registrations_for(request.user, summit)
    action = request.POST.get("action", "")
    reason = _reason(request)
    ids = _uuids(request.POST.getlist("ids"))
    if request.POST.get("scope") == "matching":
        chosen = filters.shown(visible)
    else:
        chosen = visible.filter(public_id__in=ids)
    selected = frozenset(str(value) for value in ids)
    form = {"action": action, "reason": reason, "scope": request.POST.get("scope", "")}
    chosen = list(chosen.select_related("summit"))
    if not chosen:
        form["error"] = _("Select the registrations to decide on first.")
        return _queue_response(request, summit, filters, selected=selected, bulk=form, status=400)
    try:
        changed = services.bulk_decide(chosen, action, by=request.user, reason=reason)
    except RegistrationError as error:
        form["error"] = error.message
        return _queue_response(request, summit, filters, selected=selected, bulk=form, status=400)
    done = {
        "approve": ngettext(
            "%(count)d registration approved.", "%(count)d registrations approved.", changed
        ),
        "reject": ngettext(
            "%(count)d registration rejected.", "%(count)d registrations rejected.", changed
        ),
        "request_info": ngettext(
            "More information asked of %(count)d guest.",
            "More information asked of %(count)d guests.",
            changed,
        ),
    }[action]
    messages.success(request, done % {"count": changed})
    if unchanged := len(chosen) - changed:
        messages.warning(request, services.unchanged_message(unchanged))
    page = request.POST.get("page", "")
    suffix = f"&page={page}" if page.isdigit() else ""
    return redirect(f"{reverse('secretariat:queue')}?{filters.query()}{suffix}")


# --- One guest ---------------------------------------------------------------------------------


@dataclass
class LogLine:
    timestamp: dt.datetime
    actor: str
    label: str
    about: str
    reason: str


def _log_lines(registration: Registration, seats: list[SeatRequest]) -> list[LogLine]:
    """The guest's action log with the log of the seats the reader may see, newest first."""
    entries = [(entry, "") for entry in actions_for(registration)]
    for seat in seats:
        entries += [(entry, localized(seat.forum.title)) for entry in actions_for(seat)]
    lines = [
        LogLine(
            timestamp=entry.timestamp,
            actor=entry.actor.get_username() if entry.actor else "",
            label=str(ACTION_LABELS.get(entry.action, entry.action)),
            about=about,
            reason=str(entry.data.get("reason", "")) if isinstance(entry.data, dict) else "",
        )
        for entry, about in entries
    ]
    return sorted(lines, key=lambda line: line.timestamp, reverse=True)


# How many of a block of reserved seats are given, for ``SeatHold`` querysets.
_given = Count("seat_requests", filter=Q(seat_requests__status=SeatStatus.CONFIRMED))


def _seats_for(user, registration: Registration) -> list[SeatRequest]:
    seats = registration.seat_requests.filter(forum__in=managed_forums(user))
    return list(seats.select_related("forum", "hold").order_by("forum__starts_at", "id"))


def _detail_response(
    request: HttpRequest, registration: Registration, *, form: dict | None = None, status=200
) -> HttpResponse:
    user = request.user
    seats = _seats_for(user, registration)
    waiting = (
        registrations_for(user, registration.summit)
        .filter(status=Status.SUBMITTED)
        .exclude(pk=registration.pk)
        .order_by("submitted_at", "id")
        .first()
    )
    holds = {
        seat.pk: list(SeatHold.objects.filter(forum=seat.forum).annotate(used=_given))
        for seat in seats
        if seat.status == SeatStatus.WAITLISTED and rules.can_manage_seat(user, seat)
    }
    context = _context(
        request,
        registration.summit,
        "queue",
        registration=registration,
        seats=[(seat, rules.can_manage_seat(user, seat), holds.get(seat.pk, [])) for seat in seats],
        log=_log_lines(registration, seats),
        can_decide=rules.can_decide_registration(user, registration),
        can_view_id=rules.can_view_id_document(user, registration),
        can_manage_badge=rules.can_manage_badge(user, registration),
        decisions=[
            (name, label)
            for name, label in DECISIONS.items()
            if registration.status in DECISION_FROM[name]
        ],
        next_to_review=waiting,
        form=form or {},
        queue_url=reverse("secretariat:queue") + f"?summit={registration.summit.slug}",
    )
    return _render(request, "registration/secretariat/registration.html", context, status=status)


@secretariat_page
def registration_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _detail_response(request, _visible_registration(request, public_id))


@require_POST
@secretariat_page
def decide(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Approve, reject or ask for more information, with the reason the guest will read."""
    registration = _visible_registration(request, public_id)
    if not rules.can_decide_registration(request.user, registration):
        raise PermissionDenied(_("Only the secretariat decides on registrations."))
    action = request.POST.get("action", "")
    reason = _reason(request)
    functions = {
        "approve": services.approve,
        "reject": services.reject,
        "request_info": services.request_info,
    }
    if action not in functions:
        return _detail_response(
            request,
            registration,
            form={"reason": reason, "error": _("Choose a decision.")},
            status=400,
        )
    try:
        functions[action](registration, by=request.user, reason=reason)
    except RegistrationError as error:
        registration.refresh_from_db()
        return _detail_response(
            request, registration, form={"reason": reason, "error": error.message}, status=400
        )
    messages.success(
        request,
        {
            "approve": _("%(guest)s is approved; the guest has been told."),
            "reject": _("%(guest)s is rejected; the guest has been told why."),
            "request_info": _("%(guest)s has been asked for more information."),
        }[action]
        % {"guest": registration},
    )
    following = request.POST.get("next", "")
    if following and following != str(registration.public_id):
        nxt = Registration.objects.filter(public_id__in=_uuids([following])).first()
        if nxt is not None and rules.can_view_registration(request.user, nxt):
            return redirect("secretariat:registration", public_id=nxt.public_id)
    return redirect("secretariat:registration", public_id=registration.public_id)


@require_POST
@secretariat_page
def badge(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Revoke the guest's badge (every copy printed so far stops opening the gates), or issue
    a new one."""
    registration = _visible_registration(request, public_id)
    if not rules.can_manage_badge(request.user, registration):
        raise PermissionDenied(_("Only the secretariat revokes and issues badges."))
    if request.POST.get("action") == "revoke":
        services.revoke_badge(registration, by=request.user, reason=_reason(request))
        messages.success(request, _("The badge is revoked; printed copies no longer open gates."))
    elif request.POST.get("action") == "reissue":
        services.reissue_badge(registration, by=request.user)
        messages.success(request, _("A new badge is issued; copies printed before stay void."))
    return redirect("secretariat:registration", public_id=registration.public_id)


@secretariat_page
def photo(request: HttpRequest, public_id: uuid.UUID) -> FileResponse:
    """The guest's portrait, for those who may see the guest; never cached by a proxy."""
    registration = _visible_registration(request, public_id)
    if not registration.photo:
        raise Http404(_("This guest has not sent a photo."))
    try:
        stream = registration.photo.open("rb")
    except OSError:
        raise Http404(_("This guest has not sent a photo.")) from None
    response = FileResponse(stream)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Seats -------------------------------------------------------------------------------------


@require_POST
@secretariat_page
def seat(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a guest's seat, or give a waitlisted guest one of the forum's reserved seats."""
    chosen = get_object_or_404(SeatRequest.objects.select_related("forum", "registration"), pk=pk)
    if not rules.can_manage_seat(request.user, chosen):
        raise Http404(_("There is no such seat, or it is not yours to manage."))
    guest = chosen.registration
    try:
        if request.POST.get("action") == "cancel":
            services.cancel_seat(chosen, by=request.user)
            messages.success(request, _("The seat is cancelled; the waitlist has moved up."))
        elif request.POST.get("action") == "reserve":
            hold = SeatHold.objects.filter(
                forum=chosen.forum, pk=request.POST.get("hold", "0") or 0
            ).first()
            if hold is None:
                raise RegistrationError(_("Choose the reserved seats to give."))
            services.give_reserved_seat(chosen, hold, by=request.user)
            messages.success(request, _("%(guest)s has a reserved seat now.") % {"guest": guest})
    except RegistrationError as error:
        messages.error(request, error.message)
    return redirect(_back(request, reverse("secretariat:registration", args=[guest.public_id])))


def _back(request: HttpRequest, default: str) -> str:
    """Where a form asked to return to, when it is one of our own pages."""
    back = request.POST.get("back", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return default


@dataclass
class ForumSeats:
    forum: Forum
    capacity: int
    held: int
    confirmed: int
    waitlisted: int
    free: int


def _forum_seats(forum: Forum) -> ForumSeats:
    counts = Counter(
        dict(forum.seat_requests.order_by().values_list("status").annotate(count=Count("id")))
    )
    held = sum(hold.seats for hold in forum.seat_holds.all())
    return ForumSeats(
        forum=forum,
        capacity=forum.seats,
        held=held,
        confirmed=counts[SeatStatus.CONFIRMED],
        waitlisted=counts[SeatStatus.WAITLISTED],
        free=services.seats_free(forum),
    )


@secretariat_page
def forum_list(request: HttpRequest) -> HttpResponse:
    summit = _summit(request)
    forums = (
        managed_forums(request.user)
        .filter(summit=summit)
        .select_related("room")
        .prefetch_related("seat_holds")
        .order_by("starts_at", "id")
    )
    context = _context(request, summit, "forums", forums=[_forum_seats(forum) for forum in forums])
    return _render(request, "registration/secretariat/forum_list.html", context)


class HoldForm(forms.Form):
    label_zh_hans = forms.CharField(label=gettext_lazy("For (Chinese)"), max_length=100)
    label_en = forms.CharField(label=gettext_lazy("For (English)"), max_length=100)
    seats = forms.IntegerField(label=gettext_lazy("Seats"), min_value=1, max_value=100_000)


def _managed_forum(request: HttpRequest, slug: str) -> tuple[Summit, Forum]:
    summit = _summit(request)
    forum = Forum.objects.select_related("room", "summit").filter(summit=summit, slug=slug).first()
    if forum is None or not rules.can_manage_forum_seats(request.user, forum):
        raise Http404(_("There is no such forum, or it is not yours to manage."))
    return summit, forum


@secretariat_page
def forum_seats(request: HttpRequest, slug: str) -> HttpResponse:
    """A forum's seats: reserved seats, confirmed guests, the waitlist in order, and the
    guests invited to the forum who have no seat yet."""
    summit, forum = _managed_forum(request, slug)
    hold_form = HoldForm()
    status = 200
    if request.method == "POST":
        hold_form, status = _save_hold(request, forum)
        if status == 302:
            return redirect(f"{request.path}?{urlencode({'summit': summit.slug})}")
    holds = list(SeatHold.objects.filter(forum=forum).annotate(used=_given))
    seats = forum.seat_requests.select_related("registration__category", "hold").order_by(
        "requested_at", "id"
    )
    invited = (
        registrations_for(request.user, summit)
        .filter(invitation__forum=forum)
        .exclude(status__in=[Status.REJECTED, Status.WITHDRAWN])
        .exclude(
            pk__in=forum.seat_requests.exclude(status=SeatStatus.CANCELLED).values(
                "registration_id"
            )
        )
    )
    context = _context(
        request,
        summit,
        "forums",
        seats_summary=_forum_seats(forum),
        forum=forum,
        holds=holds,
        hold_form=hold_form,
        confirmed=[s for s in seats if s.status == SeatStatus.CONFIRMED],
        waitlisted=[s for s in seats if s.status == SeatStatus.WAITLISTED],
        invited=invited,
        back=request.get_full_path(),
    )
    return _render(request, "registration/secretariat/forum_seats.html", context, status=status)


def _save_hold(request: HttpRequest, forum: Forum) -> tuple[HoldForm, int]:
    """Add, change or release reserved seats from the forum page's forms."""
    action = request.POST.get("action", "")
    if action in {"change", "release"}:
        hold = SeatHold.objects.filter(forum=forum, pk=request.POST.get("hold", "0") or 0).first()
        if hold is None:
            messages.error(request, _("Those reserved seats no longer exist."))
            return HoldForm(), 302
        try:
            if action == "release":
                services.release_hold(hold, by=request.user)
                messages.success(request, _("The reserved seats are given back to all guests."))
            else:
                seats = request.POST.get("seats", "")
                if not seats.isdigit():
                    raise RegistrationError(_("Give the number of seats as a whole number."))
                hold.seats = int(seats)
                services.save_hold(hold, by=request.user)
                messages.success(request, _("The reserved seats are changed."))
        except RegistrationError as error:
            messages.error(request, error.message)
        return HoldForm(), 302
    form = HoldForm(request.POST)
    if not form.is_valid():
        return form, 400
    hold = SeatHold(
        forum=forum,
        label=i18n(zh_hans=form.cleaned_data["label_zh_hans"], en=form.cleaned_data["label_en"]),
        seats=form.cleaned_data["seats"],
    )
    try:
        services.save_hold(hold, by=request.user)
    except RegistrationError as error:
        form.add_error("seats" if error.field == "seats" else None, error.message)
        return form, 400
    messages.success(request, _("The seats are reserved."))
    return form, 302


@require_POST
@secretariat_page
def seat_for_guest(request: HttpRequest, slug: str, public_id: uuid.UUID) -> HttpResponse:
    """Give a guest invited to the forum a seat: a reserved one, or the next free one (else a
    place on the waitlist)."""
    summit, forum = _managed_forum(request, slug)
    registration = _visible_registration(request, public_id)
    hold = None
    if request.POST.get("hold"):
        hold = SeatHold.objects.filter(forum=forum, pk=request.POST["hold"]).first()
    try:
        seat = services.request_seat(registration, forum, hold=hold, by=request.user)
    except RegistrationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(guest)s: %(status)s.")
            % {"guest": registration, "status": seat.get_status_display()},
        )
    return redirect(f"{reverse('secretariat:forum', args=[forum.slug])}?summit={summit.slug}")


# --- Invitations and imports -------------------------------------------------------------------


class InviteForm(forms.Form):
    forum = forms.ModelChoiceField(
        label=gettext_lazy("Forum"),
        queryset=Forum.objects.none(),
        required=False,
        help_text=gettext_lazy("The forum the guests are invited to, unless a row names one."),
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"),
        queryset=GuestCategory.objects.none(),
        required=False,
        help_text=gettext_lazy("For rows that name no category."),
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language of the e-mail"),
        choices=settings.LANGUAGES,
        help_text=gettext_lazy("For rows that name no language."),
    )
    text = forms.CharField(
        label=gettext_lazy("Paste the list"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
    )
    file = forms.FileField(label=gettext_lazy("or choose a file (CSV or Excel)"), required=False)
    dry_run = forms.BooleanField(
        label=gettext_lazy("Check the list only; send nothing yet"), required=False
    )

    def __init__(self, *args, user, summit: Summit, **kwargs):
        super().__init__(*args, **kwargs)
        forums = managed_forums(user).filter(summit=summit).order_by("starts_at", "id")
        self.fields["forum"].queryset = forums
        # Only the secretariat invites guests to the summit without naming a forum.
        self.fields["forum"].required = not rules.can_invite_to_forum(user, None)
        self.fields["category"].queryset = GuestCategory.objects.filter(summit=summit)


@secretariat_page
def invite(request: HttpRequest) -> HttpResponse:
    """Invite many guests at once: a personal, single-use link each, with a row-by-row report."""
    if not rules.can_invite_guests(request.user):
        raise PermissionDenied(_("You may not invite guests."))
    summit = _summit(request)
    data = request.POST if request.method == "POST" else None
    form = InviteForm(data, request.FILES or None, user=request.user, summit=summit)
    report = None
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            table = imports.read_table(form.cleaned_data["file"], text=form.cleaned_data["text"])
            report = imports.invite_many(
                summit,
                table,
                by=request.user,
                forum=form.cleaned_data["forum"],
                default_category=form.cleaned_data["category"],
                default_language=form.cleaned_data["language"],
                dry_run=form.cleaned_data["dry_run"],
            )
        except imports.TableError as error:
            form.add_error(None, error.message)
            status = 400
    elif request.method == "POST":
        status = 400
    invitations = Invitation.objects.filter(summit=summit).select_related("category", "forum")
    if not is_organiser(request.user):
        invitations = invitations.filter(forum__in=managed_forums(request.user))
    context = _context(
        request,
        summit,
        "invite",
        form=form,
        report=report,
        columns=imports.INVITATION_COLUMNS,
        invitations=invitations[:50],
        invitation_count=invitations.count(),
    )
    return _render(request, "registration/secretariat/invite.html", context, status=status)


class ImportForm(forms.Form):
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"),
        queryset=GuestCategory.objects.none(),
        required=False,
        help_text=gettext_lazy("For rows that name no category."),
    )
    file = forms.FileField(label=gettext_lazy("Guest list (CSV or Excel)"))

    def __init__(self, *args, summit: Summit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = GuestCategory.objects.filter(summit=summit)


def _import_folder() -> Path:
    # Outside MEDIA_ROOT: a guest list waiting for its import is nobody's download.
    return Path(settings.DATA_DIR) / "imports"


class _StoredUpload:
    """A file kept between the check of a list and its import, read like an upload."""

    def __init__(self, path: Path, name: str):
        self.name = name
        self.size = path.stat().st_size
        self._path = path

    def read(self) -> bytes:
        return self._path.read_bytes()


SESSION_IMPORT = "secretariat_import"


@secretariat_page
def import_registrations(request: HttpRequest) -> HttpResponse:
    """Import a guest list: first checked (nothing is written), then imported on request."""
    if not rules.can_import_registrations(request.user):
        raise PermissionDenied(_("Only the secretariat imports guest lists."))
    summit = _summit(request)
    report = None
    status = 200
    pending = request.session.get(SESSION_IMPORT)
    if request.method == "POST" and request.POST.get("token"):
        form = ImportForm(summit=summit)
        report, status = _import_pending(request, summit, pending)
    elif request.method == "POST":
        form = ImportForm(request.POST, request.FILES, summit=summit)
        if form.is_valid():
            report, status = _check_upload(request, summit, form)
        else:
            status = 400
    else:
        form = ImportForm(summit=summit)
    pending = request.session.get(SESSION_IMPORT)
    context = _context(
        request,
        summit,
        "import",
        form=form,
        report=report,
        pending=pending if report is not None and report.dry_run else None,
        columns=imports.REGISTRATION_COLUMNS,
        categories=GuestCategory.objects.filter(summit=summit),
        forums=Forum.objects.filter(summit=summit).order_by("starts_at", "id"),
    )
    return _render(request, "registration/secretariat/import.html", context, status=status)


def _check_upload(request: HttpRequest, summit: Summit, form: ImportForm):
    """Read the uploaded list and report what importing it would do, keeping the file for the
    import itself."""
    upload = form.cleaned_data["file"]
    category = form.cleaned_data["category"]
    try:
        table = imports.read_table(upload)
        report = imports.import_registrations(
            summit, table, by=request.user, default_category=category, dry_run=True
        )
    except imports.TableError as error:
        form.add_error("file", error.message)
        return None, 400
    folder = _import_folder()
    folder.mkdir(parents=True, exist_ok=True)
    _forget_pending(request)
    # Lists checked but never imported carry personal data: they are kept for a day.
    stale = timezone.now().timestamp() - 24 * 3600
    for path in folder.iterdir():
        if path.stat().st_mtime < stale:
            path.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    upload.seek(0)
    (folder / token).write_bytes(upload.read())
    request.session[SESSION_IMPORT] = {
        "token": token,
        "name": Path(upload.name).name[:200],
        "summit": summit.slug,
        "category": category.pk if category else None,
        "rows": report.done,
    }
    return report, 200


def _forget_pending(request: HttpRequest) -> None:
    pending = request.session.pop(SESSION_IMPORT, None)
    if pending:
        (_import_folder() / pending["token"]).unlink(missing_ok=True)


def _import_pending(request: HttpRequest, summit: Summit, pending: dict | None):
    if not pending or pending.get("token") != request.POST.get("token"):
        messages.error(request, _("This list is no longer waiting; please choose it again."))
        return None, 400
    path = _import_folder() / pending["token"]
    category = GuestCategory.objects.filter(summit=summit, pk=pending["category"]).first()
    try:
        table = imports.read_table(_StoredUpload(path, pending["name"]))
        report = imports.import_registrations(
            summit, table, by=request.user, default_category=category, source=pending["name"]
        )
    except (imports.TableError, OSError):
        messages.error(request, _("This list is no longer waiting; please choose it again."))
        return None, 400
    finally:
        _forget_pending(request)
    messages.success(
        request,
        ngettext("%(count)d guest imported.", "%(count)d guests imported.", report.done)
        % {"count": report.done},
    )
    return report, 200


# --- Exports and badges ------------------------------------------------------------------------


@secretariat_page
def export(request: HttpRequest, file_format: str) -> HttpResponse:
    """The guest list as the queue shows it (same filters), as Excel or CSV; identity
    documents only for those who may read them."""
    if not rules.can_export_registrations(request.user):
        raise PermissionDenied(_("You may not export the guest list."))
    if file_format not in {"xlsx", "csv"}:
        raise Http404(_("The guest list comes as .xlsx or .csv."))
    summit = _summit(request)
    filters = QueueFilters.read(request.GET, summit)
    registrations = exports.for_guest_list(
        filters.shown(registrations_for(request.user, summit)),
        forums=managed_forums(request.user),
    )
    with_ids = rules.can_view_id_document(request.user)
    stamp = timezone.localtime(timezone.now(), summit.tz).strftime("%Y%m%d-%H%M")
    filename = f"guests-{summit.slug}-{stamp}.{file_format}"
    response = HttpResponse(
        content_type=(
            "text/csv; charset=utf-8"
            if file_format == "csv"
            else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    )
    with timezone.override(summit.tz):
        if file_format == "csv":
            exports.write_csv(registrations, response, with_id_documents=with_ids)
        else:
            exports.write_xlsx(registrations, response, with_id_documents=with_ids)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


class BadgeForm(forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False)
    status = forms.ChoiceField(
        label=gettext_lazy("Guests"), choices=Status.choices, initial=Status.APPROVED
    )

    def __init__(self, *args, summit: Summit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All categories"))] + [
            (category.code, str(category))
            for category in GuestCategory.objects.filter(summit=summit)
        ]


@secretariat_page
def badges(request: HttpRequest) -> HttpResponse:
    """Print many badges as one PDF, in the background; the job's page follows it."""
    if not rules.can_print_badges(request.user):
        raise PermissionDenied(_("Only the secretariat prints badges."))
    summit = _summit(request)
    form = BadgeForm(request.POST or None, summit=summit)
    if request.method == "POST" and form.is_valid():
        job = exports.BadgeJob.start(
            summit,
            status=form.cleaned_data["status"],
            category=form.cleaned_data["category"],
            by=request.user,
        )
        tasks.print_badges.enqueue(job.id)
        return redirect("secretariat:badge_job", job_id=job.id)
    counts = dict(
        exports.badge_registrations(summit)
        .order_by()
        .values_list("category__code")
        .annotate(count=Count("id"))
    )
    context = _context(
        request,
        summit,
        "badges",
        form=form,
        categories=[
            (category, counts.get(category.code, 0))
            for category in GuestCategory.objects.filter(summit=summit)
        ],
        approved=sum(counts.values()),
        jobs=[job for job in exports.BadgeJob.recent() if job.summit == summit.slug],
    )
    return _render(
        request,
        "registration/secretariat/badges.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


def _badge_job(request: HttpRequest, job_id: str) -> exports.BadgeJob:
    if not rules.can_print_badges(request.user):
        raise PermissionDenied(_("Only the secretariat prints badges."))
    job = exports.BadgeJob.load(job_id)
    if job is None:
        raise Http404(_("This print run does not exist (any more)."))
    return job


@secretariat_page
def badge_job(request: HttpRequest, job_id: str) -> HttpResponse:
    """A print run's progress; htmx asks again every two seconds until it is finished."""
    job = _badge_job(request, job_id)
    summit = Summit.objects.filter(slug=job.summit).first() or _summit(request)
    context = _context(request, summit, "badges", job=job, poll=True)
    return _render(
        request,
        "registration/secretariat/badge_job.html",
        context,
        fragment="registration/secretariat/_badge_job.html",
    )


@secretariat_page
def badge_download(request: HttpRequest, job_id: str) -> FileResponse:
    job = _badge_job(request, job_id)
    if job.state != "done" or not job.pdf_path.exists():
        raise Http404(_("These badges are not printed yet."))
    response = FileResponse(
        job.pdf_path.open("rb"),
        as_attachment=True,
        filename=f"badges-{job.summit}-{job.category or 'all'}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response
