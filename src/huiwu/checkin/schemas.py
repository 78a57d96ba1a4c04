"""API shapes of gate check-in. A descriptor never appears in any of them; a guest's photo only
as a short-lived link, for the gate to show the admitted guest."""

import datetime as dt
from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from huiwu.checkin.models import Decision, Direction, Mode

MAX_SYNC_EVENTS = 1000


class GuestOut(Schema):
    """The admitted guest, for the gate to show so the guest can confirm."""

    name: str = Field(description="The guest's name, in own script and Latin letters.")
    category: str = Field(description="The guest category, in the request's language.")
    photo_url: str | None = Field(
        description="A link to the guest's portrait, valid for a few minutes; null without one."
    )


class ScanOut(Schema):
    """The gate's decision on one scan."""

    decision: Decision
    reason: str | None = Field(
        description="Why: not_approved, wrong_zone, no_seat, revoked, already_inside, "
        "invalid_badge, face_mismatch, not_enrolled, unknown_id, uncertain (no_match), "
        "not_inside (an exit without a recorded entry), not_on_list (refused by an offline "
        "gate's list), full (the zone holds its capacity and stops entry); null for a plain "
        "admit."
    )
    message: str = Field(description="The sentence to show, in the request's language.")
    guest: GuestOut | None = Field(description="The admitted guest; null otherwise.")
    zone: str
    direction: Direction
    event_id: int
    replayed: bool = Field(
        description="True when this answers a retry of a scan already recorded under this key."
    )


class DeviceOut(Schema):
    """The gate a device token belongs to."""

    name: str
    zone: str
    direction: Direction
    mode: Mode
    summit: str


class OfflineEntryOut(Schema):
    """A badge the gate may accept offline, with whom it belongs to."""

    badge: str = Field(description="SHA-256 (hex) of the badge's QR token.")
    name: str
    category: str


class OfflineListOut(Schema):
    """Badges the gate may accept while offline, signed by the server (HMAC-SHA256 over the
    other fields as canonical JSON)."""

    zone: str
    issued_at: str
    expires_at: str
    entries: list[OfflineEntryOut]
    signature: str


class OfflineScanIn(Schema):
    """A scan the gate decided alone while offline."""

    model_config = ConfigDict(extra="forbid")

    idempotency_key: str = Field(max_length=100)
    captured_at: dt.datetime
    qr_token: str = Field(max_length=500)
    decision: Literal["admit", "deny"]


class SyncIn(Schema):
    """The scans a gate decided offline, up to 1,000 at a time."""

    model_config = ConfigDict(extra="forbid")

    events: list[OfflineScanIn] = Field(max_length=MAX_SYNC_EVENTS)


class SyncOutcomeOut(Schema):
    """What became of one uploaded offline scan."""

    idempotency_key: str
    outcome: Literal["recorded", "duplicate", "conflict"] = Field(
        description="recorded now; duplicate of a scan recorded before (merged); conflict: "
        "not recorded, either because the key was used before for another scan (which is "
        "kept) or because the scan itself is refused (a capture time before the summit): "
        "`detail` says which. The device drops a conflict from its queue either way."
    )
    event_id: int | None
    decision: Decision | None
    review: str | None = Field(
        description="For an offline admit the server's rules would have refused: the reason."
    )
    detail: str


class SyncOut(Schema):
    """One outcome per uploaded scan, in the order sent."""

    results: list[SyncOutcomeOut]
