"""The after-action report: counts by type and venue, response-time percentiles checked against
hand-computed values, busiest hours, escalations; the page (who may see it, both languages, a
bad date range) and the Excel workbook."""

import datetime as dt
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from huiwu.command import report
from huiwu.command.models import Dispatch, DispatchStatus, Incident, IncidentKind, IncidentStatus
from huiwu.command.views.report import hour_chart
from tests import factories
from tests.command.factories import IncidentFactory
from tests.factories import at
from tests.volunteers import factories as vf

pytestmark = pytest.mark.django_db


def incident(summit, kind, created, *, venue=None, status=IncidentStatus.NEW, steps=()):
    """An incident raised at ``created`` whose steps (dispatched, acknowledged, on scene,
    closed) came that many minutes later."""
    made = IncidentFactory(summit=summit, kind=kind, venue=venue, status=status)
    stamps = dict(
        zip(("dispatched_at", "acknowledged_at", "on_scene_at", "closed_at"), steps, strict=False)
    )
    Incident.objects.filter(pk=made.pk).update(
        created_at=created,
        **{
            name: created + dt.timedelta(minutes=minutes)
            for name, minutes in stamps.items()
            if minutes is not None
        },
    )
    made.refresh_from_db()
    return made


def offer(made, status, minutes_after_creation=0):
    return Dispatch.objects.create(
        incident=made,
        volunteer=vf.SelectedFactory(summit=made.summit),
        status=status,
        respond_by=made.created_at + dt.timedelta(minutes=minutes_after_creation + 1.5),
        ended_at=made.created_at + dt.timedelta(minutes=minutes_after_creation + 1.5),
    )


@pytest.fixture
def history(summit):
    """Five incidents over the first two days, one the day before the summit.

    created    kind       venue  dispatched ack  on scene  closed  status
    d0 09:05   medical    hall   +2         +3   +10       +30     resolved
    d0 09:40   medical    hall   +4         +6   +14       +40     resolved (1 offer timed out)
    d0 09:55   medical    pier   +6         +9   +20       +60     resolved (1 offer declined)
    d1 14:10   lost item  pier   +1         +5   -         +8      cancelled
    d1 09:20   crowding   -      -          -    -         -       new
    """
    hall = factories.VenueFactory(summit=summit, name={"zh-hans": "会展中心", "en": "Hall"})
    pier = factories.VenueFactory(summit=summit, name={"zh-hans": "码头", "en": "Pier"})
    resolved = IncidentStatus.RESOLVED
    first = incident(
        summit, "medical", at(0, 9, 5), venue=hall, status=resolved, steps=(2, 3, 10, 30)
    )
    second = incident(
        summit, "medical", at(0, 9, 40), venue=hall, status=resolved, steps=(4, 6, 14, 40)
    )
    third = incident(
        summit, "medical", at(0, 9, 55), venue=pier, status=resolved, steps=(6, 9, 20, 60)
    )
    incident(
        summit,
        "lost_item",
        at(1, 14, 10),
        venue=pier,
        status=IncidentStatus.CANCELLED,
        steps=(1, 5, None, 8),
    )
    incident(summit, "crowding", at(1, 9, 20))
    incident(summit, "medical", at(-1, 10, 0), venue=hall, status=resolved, steps=(1, 1, 1, 1))
    offer(first, DispatchStatus.DONE)
    offer(second, DispatchStatus.TIMED_OUT)
    offer(second, DispatchStatus.DONE, 2)
    offer(third, DispatchStatus.DECLINED)
    offer(third, DispatchStatus.DONE, 3)
    return {"summit": summit, "hall": hall, "pier": pier}


def whole(summit):
    return report.incidents_in(summit, report.summit_period(summit))


def test_percentile_interpolates_between_ranks():
    assert report.percentile([], 0.5) is None
    assert report.percentile([7.0], 0.95) == 7.0
    assert report.percentile([1, 2, 4, 6], 0.5) == 3.0
    assert report.percentile([6, 1, 4, 2], 0.95) == pytest.approx(5.7)
    assert report.percentile([30, 40, 60], 0.95) == pytest.approx(58.0)


def test_counts_by_type_and_venue_leave_out_days_outside_the_period(history):
    incidents = whole(history["summit"])

    assert [
        (t.key, t.count, t.resolved, t.cancelled, t.open) for t in report.by_kind(incidents)
    ] == [
        ("medical", 3, 3, 0, 0),
        ("crowding", 1, 0, 0, 1),
        ("lost_item", 1, 0, 1, 0),
    ]
    assert [(t.label, t.count, t.resolved, t.cancelled) for t in report.by_venue(incidents)] == [
        ("Hall", 2, 2, 0),
        ("Pier", 2, 1, 1),
        ("No venue given", 1, 0, 0),
    ]


def test_response_times_count_only_incidents_that_reached_the_step(history):
    times = report.response_times(whole(history["summit"]))
    overall, medical = times[0], times[1]

    assert (overall.key, overall.count, medical.key, medical.count) == ("", 5, "medical", 3)
    # Dispatched after 2, 4, 6 (medical) and 1 (lost item) minutes.
    assert overall.steps["dispatched"].count == 4
    assert overall.steps["dispatched"].p50 == pytest.approx(3.0)
    assert overall.steps["dispatched"].p95 == pytest.approx(5.7)
    assert overall.steps["acknowledged"].p50 == pytest.approx(5.5)  # 3, 5, 6, 9
    assert overall.steps["acknowledged"].p95 == pytest.approx(8.55)
    assert (overall.steps["on_scene"].count, overall.steps["on_scene"].p50) == (3, 14.0)
    assert overall.steps["on_scene"].p95 == pytest.approx(19.4)
    # The cancelled incident was closed but never resolved.
    assert (overall.steps["resolved"].count, overall.steps["resolved"].p50) == (3, 40.0)
    assert overall.steps["resolved"].p95 == pytest.approx(58.0)
    assert medical.steps["dispatched"].p95 == pytest.approx(5.8)
    lost = next(row for row in times if row.key == "lost_item")
    assert lost.steps["resolved"] == report.Timing(0, None, None)
    crowding = next(row for row in times if row.key == "crowding")
    assert crowding.steps["dispatched"] == report.Timing(0, None, None)


def test_busiest_hours_are_counted_in_the_summit_time_zone(history):
    summit = history["summit"]
    hours = report.busiest_hours(whole(summit), summit.tz)

    assert hours.days == [summit.start_date, summit.start_date + dt.timedelta(days=1)]
    assert hours.per_day[summit.start_date][9] == 3
    assert hours.per_day[hours.days[1]][9] == 1
    assert hours.per_day[hours.days[1]][14] == 1
    assert hours.totals[9] == 4 and sum(hours.totals) == 5
    assert hours.busiest == [9]
    chart = hour_chart(hours)
    assert [bar["total"] for bar in chart["bars"]][9] == 4
    assert len(chart["bars"][9]["segments"]) == 2


def test_escalations_and_the_list_of_incidents(history):
    incidents = whole(history["summit"])
    escalations = report.escalations(incidents)

    assert (escalations.timed_out, escalations.declined, escalations.incidents) == (1, 1, 2)
    assert [d.status for d in escalations.dispatches] == ["timed_out", "declined"]
    rows = report.incident_rows(incidents)
    assert [(row.incident.kind, row.offers) for row in rows] == [
        ("medical", 1),
        ("medical", 2),
        ("medical", 2),
        ("crowding", 0),
        ("lost_item", 0),
    ]
    assert rows[0].minutes == {"dispatched": 2, "acknowledged": 3, "on_scene": 10, "resolved": 30}
    assert rows[4].minutes == {
        "dispatched": 1,
        "acknowledged": 5,
        "on_scene": None,
        "resolved": None,
    }


def test_an_empty_summit_makes_an_empty_report(summit):
    result = report.build(summit, report.summit_period(summit))

    assert (result.total, result.open, result.kinds, result.venues) == (0, 0, [], [])
    assert result.overall.steps["acknowledged"] == report.Timing(0, None, None)
    assert result.hours.busiest == []
    assert hour_chart(result.hours)["grid"][-1]["value"] >= 1


# --- The page and the Excel file ----------------------------------------------------------------


@pytest.fixture
def operator(db):
    return factories.UserFactory(username="operator", roles=["command_operator"])


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_only_command_staff_see_the_report(summit, operator, organiser):
    volunteer = vf.SelectedFactory(summit=summit).user

    anonymous = Client().get("/en/command/report/")
    assert anonymous.status_code == 302 and "/command/login/" in anonymous["Location"]
    assert Client().get("/en/command/report.xlsx").status_code == 302
    assert signed_in(volunteer).get("/en/command/report/").status_code == 403
    assert signed_in(volunteer).get("/en/command/report.xlsx").status_code == 403
    assert signed_in(operator).get("/en/command/report/").status_code == 200
    assert signed_in(organiser).get("/en/command/report/").status_code == 200


def test_the_page_says_no_incidents_yet_for_an_empty_summit(summit, operator):
    response = signed_in(operator).get("/en/command/report/")

    assert response.status_code == 200
    assert "No incidents yet" in response.content.decode()


def test_the_page_shows_the_figures_in_both_languages(history, operator):
    client = signed_in(operator)
    english = client.get("/en/command/report/").content.decode()
    chinese = client.get("/zh-hans/command/report/").content.decode()

    assert "Response times" in english and "<svg" in english
    assert "Hall" in english and "Pier" in english and "No incidents yet" not in english
    assert '<html lang="zh-hans">' in chinese
    assert "会展中心" in chinese and "码头" in chinese and "显示" in chinese


def test_a_period_narrows_the_report_and_a_bad_one_says_why(history, operator):
    summit = history["summit"]
    client = signed_in(operator)
    second_day = (summit.start_date + dt.timedelta(days=1)).isoformat()

    narrowed = client.get("/en/command/report/", {"from": second_day, "to": second_day})
    assert narrowed.context["report"].total == 2
    bad = client.get("/en/command/report/", {"from": "20-11-2024"})
    assert bad.status_code == 200
    assert "is not a date" in bad.content.decode()
    assert bad.context["report"].total == 5
    backwards = client.get("/en/command/report/", {"from": second_day, "to": "2024-11-01"})
    assert "comes after" in backwards.content.decode()
    wider = client.get("/en/command/report/", {"from": "2024-11-01", "to": "2024-11-30"})
    assert wider.context["report"].total == 6


@pytest.mark.parametrize(
    "period",
    [("9999-12-31", "9999-12-31"), ("0001-01-01", "0001-01-02"), ("2023-11-01", "2023-11-02")],
)
def test_days_far_from_the_summit_show_the_whole_summit_on_the_page_and_in_excel(
    history, operator, period
):
    client = signed_in(operator)
    query = dict(zip(("from", "to"), period, strict=True))

    page = client.get("/en/command/report/", query)
    assert page.status_code == 200
    assert "within a year of the summit" in page.content.decode()
    assert page.context["report"].total == 5
    excel = client.get("/en/command/report.xlsx", query)
    assert excel.status_code == 200
    assert excel["Content-Disposition"].endswith('-20241120-20241122.xlsx"')


def test_the_excel_file_has_every_sheet_with_numbers_as_numbers(history, operator):
    response = signed_in(operator).get("/en/command/report.xlsx")

    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('-20241122.xlsx"')
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "Summary",
        "By type",
        "By venue",
        "Response times",
        "Hours",
        "Incidents",
    ]
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Incidents"] == 5 and summary["Resolved"] == 3
    assert summary["Created → acknowledged · p50 (minutes)"] == 5.5
    assert summary["Busiest hours"] == "09:00"
    kinds = list(book["By type"].iter_rows(values_only=True))
    assert kinds[0] == ("Type", "Incidents", "Resolved", "Cancelled", "Open")
    assert kinds[1] == ("Medical", 3, 3, 0, 0)
    times = list(book["Response times"].iter_rows(values_only=True))
    assert times[1][:5] == ("All incidents", 5, 4, 3.0, 5.7)
    hours = list(book["Hours"].iter_rows(values_only=True))
    assert hours[10] == ("09:00", 3, 1, 4)
    incidents = list(book["Incidents"].iter_rows(values_only=True))
    assert len(incidents) == 6
    header = incidents[0]
    first = dict(zip(header, incidents[1], strict=True))
    # Local times of the summit (Asia/Shanghai), without a zone, as Excel keeps them.
    assert first["Created"] == dt.datetime(2024, 11, 20, 9, 5)
    assert first["Type"] == "Medical" and first["Venue"] == "Hall" and first["Offers"] == 1
    assert first["Created → resolved (minutes)"] == 30


def test_the_excel_file_is_headed_in_the_readers_language(history, operator):
    response = signed_in(operator).get("/zh-hans/command/report.xlsx")

    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 6
    header = next(book.worksheets[-1].iter_rows(values_only=True))
    assert "状态" in header  # Status


def test_a_description_starting_like_a_formula_stays_text(summit, operator):
    IncidentFactory(summit=summit, kind=IncidentKind.OTHER, description="=HYPERLINK(1)")
    Incident.objects.update(created_at=at(0, 10))

    book = load_workbook(io.BytesIO(signed_in(operator).get("/en/command/report.xlsx").content))
    rows = list(book["Incidents"].iter_rows(values_only=True))
    assert rows[1][-1] == "=HYPERLINK(1)"
    assert book["Incidents"].cell(row=2, column=len(rows[0])).data_type == "s"
