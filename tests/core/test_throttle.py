"""Limits on failed guesses: passwords on every sign-in form (the admin's too), gate device
tokens and guests' personal links. Past a limit even the right secret is refused, until the
window that opened with the first failure has passed."""

import time
from types import SimpleNamespace

import pytest
from django.test import Client

from huiwu.checkin.models import ScanEvent
from huiwu.core import throttle
from huiwu.core.models import ActionLog
from tests import factories
from tests.checkin.factories import make_site
from tests.registration import factories as rf

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-123"  # the factories' password
SIGN_IN_PAGES = [
    "/en/command/login/",
    "/en/checkin/login/",
    "/en/awards/login/",
    "/en/volunteers/sign-in/",
    "/en/admin/login/",
]
LOCKED = (
    "Too many failed attempts to sign in: signing in is paused for your safety. "
    "Try again in about {} minutes."
)
LOCKED_ZH = "登录失败次数过多：为保护您的账户，登录已暂停。请约 {} 分钟后再试。"  # noqa: RUF001


def sign_in(client: Client, username: str, password: str, page: str = SIGN_IN_PAGES[0]):
    return client.post(page, {"username": username, "password": password})


def errors(response) -> list[str]:
    return list(response.context["form"].non_field_errors())


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail(client: Client, username: str, times: int, page: str = SIGN_IN_PAGES[0]) -> None:
    for _ in range(times):
        response = sign_in(client, username, "wrong-password", page)
        assert response.status_code == 200
        assert LOCKED.format(15) not in errors(response)


@pytest.fixture
def staff(summit):
    return factories.UserFactory(username="alice", roles=["organiser"], is_staff=True)


@pytest.fixture
def clock(monkeypatch):
    """Move the throttle's clock: ``clock(minutes)`` from now on."""
    start = time.time()

    def move(minutes: float) -> None:
        monkeypatch.setattr(throttle, "time", SimpleNamespace(time=lambda: start + minutes * 60))

    return move


# --- Sign-in ----------------------------------------------------------------------------------
@pytest.mark.parametrize("page", SIGN_IN_PAGES)
def test_the_eleventh_wrong_password_is_refused_and_then_the_right_one_too(staff, page):
    client = Client()
    fail(client, "alice", 10, page)
    assert errors(sign_in(client, "alice", "wrong-password", page)) == [LOCKED.format(15)]
    response = sign_in(client, "alice", PASSWORD, page)
    assert response.status_code == 200
    assert errors(response) == [LOCKED.format(15)]
    assert not signed_in(client)


def test_the_lock_is_shared_by_every_sign_in_form_and_audited(staff):
    fail(Client(), "alice", 10, "/en/admin/login/")
    response = sign_in(Client(), "alice", PASSWORD, "/en/volunteers/sign-in/")
    assert errors(response) == [LOCKED.format(15)]
    log = ActionLog.objects.get(action="sign_in.locked")
    assert (log.subject, log.data) == (staff, {"address": "127.0.0.1", "everywhere": False})


def test_the_account_is_locked_whatever_the_case_of_its_name_but_not_elsewhere_at_once(staff):
    fail(Client(), "ALICE", 10)
    assert errors(sign_in(Client(), "alice", PASSWORD)) == [LOCKED.format(15)]
    # Somebody guessing alice's password elsewhere does not lock alice out where she is.
    elsewhere = Client(REMOTE_ADDR="10.1.2.3")
    assert sign_in(elsewhere, "alice", PASSWORD).status_code == 302


def test_guesses_at_one_account_from_many_addresses_lock_it_everywhere(staff, settings):
    settings.SIGN_IN_FAILURES_PER_ACCOUNT_TOTAL = 25
    for address in ("10.0.0.1", "10.0.0.2"):
        fail(Client(REMOTE_ADDR=address), "alice", 10)
    fail(Client(REMOTE_ADDR="10.0.0.3"), "alice", 5)

    anywhere = Client(REMOTE_ADDR="10.0.0.4")
    assert errors(sign_in(anywhere, "alice", PASSWORD)) == [LOCKED.format(15)]
    assert not signed_in(anywhere)
    assert ActionLog.objects.filter(
        action="sign_in.locked", data__everywhere=True, object_id=staff.pk
    ).exists()


def test_another_account_from_another_address_is_unaffected(staff):
    fail(Client(), "alice", 10)
    assert errors(sign_in(Client(), "alice", PASSWORD)) == [LOCKED.format(15)]
    factories.UserFactory(username="bob", roles=["organiser"])
    other = Client(REMOTE_ADDR="10.1.2.3")
    assert sign_in(other, "bob", PASSWORD).status_code == 302
    assert signed_in(other)


def test_a_successful_sign_in_clears_the_accounts_failures(staff):
    fail(Client(), "alice", 9)
    assert sign_in(Client(), "alice", PASSWORD).status_code == 302
    fail(Client(), "alice", 9)
    client = Client()
    assert sign_in(client, "alice", PASSWORD).status_code == 302
    assert signed_in(client)


def test_an_address_is_refused_after_fifty_failures_whatever_the_accounts(staff):
    crowd = Client(REMOTE_ADDR="10.9.9.9")
    for index in range(50):
        fail(crowd, f"guess{index}", 1)
    response = sign_in(crowd, "alice", PASSWORD)
    assert errors(response) == [LOCKED.format(15)]
    assert not signed_in(crowd)
    # The account itself failed nowhere: from another address it signs in.
    assert sign_in(Client(), "alice", PASSWORD).status_code == 302
    assert not ActionLog.objects.filter(action="sign_in.locked").exists()


def test_the_lock_says_when_to_try_again_and_ends_with_its_window(staff, clock):
    client = Client()
    fail(client, "alice", 10)
    clock(10)
    assert errors(sign_in(client, "alice", PASSWORD)) == [LOCKED.format(5)]
    clock(15.1)
    assert sign_in(client, "alice", PASSWORD).status_code == 302
    assert signed_in(client)


def test_a_missing_password_is_not_counted_and_clears_nothing(staff):
    client = Client()
    fail(client, "alice", 9)
    response = client.post(SIGN_IN_PAGES[0], {"username": "alice", "password": ""})
    assert response.context["form"].errors["password"] == ["This field is required."]
    fail(client, "alice", 1)
    assert errors(sign_in(client, "alice", PASSWORD)) == [LOCKED.format(15)]


def test_the_lock_is_said_in_chinese_too(staff):
    client = Client()
    fail(client, "alice", 10)
    response = sign_in(client, "alice", PASSWORD, "/zh-hans/command/login/")
    assert errors(response) == [LOCKED_ZH.format(15)]


# --- Gate devices -----------------------------------------------------------------------------
DEVICE = "/api/v1/checkin/device"
DEVICE_LOCKED = (
    "Too many unknown gate device tokens came from this address; use the token the secretariat "
    "gave for this gate."
)


def device(token: str, address: str = "127.0.0.1", language: str = "en"):
    client = Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE=language)
    return client.get(DEVICE, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_gates_api_answers_429_after_fifty_unknown_tokens_but_never_locks_a_real_gate(summit):
    _gate, token = make_site(summit).gate()
    for index in range(50):
        assert device(f"guess-{index}").status_code == 401
    response = device("guess-50")
    assert response.status_code == 429
    assert response.json() == {"detail": DEVICE_LOCKED}
    # The gates on the same venue network go on letting guests in.
    assert device(token).status_code == 200
    assert device("guess-51", address="10.1.2.3").status_code == 401
    assert not ScanEvent.objects.exists()


def test_gates_api_lock_is_said_in_chinese_too(summit):
    for index in range(50):
        device(f"guess-{index}")
    response = device("guess-50", language="zh-hans")
    assert response.status_code == 429
    assert response.json() == {
        "detail": "来自此地址的未知闸机令牌过多；请使用秘书处为本闸机发放的令牌。"  # noqa: RUF001
    }


def test_gates_api_without_a_token_counts_no_guess(summit):
    for _ in range(25):
        assert Client().get(DEVICE).status_code == 401
    _gate, token = make_site(summit).gate()
    assert device(token).status_code == 200


# --- Personal links ---------------------------------------------------------------------------
LINK_LOCKED = (
    "Too many links that do not work were opened from your network. Try again in about 10 "
    "minutes, with the whole address from the e-mail."
)


def test_wrong_personal_links_are_answered_429_after_fifty_but_a_right_one_opens(summit):
    guest = rf.RegistrationFactory(summit=summit)
    for index in range(50):
        assert Client().get(f"/en/register/r/wrong-{index}/").status_code == 404
    response = Client().get("/en/register/r/wrong-50/")
    assert response.status_code == 429
    assert LINK_LOCKED in response.content.decode()
    assert "<h1>Please wait a few minutes</h1>" in response.content.decode()
    assert 590 < int(response["Retry-After"]) <= 600
    # A guest on the same network still opens their page (and their e-badge).
    assert Client().get(f"/en/register/r/{guest.access_key}/").status_code == 200
    elsewhere = Client(REMOTE_ADDR="10.1.2.3")
    assert elsewhere.get("/en/register/r/wrong-51/").status_code == 404


def test_wrong_invitations_and_delegations_count_as_wrong_links(summit):
    for index in range(25):
        assert Client().get(f"/en/register/invitation/wrong-{index}/").status_code == 404
        assert Client().get(f"/en/register/delegation/wrong-{index}/").status_code == 404
    assert Client().get("/en/register/invitation/another/").status_code == 429


def test_the_registration_api_answers_429_in_json_after_fifty_wrong_keys(summit):
    guest = rf.RegistrationFactory(summit=summit)
    url = f"/api/v1/registrations/{guest.public_id}"
    for index in range(50):
        assert Client().get(url, {"key": f"wrong-{index}"}).status_code == 404
    response = Client().get(url, {"key": "wrong-50"})
    assert response.status_code == 429
    assert response.json() == {"detail": LINK_LOCKED}
    assert Client().get(url, {"key": guest.access_key}).status_code == 200
