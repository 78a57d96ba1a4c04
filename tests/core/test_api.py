"""The API as a whole: its OpenAPI document, its docs page, and how it refuses requests."""

import json
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from huiwu.summit.models import Forum

pytestmark = pytest.mark.django_db

PATHS = {
    "/api/v1/summits",
    "/api/v1/summits/{slug}",
    "/api/v1/figures",
    "/api/v1/forums",
    "/api/v1/forums/{slug}",
    "/api/v1/sessions",
    "/api/v1/sessions/{session_id}",
    "/api/v1/speakers",
    "/api/v1/speakers/{person_id}",
    "/api/v1/venues",
    "/api/v1/venues/{slug}",
    "/api/v1/rooms",
    "/api/v1/organisations",
    "/api/v1/organisations/{organisation_id}",
    "/api/v1/registrations",
    "/api/v1/registrations/{public_id}",
    "/api/v1/checkin/scan",
    "/api/v1/checkin/device",
    "/api/v1/checkin/offline-list",
    "/api/v1/checkin/sync",
    "/api/v1/checkin/guest-photo/{token}",
    "/api/v1/volunteers/me/shifts",
    "/api/v1/volunteers/me/trajectory",
    "/api/v1/volunteers/positions",
    "/api/v1/volunteers/positions/current",
    "/api/v1/volunteers/roster",
    "/api/v1/volunteers/sign-in",
    "/api/v1/volunteers/sign-out",
    "/api/v1/volunteers/volunteers/{volunteer}/trajectory",
    "/api/v1/awards/programmes",
    "/api/v1/awards/programmes/{slug}",
    "/api/v1/awards/programmes/{slug}/figures",
    "/api/v1/awards/programmes/{slug}/results",
    "/api/v1/command/incidents",
    "/api/v1/command/incidents/{public_id}",
    "/api/v1/command/incidents/{public_id}/suggestions",
    "/api/v1/command/incidents/{public_id}/dispatches",
    "/api/v1/command/incidents/{public_id}/status",
    "/api/v1/command/broadcasts",
    "/api/v1/command/me/tasks",
    "/api/v1/command/me/tasks/{task_id}/answer",
    "/api/v1/command/me/incidents",
}


def bad_slug_forum(client, programme):
    return client.post(
        "/api/v1/forums",
        json.dumps(
            {
                "slug": "not a slug!",
                "track": "technology",
                "title": {"zh-hans": "论坛", "en": "Forum"},
                "room": programme["rooms"][0].pk,
                "starts_at": "2024-11-20T14:00:00+08:00",
                "ends_at": "2024-11-20T15:00:00+08:00",
            }
        ),
        content_type="application/json",
    )


def test_openapi_document_lists_every_path_with_tags():
    response = Client().get("/api/v1/openapi.json")

    document = json.loads(response.content)
    operations = [op for path in document["paths"].values() for op in path.values()]
    assert response.status_code == 200
    assert document["info"]["title"] == "Huiwu API"
    assert set(document["paths"]) == PATHS
    assert {tag for op in operations for tag in op["tags"]} == {
        "Summits",
        "Forums",
        "Sessions",
        "Speakers",
        "Venues",
        "Institutions",
        "Registrations",
        "Check-in",
        "Volunteers",
        "Awards",
        "Command centre",
    }
    assert sorted(
        (method, path)
        for path, methods in document["paths"].items()
        for method, op in methods.items()
        if op.get("security")
    ) == [
        ("get", "/api/v1/checkin/device"),
        ("get", "/api/v1/checkin/offline-list"),
        ("get", "/api/v1/command/incidents"),
        ("get", "/api/v1/command/incidents/{public_id}"),
        ("get", "/api/v1/command/incidents/{public_id}/suggestions"),
        ("get", "/api/v1/command/me/tasks"),
        ("get", "/api/v1/registrations"),
        ("get", "/api/v1/volunteers/me/shifts"),
        ("get", "/api/v1/volunteers/me/trajectory"),
        ("get", "/api/v1/volunteers/positions/current"),
        ("get", "/api/v1/volunteers/roster"),
        ("get", "/api/v1/volunteers/volunteers/{volunteer}/trajectory"),
        ("patch", "/api/v1/forums/{slug}"),
        ("patch", "/api/v1/sessions/{session_id}"),
        ("post", "/api/v1/checkin/scan"),
        ("post", "/api/v1/checkin/sync"),
        ("post", "/api/v1/command/broadcasts"),
        ("post", "/api/v1/command/incidents"),
        ("post", "/api/v1/command/incidents/{public_id}/dispatches"),
        ("post", "/api/v1/command/incidents/{public_id}/status"),
        ("post", "/api/v1/command/me/incidents"),
        ("post", "/api/v1/command/me/tasks/{task_id}/answer"),
        ("post", "/api/v1/forums"),
        ("post", "/api/v1/sessions"),
        ("post", "/api/v1/volunteers/positions"),
        ("post", "/api/v1/volunteers/sign-in"),
        ("post", "/api/v1/volunteers/sign-out"),
    ]
    # Every shape of ours says what it is; ninja names its page wrappers itself.
    assert [
        name
        for name, schema in document["components"]["schemas"].items()
        if schema.get("type") == "object"
        and not name.startswith("Paged")
        and not schema.get("description")
    ] == []


def test_docs_page_loads_its_assets_from_the_platform_only():
    client = Client()
    response = client.get("/api/v1/docs")

    page = response.content.decode()
    addresses = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert response.status_code == 200
    assert "/api/v1/openapi.json" in page
    assert addresses, "the docs page loads Swagger UI"
    assert not re.findall(r"https?://", page)
    for address in addresses:
        assert not urlsplit(address).netloc, address
        assert client.get(address).status_code == 200, address


def test_errors_from_django_come_in_the_language_of_the_request(organiser, programme):
    chinese = Client(headers={"accept-language": "zh-hans"})
    english = Client(headers={"accept-language": "en"})
    chinese.force_login(organiser)
    english.force_login(organiser)

    zh_slug, en_slug = bad_slug_forum(chinese, programme), bad_slug_forum(english, programme)
    zh_missing = chinese.post("/api/v1/forums", "{}", content_type="application/json")
    en_missing = english.post("/api/v1/forums", "{}", content_type="application/json")

    assert (zh_slug.status_code, zh_slug.json()) == (
        422,
        # Django's own translation, full-width commas included.
        {"detail": "输入由字母，数字，下划线或连字符号组成的有效“字段”。", "field": "slug"},  # noqa: RUF001
    )
    assert en_slug.json() == {
        "detail": "Enter a valid “slug” consisting of letters, numbers, underscores or hyphens.",
        "field": "slug",
    }
    assert zh_missing.json()["detail"] == "这个字段是必填项。"
    assert en_missing.json()["detail"] == "This field is required."
    assert Forum.objects.count() == 2


def test_api_addresses_stay_unprefixed_whatever_the_language(programme):
    response = Client(headers={"accept-language": "zh-hans"}).get("/api/v1/forums/nope")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert set(response.json()) == {"detail"}


def test_writes_check_the_csrf_token(organiser, programme):
    client = Client(enforce_csrf_checks=True, headers={"accept-language": "en"})
    client.force_login(organiser)
    token = "a" * 32
    client.cookies["csrftoken"] = token
    before = Forum.objects.count()

    without = bad_slug_forum(client, programme)
    with_token = client.patch(
        "/api/v1/forums/ai",
        json.dumps({"capacity": 100}),
        content_type="application/json",
        headers={"x-csrftoken": token},
    )

    assert (without.status_code, without.json()) == (
        403,
        {"detail": "CSRF verification failed. Request aborted."},
    )
    assert with_token.status_code == 200
    assert Forum.objects.count() == before
    assert Forum.objects.get(slug="ai").capacity == 100


def test_malformed_json_is_a_400_with_a_sentence(organiser, programme):
    client = Client(headers={"accept-language": "en"})
    client.force_login(organiser)

    response = client.post("/api/v1/forums", '{"slug": ', content_type="application/json")

    assert (response.status_code, response.json()) == (400, {"detail": "Enter a valid JSON."})


def test_unknown_api_addresses_answer_json_404(db):
    for path in ("/api/v1/nonexistent", "/api/", "/api/v2/forums"):
        response = Client(headers={"accept-language": "en"}).get(path)
        assert (response.status_code, response.json()) == (
            404,
            {"detail": "There is no such address in the API; see /api/v1/docs."},
        )


def test_nul_characters_are_refused_with_400_before_any_query(programme):
    for path in ("/api/v1/speakers?q=%00", "/api/v1/forums/a%00b"):
        response = Client(headers={"accept-language": "en"}).get(path)
        assert (response.status_code, response.json()) == (
            400,
            {"detail": "The address contains a NUL character; please remove it."},
        )
    page = Client().get("/en/speakers/?q=%00")
    assert page.status_code == 400


def test_the_api_reads_the_language_from_the_header_not_the_site_cookie(programme):
    client = Client(headers={"accept-language": "en"})
    client.cookies["django_language"] = "zh-hans"
    response = client.get("/api/v1/forums/nope")
    assert response.json()["detail"].startswith("There is no published forum")
