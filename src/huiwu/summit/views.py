"""Public pages of the programme. Thin: read through ``selectors``, render."""

from datetime import date

from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from huiwu.core import figures
from huiwu.core.i18n import localized
from huiwu.summit import calendar, selectors
from huiwu.summit.models import Forum, Summit, Venue


def _summit(request) -> Summit:
    summit = selectors.current_summit()
    if summit is None:
        raise Http404(_("No summit has been published yet."))
    return summit


def home(request):
    summit = selectors.current_summit()
    return render(request, "summit/home.html", {"summit": summit})


def forum_list(request):
    summit = _summit(request)
    return render(request, "summit/forum_list.html", {"summit": summit})


def forum_detail(request, slug):
    summit = _summit(request)
    forum = get_object_or_404(selectors.public_forums(summit), slug=slug)
    return render(request, "summit/forum_detail.html", {"summit": summit, "forum": forum})


def agenda(request):
    summit = _summit(request)
    return render(request, "summit/agenda.html", {"summit": summit})


def _ics_response(request, summit, sessions, filename, name=None) -> HttpResponse:
    language = get_language()
    body = calendar.programme_calendar(
        summit,
        sessions,
        language=language,
        domain=request.get_host().split(":")[0] or "huiwu",
        url_for_forum=lambda forum: request.build_absolute_uri(f"/{language}/forums/{forum.slug}/"),
        name=name,
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def agenda_ics(request):
    summit = _summit(request)
    sessions = selectors.public_sessions(summit)
    if day := request.GET.get("day"):
        try:
            chosen = date.fromisoformat(day)
        except ValueError:
            return HttpResponseBadRequest(
                _("“%(day)s” is not a date; give the day as YYYY-MM-DD.") % {"day": day},
                content_type="text/plain; charset=utf-8",
            )
        if chosen not in summit.days:
            return HttpResponseBadRequest(
                _("The summit has no programme on %(day)s.") % {"day": day},
                content_type="text/plain; charset=utf-8",
            )
        sessions = [s for s in sessions if s.starts_at.astimezone(summit.tz).date() == chosen]
    return _ics_response(request, summit, sessions, f"{summit.slug}.ics")


def forum_ics(request, slug):
    summit = _summit(request)
    forum = get_object_or_404(Forum, summit=summit, slug=slug, is_public=True)
    sessions = selectors.public_sessions(summit).filter(forum=forum)
    return _ics_response(
        request, summit, sessions, f"{summit.slug}-{forum.slug}.ics", name=localized(forum.title)
    )


def speaker_list(request):
    summit = _summit(request)
    return render(request, "summit/speaker_list.html", {"summit": summit})


def speaker_detail(request, pk):
    summit = _summit(request)
    person = get_object_or_404(selectors.speakers(summit), pk=pk)
    return render(request, "summit/speaker_detail.html", {"summit": summit, "person": person})


def venue_list(request):
    summit = _summit(request)
    return render(request, "summit/venue_list.html", {"summit": summit})


def venue_detail(request, slug):
    summit = _summit(request)
    venue = get_object_or_404(Venue, summit=summit, slug=slug)
    return render(request, "summit/venue_detail.html", {"summit": summit, "venue": venue})


def venues_geojson(request):
    summit = _summit(request)
    return JsonResponse(selectors.venues_geojson(summit, get_language()))


def editions(request):
    summit = selectors.current_summit()
    return render(
        request,
        "summit/editions.html",
        {"summit": summit, "figures": figures.summit_figures(summit) if summit else {}},
    )
