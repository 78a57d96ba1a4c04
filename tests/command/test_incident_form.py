"""The new-incident form of the command staff: nothing chosen for them, and never an incident
without a place; what it needs listed as each language lists."""

import pytest
from django.utils import translation

from huiwu.command.forms import IncidentForm
from huiwu.summit.templatetags.summit_pages import listing
from huiwu.volunteers.models import Skill
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_type_is_not_chosen_in_advance(summit):
    form = IncidentForm(summit=summit)
    assert form["kind"].value() in (None, "")
    assert '<option value="" selected>' in str(form["kind"])


@pytest.mark.parametrize(
    "language,sentence",
    [
        ("en", "Say where: choose a venue, zone or post, click the map, or describe the place."),
        ("zh-hans", "请说明地点：选择场馆、区域或岗位，在地图上点选，或描述具体位置。"),  # noqa: RUF001
    ],
)
def test_an_incident_without_any_place_is_refused_in_the_readers_language(
    summit, language, sentence
):
    with translation.override(language):
        form = IncidentForm({"kind": "medical", "priority": "2"}, summit=summit)
        assert not form.is_valid()
        assert form.non_field_errors() == [sentence]


@pytest.mark.parametrize(
    "where",
    [{"place": "Hall 1, east door"}, {"lat": "30.7481", "lon": "120.4901"}, {"venue": "venue"}],
)
def test_any_one_place_is_enough(summit, where):
    if where.get("venue"):
        where = {"venue": str(factories.VenueFactory(summit=summit).pk)}
    form = IncidentForm({"kind": "medical", "priority": "2", **where}, summit=summit)
    assert form.is_valid(), form.errors


def test_no_type_is_refused(summit):
    form = IncidentForm({"priority": "2", "place": "Hall 1"}, summit=summit)
    assert not form.is_valid()
    assert "kind" in form.errors


@pytest.mark.parametrize(
    ("language", "listed"),
    [("en", "First aid, Protocol and etiquette"), ("zh-hans", "急救、礼宾礼仪")],
)
def test_needs_are_listed_as_the_language_lists(language, listed):
    with translation.override(language):
        assert listing([Skill.FIRST_AID.label, Skill.PROTOCOL.label]) == listed
