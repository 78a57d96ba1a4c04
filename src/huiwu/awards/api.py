"""Awards and competitions over HTTP: the programmes of a summit and their published results,
read by anyone. Thin: read through ``selectors``, ask the ``rules`` predicates."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from huiwu.awards import rules, selectors
from huiwu.awards.models import Programme
from huiwu.awards.schemas import ProgrammeDetail, ProgrammeFiguresOut, ProgrammeOut, ResultsOut
from huiwu.core.api import NotFound, found
from huiwu.core.schemas import ErrorOut, ValidationErrorOut
from huiwu.summit.api import published_summit
from huiwu.summit.schemas import SummitFilter

router = Router()

NOT_FOUND = {404: ErrorOut, 422: ValidationErrorOut}


def _programme(slug: str, summit: str | None) -> Programme:
    return found(
        selectors.programmes(published_summit(summit)),
        _("There is no programme “%(slug)s” in this summit.") % {"slug": slug},
        slug=slug,
    )


@router.get("/programmes", response={200: list[ProgrammeOut], **NOT_FOUND})
def list_programmes(request: HttpRequest, filters: Query[SummitFilter]):
    """The awards and competitions of a summit (the current one by default)."""
    return list(selectors.programmes(published_summit(filters.summit)))


@router.get("/programmes/{slug}", response={200: ProgrammeDetail, **NOT_FOUND})
def get_programme(request: HttpRequest, slug: str, filters: Query[SummitFilter]):
    """One programme: its call, tracks, rounds and prize tiers."""
    programme = _programme(slug, filters.summit)
    return {
        **ProgrammeOut.from_orm(programme).dict(),
        "call": programme.call,
        "eligibility": programme.eligibility,
        "tracks": list(programme.tracks.all()),
        "rounds": selectors.rounds(programme),
        "tiers": list(programme.tiers.all()),
    }


@router.get("/programmes/{slug}/results", response={200: ResultsOut, **NOT_FOUND})
def get_results(request: HttpRequest, slug: str, filters: Query[SummitFilter]):
    """The winners, tier by tier, once the organisers have published them (404 before)."""
    programme = _programme(slug, filters.summit)
    if not rules.can_view_results(request.user, programme):
        raise NotFound(_("The results of this programme are not published yet."))
    return {
        "programme": programme.slug,
        "published_at": programme.published_at,
        "tiers": [
            {
                "tier": tier,
                "winners": [
                    {
                        "rank": decision.rank,
                        "title": decision.submission.title,
                        "nominee": decision.submission.nominee,
                        "organisation": decision.submission.organisation_name,
                        "country": decision.submission.country,
                        "track": decision.submission.track.code
                        if decision.submission.track
                        else None,
                    }
                    for decision in decisions
                ],
            }
            for tier, decisions in selectors.winners(programme)
        ],
    }


@router.get("/programmes/{slug}/figures", response={200: ProgrammeFiguresOut, **NOT_FOUND})
def get_figures(request: HttpRequest, slug: str, filters: Query[SummitFilter]):
    """A programme in figures: submissions, countries, experts and winners by tier."""
    programme = _programme(slug, filters.summit)
    return {"programme": programme.slug, **selectors.programme_figures(programme)}
