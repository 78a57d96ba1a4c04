import icalendar
import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_agenda_calendar_defines_the_time_zone_it_uses(programme):
    body = Client().get("/en/agenda/agenda.ics").content
    calendar = icalendar.Calendar.from_ical(body)

    zones = [zone["TZID"] for zone in calendar.walk("VTIMEZONE")]
    starts = {event["DTSTART"].params["TZID"] for event in calendar.walk("VEVENT")}
    assert zones == ["Asia/Shanghai"]
    assert starts == {"Asia/Shanghai"}


def test_event_uids_do_not_depend_on_the_address_the_calendar_came_from(programme):
    def uids(host: str) -> list[str]:
        body = Client(HTTP_HOST=host).get("/en/agenda/agenda.ics").content
        return [str(event["UID"]) for event in icalendar.Calendar.from_ical(body).walk("VEVENT")]

    assert uids("localhost") == uids("127.0.0.1")
    assert all(uid.endswith(f"@{programme['summit'].slug}.huiwu") for uid in uids("localhost"))


def test_public_pages_refuse_writes(programme):
    response = Client().post("/en/agenda/")
    assert response.status_code == 405
