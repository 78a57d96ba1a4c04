"""The demo summit's gates: guests enrolled with real photos, demo gate devices with fixed
tokens, and a simulated first morning of check-ins so that occupancy has figures.

The photos come from the team's labelled face sets (``../shared/data/faces`` and
``faces-eastasia``, or ``HUIWU_SHARED_DATA``): the first photo, by file name, of every known
identity becomes an approved guest's portrait, a guest from a country that fits the set, and
is enrolled through the product's own enrolment. Without the sets the demo skips enrolment.
"""

import csv
import datetime as dt
import os
import random
import uuid
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from huiwu.checkin import access, services
from huiwu.checkin.models import Direction, Mode
from huiwu.registration.badges import badge_token
from huiwu.registration.models import Participation, Registration, Status
from huiwu.summit.models import Summit, Zone, ZoneKind

SHARED_DATA = Path(
    os.environ.get("HUIWU_SHARED_DATA", Path(__file__).resolve().parents[4] / "shared" / "data")
)
# Which guests a face set's people may stand for: nationalities that fit the photos.
FACE_SETS = {
    "faces": ["US", "GB", "FR", "DE", "IT", "ES", "CA", "AU", "IE", "NL", "SE", "RU", "BR"],
    "faces-eastasia": ["CN", "KR", "SG", "JP"],
}
# The demo's gates: fixed tokens, so that the demo's README can say what to paste in the kiosk.
DEMO_GATES = [
    ("Main hall · gate A (badge and face)", Direction.IN, Mode.VERIFY, "demo-gate-main-hall"),
    ("Main hall · gate B (face only)", Direction.IN, Mode.IDENTIFY, "demo-gate-main-hall-face"),
    ("Main hall · exit", Direction.OUT, Mode.VERIFY, "demo-gate-main-hall-exit"),
]
MORNING_ARRIVALS = 600
SEED = 2024


def first_photos(folder: Path) -> list[tuple[str, list[Path]]]:
    """Each known identity of a labelled face folder with its photos, by file name."""
    photos: dict[str, list[Path]] = {}
    with open(folder / "labels.csv", newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            if row["role"] == "known":
                photos.setdefault(row["identity"], []).append(folder / row["file"])
    return [(identity, sorted(files, key=lambda p: p.name)) for identity, files in photos.items()]


def _enrol(guest: Registration, photos: list[Path]) -> bool:
    """Give the guest the first of ``photos`` that enrolment accepts; False if none does."""
    for photo in photos:
        name = default_storage.save(
            f"portraits/{uuid.uuid4().hex}{photo.suffix.lower()}", ContentFile(photo.read_bytes())
        )
        # An update, not a save: the enrolment below is explicit, not left to the signal.
        Registration.objects.filter(pk=guest.pk).update(
            photo=name, face_consent=True, face_consent_at=timezone.now()
        )
        guest.refresh_from_db()
        try:
            services.enrol_face(guest)
        except services.CheckinError:
            default_storage.delete(name)
            continue
        return True
    Registration.objects.filter(pk=guest.pk).update(photo="")
    return False


def enrol_demo_faces(summit: Summit, say) -> set[int]:
    """Enrol one guest per known identity of the shared face sets; returns their keys."""
    enrolled: set[int] = set()
    main_hall = Zone.objects.filter(summit=summit, kind=ZoneKind.MAIN_HALL).first()
    for folder_name, countries in FACE_SETS.items():
        folder = SHARED_DATA / folder_name
        if not (folder / "labels.csv").is_file():
            say("face check-in", f"no photos in {folder}; guests not enrolled")
            continue
        guests = list(
            Registration.objects.filter(
                summit=summit,
                status=Status.APPROVED,
                participation=Participation.ON_SITE,
                nationality__in=countries,
                category__zones=main_hall,
            ).order_by("-pk")
        )
        for _identity, photos in sorted(first_photos(folder)):
            if not guests:
                break
            guest = guests.pop()
            if _enrol(guest, photos):
                enrolled.add(guest.pk)
    say("guests enrolled for face check-in", len(enrolled))
    return enrolled


def build(summit, *, names, say) -> None:
    """Add the gates to ``summit``: enrolled faces, demo devices, a morning of check-ins."""
    main_hall = Zone.objects.filter(summit=summit, kind=ZoneKind.MAIN_HALL).first()
    if main_hall is None:
        return
    enrolled = enrol_demo_faces(summit, say)
    for name, direction, mode, token in DEMO_GATES:
        services.register_device(
            summit, name=name, zone=main_hall, direction=direction, mode=mode, token=token
        )
        say("gate device", f"{name}: token {token}")
    simulate_morning(summit, main_hall, exclude=enrolled, say=say)


def simulate_morning(summit: Summit, zone: Zone, *, exclude: set[int], say) -> None:
    """The first morning at the main hall: guests arrive by QR badge through four gates from
    8:00 to 9:30, a few leave again. The enrolled guests stay outside, for the kiosk to admit."""
    rng = random.Random(SEED)
    gates = [
        services.register_device(summit, name=f"Main hall · gate {number}", zone=zone)[0]
        for number in range(1, 5)
    ]
    exit_gate = services.register_device(
        summit, name="Main hall · exit 2", zone=zone, direction=Direction.OUT
    )[0]
    doors = dt.datetime.combine(summit.start_date, dt.time(8, 0), tzinfo=summit.tz)
    allowed = list(access.admissible(zone, doors).exclude(pk__in=exclude).order_by("pk"))
    arriving = rng.sample(allowed, min(MORNING_ARRIVALS, len(allowed)))
    admitted = []
    for index, guest in enumerate(arriving):
        moment = doors + dt.timedelta(seconds=rng.randrange(90 * 60))
        result = services.scan(
            gates[index % len(gates)],
            idempotency_key=f"demo-{index}",
            captured_at=moment,
            qr_token=badge_token(guest),
        )
        if result.decision == "admit":
            admitted.append((guest, moment))
    leaving = rng.sample(admitted, len(admitted) // 10)
    for index, (guest, arrived) in enumerate(leaving):
        services.scan(
            exit_gate,
            idempotency_key=f"demo-exit-{index}",
            captured_at=arrived + dt.timedelta(minutes=rng.randrange(20, 90)),
            qr_token=badge_token(guest),
        )
    say("main hall check-ins", f"{len(admitted)} in, {len(leaving)} out")
