"""On duty: sign-in with the geofence, positions, sign-out and hours, shift-end closing,
no-shows, hours corrections and the purge of positions."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from huiwu.core.models import ActionLog
from huiwu.volunteers import selectors, services
from huiwu.volunteers.models import DutyRecord, HoursCorrection, PositionPing
from huiwu.volunteers.services import VolunteerError
from tests.factories import at
from tests.volunteers import factories as vf
from tests.volunteers.factories import INSIDE, OUTSIDE

pytestmark = pytest.mark.django_db


@pytest.fixture
def assignment(summit):
    """A selected volunteer on the first morning's shift (08:00 to 12:00) at a venue with an
    outline."""
    return vf.AssignmentFactory(post_shift__post__summit=summit)


@pytest.fixture
def volunteer(assignment):
    return assignment.application


def signed_in(assignment, when=None):
    return services.sign_in(
        assignment.application, assignment, *INSIDE, 10, at=when or at(0, 7, 50)
    )


# --- Sign-in -------------------------------------------------------------------------------------


def test_sign_in_inside_the_venue_records_the_duty_and_its_first_position(assignment, volunteer):
    duty = signed_in(assignment)

    assert (duty.signed_in_at, duty.inside_geofence, duty.distance_m) == (at(0, 7, 50), True, 0)
    assert list(PositionPing.objects.values_list("lat", "lon")) == [INSIDE]
    assert ActionLog.objects.filter(action="volunteers.signed_in").count() == 1


def test_sign_in_outside_the_venue_is_accepted_but_flagged_with_the_distance(assignment, volunteer):
    duty = services.sign_in(volunteer, assignment, *OUTSIDE, 10, at=at(0, 7, 50))

    assert duty.inside_geofence is False
    assert 300 < duty.distance_m < 360


def test_sign_in_for_someone_elses_shift_is_refused(summit, assignment):
    other = vf.SelectedFactory(summit=summit)
    with pytest.raises(VolunteerError) as refused:
        services.sign_in(other, assignment, *INSIDE, at=at(0, 7, 50))

    assert refused.value.message == "This shift is not yours; sign in for one of your own shifts."
    assert DutyRecord.objects.count() == 0


def test_sign_in_more_than_two_hours_early_is_refused_with_the_time_it_opens(assignment, volunteer):
    with pytest.raises(VolunteerError) as refused:
        services.sign_in(volunteer, assignment, *INSIDE, at=at(0, 5, 59))

    assert refused.value.message == (
        "Too early: sign-in for this shift opens at 06:00, 2 hours before it starts."
    )
    assert DutyRecord.objects.count() == 0
    services.sign_in(volunteer, assignment, *INSIDE, at=at(0, 6))


def test_sign_in_after_the_shift_is_refused(assignment, volunteer):
    with pytest.raises(VolunteerError, match="This shift ended at 12:00"):
        services.sign_in(volunteer, assignment, *INSIDE, at=at(0, 12))


def test_sign_in_at_a_post_needing_training_is_refused_until_trained(summit, assignment, volunteer):
    post = assignment.post_shift.post
    post.needs_training = True
    post.save()
    with pytest.raises(VolunteerError) as refused:
        signed_in(assignment)
    assert "needs training you have not attended" in refused.value.message
    assert DutyRecord.objects.count() == 0

    session = summit.volunteer_trainings.create(
        name={"zh-hans": "培训", "en": "Briefing"}, start=at(-2, 14), end=at(-2, 17)
    )
    session.posts.add(post)
    services.record_attendance(session, volunteer)
    assert signed_in(assignment).inside_geofence is True


@pytest.mark.parametrize("position", [(91, 120), (30, 181), (float("nan"), 120), ("x", "y")])
def test_sign_in_with_an_impossible_position_is_refused(assignment, volunteer, position):
    with pytest.raises(VolunteerError):
        services.sign_in(volunteer, assignment, *position, at=at(0, 7, 50))
    assert DutyRecord.objects.count() == 0


def test_sign_in_without_position_is_refused_with_consent(assignment, volunteer):
    with pytest.raises(VolunteerError, match="share its position"):
        services.sign_in(volunteer, assignment, at=at(0, 7, 50))


def test_without_location_consent_no_position_is_kept_at_all(assignment, volunteer):
    services.set_location_consent(volunteer, False)
    duty = services.sign_in(volunteer, assignment, *INSIDE, at=at(0, 7, 50))

    assert (duty.sign_in_lat, duty.inside_geofence) == (None, None)
    assert PositionPing.objects.count() == 0
    with pytest.raises(VolunteerError, match="not agreed to location"):
        services.record_position(volunteer, *INSIDE, at=at(0, 8), now=at(0, 8))


def test_signing_in_twice_returns_the_first_record(assignment, volunteer):
    first = signed_in(assignment)
    second = services.sign_in(volunteer, assignment, *OUTSIDE, at=at(0, 7, 55))

    assert second.pk == first.pk
    assert second.signed_in_at == at(0, 7, 50)
    assert DutyRecord.objects.count() == 1


def test_a_second_duty_waits_for_sign_out_of_the_first(summit, assignment, volunteer):
    later = vf.AssignmentFactory(
        post_shift__post__summit=summit,
        application=volunteer,
        post_shift__shift__start=at(0, 9),
        post_shift__shift__end=at(0, 13),
    )
    signed_in(assignment)
    with pytest.raises(VolunteerError, match="sign out there first"):
        services.sign_in(volunteer, later, *INSIDE, at=at(0, 8, 30))


# --- Positions -----------------------------------------------------------------------------------


def test_positions_are_recorded_while_signed_in_and_a_resend_once(assignment, volunteer):
    signed_in(assignment)
    services.record_position(volunteer, 30.744, 120.487, 8, at=at(0, 8), now=at(0, 8))
    services.record_position(volunteer, 30.745, 120.488, 8, at=at(0, 8), now=at(0, 8, 1))

    assert list(PositionPing.objects.filter(at=at(0, 8)).values_list("lat", flat=True)) == [30.744]


def test_positions_off_duty_are_refused(assignment, volunteer):
    with pytest.raises(VolunteerError, match="not on duty"):
        services.record_position(volunteer, *INSIDE, at=at(0, 8), now=at(0, 8))
    signed_in(assignment)
    services.sign_out(volunteer, at=at(0, 12))
    with pytest.raises(VolunteerError, match="not on duty"):
        services.record_position(volunteer, *INSIDE, at=at(0, 12, 5), now=at(0, 12, 5))
    assert PositionPing.objects.count() == 1  # the sign-in's


@pytest.mark.parametrize(
    ("position", "moment", "message"),
    [
        ((95.0, 120.0), at(0, 8, 30), "is not a position on Earth"),
        ((30.0, -181.0), at(0, 8, 30), "is not a position on Earth"),
        (INSIDE, at(0, 8, 33), "stamped in the future"),
        (INSIDE, at(0, 7, 45), "from before you signed in"),
        (INSIDE, at(0, 7, 29), "too old"),
    ],
)
def test_bad_positions_are_refused_and_nothing_is_stored(
    assignment, volunteer, position, moment, message
):
    signed_in(assignment)
    with pytest.raises(VolunteerError, match=message):
        services.record_position(volunteer, *position, at=moment, now=at(0, 8, 30))
    assert PositionPing.objects.count() == 1


def test_trajectory_is_the_volunteers_positions_in_order(assignment, volunteer):
    signed_in(assignment)
    for minute in (3, 1, 2):
        services.record_position(volunteer, *INSIDE, at=at(0, 8, minute), now=at(0, 8, 5))

    track = selectors.trajectory(volunteer, at(0, 8), at(0, 9))
    assert [point.at for point in track] == [at(0, 8, 1), at(0, 8, 2), at(0, 8, 3)]


def test_current_positions_give_the_age_of_each(summit, assignment, volunteer):
    signed_in(assignment)
    services.record_position(volunteer, 30.7439, 120.4869, at=at(0, 8), now=at(0, 8))

    rows = selectors.current_positions(summit, now=at(0, 8, 20))
    assert [(row["volunteer"], row["lat"], row["age_seconds"]) for row in rows] == [
        (volunteer.pk, 30.7439, 1200)
    ]


# --- Sign-out, hours, sweeps ---------------------------------------------------------------------


def test_hours_come_from_sign_in_and_out_and_corrections_stay_apart(assignment, volunteer):
    signed_in(assignment)
    services.sign_out(volunteer, *INSIDE, at=at(0, 12, 5))
    office = vf.factories.UserFactory(roles=["volunteer_office"])
    services.correct_hours(volunteer, "-0.25", "Left for lunch", by=office)

    assert selectors.service_hours(volunteer) == {
        "signed": Decimal("4.25"),
        "corrections": Decimal("-0.25"),
        "total": Decimal("4.00"),
    }
    assert ActionLog.objects.filter(action="volunteers.hours_corrected", actor=office).count() == 1


@pytest.mark.parametrize(
    ("hours", "reason", "message"),
    [
        ("0", "x", "not zero"),
        ("25", "x", "between -24 and 24"),
        ("abc", "x", "as a number"),
        ("1", "  ", "Say why"),
    ],
)
def test_bad_hours_corrections_are_refused(volunteer, hours, reason, message):
    with pytest.raises(VolunteerError, match=message):
        services.correct_hours(volunteer, hours, reason)
    assert HoursCorrection.objects.count() == 0


def test_sign_out_without_a_duty_is_refused(volunteer):
    with pytest.raises(VolunteerError, match="not signed in"):
        services.sign_out(volunteer, at=at(0, 9))


def test_duties_left_open_close_at_shift_end_flagged(assignment, volunteer):
    signed_in(assignment)
    assert services.close_open_duties_at_shift_end(now=at(0, 11)) == 0
    assert services.close_open_duties_at_shift_end(now=at(0, 12, 30)) == 1

    duty = DutyRecord.objects.get()
    assert (duty.signed_out_at, duty.closed_at_shift_end) == (at(0, 12), True)


def test_no_shows_are_flagged_after_the_grace_period(assignment, volunteer):
    assert services.flag_no_shows(15, now=at(0, 8, 14)) == 0
    assert services.flag_no_shows(15, now=at(0, 8, 15)) == 1
    assert services.flag_no_shows(15, now=at(0, 8, 30)) == 0
    assert selectors.no_show_count(volunteer) == 1

    # Arriving late afterwards is a late arrival, not a no-show.
    duty = signed_in(assignment, at(0, 8, 40))
    assert duty.no_show is False
    assert selectors.no_show_count(volunteer) == 0


def test_no_shows_of_shifts_long_past_are_not_flagged(assignment):
    assert services.flag_no_shows(15, now=at(3, 9)) == 0


# --- Retention -----------------------------------------------------------------------------------


def test_purge_positions_of_a_summit_keeps_the_duty_times(summit, assignment, volunteer):
    signed_in(assignment)
    services.record_position(volunteer, *INSIDE, at=at(0, 8), now=at(0, 8))
    other = vf.AssignmentFactory()
    services.sign_in(other.application, other, *INSIDE, at=at(0, 7, 50))

    assert services.purge_positions(summit) == 2

    assert list(PositionPing.objects.values_list("application", flat=True)) == [
        other.application_id
    ]
    duty = DutyRecord.objects.get(assignment=assignment)
    assert (duty.signed_in_at, duty.sign_in_lat, duty.inside_geofence) == (at(0, 7, 50), None, True)


def test_purge_by_retention_deletes_only_older_positions(assignment, volunteer, settings):
    settings.VOLUNTEER_POSITION_RETENTION_DAYS = 30
    now = timezone.now()
    duty = DutyRecord.objects.create(
        assignment=assignment, signed_in_at=now - dt.timedelta(days=40)
    )
    PositionPing.objects.bulk_create(
        PositionPing(
            application=volunteer, duty=duty, at=now - dt.timedelta(days=days), lat=30, lon=120
        )
        for days in (40, 31, 29, 1)
    )
    call_command("purge_positions")
    assert PositionPing.objects.count() == 2


def test_purge_command_refuses_an_unknown_summit(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No summit 'nowhere'"):
        call_command("purge_positions", summit="nowhere")


def test_the_sweep_command_and_task_close_duties_and_flag_no_shows(summit):
    from huiwu.volunteers import tasks

    started = timezone.now() - dt.timedelta(hours=5)
    over = vf.AssignmentFactory(
        post_shift__post__summit=summit,
        post_shift__shift__start=started,
        post_shift__shift__end=started + dt.timedelta(hours=4),
    )
    services.sign_in(over.application, over, *INSIDE, at=started)
    missed = vf.AssignmentFactory(post_shift=over.post_shift)

    output = io.StringIO()
    call_command("volunteer_sweep", stdout=output)
    assert output.getvalue() == "Closed 1 duties at shift end; flagged 1 no-shows.\n"
    assert DutyRecord.objects.get(assignment=over).closed_at_shift_end is True
    assert DutyRecord.objects.get(assignment=missed).no_show is True
    assert tasks.sweep.call() == {"closed": 0, "no_shows": 0}
