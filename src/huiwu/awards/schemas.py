"""API shapes of awards and competitions: programmes and their published results.

Only what the public may read: no expert's name and no score ever leaves through these.
"""

import datetime as dt

from ninja import Field, Schema

from huiwu.core.schemas import Country, I18nText


class TrackOut(Schema):
    """A track of a programme (AI, 5G/6G, chips …)."""

    code: str
    name: I18nText


class TierOut(Schema):
    """A prize tier and how many prizes it has."""

    code: str
    name: I18nText
    quota: int


class RoundOut(Schema):
    """A round of evaluation, in order."""

    order: int
    name: I18nText
    kind: str = Field(description="online_review, panel or live_pitch.")


class ProgrammeOut(Schema):
    """An award (nominations) or a competition (applications) of a summit."""

    slug: str
    kind: str = Field(description="award or competition.")
    name: I18nText
    opens_at: dt.datetime
    deadline: dt.datetime
    results_published: bool


class ProgrammeDetail(ProgrammeOut):
    """A programme with its call, eligibility rules, tracks, rounds and prize tiers."""

    call: I18nText
    eligibility: I18nText
    tracks: list[TrackOut]
    rounds: list[RoundOut]
    tiers: list[TierOut]


class WinnerOut(Schema):
    """A published winner: the submission, never its scores or its experts."""

    rank: int | None
    title: str
    nominee: str
    organisation: str
    country: Country
    track: str | None = Field(description="The track's code.")


class TierResultOut(Schema):
    """The winners of one prize tier, in rank order."""

    tier: TierOut
    winners: list[WinnerOut]


class ResultsOut(Schema):
    """The published winners of a programme, tier by tier."""

    programme: str
    published_at: dt.datetime | None
    tiers: list[TierResultOut]


class ProgrammeFiguresOut(Schema):
    """A programme in figures, counted at the time of the request."""

    programme: str
    submissions: int = Field(description="Submissions sent (drafts and withdrawn ones not).")
    countries: int = Field(description="Countries and regions they come from.")
    experts: int
    winners: int = Field(description="Prizes awarded; 0 until the results are published.")
    winners_by_tier: dict[str, int] = Field(description="Prizes per tier code, once published.")
