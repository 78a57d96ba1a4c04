"""Who reaches what: the volunteers admin is the office's and the secretariat's; the rules
predicates give each role exactly its part."""

import pytest

from huiwu.volunteers import rules, selectors
from tests import factories
from tests.volunteers import factories as vf

pytestmark = pytest.mark.django_db

ADMIN = "/en/admin/volunteers/application/"


def staff(role):
    user = factories.UserFactory(roles=[role])
    user.is_staff = True
    user.save()
    return user


def test_the_office_fixes_applications_in_the_admin(client, summit):
    application = vf.ApplicationFactory(summit=summit)
    client.force_login(staff("volunteer_office"))

    assert client.get(ADMIN).status_code == 200
    assert client.get(f"{ADMIN}{application.pk}/change/").status_code == 200


@pytest.mark.parametrize("role", ["forum_organiser", "command_operator"])
def test_other_staff_do_not_reach_the_volunteers_admin(client, summit, role):
    vf.ApplicationFactory(summit=summit)
    client.force_login(staff(role))
    assert client.get(ADMIN).status_code == 403


def test_positions_are_never_typed_in_the_admin(client, summit):
    client.force_login(staff("volunteer_office"))
    assert client.get("/en/admin/volunteers/positionping/add/").status_code == 403


def test_each_role_sees_exactly_its_applications(summit):
    mine, other = vf.ApplicationFactory.create_batch(2, summit=summit)
    office = factories.UserFactory(roles=["volunteer_office"])
    command = factories.UserFactory(roles=["command_operator"])

    assert list(selectors.applications_for(mine.user, summit)) == [mine]
    assert set(selectors.applications_for(office, summit)) == {mine, other}
    assert list(selectors.applications_for(command, summit)) == []
    assert rules.can_view_application(mine.user, mine)
    assert not rules.can_view_application(mine.user, other)
    assert rules.can_view_trajectory(command, other)
    assert not rules.can_view_trajectory(mine.user, other)
    assert not rules.can_manage_volunteers(command)
    assert rules.can_manage_volunteers(office)
