"""The gate pages: the kiosk a tablet at a gate shows, and the manual lane of the gate staff.

The kiosk is a page without a login: the device's bearer token, pasted once, is what lets it
scan, and every decision is the API's (``checkin.api``). The manual lane is for signed-in gate
staff and the secretariat; it checks guests in or out by hand through ``services``.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huiwu.checkin import rules, selectors, services
from huiwu.checkin.forms import CheckinForm, LaneForm
from huiwu.checkin.models import Presence
from huiwu.core.services import DomainError
from huiwu.registration.models import Registration, Status
from huiwu.registration.views import photo_response
from huiwu.summit import selectors as summit_selectors
from huiwu.summit.models import Summit


def _kiosk_strings() -> dict[str, str]:
    """What the kiosk's script says, in the page's language; the decisions' own sentences
    come from the API."""
    return {
        "kiosk": _("Gate kiosk"),
        # Not the guests' online participation: whether the gate reaches the server.
        "online": pgettext("gate connection", "Online"),
        "offline": pgettext("gate connection", "Offline"),
        "directionIn": _("Entry"),
        "directionOut": _("Exit"),
        "modeVerify": _("Badge and face"),
        "modeIdentify": _("Face only"),
        "lookIdentify": _("Please look at the camera"),
        "hintIdentify": _("Stand still in front of the gate for a moment."),
        "lookVerify": _("Now look at the camera"),
        "faceNotSeen": _(
            "We cannot see your face clearly. Look at the camera, or use your QR e-badge."
        ),
        "walkThrough": _("Welcome. Please walk through."),
        "showBadge": _("Please show your QR e-badge"),
        "hintBadge": _("Hold the QR code of your e-badge up to the camera or the scanner."),
        "hintOffline": _("The gate is offline: only QR e-badges can be checked."),
        "typeId": _("Type the number of your identity document"),
        "admitted": _("Welcome"),
        "denied": _("Entry refused"),
        "noMatch": _("Please use the QR lane"),
        "noMatchNote": _("We could not recognise you. Please show your QR e-badge."),
        "problem": _("Something went wrong"),
        "serverError": _("The server could not decide. Please try again or see the staff."),
        "admittedOffline": _("Admitted (offline)"),
        "admittedOfflineNote": _("The gate is offline; this entry will be uploaded later."),
        "offlineUnknown": _("This badge is not on this gate's list. Please see the staff."),
        "noOfflineList": _("The gate is offline and has no guest list yet. Please see the staff."),
        "offlineListExpired": _("The gate's offline guest list has expired. Please see the staff."),
        "cannotReach": _("The server cannot be reached. Check the network and try again."),
        "deviceRefused": _("This device token is not valid (unknown or revoked)."),
        "forgetConfirm": _(
            "Forget this device? The token must be pasted again before the gate can scan."
        ),
    }


def kiosk(request: HttpRequest) -> HttpResponse:
    """The kiosk page; everything it does after loading goes through the check-in API."""
    config = {
        "api": reverse("api:api-root") + "checkin/",
        "language": get_language(),
        "strings": _kiosk_strings(),
    }
    return render(request, "checkin/kiosk.html", {"kiosk": config})


# --- Manual lane -----------------------------------------------------------------------------
def lane_page(view):
    """Signed-in gate staff and the secretariat; others are sent to sign in, or refused."""

    @login_required(login_url="checkin:login")
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not rules.can_check_in_manually(request.user):
            raise PermissionDenied(_("The manual lane is for gate staff and the secretariat."))
        return view(request, *args, **kwargs)

    return wrapped


def _summit(request: HttpRequest) -> Summit:
    summit = summit_selectors.request_summit(request)
    if summit is None:
        raise Http404(_("No summit has been published yet."))
    return summit


#: Where the session keeps the zone and direction the staff member last worked.
LANE_SESSION_KEY = "checkin_lane"


def _lane(request: HttpRequest, form: LaneForm, *, outcome=None, status=200) -> HttpResponse:
    """The lane page, or its results alone for htmx."""
    valid = form.is_valid()
    zone = form.cleaned_data.get("zone") if valid else None
    search = form.cleaned_data.get("q", "") if valid else ""
    if zone is not None:
        # The lane opens where the staff member worked last: a lane is one door all day.
        request.session[LANE_SESSION_KEY] = {
            "zone": zone.pk,
            "direction": form.cleaned_data["direction"],
        }
    guests = list(selectors.manual_lane_search(form.summit, search))
    inside = set()
    if zone is not None and guests:
        inside = set(
            Presence.objects.filter(zone=zone, inside=True, registration__in=guests).values_list(
                "registration_id", flat=True
            )
        )
    context = {
        "summit": form.summit,
        "form": form,
        "guests": [(guest, guest.pk in inside) for guest in guests],
        "zone": zone,
        "outcome": outcome,
    }
    partial = request.htmx and not request.htmx.history_restore_request
    template = "checkin/_lane_results.html" if partial else "checkin/manual.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


@lane_page
def manual(request: HttpRequest) -> HttpResponse:
    """Search a guest by name or document number, to check them in or out by hand."""
    summit = _summit(request)
    data = request.GET if "zone" in request.GET else None
    last = request.session.get(LANE_SESSION_KEY, {})
    return _lane(request, LaneForm(data, summit=summit, initial=last))


@require_POST
@lane_page
def manual_checkin(request: HttpRequest) -> HttpResponse:
    """Check the chosen guest in or out of the chosen zone; the lane's rules are the gates'."""
    summit = _summit(request)
    form = CheckinForm(request.POST, summit=summit)
    if not form.is_valid():
        errors = [error for errors in form.errors.values() for error in errors]
        return _lane(request, form, outcome={"decision": "error", "message": errors[0]}, status=400)
    registration = form.cleaned_data["guest"]
    try:
        result = services.manual_checkin(
            request.user,
            registration,
            form.cleaned_data["zone"],
            form.cleaned_data["direction"],
        )
    except DomainError as error:
        outcome = {"decision": "deny", "message": error.message, "guest": registration}
        return _lane(request, form, outcome=outcome, status=409)
    outcome = {"decision": result.decision, "message": result.message, "guest": registration}
    return _lane(request, form, outcome=outcome)


@lane_page
def manual_photo(request: HttpRequest, public_id) -> FileResponse:
    """A guest's portrait, for the staff to compare with the person at the lane; not a draft's,
    which the lane does not show either."""
    registration = get_object_or_404(
        Registration.objects.exclude(status=Status.DRAFT),
        public_id=public_id,
        summit=_summit(request),
    )
    return photo_response(registration)
