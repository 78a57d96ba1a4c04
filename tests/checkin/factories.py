"""Gate check-in test data: a summit's zones and guests, devices with their tokens, photos."""

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.core.files.base import ContentFile
from django.utils import timezone

from huiwu.checkin import services
from huiwu.checkin.models import Direction, GateDevice, Mode
from huiwu.registration.models import Registration, SeatRequest, SeatStatus, Status
from huiwu.summit.models import Forum, Summit, Zone, ZoneKind
from tests import factories
from tests.registration import factories as rf
from tests.shared_data import FACES

OBAMA = FACES / "barack_obama"
BIDEN = FACES / "joe_biden"
STRANGER = FACES / "amy_adams" / "adams.jpg"
TWO_PEOPLE = FACES / "_multi_face" / "two_people.jpg"
NO_FACE = FACES / "_no_face" / "pilatus800.jpg"


@dataclass
class Site:
    """A summit with a main hall, a forum room (a forum from 9:00 to 12:00 on day 0), a VIP
    lounge, and a guest category allowed in the main hall and the forum room."""

    summit: Summit
    main_hall: Zone
    forum_room: Zone
    vip_lounge: Zone
    forum: Forum
    category: rf.rm.GuestCategory

    def guest(self, **fields) -> Registration:
        fields.setdefault("status", Status.APPROVED)
        fields.setdefault("category", self.category)
        return rf.RegistrationFactory(summit=self.summit, **fields)

    def seat(self, guest: Registration, status: str = SeatStatus.CONFIRMED) -> SeatRequest:
        return rf.SeatRequestFactory(registration=guest, forum=self.forum, status=status)

    def gate(
        self, zone: Zone | None = None, *, direction=Direction.IN, mode=Mode.VERIFY
    ) -> tuple[GateDevice, str]:
        return services.register_device(
            self.summit,
            name=f"gate {uuid.uuid4().hex[:8]}",
            zone=zone or self.main_hall,
            direction=direction,
            mode=mode,
        )


def make_site(summit: Summit) -> Site:
    venue = factories.VenueFactory(summit=summit)
    main_room, side_room = factories.RoomFactory(venue=venue), factories.RoomFactory(venue=venue)
    main_hall = factories.ZoneFactory(summit=summit, kind=ZoneKind.MAIN_HALL, venue=venue)
    main_hall.rooms.add(main_room)
    forum_room = factories.ZoneFactory(summit=summit, kind=ZoneKind.FORUM_ROOM, venue=venue)
    forum_room.rooms.add(side_room)
    vip = factories.ZoneFactory(summit=summit, kind=ZoneKind.VIP_LOUNGE, venue=venue)
    forum = factories.ForumFactory(
        summit=summit, room=side_room, starts_at=factories.at(0, 9), ends_at=factories.at(0, 12)
    )
    category = rf.GuestCategoryFactory(summit=summit, code="business")
    category.zones.set([main_hall, forum_room])
    return Site(summit, main_hall, forum_room, vip, forum, category)


def first_photo(folder: Path) -> Path:
    return sorted(path for path in folder.iterdir() if path.is_file())[0]


def with_photo(registration: Registration, photo: Path, *, consent: bool = True) -> Registration:
    """Give the guest a portrait and a consent answer (enrolment by the signal waits for a
    commit, which tests inside a transaction never reach: they enrol explicitly)."""
    registration.face_consent = consent
    registration.face_consent_at = timezone.now()
    registration.photo.save(f"{uuid.uuid4().hex}{photo.suffix}", ContentFile(photo.read_bytes()))
    return registration


def enrolled(site: Site, photo: Path, **fields) -> Registration:
    guest = with_photo(site.guest(**fields), photo)
    services.enrol_face(guest)
    return guest


def moment(minutes: int = 0) -> dt.datetime:
    """A moment of the forum's morning: day 0, 10:00 plus ``minutes``."""
    return factories.at(0, 10) + dt.timedelta(minutes=minutes)
