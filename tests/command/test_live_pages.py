"""The dashboard and the map: command staff only (others are sent to sign in, or refused), in
both languages, with their labels and settings for the scripts; the site's navigation links
to them for command staff only."""

import json
import re

import pytest
from django.urls import reverse
from django.utils import translation

from huiwu.command.models import WalkingPaths
from tests import factories
from tests.command.factories import on_duty
from tests.volunteers import factories as vf

LANGUAGES = ["en", "zh-hans"]
PAGES = ["command:dashboard", "command:map"]


def url(name: str, language: str) -> str:
    with translation.override(language):
        return reverse(name)


def script_json(response, element_id: str):
    match = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    return json.loads(match.group(1))


@pytest.fixture
def operator(db):
    return factories.UserFactory(roles=["command_operator"])


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, summit, name, language):
    address = url(name, language)
    response = client.get(address)
    assert response.status_code == 302
    assert response.url == f"{url('command:login', language)}?next={address}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_volunteers_and_gate_staff_are_refused(client, summit, name, language):
    for user in (on_duty(summit).user, factories.UserFactory(roles=["gate_staff"])):
        client.force_login(user)
        assert client.get(url(name, language)).status_code == 403


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_command_staff_see_the_live_pages_in_their_language(
    client, summit, operator, name, language
):
    post = vf.PostFactory(summit=summit)
    client.force_login(operator)
    response = client.get(url(name, language))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    labels = script_json(response, "command-labels")
    config = script_json(response, "command-config")
    with translation.override(language):
        assert labels["posts"][str(post.pk)]["name"] == post.name.localize(language)
        assert labels["post_kinds"]["medical_aide"] == str(
            dict(vf.vm.PostKind.choices)["medical_aide"]
        )
    assert config["socket"] == "/ws/command/"
    assert config["trajectory_url"] == "/api/v1/volunteers/volunteers/{id}/trajectory"
    assert config["incident_url"] == url("command:dashboard", language) + "incidents/{id}/"
    assert 'data-connection data-state="connecting"' in response.content.decode()


def test_the_pages_carry_the_summits_walking_paths(client, summit, operator):
    paths = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"kind": "path"},
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[120.48, 30.74], [120.49, 30.75]],
                },
            }
        ],
    }
    WalkingPaths.objects.create(summit=summit, geojson=paths)
    client.force_login(operator)
    assert script_json(client.get(url("command:map", "en")), "command-paths") == paths


def test_the_chinese_dashboard_speaks_chinese(client, summit, operator):
    client.force_login(operator)
    page = client.get(url("command:dashboard", "zh-hans")).content.decode()
    assert '<html lang="zh-hans">' in page


def test_the_site_navigation_links_to_the_command_centre_for_command_staff_only(
    client, summit, operator
):
    dashboard = url("command:dashboard", "en")
    home = url("summit:home", "en")
    assert dashboard not in client.get(home).content.decode()
    client.force_login(on_duty(summit).user)
    assert dashboard not in client.get(home).content.decode()
    for staff in (operator, factories.UserFactory(roles=["organiser"])):
        client.force_login(staff)
        assert f'<a href="{dashboard}"' in client.get(home).content.decode()
        assert client.get(dashboard).status_code == 200
