"""The gates' HTTP API: device tokens, scans and their bad inputs, offline lists, sync, photo
links; and no descriptor in any answer."""

import datetime as dt
import hashlib
import hmac
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.crypto import salted_hmac
from PIL import Image

from huiwu.checkin import services
from huiwu.checkin.models import FaceDescriptor, Presence, ScanEvent
from huiwu.registration import services as registration_services
from huiwu.registration.badges import badge_token
from huiwu.registration.models import Status
from tests.checkin.factories import OBAMA, TWO_PEOPLE, enrolled, first_photo, moment
from tests.registration.test_views import decompression_bomb, truncated_jpeg

pytestmark = pytest.mark.django_db

SCAN = "/api/v1/checkin/scan"
OBAMA_PROBE = OBAMA / "obama2.jpg"


def device_client(token: str, language: str = "en") -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE=language)


def post_scan(client: Client, key="k1", when=None, frame: bytes | None = None, **fields):
    data = {"idempotency_key": key, "captured_at": (when or moment()).isoformat(), **fields}
    if frame is not None:
        data["frame"] = SimpleUploadedFile("frame.jpg", frame, "image/jpeg")
    return client.post(SCAN, data)


def jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "grey").save(buffer, format="JPEG", quality=50)
    return buffer.getvalue()


# --- Device tokens ---------------------------------------------------------------------------
def test_a_scan_without_a_token_is_refused_and_says_how_to_send_one(site):
    response = Client().post(SCAN, {"idempotency_key": "k", "captured_at": "2024-11-20T10:00"})
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Send the gate device's token in the header “Authorization: Bearer …”."
    }
    assert not ScanEvent.objects.exists()


def test_unknown_and_revoked_tokens_are_refused_in_the_readers_language(site):
    gate, token = site.gate()
    services.revoke_device(gate)
    guest = site.guest()
    for bad in (token, "made-up-token"):
        response = post_scan(device_client(bad), qr_token=badge_token(guest))
        assert response.status_code == 401
        assert response.json()["detail"] == (
            "This gate device token is unknown or has been revoked; "
            "ask the secretariat for a new one."
        )
    chinese = device_client("made-up-token", "zh-hans").get("/api/v1/checkin/device")
    assert chinese.status_code == 401
    assert not ScanEvent.objects.exists()


def test_the_device_reads_its_own_settings(site):
    _gate, token = site.gate(mode="identify")
    response = device_client(token).get("/api/v1/checkin/device")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "name": body["name"],
        "zone": str(site.main_hall),
        "direction": "in",
        "mode": "identify",
        "summit": "World Internet Conference Wuzhen Summit",
    }


def test_only_the_hash_of_a_token_is_stored(site):
    gate, token = site.gate()
    gate.refresh_from_db()
    assert gate.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps(list(type(gate).objects.values()), default=str)


# --- Scans -----------------------------------------------------------------------------------
def test_a_qr_scan_answers_with_the_decision_and_the_guest(site):
    guest = site.guest()
    _gate, token = site.gate()

    response = post_scan(device_client(token), qr_token=badge_token(guest))

    assert response.status_code == 200
    event = ScanEvent.objects.get()
    assert response.json() == {
        "decision": "admit",
        "reason": None,
        "message": "Welcome.",
        "guest": {"name": str(guest), "category": str(site.category), "photo_url": None},
        "zone": str(site.main_hall),
        "direction": "in",
        "event_id": event.pk,
        "replayed": False,
    }


def test_a_retried_scan_gets_the_first_answer_and_a_different_one_a_409(site):
    guest, other = site.guest(), site.guest()
    _gate, token = site.gate()
    client = device_client(token)
    first = post_scan(client, qr_token=badge_token(guest)).json()

    again = post_scan(client, qr_token=badge_token(guest))
    assert again.status_code == 200
    assert again.json() == {**first, "replayed": True}

    conflict = post_scan(client, qr_token=badge_token(other))
    assert conflict.status_code == 409
    assert conflict.json() == {
        "detail": "This idempotency key was already used for a different scan; "
        "send every new scan with a new key.",
        "field": "idempotency_key",
    }
    assert ScanEvent.objects.count() == 1
    assert list(Presence.objects.values_list("registration", flat=True)) == [guest.pk]


def test_a_denial_says_why_in_chinese_too(site):
    guest = site.guest(status=Status.SUBMITTED)
    _gate, token = site.gate()
    response = post_scan(device_client(token, "zh-hans"), qr_token="forged:badge")
    assert response.json()["decision"] == "deny"
    assert response.json()["reason"] == "invalid_badge"
    assert response.json()["guest"] is None
    assert response.json()["message"] != "This is not a valid badge of this summit."
    english = post_scan(device_client(token), key="k2", qr_token=badge_token(guest))
    assert english.json()["reason"] == "not_approved"


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (
            lambda: b"%PDF-1.4 not a picture",
            "This file is not a picture; send a JPEG, PNG or WebP photo.",
        ),
        (truncated_jpeg, "This picture is incomplete (the file was cut short); send it again."),
        (decompression_bomb, "This file claims an impossibly large picture and was refused."),
        (lambda: jpeg(640, 480), "No face in the camera picture; please look at the camera."),
    ],
    ids=["not-an-image", "truncated", "bomb", "no-face"],
)
def test_a_bad_frame_is_refused_with_the_reason_and_records_nothing(site, frame, message):
    guest = enrolled(site, first_photo(OBAMA))
    _gate, token = site.gate()

    response = post_scan(device_client(token), qr_token=badge_token(guest), frame=frame())

    assert response.status_code == 422
    assert response.json() == {"detail": message, "field": "frame"}
    assert not ScanEvent.objects.exists()
    assert not Presence.objects.exists()


def test_a_fifty_megapixel_frame_is_decided_without_error(site):
    guest = enrolled(site, first_photo(OBAMA))
    _gate, token = site.gate()
    response = post_scan(device_client(token), qr_token=badge_token(guest), frame=jpeg(8660, 5774))
    assert response.status_code == 422
    assert response.json()["field"] == "frame"
    assert not ScanEvent.objects.exists()


def test_a_frame_with_several_faces_is_decided_on_the_largest_face(site):
    guest = enrolled(site, first_photo(OBAMA))
    _gate, token = site.gate(mode="identify")
    response = post_scan(device_client(token), frame=TWO_PEOPLE.read_bytes())
    assert response.status_code == 200
    assert response.json()["decision"] in {"admit", "no_match"}
    assert ScanEvent.objects.count() == 1
    if response.json()["decision"] == "admit":
        assert ScanEvent.objects.get().registration == guest


def test_missing_or_malformed_fields_are_refused(site):
    _gate, token = site.gate()
    client = device_client(token)
    missing = client.post(SCAN, {"captured_at": moment().isoformat(), "qr_token": "x"})
    assert missing.status_code == 422
    assert missing.json()["field"] == "idempotency_key"
    malformed = client.post(SCAN, {"idempotency_key": "k", "captured_at": "yesterday"})
    assert (malformed.status_code, malformed.json()["field"]) == (422, "captured_at")
    nothing = post_scan(client)
    assert nothing.json() == {
        "detail": "Send a QR token, a document number or a camera frame.",
        "field": "qr_token",
    }
    assert not ScanEvent.objects.exists()


def test_the_admitted_guests_photo_comes_through_a_short_lived_link(site, media):
    guest = enrolled(site, first_photo(OBAMA))
    _gate, token = site.gate()
    answer = post_scan(device_client(token), qr_token=badge_token(guest)).json()

    link = answer["guest"]["photo_url"]
    photo = Client().get(link)
    assert photo.status_code == 200
    assert photo["Content-Type"] == "image/jpeg"
    assert b"".join(photo.streaming_content) == first_photo(OBAMA).read_bytes()
    forged = Client().get(link[:-3] + "abc/")
    assert forged.status_code == 404


def test_no_answer_of_the_api_carries_a_descriptor(site):
    guest = enrolled(site, first_photo(OBAMA))
    _gate, token = site.gate()
    client = device_client(token)
    vector = bytes(FaceDescriptor.objects.get().vector)
    answers = [
        post_scan(client, qr_token=badge_token(guest), frame=OBAMA_PROBE.read_bytes()),
        client.get("/api/v1/checkin/device"),
        client.get("/api/v1/checkin/offline-list"),
        client.post(
            "/api/v1/checkin/sync",
            {"events": [sync_event("s1", badge_token(guest))]},
            content_type="application/json",
        ),
        Client().get("/api/v1/openapi.json"),
    ]
    for response in answers:
        assert response.status_code == 200
        assert vector not in response.content
        assert b"descriptor" not in response.content.lower()
        assert b"vector" not in response.content.lower()
    schema = answers[-1].json()["components"]["schemas"]
    assert not [name for name in schema if "Descriptor" in name]


# --- Offline list and sync ------------------------------------------------------------------------
def sync_event(key: str, token: str, decision: str = "admit", when=None) -> dict:
    return {
        "idempotency_key": key,
        "captured_at": (when or moment()).isoformat(),
        "qr_token": token,
        "decision": decision,
    }


def test_the_offline_list_holds_the_zones_guests_as_signed_badge_hashes(site):
    allowed = site.guest()
    site.guest(status=Status.SUBMITTED)
    site.guest(badge_revoked=True)
    _gate, token = site.gate()

    response = device_client(token).get("/api/v1/checkin/offline-list")

    assert response.status_code == 200
    body = response.json()
    hashed = hashlib.sha256(badge_token(allowed).encode()).hexdigest()
    assert body["entries"] == [
        {"badge": hashed, "name": str(allowed), "category": str(site.category)}
    ]
    assert badge_token(allowed) not in response.content.decode()
    issued, expires = (dt.datetime.fromisoformat(body[k]) for k in ("issued_at", "expires_at"))
    assert expires - issued == dt.timedelta(hours=12)
    unsigned = {key: value for key, value in body.items() if key != "signature"}
    canonical = json.dumps(unsigned, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    expected = salted_hmac("huiwu.checkin.offline-list", canonical, algorithm="sha256")
    assert hmac.compare_digest(body["signature"], expected.hexdigest())


def test_a_forum_rooms_offline_list_holds_the_seat_holders_of_its_forums_in_its_lifetime(site):
    seated = site.guest()
    site.seat(seated)
    site.guest()
    gate, _token = site.gate(site.forum_room)

    morning = services.signed_offline_list(gate, now=moment(-180))  # 7:00, list until 19:00
    evening = services.signed_offline_list(gate, now=moment(180))  # 13:00, forum over

    assert [entry["name"] for entry in morning["entries"]] == [str(seated)]
    assert evening["entries"] == []


def test_sync_records_offline_scans_once_and_merges_duplicates(site):
    first, second = site.guest(), site.guest()
    _gate, token = site.gate()
    client = device_client(token)
    batch = [
        sync_event("o1", badge_token(first), when=moment(1)),
        sync_event("o2", badge_token(second), "deny", when=moment(2)),
    ]

    response = client.post("/api/v1/checkin/sync", {"events": batch}, "application/json")
    again = client.post(
        "/api/v1/checkin/sync",
        {"events": [*batch, sync_event("o1", badge_token(second))]},
        "application/json",
    )

    assert response.status_code == 200
    assert [(r["outcome"], r["decision"]) for r in response.json()["results"]] == [
        ("recorded", "admit"),
        ("recorded", "deny"),
    ]
    refused = ScanEvent.objects.get(idempotency_key="o2")
    assert (refused.reason, refused.moved) == ("not_on_list", False)
    assert [r["outcome"] for r in again.json()["results"]] == ["duplicate", "duplicate", "conflict"]
    assert ScanEvent.objects.count() == 2
    assert list(Presence.objects.filter(inside=True).values_list("registration", flat=True)) == [
        first.pk
    ]
    event = ScanEvent.objects.get(idempotency_key="o1")
    assert (event.method, event.captured_at) == ("offline", moment(1))


def test_an_offline_admit_the_rules_would_refuse_is_recorded_for_review(site, organiser):
    guest = site.guest()
    token = badge_token(guest)
    registration_services.revoke_badge(guest, by=organiser, reason="lost")
    _gate, device_token = site.gate()

    response = device_client(device_token).post(
        "/api/v1/checkin/sync", {"events": [sync_event("o1", token)]}, "application/json"
    )

    result = response.json()["results"][0]
    assert (result["outcome"], result["decision"], result["review"]) == (
        "recorded",
        "admit",
        "revoked",
    )


def test_an_offline_entry_older_than_a_known_exit_does_not_put_the_guest_back_inside(site):
    guest = site.guest()
    entry, entry_token = site.gate()
    exit_gate, _token = site.gate(direction="out")
    services.scan(entry, idempotency_key="a", captured_at=moment(0), qr_token=badge_token(guest))
    services.scan(
        exit_gate, idempotency_key="b", captured_at=moment(30), qr_token=badge_token(guest)
    )

    response = device_client(entry_token).post(
        "/api/v1/checkin/sync",
        {"events": [sync_event("late", badge_token(guest), when=moment(10))]},
        "application/json",
    )

    assert response.json()["results"][0]["outcome"] == "recorded"
    assert Presence.objects.get(registration=guest).inside is False
    assert ScanEvent.objects.get(idempotency_key="late").moved is False


@pytest.mark.parametrize(
    "event",
    [
        {"idempotency_key": "x", "captured_at": "soon", "qr_token": "t", "decision": "admit"},
        {"idempotency_key": "x", "captured_at": "2024-11-20T10:00:00+08:00", "decision": "admit"},
        {
            "idempotency_key": "x",
            "captured_at": "2024-11-20T10:00:00+08:00",
            "qr_token": "t",
            "decision": "maybe",
        },
    ],
    ids=["bad-time", "no-token", "bad-decision"],
)
def test_a_malformed_batch_records_nothing(site, event):
    guest = site.guest()
    _gate, token = site.gate()
    good = sync_event("good", badge_token(guest))
    response = device_client(token).post(
        "/api/v1/checkin/sync", {"events": [good, event]}, "application/json"
    )
    assert response.status_code == 422
    assert set(response.json()) >= {"detail", "field"}
    assert not ScanEvent.objects.exists()


def test_a_scan_that_can_never_be_recorded_is_answered_and_the_rest_of_the_batch_recorded(site):
    """Answered as a conflict, the gate drops it from its queue: it does not block the scans
    after it (the ancient one would otherwise come first, oldest first, every time)."""
    guest = site.guest()
    _gate, token = site.gate()
    batch = [
        sync_event("good", badge_token(guest)),
        {**sync_event("ancient", badge_token(guest)), "captured_at": "0001-01-01T00:00:00"},
        {**sync_event("future", badge_token(guest)), "captured_at": "2999-01-01T10:00:00+08:00"},
        sync_event(" ", badge_token(guest)),
    ]

    response = device_client(token).post(
        "/api/v1/checkin/sync", {"events": batch}, "application/json"
    )

    assert response.status_code == 200
    assert [(r["outcome"], r["event_id"], r["detail"]) for r in response.json()["results"]] == [
        ("recorded", ScanEvent.objects.get().pk, ""),
        ("conflict", None, "The capture time lies before the summit; check the device's clock."),
        ("conflict", None, "The capture time lies in the future; check the device's clock."),
        ("conflict", None, "Send an idempotency key of 1 to 100 printable characters."),
    ]
    assert ScanEvent.objects.get().idempotency_key == "good"


def test_a_scan_captured_long_before_the_summit_is_a_422_and_records_nothing(site):
    _gate, token = site.gate()

    response = post_scan(
        device_client(token), when=dt.datetime(1, 1, 1), qr_token=badge_token(site.guest())
    )

    assert (response.status_code, response.json()) == (
        422,
        {
            "detail": "The capture time lies before the summit; check the device's clock.",
            "field": "captured_at",
        },
    )
    assert not ScanEvent.objects.exists()
