"""The command centre's pages, thin: they read through ``selectors``, write through
``services`` and ask the ``rules`` predicates.

- ``live``: the dashboard and the map (live over websockets);
- ``incidents``: incidents, dispatch, broadcasts, and the volunteer's side on the phone page;
- ``report``: the after-action report and its Excel export.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from huiwu.command.rules import can_command
from huiwu.summit import selectors as summit_selectors
from huiwu.summit.models import Summit

LOGIN_URL = reverse_lazy("command:login")


def command_page(view):
    """Signed-in command staff only: others are sent to sign in, or refused (403)."""

    @login_required(login_url=LOGIN_URL)
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not can_command(request.user):
            raise PermissionDenied(_("These pages are for the command centre."))
        return view(request, *args, **kwargs)

    return never_cache(wrapped)


def page_summit(request: HttpRequest) -> Summit:
    """The summit the page is about (the current one, or the one the address names)."""
    summit = summit_selectors.request_summit(request)
    if summit is None:
        raise Http404(_("No summit has been published yet."))
    return summit
