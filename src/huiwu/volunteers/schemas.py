"""API shapes of the volunteers app."""

import datetime as dt

from ninja import Field, Schema

from huiwu.core.schemas import I18nText

Latitude = Field(ge=-90, le=90, description="Degrees north, WGS 84.", examples=[30.7455])
Longitude = Field(ge=-180, le=180, description="Degrees east, WGS 84.", examples=[120.4925])
Accuracy = Field(None, ge=0, le=100_000, description="The phone's accuracy radius in metres.")


class PostVenueOut(Schema):
    """The venue of a post, with its outline for the map."""

    slug: str
    name: I18nText
    latitude: float
    longitude: float
    outline: dict | None = Field(description="The venue's footprint, a GeoJSON Polygon.")


class PostOut(Schema):
    """A volunteer post: where, what kind of work, what it needs."""

    id: int
    name: I18nText
    kind: str
    venue: PostVenueOut
    needs_training: bool


class ShiftOut(Schema):
    """A shift of the summit: its name and local start and end."""

    id: int
    name: I18nText
    start: dt.datetime
    end: dt.datetime


class DutyOut(Schema):
    """A duty record: when the volunteer signed in and out, and whether inside the venue."""

    id: int
    signed_in_at: dt.datetime | None
    signed_out_at: dt.datetime | None
    inside_geofence: bool | None = Field(
        description="Whether the sign-in was inside the venue; null without location consent."
    )
    distance_m: float | None = Field(description="Metres from the venue at sign-in; 0 inside.")
    closed_at_shift_end: bool
    no_show: bool
    hours: float = Field(description="Hours from sign-in to sign-out.")


class MyShiftOut(Schema):
    """One of the signed-in volunteer's shifts, with its post and duty."""

    assignment: int = Field(description="The id to sign in with.")
    post: PostOut
    shift: ShiftOut
    duty: DutyOut | None


class SignInIn(Schema):
    """A sign-in for one of the volunteer's own shifts, with the phone's position."""

    assignment: int = Field(ge=1, le=2**63 - 1, description="The assignment to sign in for.")
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    accuracy_m: float | None = Accuracy


class SignOutIn(Schema):
    """A sign-out, with the phone's position when the volunteer shares it."""

    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    accuracy_m: float | None = Accuracy


class PositionIn(Schema):
    """A position the phone sends while its volunteer is on duty."""

    lat: float = Latitude
    lon: float = Longitude
    accuracy_m: float | None = Accuracy
    at: dt.datetime | None = Field(
        None, description="When the phone took the position (with its offset); default: now."
    )


class PositionAccepted(Schema):
    """What the server kept of a position."""

    at: dt.datetime
    next_in_seconds: int = Field(description="When the phone should send the next position.")


class PeriodIn(Schema):
    """A time range, ``from`` and ``to``, with their offsets; by default the last 24 hours."""

    start: dt.datetime | None = Field(None, alias="from", examples=["2024-11-20T08:00+08:00"])
    end: dt.datetime | None = Field(None, alias="to", examples=["2024-11-20T20:00+08:00"])


class PointOut(Schema):
    """A point of a trajectory, with its age in seconds."""

    at: dt.datetime
    lat: float
    lon: float
    accuracy_m: float | None
    age_seconds: int = Field(description="How old the position is, in seconds.")


class TrajectoryOut(Schema):
    """A volunteer's positions over a time range, oldest first."""

    volunteer: int
    name: str
    start: dt.datetime
    end: dt.datetime
    points: list[PointOut]


class CurrentPositionOut(Schema):
    """An on-duty volunteer's last position, with its age, so that an old dot is never
    taken for a live one."""

    volunteer: int = Field(description="The volunteer's application id.")
    name: str
    post: int
    post_name: I18nText
    venue: str
    duty: int
    at: dt.datetime
    lat: float
    lon: float
    accuracy_m: float | None
    age_seconds: int = Field(description="How old the position is, in seconds.")
    inside_geofence: bool | None


class RosterVolunteerOut(Schema):
    """A volunteer on the roster."""

    volunteer: int
    name: str
    source: str


class RosterSlotOut(Schema):
    """A post in a shift: its headcount and the volunteers assigned."""

    id: int
    post: int
    post_name: I18nText
    kind: str
    venue: str
    shift: ShiftOut
    headcount: int
    filled: int
    volunteers: list[RosterVolunteerOut]
