"""Public pages of the programme. Thin: read through ``selectors``, lay out, render.

Every page renders its times in the summit's time zone. Pages with filters answer an htmx
request with the fragment that changes, and a plain request with the whole page, so that every
filtered view has an address of its own.
"""

import datetime as dt
import itertools
import math
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language, npgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django_countries.fields import Country

from huiwu.core import figures
from huiwu.core.i18n import localized
from huiwu.summit import calendar, selectors
from huiwu.summit.models import Forum, ForumKind, Room, Summit, Track, Venue, VenueKind

SPEAKERS_PER_PAGE = 48
SEARCH_MAX_LENGTH = 100
# The agenda grid has one row per quarter of an hour.
SLOT = dt.timedelta(minutes=15)
# The figures of the home page, in the order shown; other apps may add more to the registry.
HOME_FIGURES = ["forums", "co_organisers", "countries", "sessions", "speakers", "venues"]
HIGHLIGHTS = 6


def _summit(request: HttpRequest) -> Summit:
    summit = selectors.request_summit(request)
    if summit is None:
        raise Http404(_("No summit has been published yet."))
    return summit


def _render(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    summit: Summit | None,
    fragment: str | None = None,
) -> HttpResponse:
    """Render in the summit's time zone; answer an htmx request with ``fragment`` alone.

    A history-restore request from htmx asks for the whole page, as a plain request does.
    """
    partial = (
        fragment is not None
        and bool(getattr(request, "htmx", False))
        and not request.htmx.history_restore_request
    )
    with timezone.override(summit.tz if summit else None):
        response = render(request, fragment if partial else template, context)
    if fragment is not None:
        patch_vary_headers(response, ("HX-Request",))
    return response


def _local_day(moment: dt.datetime, summit: Summit) -> dt.date:
    return moment.astimezone(summit.tz).date()


def _chosen_day(request: HttpRequest, summit: Summit) -> dt.date | None:
    """The ``day`` of the query when it is one of the summit's days; anything else is ignored."""
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return None
    return day if day in summit.days else None


def _figure_label(key: str, count: int) -> str:
    labels = {
        "forums": npgettext("summit in figures", "sub-forum", "sub-forums", count),
        "co_organisers": npgettext(
            "summit in figures",
            "host or co-host institution",
            "host and co-host institutions",
            count,
        ),
        "countries": npgettext(
            "summit in figures", "country or region", "countries and regions", count
        ),
        "sessions": npgettext("summit in figures", "session", "sessions", count),
        "speakers": npgettext("summit in figures", "speaker", "speakers", count),
        "venues": npgettext("summit in figures", "venue", "venues", count),
    }
    return labels[key]


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    summit = selectors.request_summit(request)
    context: dict = {"summit": summit}
    if summit is not None:
        forums = list(selectors.public_forums(summit))
        counts = figures.summit_figures(summit)
        days = Counter(_local_day(forum.starts_at, summit) for forum in forums)
        tracks = Counter(forum.track for forum in forums)
        now = timezone.now()
        in_progress = summit.start_date <= _local_day(now, summit) <= summit.end_date
        coming = [forum for forum in forums if forum.starts_at >= now] if in_progress else []
        if coming:
            highlights = coming[:HIGHLIGHTS]
        else:
            # Before or after the summit: the main events first, then the first sub-forums.
            main = [forum for forum in forums if forum.kind != ForumKind.SUB_FORUM]
            rest = [forum for forum in forums if forum.kind == ForumKind.SUB_FORUM]
            highlights = sorted((main + rest)[:HIGHLIGHTS], key=lambda forum: forum.starts_at)
        context.update(
            figures=[
                (counts[key], _figure_label(key, counts[key]))
                for key in HOME_FIGURES
                if key in counts
            ],
            days=[(day, days[day]) for day in summit.days],
            tracks=[(track, tracks[track.value]) for track in Track if tracks[track.value]],
            highlights=highlights,
            highlights_are_next=bool(coming),
        )
    return _render(request, "summit/home.html", context, summit=summit)


@dataclass
class ForumFilters:
    path: str
    track: str = ""
    day: dt.date | None = None

    def query(self, **changes) -> str:
        """The address of the list with these filters and ``changes`` ("" removes one)."""
        values = {"track": self.track, "day": self.day.isoformat() if self.day else ""}
        values.update(changes)
        encoded = urlencode({key: value for key, value in values.items() if value})
        return f"{self.path}?{encoded}" if encoded else self.path


@require_safe
def forum_list(request: HttpRequest) -> HttpResponse:
    summit = _summit(request)
    track = request.GET.get("track", "")
    filters = ForumFilters(
        path=request.path,
        track=track if track in Track.values else "",
        day=_chosen_day(request, summit),
    )
    forums = selectors.public_forums(summit)
    if filters.track:
        forums = forums.filter(track=filters.track)
    forums = list(forums)
    if filters.day:
        forums = [forum for forum in forums if _local_day(forum.starts_at, summit) == filters.day]
    by_day = [
        (day, list(group))
        for day, group in itertools.groupby(
            forums, key=lambda forum: _local_day(forum.starts_at, summit)
        )
    ]
    track_choices = [
        (value, label, filters.query(track=value), value == filters.track)
        for value, label in Track.choices
    ]
    day_choices = [
        (day, filters.query(day=day.isoformat()), day == filters.day) for day in summit.days
    ]
    context = {
        "summit": summit,
        "filters": filters,
        "by_day": by_day,
        "forum_count": len(forums),
        "track_choices": track_choices,
        "day_choices": day_choices,
        "all_tracks_url": filters.query(track=""),
        "all_days_url": filters.query(day=""),
        "all_forums_url": request.path,
    }
    return _render(
        request,
        "summit/forum_list.html",
        context,
        summit=summit,
        fragment="summit/_forum_browser.html",
    )


@require_safe
def forum_detail(request: HttpRequest, slug: str) -> HttpResponse:
    summit = _summit(request)
    forum = get_object_or_404(selectors.public_forums(summit), slug=slug)
    context = {
        "summit": summit,
        "forum": forum,
        "sessions": selectors.public_sessions(summit).filter(forum=forum),
    }
    return _render(request, "summit/forum_detail.html", context, summit=summit)


@dataclass
class AgendaBlock:
    forum: Forum
    column: int
    row_start: int
    row_end: int

    @property
    def title_lines(self) -> int:
        """How many lines of the title fit in the block under its time: a slot is 1.4rem high,
        a title line 1.2rem, the time and the padding take 2.2rem (see huiwu.css)."""
        return max(1, math.floor(((self.row_end - self.row_start) * 1.4 - 2.2) / 1.2))


@dataclass
class AgendaDay:
    """One day of the agenda laid out on a grid: a column per room, a row per ``SLOT``.

    Column 1 holds the hours and row 1 the rooms, so the rooms are columns 2… and the slots
    rows 2….
    """

    day: dt.date
    rooms: list[Room] = field(default_factory=list)
    hours: list[tuple[dt.datetime, int]] = field(default_factory=list)
    blocks: list[AgendaBlock] = field(default_factory=list)
    slot_count: int = 0


def _agenda_day(summit: Summit, day: dt.date, forums: list[Forum]) -> AgendaDay:
    layout = AgendaDay(day=day)
    if not forums:
        return layout
    tz = summit.tz
    day_start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    day_end = day_start + dt.timedelta(days=1)
    first = min(forum.starts_at for forum in forums).astimezone(tz)
    last = min(max(forum.ends_at for forum in forums).astimezone(tz), day_end)
    top = first.replace(minute=0, second=0, microsecond=0)
    hours = math.ceil((last - top) / dt.timedelta(hours=1))
    slots_per_hour = dt.timedelta(hours=1) // SLOT
    layout.slot_count = hours * slots_per_hour
    layout.hours = [
        (top + dt.timedelta(hours=index), 2 + index * slots_per_hour) for index in range(hours)
    ]
    # The main venue's halls first, the largest rooms leftmost, as printed programmes do.
    venue_order = {kind: index for index, kind in enumerate(VenueKind.values)}
    rooms = sorted(
        {forum.room.pk: forum.room for forum in forums}.values(),
        key=lambda room: (venue_order[room.venue.kind], room.venue.slug, -room.capacity, room.pk),
    )
    layout.rooms = rooms
    column = {room.pk: index + 2 for index, room in enumerate(rooms)}
    for forum in sorted(forums, key=lambda forum: (forum.starts_at, column[forum.room.pk])):
        start = max(forum.starts_at.astimezone(tz), top)
        end = min(forum.ends_at.astimezone(tz), day_end)
        layout.blocks.append(
            AgendaBlock(
                forum=forum,
                column=column[forum.room.pk],
                row_start=2 + (start - top) // SLOT,
                row_end=2 + max(math.ceil((end - top) / SLOT), (start - top) // SLOT + 1),
            )
        )
    return layout


@require_safe
def agenda(request: HttpRequest) -> HttpResponse:
    summit = _summit(request)
    day = _chosen_day(request, summit)
    if day is None:
        today = _local_day(timezone.now(), summit)
        day = today if today in summit.days else summit.days[0]
    start = dt.datetime.combine(day, dt.time(0), tzinfo=summit.tz)
    forums = list(
        selectors.public_forums(summit).filter(
            starts_at__gte=start, starts_at__lt=start + dt.timedelta(days=1)
        )
    )
    context = {
        "summit": summit,
        "grid": _agenda_day(summit, day, forums),
        "days": [
            (other, f"{request.path}?day={other.isoformat()}", other == day)
            for other in summit.days
        ],
        "ics_url": reverse("summit:agenda_ics"),
        "day_ics_url": f"{reverse('summit:agenda_ics')}?day={day.isoformat()}",
        "tracks": Track.choices,
    }
    return _render(
        request, "summit/agenda.html", context, summit=summit, fragment="summit/_agenda_day.html"
    )


def _ics_response(request, summit, sessions, filename, name=None) -> HttpResponse:
    language = get_language()
    body = calendar.programme_calendar(
        summit,
        sessions,
        language=language,
        url_for_forum=lambda forum: request.build_absolute_uri(
            reverse("summit:forum", kwargs={"slug": forum.slug})
        ),
        name=name,
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
def agenda_ics(request: HttpRequest) -> HttpResponse:
    summit = _summit(request)
    sessions = selectors.public_sessions(summit)
    if day := request.GET.get("day"):
        try:
            chosen = dt.date.fromisoformat(day)
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
        sessions = [s for s in sessions if _local_day(s.starts_at, summit) == chosen]
        return _ics_response(request, summit, sessions, f"{summit.slug}-{day}.ics")
    return _ics_response(request, summit, sessions, f"{summit.slug}.ics")


@require_safe
def forum_ics(request: HttpRequest, slug: str) -> HttpResponse:
    summit = _summit(request)
    forum = get_object_or_404(Forum, summit=summit, slug=slug, is_public=True)
    sessions = selectors.public_sessions(summit).filter(forum=forum)
    return _ics_response(
        request, summit, sessions, f"{summit.slug}-{forum.slug}.ics", name=localized(forum.title)
    )


@require_safe
def speaker_list(request: HttpRequest) -> HttpResponse:
    summit = _summit(request)
    text = request.GET.get("q", "").strip()[:SEARCH_MAX_LENGTH]
    codes = selectors.speaker_country_codes(summit)
    country = request.GET.get("country", "").upper()
    country = country if country in codes else ""
    people = selectors.search_speakers(summit, text=text, country=country)
    page = Paginator(people, SPEAKERS_PER_PAGE).get_page(request.GET.get("page"))
    kept = urlencode({key: value for key, value in (("q", text), ("country", country)) if value})
    context = {
        "summit": summit,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
        "text": text,
        "country": country,
        "countries": sorted(codes, key=lambda code: str(Country(code).name)),
        "page_query": f"{request.path}?{kept}&page=" if kept else f"{request.path}?page=",
    }
    return _render(
        request,
        "summit/speaker_list.html",
        context,
        summit=summit,
        fragment="summit/_speaker_results.html",
    )


@require_safe
def speaker_detail(request: HttpRequest, pk: int) -> HttpResponse:
    summit = _summit(request)
    person = get_object_or_404(selectors.speakers(summit), pk=pk)
    context = {
        "summit": summit,
        "person": person,
        "appearances": selectors.speaker_appearances(summit, person),
    }
    return _render(request, "summit/speaker_detail.html", context, summit=summit)


def _map_context() -> dict:
    return {"map_tiles_attribution": settings.MAP_TILES_ATTRIBUTION}


@require_safe
def venue_list(request: HttpRequest) -> HttpResponse:
    summit = _summit(request)
    context = {"summit": summit, "venues": selectors.venue_summaries(summit), **_map_context()}
    return _render(request, "summit/venue_list.html", context, summit=summit)


@require_safe
def venue_detail(request: HttpRequest, slug: str) -> HttpResponse:
    summit = _summit(request)
    venue = get_object_or_404(Venue, summit=summit, slug=slug)
    context = {
        "summit": summit,
        "venue": venue,
        "rooms": selectors.venue_rooms(venue),
        "forums": selectors.public_forums(summit).filter(room__venue=venue),
        **_map_context(),
    }
    return _render(request, "summit/venue_detail.html", context, summit=summit)


@require_safe
def venues_geojson(request: HttpRequest) -> JsonResponse:
    summit = _summit(request)
    return JsonResponse(
        selectors.venues_geojson(summit, get_language()), content_type="application/geo+json"
    )


def _edition_status(edition: Summit, today: dt.date) -> str:
    if edition.end_date < today:
        return "past"
    if edition.start_date > today:
        return "upcoming"
    return "ongoing"


@require_safe
def editions(request: HttpRequest) -> HttpResponse:
    summit = selectors.request_summit(request)
    today = timezone.localdate(timezone=summit.tz if summit else None)
    series_list = [
        (
            series,
            [(edition, _edition_status(edition, today)) for edition in series.published_summits],
        )
        for series in selectors.editions()
    ]
    context = {"summit": summit, "series_list": series_list}
    return _render(request, "summit/editions.html", context, summit=summit)
