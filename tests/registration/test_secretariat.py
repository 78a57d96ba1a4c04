"""The secretariat's pages: the review queue and its filters, decisions singly and in bulk,
a guest's file, badges, forum seats, exports, invitations and the badge print runs."""

import csv
import io
import re
from html import unescape

import pypdf
import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from huiwu.core.i18n import i18n
from huiwu.core.models import ActionLog
from huiwu.registration import badges, exports
from huiwu.registration.models import (
    Invitation,
    Registration,
    SeatHold,
    SeatRequest,
    SeatStatus,
    Status,
)
from tests import factories
from tests.registration.factories import (
    GuestCategoryFactory,
    InvitationFactory,
    RegistrationFactory,
    SeatHoldFactory,
    SeatRequestFactory,
)

pytestmark = pytest.mark.django_db

IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def url(name: str, *args, language: str = "en", **query) -> str:
    with translation.override(language):
        path = reverse(f"secretariat:{name}", args=args)
    if query:
        path += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return path


def text(response) -> str:
    return unescape(response.content.decode())


def shown_emails(response) -> list[str]:
    """The e-mail addresses of the guests listed in the queue, in order."""
    return re.findall(r'<span class="guest-email">([^<]*)</span>', response.content.decode())


def states(*registrations) -> list[str]:
    return [Registration.objects.get(pk=r.pk).status for r in registrations]


@pytest.fixture
def category(summit):
    return GuestCategoryFactory(summit=summit, code="gov", badge_colour="#b42318")


@pytest.fixture
def client_of(client):
    def log_in(user):
        client.force_login(user)
        return client

    return log_in


# --- The queue ---------------------------------------------------------------------------------


def test_queue_lists_registrations_with_counts_per_status(client_of, organiser, summit, category):
    submitted = RegistrationFactory.create_batch(3, summit=summit, category=category)
    RegistrationFactory(summit=summit, category=category, status=Status.APPROVED)

    response = client_of(organiser).get(url("queue"))

    assert response.status_code == 200
    assert len(shown_emails(response)) == 4
    page = text(response)
    assert re.search(r'id="count-all">4<', page)
    assert re.search(r'id="count-submitted">3<', page)
    assert re.search(r'id="count-approved">1<', page)
    assert set(shown_emails(response)) >= {r.email for r in submitted}


def test_queue_filters_by_status_category_nationality_forum_and_text(
    client_of, organiser, summit, category
):
    other = GuestCategoryFactory(summit=summit, code="media")
    forum = factories.ForumFactory(summit=summit, slug="ai")
    wanted = RegistrationFactory(
        summit=summit,
        category=category,
        nationality="BR",
        name="Ana Souza",
        organisation_name="Universidade de São Paulo",
    )
    SeatRequestFactory(registration=wanted, forum=forum)
    RegistrationFactory(summit=summit, category=other, nationality="BR", name="Ana Other")
    RegistrationFactory(summit=summit, category=category, nationality="FR", name="Ana France")
    RegistrationFactory(summit=summit, category=category, nationality="BR", status=Status.APPROVED)
    client = client_of(organiser)

    response = client.get(
        url(
            "queue",
            status="submitted",
            category="gov",
            nationality="BR",
            forum="ai",
            q="ana+paulo",
        )
    )

    assert shown_emails(response) == [wanted.email]
    assert re.search(r'id="count-submitted">1<', text(response))


def test_queue_ignores_unknown_filter_values(client_of, organiser, summit, category):
    RegistrationFactory.create_batch(2, summit=summit, category=category)

    response = client_of(organiser).get(url("queue", status="bogus", order="sideways", page="x"))

    assert response.status_code == 200
    assert len(shown_emails(response)) == 2


def test_queue_shows_one_hundred_registrations_a_page(client_of, organiser, summit, category):
    RegistrationFactory.create_batch(105, summit=summit, category=category)
    client = client_of(organiser)

    first = client.get(url("queue", order="oldest"))
    second = client.get(url("queue", order="oldest", page=2))

    assert (len(shown_emails(first)), len(shown_emails(second))) == (100, 5)
    assert not set(shown_emails(first)) & set(shown_emails(second))


def test_queue_answers_htmx_with_the_results_and_fresh_counts(
    client_of, organiser, summit, category
):
    RegistrationFactory(summit=summit, category=category, status=Status.REJECTED)

    response = client_of(organiser).get(url("queue", status="rejected"), HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert '<div id="queue-results"' in page
    assert "<html" not in page
    assert 'id="count-rejected" hx-swap-oob="true">1<' in page


# --- Deciding in bulk --------------------------------------------------------------------------


def test_bulk_approve_approves_the_selected_and_tells_each_guest(
    client_of, organiser, summit, category, django_capture_on_commit_callbacks
):
    chosen = RegistrationFactory.create_batch(2, summit=summit, category=category)
    left = RegistrationFactory(summit=summit, category=category)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_of(organiser).post(
            url("bulk"),
            {
                "summit": summit.slug,
                "action": "approve",
                "ids": [str(r.public_id) for r in chosen],
            },
            follow=True,
        )

    assert states(*chosen, left) == [Status.APPROVED, Status.APPROVED, Status.SUBMITTED]
    assert "2 registrations approved." in text(response)
    assert sorted(message.to[0] for message in mail.outbox) == sorted(r.email for r in chosen)
    entry = ActionLog.objects.get(action="registration.approved", object_id=str(chosen[0].pk))
    assert entry.actor == organiser


@pytest.mark.parametrize("action", ["reject", "request_info"])
def test_bulk_refusal_without_a_reason_changes_nothing_and_keeps_the_selection(
    client_of, organiser, summit, category, action, django_capture_on_commit_callbacks
):
    chosen = RegistrationFactory.create_batch(2, summit=summit, category=category)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_of(organiser).post(
            url("bulk"),
            {
                "summit": summit.slug,
                "action": action,
                "reason": "   ",
                "ids": [str(r.public_id) for r in chosen],
            },
        )

    assert response.status_code == 400
    assert "Please give the guests a reason." in text(response)
    assert states(*chosen) == [Status.SUBMITTED, Status.SUBMITTED]
    checked = re.findall(r'name="ids" value="([^"]+)" checked', response.content.decode())
    assert sorted(checked) == sorted(str(r.public_id) for r in chosen)
    assert mail.outbox == []


def test_bulk_reject_with_a_reason_rejects_and_reports_those_that_could_not_change(
    client_of, organiser, summit, category
):
    submitted = RegistrationFactory(summit=summit, category=category)
    withdrawn = RegistrationFactory(summit=summit, category=category, status=Status.WITHDRAWN)

    response = client_of(organiser).post(
        url("bulk"),
        {
            "summit": summit.slug,
            "action": "reject",
            "reason": "The guest list of this delegation is full.",
            "ids": [str(submitted.public_id), str(withdrawn.public_id)],
        },
        follow=True,
    )

    assert states(submitted, withdrawn) == [Status.REJECTED, Status.WITHDRAWN]
    page = text(response)
    assert "1 registration rejected." in page
    assert "1 registration could not change: its status does not allow it." in page
    assert Registration.objects.get(pk=submitted.pk).decision_reason == (
        "The guest list of this delegation is full."
    )


def test_bulk_decision_can_take_every_registration_matching_the_filters(
    client_of, organiser, summit, category
):
    french = RegistrationFactory.create_batch(3, summit=summit, category=category, nationality="FR")
    german = RegistrationFactory(summit=summit, category=category, nationality="DE")

    client_of(organiser).post(
        url("bulk"),
        {
            "summit": summit.slug,
            "nationality": "FR",
            "status": "submitted",
            "scope": "matching",
            "action": "request_info",
            "reason": "Please send a photo.",
        },
    )

    assert states(*french, german) == [Status.INFO_REQUESTED] * 3 + [Status.SUBMITTED]


def test_bulk_decision_with_nothing_selected_says_so(client_of, organiser, summit, category):
    RegistrationFactory(summit=summit, category=category)

    response = client_of(organiser).post(url("bulk"), {"summit": summit.slug, "action": "approve"})

    assert response.status_code == 400
    assert "Select the registrations to decide on first." in text(response)


# --- A guest's file ----------------------------------------------------------------------------


def test_guest_file_shows_the_data_seats_and_what_happened(client_of, organiser, summit, category):
    forum = factories.ForumFactory(summit=summit, title=i18n(zh_hans="数据论坛", en="Data Forum"))
    guest = RegistrationFactory(
        summit=summit, category=category, name="Jean Dupont", id_number="E99887766"
    )
    SeatRequestFactory(registration=guest, forum=forum, status=SeatStatus.WAITLISTED)
    client = client_of(organiser)
    client.post(url("decide", guest.public_id), {"action": "request_info", "reason": "Photo?"})

    page = text(client.get(url("registration", guest.public_id)))

    assert "Jean Dupont" in page
    assert "E99887766" in page
    assert "Data Forum" in page
    assert "On the waitlist" in page
    assert "More information requested" in page
    assert "Photo?" in page
    assert "organiser" in page


@pytest.mark.parametrize(
    ("action", "reason", "status"),
    [
        ("approve", "", Status.APPROVED),
        ("reject", "Not invited.", Status.REJECTED),
        ("request_info", "Which organisation?", Status.INFO_REQUESTED),
    ],
)
def test_deciding_on_the_guest_file(client_of, organiser, summit, category, action, reason, status):
    guest = RegistrationFactory(summit=summit, category=category)

    response = client_of(organiser).post(
        url("decide", guest.public_id), {"action": action, "reason": reason}
    )

    assert response.status_code == 302
    refreshed = Registration.objects.get(pk=guest.pk)
    assert (refreshed.status, refreshed.decision_reason, refreshed.decided_by) == (
        status,
        reason,
        organiser,
    )


def test_rejecting_without_a_reason_on_the_guest_file_changes_nothing(
    client_of, organiser, summit, category
):
    guest = RegistrationFactory(summit=summit, category=category)

    response = client_of(organiser).post(
        url("decide", guest.public_id), {"action": "reject", "reason": ""}
    )

    assert response.status_code == 400
    assert "Please give the guest a reason." in text(response)
    assert states(guest) == [Status.SUBMITTED]


def test_deciding_can_open_the_next_guest_awaiting_review(client_of, organiser, summit, category):
    first = RegistrationFactory(summit=summit, category=category)
    second = RegistrationFactory(summit=summit, category=category)

    response = client_of(organiser).post(
        url("decide", first.public_id), {"action": "approve", "next": str(second.public_id)}
    )

    assert response["Location"] == url("registration", second.public_id)


def test_revoking_a_badge_voids_its_token_and_reissuing_gives_a_new_one(
    client_of, organiser, summit, category
):
    guest = RegistrationFactory(summit=summit, category=category, status=Status.APPROVED)
    old_token = badges.badge_token(guest)
    client = client_of(organiser)

    client.post(url("badge", guest.public_id), {"action": "revoke", "reason": "Lost"})
    with pytest.raises(badges.BadgeError):
        badges.registration_for_token(old_token)
    client.post(url("badge", guest.public_id), {"action": "reissue"})

    guest.refresh_from_db()
    assert badges.registration_for_token(badges.badge_token(guest)) == guest
    with pytest.raises(badges.BadgeError):
        badges.registration_for_token(old_token)
    assert list(
        ActionLog.objects.filter(object_id=str(guest.pk), action__startswith="badge.")
        .order_by("id")
        .values_list("action", "data")
    ) == [("badge.revoked", {"reason": "Lost"}), ("badge.reissued", {})]


# --- Forum seats -------------------------------------------------------------------------------


@pytest.fixture
def full_forum(summit):
    """A forum of two seats, both taken, with one guest waiting."""
    forum = factories.ForumFactory(summit=summit, slug="ai", capacity=2)
    seated = [SeatRequestFactory(registration__summit=summit, forum=forum) for _index in range(2)]
    waiting = SeatRequestFactory(
        registration__summit=summit, forum=forum, status=SeatStatus.WAITLISTED, confirmed_at=None
    )
    return {"forum": forum, "seated": seated, "waiting": waiting}


def test_cancelling_a_seat_moves_the_waitlist_up(client_of, organiser, summit, full_forum):
    client_of(organiser).post(url("seat", full_forum["seated"][0].pk), {"action": "cancel"})

    assert SeatRequest.objects.get(pk=full_forum["waiting"].pk).status == SeatStatus.CONFIRMED


def test_reserving_seats_never_takes_more_than_are_free(client_of, organiser, summit, full_forum):
    forum = full_forum["forum"]

    response = client_of(organiser).post(
        url("forum", "ai", summit=summit.slug),
        {"action": "add", "label_zh_hans": "贵宾", "label_en": "VIP", "seats": "1"},
    )

    assert response.status_code == 400
    assert "Only 0 seats of this forum are free; hold at most 0." in text(response)
    assert not SeatHold.objects.filter(forum=forum).exists()


def test_a_waitlisted_guest_can_be_given_a_reserved_seat(client_of, organiser, summit, full_forum):
    forum = full_forum["forum"]
    forum.capacity = 3
    forum.save()
    client = client_of(organiser)
    client.post(
        url("forum", "ai", summit=summit.slug),
        {"action": "add", "label_zh_hans": "贵宾", "label_en": "VIP", "seats": "1"},
    )
    hold = SeatHold.objects.get(forum=forum)

    client.post(url("seat", full_forum["waiting"].pk), {"action": "reserve", "hold": hold.pk})

    seat = SeatRequest.objects.get(pk=full_forum["waiting"].pk)
    assert (seat.status, seat.hold) == (SeatStatus.CONFIRMED, hold)
    assert SeatRequest.objects.filter(forum=forum, status=SeatStatus.CONFIRMED).count() == 3


def test_giving_back_reserved_seats_promotes_the_waitlist(client_of, organiser, summit, full_forum):
    forum = full_forum["forum"]
    forum.capacity = 3
    forum.save()
    hold = SeatHoldFactory(forum=forum, seats=1)

    client_of(organiser).post(
        url("forum", "ai", summit=summit.slug), {"action": "release", "hold": hold.pk}
    )

    assert not SeatHold.objects.filter(pk=hold.pk).exists()
    assert SeatRequest.objects.get(pk=full_forum["waiting"].pk).status == SeatStatus.CONFIRMED


def test_forum_seats_page_counts_seats(client_of, organiser, summit, full_forum):
    response = client_of(organiser).get(url("forums", summit=summit.slug))

    row = re.search(r"<tr>\s*<th scope=\"row\".*?</tr>", response.content.decode(), re.S)[0]
    numbers = re.findall(r'<td class="num">(?:<span[^>]*>)?(\d+)', row)
    assert numbers == ["2", "0", "2", "0", "1"]


# --- Exports -----------------------------------------------------------------------------------


def test_excel_export_has_the_filtered_guests_with_their_forums(
    client_of, organiser, summit, category
):
    forum = factories.ForumFactory(summit=summit, title=i18n(zh_hans="数据论坛", en="Data Forum"))
    guest = RegistrationFactory(
        summit=summit, category=category, name="李娜", name_latin="Li Na", nationality="CN"
    )
    SeatRequestFactory(registration=guest, forum=forum)
    RegistrationFactory(summit=summit, category=category, nationality="FR")

    response = client_of(organiser).get(url("export", "xlsx", nationality="CN"))

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert len(rows) == 2
    record = dict(zip(header, rows[1], strict=True))
    assert (record["Name"], record["Name in Latin letters"], record["Country code"]) == (
        "李娜",
        "Li Na",
        "CN",
    )
    assert record["Forums (seat confirmed)"] == "Data Forum"
    assert record["Document number"] == guest.id_number


def test_csv_export_is_utf8_with_a_byte_order_mark_and_never_a_formula(
    client_of, organiser, summit, category
):
    RegistrationFactory(
        summit=summit, category=category, name='=HYPERLINK("x")', name_latin="Zhang Wei"
    )

    response = client_of(organiser).get(url("export", "csv"))

    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Name"] == '\'=HYPERLINK("x")'
    assert record["Phone"] == "'+33 1 23 45 67 89"


def test_excel_export_keeps_a_formula_like_name_as_text(client_of, organiser, summit, category):
    RegistrationFactory(summit=summit, category=category, name="=1+1")

    response = client_of(organiser).get(url("export", "xlsx"))

    sheet = load_workbook(io.BytesIO(response.content)).active
    cell = sheet.cell(row=2, column=5)
    assert (cell.value, cell.data_type) == ("=1+1", "s")


def test_export_of_an_unknown_format_is_not_found(client_of, organiser, summit):
    assert client_of(organiser).get(url("export", "pdf")).status_code == 404


# --- Invitations -------------------------------------------------------------------------------


def test_inviting_a_pasted_list_sends_one_personal_link_per_row(
    client_of, organiser, summit, category, django_capture_on_commit_callbacks
):
    pasted = "email\tname\tlanguage\nli.na@example.cn\t李娜\tzh-hans\njean@example.fr\tJean\ten\n"

    with django_capture_on_commit_callbacks(execute=True):
        response = client_of(organiser).post(
            url("invite", summit=summit.slug),
            {"text": pasted, "category": category.pk, "language": "en"},
        )

    assert response.status_code == 200
    invitations = Invitation.objects.order_by("email")
    assert [(i.email, i.name, i.language) for i in invitations] == [
        ("jean@example.fr", "Jean", "en"),
        ("li.na@example.cn", "李娜", "zh-hans"),
    ]
    assert sorted(message.to[0] for message in mail.outbox) == [
        "jean@example.fr",
        "li.na@example.cn",
    ]
    assert "2</strong> invited" in text(response)


def test_checking_an_invitation_list_sends_nothing(
    client_of, organiser, summit, category, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_of(organiser).post(
            url("invite", summit=summit.slug),
            {
                "text": "email\nli.na@example.cn\n",
                "category": category.pk,
                "language": "en",
                "dry_run": "on",
            },
        )

    assert "What the list would do" in text(response)

    assert (Invitation.objects.count(), len(mail.outbox)) == (0, 0)


def test_an_empty_invitation_form_says_what_to_do(client_of, organiser, summit, category):
    response = client_of(organiser).post(
        url("invite", summit=summit.slug), {"category": category.pk, "language": "en"}
    )

    assert response.status_code == 400
    assert "Paste a list or choose a file." in text(response)


# --- Badges ------------------------------------------------------------------------------------


@pytest.fixture
def approved(summit, category):
    other = GuestCategoryFactory(summit=summit, code="media", badge_colour="#0e8a83")
    guests = RegistrationFactory.create_batch(
        3, summit=summit, category=category, status=Status.APPROVED
    )
    guests.append(
        RegistrationFactory(
            summit=summit,
            category=other,
            status=Status.APPROVED,
            name="王芳",
            name_latin="Wang Fang",
        )
    )
    RegistrationFactory(
        summit=summit, category=category, status=Status.APPROVED, badge_revoked=True
    )
    RegistrationFactory(summit=summit, category=category)
    return guests


def test_print_badges_command_writes_one_page_per_approved_guest(summit, approved, tmp_path):
    output = tmp_path / "badges.pdf"
    out = io.StringIO()

    call_command("print_badges", "--summit", summit.slug, "-o", str(output), stdout=out)

    reader = pypdf.PdfReader(output)
    assert len(reader.pages) == 4
    assert "Printed 4 badges" in out.getvalue()
    assert "Wang Fang" in "".join(page.extract_text() for page in reader.pages)


def test_print_badges_command_prints_one_category(summit, approved, tmp_path):
    output = tmp_path / "media.pdf"

    call_command(
        "print_badges",
        "--summit",
        summit.slug,
        "--category",
        "media",
        "-o",
        str(output),
        stdout=io.StringIO(),
    )

    assert len(pypdf.PdfReader(output).pages) == 1


def test_print_badges_command_refuses_an_unknown_summit_or_category(summit, approved, tmp_path):
    with pytest.raises(CommandError, match="No summit 'nope'"):
        call_command("print_badges", "--summit", "nope", "-o", str(tmp_path / "x.pdf"))
    with pytest.raises(CommandError, match="No category 'nope'"):
        call_command(
            "print_badges",
            "--summit",
            summit.slug,
            "--category",
            "nope",
            "-o",
            str(tmp_path / "x.pdf"),
        )
    assert not (tmp_path / "x.pdf").exists()


def test_printing_badges_from_the_browser_runs_a_task_and_offers_the_pdf(
    client_of, organiser, summit, approved, settings, tmp_path
):
    settings.TASKS = IMMEDIATE_TASKS
    settings.MEDIA_ROOT = tmp_path
    client = client_of(organiser)

    started = client.post(url("badges", summit=summit.slug), {"status": "approved", "category": ""})
    job_url = started["Location"]
    page = client.get(job_url, HTTP_HX_REQUEST="true")
    download = client.get(job_url + "badges.pdf")

    assert started.status_code == 302
    assert "4 badges printed." in text(page)
    assert "every 2s" not in page.content.decode()
    pdf = b"".join(download.streaming_content)
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 4
    assert download["Cache-Control"] == "private, no-store"


def test_a_running_print_run_asks_again_every_two_seconds(
    client_of, organiser, summit, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    job = exports.BadgeJob.start(summit, status=Status.APPROVED, category="", by=organiser)
    job.update(state="running", done=30, total=120)

    response = client_of(organiser).get(url("badge_job", job.id), HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert 'hx-trigger="every 2s"' in page
    assert 'value="25"' in page
    assert "30 of 120 badges" in unescape(page)
    assert client_of(organiser).get(url("badge_download", job.id)).status_code == 404


def test_an_unknown_print_run_is_not_found(client_of, organiser, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_of(organiser)

    assert client.get(url("badge_job", "0" * 32)).status_code == 404
    assert client.get(url("badge_job", "..%2F..%2Fsecret")).status_code == 404


# --- The admin ---------------------------------------------------------------------------------


def test_admin_index_shows_guest_registration_to_the_secretariat(client_of, organiser):
    page = text(client_of(organiser).get(reverse("admin:index")))

    for model in ("guestcategory", "delegation", "invitation", "seathold", "registration"):
        assert f"/admin/registration/{model}/" in page


def test_admin_category_takes_required_fields_as_checkboxes_and_zones_of_its_summit(
    client_of, organiser, summit
):
    own_zone = factories.ZoneFactory(summit=summit)
    other_zone = factories.ZoneFactory()
    client = client_of(organiser)
    data = {
        "summit": summit.pk,
        "code": "media",
        "name_0": "媒体",
        "name_1": "Media",
        "description_0": "",
        "description_1": "",
        "order": 3,
        "required_fields": ["organisation", "photo"],
        "badge_colour": "#0e8a83",
        "zones": [own_zone.pk, other_zone.pk],
    }

    refused = client.post(reverse("admin:registration_guestcategory_add"), data)
    data["zones"] = [own_zone.pk]
    saved = client.post(reverse("admin:registration_guestcategory_add"), data)

    assert "These zones belong to another summit" in text(refused)
    assert saved.status_code == 302
    category = summit.categories.get(code="media")
    assert (category.required_fields, list(category.zones.all())) == (
        ["organisation", "photo"],
        [own_zone],
    )


def test_admin_registration_page_is_read_only_with_a_link_to_the_queue(
    client_of, organiser, summit, category
):
    guest = RegistrationFactory(summit=summit, category=category, name="Jean Dupont")

    response = client_of(organiser).get(
        reverse("admin:registration_registration_change", args=[guest.pk])
    )

    page = text(response)
    assert response.status_code == 200
    assert "Jean Dupont" in page
    assert url("registration", guest.public_id) in page
    assert 'name="name"' not in page


def test_admin_approves_the_selected_registrations(client_of, organiser, summit, category):
    guests = RegistrationFactory.create_batch(2, summit=summit, category=category)

    client_of(organiser).post(
        reverse("admin:registration_registration_changelist"),
        {"action": "approve_selected", "_selected_action": [g.pk for g in guests]},
    )

    assert states(*guests) == [Status.APPROVED, Status.APPROVED]


def test_deleting_reserved_seats_in_the_admin_gives_them_to_the_waitlist(
    client_of, organiser, summit, full_forum
):
    forum = full_forum["forum"]
    forum.capacity = 3
    forum.save()
    hold = SeatHoldFactory(forum=forum, seats=1)

    client_of(organiser).post(
        reverse("admin:registration_seathold_delete", args=[hold.pk]), {"post": "yes"}
    )

    assert not SeatHold.objects.exists()
    assert SeatRequest.objects.get(pk=full_forum["waiting"].pk).status == SeatStatus.CONFIRMED


def test_an_invited_guest_without_a_seat_can_be_given_a_reserved_one(
    client_of, organiser, summit, full_forum
):
    forum = full_forum["forum"]
    forum.capacity = 3
    forum.save()
    hold = SeatHoldFactory(forum=forum, seats=1)
    guest = RegistrationFactory(
        summit=summit, invitation=InvitationFactory(summit=summit, forum=forum)
    )
    client = client_of(organiser)
    assert "Invited to this forum, without a seat" in text(
        client.get(url("forum", "ai", summit=summit.slug))
    )

    client.post(
        url("forum_guest_seat", "ai", guest.public_id, summit=summit.slug), {"hold": hold.pk}
    )

    seat = SeatRequest.objects.get(registration=guest)
    assert (seat.status, seat.hold) == (SeatStatus.CONFIRMED, hold)


def test_reserved_seats_cannot_shrink_below_those_given(client_of, organiser, summit, full_forum):
    forum = full_forum["forum"]
    forum.capacity = 4
    forum.save()
    hold = SeatHoldFactory(forum=forum, seats=2)
    SeatRequestFactory(registration__summit=summit, forum=forum, hold=hold)

    response = client_of(organiser).post(
        url("forum", "ai", summit=summit.slug),
        {"action": "change", "hold": hold.pk, "seats": "0"},
        follow=True,
    )

    assert "1 of these reserved seats are already given; keep at least that many." in text(response)
    assert SeatHold.objects.get(pk=hold.pk).seats == 2


def test_a_seat_form_never_sends_the_user_to_another_site(client_of, organiser, full_forum):
    response = client_of(organiser).post(
        url("seat", full_forum["seated"][0].pk),
        {"action": "cancel", "back": "/\\evil.example/"},
    )

    assert response["Location"] == url(
        "registration", full_forum["seated"][0].registration.public_id
    )


def test_the_queue_reads_the_same_number_of_queries_for_many_guests(
    client_of, organiser, summit, category, django_assert_max_num_queries
):
    forum = factories.ForumFactory(summit=summit)
    client = client_of(organiser)

    def add(count: int) -> None:
        for _index in range(count):
            SeatRequestFactory(
                registration__summit=summit, registration__category=category, forum=forum
            )

    add(5)
    with django_assert_max_num_queries(20) as few:
        client.get(url("queue"))
    add(60)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url("queue"))
    assert len(shown_emails(response)) == 65
