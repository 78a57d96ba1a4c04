"""API shapes of the command centre. Incidents, dispatches, tasks and broadcasts have the shapes
of ``selectors`` (``incident_data``, ``task_data`` …), so that the API and the live layer tell
the same story in the same words: codes, not labels."""

import datetime as dt
import uuid

from ninja import Field, Schema

from huiwu.command.models import IncidentStatus, Priority
from huiwu.command.selectors import dispatch_summary
from huiwu.core.schemas import I18nText, Id

# Not bounded here: the services refuse an impossible position with a sentence that says so.
Latitude = Field(None, description="Degrees north, WGS 84.", examples=[30.7455])
Longitude = Field(None, description="Degrees east, WGS 84.", examples=[120.4925])


class IncidentFilter(Schema):
    """Narrow the list of incidents; every filter given must hold."""

    summit: str | None = Field(
        None, max_length=50, description="The summit's slug; the current summit when left out."
    )
    status: IncidentStatus | None = None
    priority: Priority | None = Field(None, description="1 critical, 2 high, 3 normal, 4 low.")


class DispatchOut(Schema):
    """One volunteer sent to the incident, and how far their answer has come."""

    id: int
    volunteer: int = Field(description="The volunteer's application id.")
    name: str
    status: str = Field(
        description="offered, acknowledged, on_scene, done, declined, timed_out or withdrawn."
    )
    offered_at: dt.datetime | None
    respond_by: dt.datetime | None = Field(description="When the offer escalates unanswered.")
    acknowledged_at: dt.datetime | None
    on_scene_at: dt.datetime | None
    ended_at: dt.datetime | None
    distance_m: float | None = Field(description="How far the volunteer was when sent.")
    distance_method: str = Field(description="walking (over the paths) or straight.")


class IncidentOut(Schema):
    """An incident whole: what, how urgent, where, its lifecycle's time stamps, who was sent."""

    id: int
    public_id: uuid.UUID
    kind: str
    priority: int = Field(description="1 critical, 2 high, 3 normal, 4 low.")
    status: str = Field(
        description="new, dispatched, acknowledged, on_scene, resolved or cancelled."
    )
    source: str = Field(description="staff, volunteer or automatic.")
    venue: int | None
    zone: int | None
    post: int | None
    lat: float | None
    lon: float | None
    place: str
    description: str
    needs: list[str] = Field(description='Skills ("first_aid") and languages ("fr:2").')
    created_at: dt.datetime
    dispatched_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    on_scene_at: dt.datetime | None
    closed_at: dt.datetime | None
    dispatches: list[DispatchOut]

    @staticmethod
    def resolve_venue(incident) -> int | None:
        return incident.venue_id

    @staticmethod
    def resolve_zone(incident) -> int | None:
        return incident.zone_id

    @staticmethod
    def resolve_post(incident) -> int | None:
        return incident.post_id

    @staticmethod
    def resolve_dispatches(incident) -> list[dict]:
        return [dispatch_summary(dispatch) for dispatch in incident.dispatches.all()]


class IncidentIn(Schema):
    """A new incident raised by command staff."""

    kind: str = Field(
        description="medical, security, crowding, lost_item, equipment, vip_movement, "
        "staffing, guest_help or other.",
        examples=["medical"],
    )
    priority: int = Field(Priority.NORMAL, description="1 critical, 2 high, 3 normal, 4 low.")
    lat: float | None = Latitude
    lon: float | None = Longitude
    venue: Id | None = None
    zone: Id | None = None
    post: Id | None = None
    place: str = Field("", description="Where, in words: “Hall 1, east door”.")
    description: str = ""
    needs: list[str] = Field(
        [], description='What whoever goes must bring: skills ("first_aid"), languages ("fr:2").'
    )


class CandidateOut(Schema):
    """A volunteer on duty who could go: where they work, how far they are (walking over the
    paths or in a straight line, as ``method`` says) and how old their position is."""

    volunteer: int = Field(description="The application id, to dispatch with.")
    name: str
    phone: str
    post: int
    post_name: I18nText
    venue: str = Field(description="The slug of the post's venue.")
    skills: list[str]
    languages: list[dict] = Field(description='[{"code": "fr", "level": 3}, …]')
    distance_m: float
    method: str = Field(description="walking or straight.")
    age_seconds: float = Field(description="How old the position is.")


class DispatchIn(Schema):
    """The volunteer to send."""

    volunteer: Id = Field(description="The volunteer's application id (from the suggestions).")


class StatusIn(Schema):
    """A decision of command staff on an incident."""

    status: str = Field(
        description="The next step (acknowledged, on_scene, by radio), resolved or cancelled."
    )
    note: str = Field("", description="How it was resolved; required when nobody was on scene.")


class BroadcastIn(Schema):
    """A message to the volunteers on duty."""

    audience: str = Field(description="all, venue, post or language.")
    text: str = Field(description="The message, up to 500 characters.")
    venue: Id | None = Field(None, description="The venue, for the audience venue.")
    post: Id | None = Field(None, description="The post, for the audience post.")
    language: str = Field("", description="An ISO 639-1 code, for the audience language.")


class BroadcastOut(Schema):
    """A broadcast as sent, with how many volunteers on duty it reached."""

    id: int
    audience: str
    venue: int | None
    post: int | None
    language: str
    text: str
    sent_at: dt.datetime
    recipients: int


class TaskIncidentOut(Schema):
    """The incident of a task, as the volunteer needs it to go there."""

    id: int
    kind: str
    priority: int
    status: str
    venue: int | None
    lat: float | None
    lon: float | None
    place: str
    description: str


class TaskOut(Schema):
    """A task on the volunteer's phone: what, where, and when to answer by."""

    id: int
    status: str
    offered_at: dt.datetime | None
    respond_by: dt.datetime | None
    incident: TaskIncidentOut
    distance_m: float | None


class AnswerIn(Schema):
    """The volunteer's answer to a task."""

    action: str = Field(description="acknowledge, on_scene, done or decline.")


class PhoneReportIn(Schema):
    """An incident seen by a volunteer on duty, with the phone's position."""

    kind: str = Field(examples=["guest_help"])
    description: str = ""
    lat: float | None = Latitude
    lon: float | None = Longitude
    accuracy_m: float | None = Field(None, ge=0, le=100_000, description="Metres.")


class ReportedOut(Schema):
    """The incident a volunteer reported, as received."""

    public_id: uuid.UUID
    kind: str
    status: str
    created_at: dt.datetime
