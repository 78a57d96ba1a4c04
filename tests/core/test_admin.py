from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.template import engines
from django.test import RequestFactory
from django.urls import reverse

from huiwu.core.i18n import i18n
from huiwu.core.models import ActionLog, Membership, Organisation, Person
from huiwu.core.services import log_action
from tests import factories

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    return reverse(f"admin:core_{name}", args=args)


def url_auth(name: str, *args) -> str:
    return reverse(f"admin:auth_{name}", args=args)


def listed(response) -> list:
    return list(response.context["cl"].result_list)


def organisation_form(**overrides) -> dict[str, str]:
    data = {
        "name_0": "中国信息通信研究院",
        "name_1": "China Academy of Information and Communications Technology",
        "short_name": "CAICT",
        "kind": "think_tank",
        "country": "CN",
        "website": "",
        "description_0": "",
        "description_1": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def co_organiser(db):
    user = factories.UserFactory(username="itu-staff", roles=["forum_organiser"])
    factories.MembershipFactory(user=user)
    return user


@pytest.fixture
def co_client(client, co_organiser):
    client.force_login(co_organiser)
    return client


@pytest.fixture
def kernel(co_organiser):
    """One object of each kernel model, and an action log entry about one of them."""
    person = factories.PersonFactory()
    log_action(person.organisation, "organisation.verified", by=co_organiser)
    return {
        "organisation": person.organisation,
        "person": person,
        "membership": Membership.objects.get(user=co_organiser),
        "actionlog": ActionLog.objects.get(),
    }


@pytest.mark.parametrize("model", ["organisation", "person", "membership"])
def test_organiser_opens_list_add_and_change_pages(organiser_client, kernel, model):
    pages = [
        url(f"{model}_changelist"),
        url(f"{model}_add"),
        url(f"{model}_change", kernel[model].pk),
    ]

    assert [organiser_client.get(page).status_code for page in pages] == [200, 200, 200]


def test_organiser_reads_the_action_log_but_cannot_write_it(organiser_client, kernel):
    entry = kernel["actionlog"]

    statuses = [
        organiser_client.get(url("actionlog_changelist")).status_code,
        organiser_client.get(url("actionlog_change", entry.pk)).status_code,
        organiser_client.get(url("actionlog_add")).status_code,
        organiser_client.post(url("actionlog_delete", entry.pk), {"post": "yes"}).status_code,
    ]

    assert statuses == [200, 200, 403, 403]
    assert ActionLog.objects.filter(pk=entry.pk).exists()


def test_organisation_texts_are_edited_side_by_side(organiser_client):
    page = organiser_client.get(url("organisation_add")).content.decode()

    start = page.index('<div class="i18n-form-group" id="id_name">')
    group = page[start : page.index("</div></div>", start)]
    assert group.index('name="name_0"') < group.index('name="name_1"')
    assert 'lang="zh-hans"' in group and 'lang="en"' in group
    assert "Huiwu 会务 · Secretariat" in page


def test_adding_an_organisation_logs_it_in_the_action_log(organiser_client):
    response = organiser_client.post(url("organisation_add"), organisation_form())

    assert response.status_code == 302
    organisation = Organisation.objects.get(short_name="CAICT")
    assert organisation.name.data["zh-hans"] == "中国信息通信研究院"
    assert list(ActionLog.objects.values_list("action", "actor__username", "data")) == [
        ("organisation.created", "organiser", {"message": [{"added": {}}]})
    ]


def test_an_organisation_without_its_english_name_is_refused(organiser_client):
    response = organiser_client.post(url("organisation_add"), organisation_form(name_1=""))

    assert response.status_code == 200
    assert "Please fill in this text in every required language (missing: English)." in (
        response.content.decode()
    )
    assert not Organisation.objects.exists()
    assert not ActionLog.objects.exists()


def test_changes_and_deletions_are_logged_and_shown_on_the_page(organiser_client):
    organisation = factories.OrganisationFactory(short_name="OLD")
    data = organisation_form(
        name_0=organisation.name.data["zh-hans"], name_1=organisation.name.data["en"]
    )

    organiser_client.post(url("organisation_change", organisation.pk), data)
    page = organiser_client.get(url("organisation_change", organisation.pk)).content.decode()
    organiser_client.post(url("organisation_delete", organisation.pk), {"post": "yes"})

    assert "organisation.changed" in page
    assert "Changed Short name and Type." in page
    assert list(ActionLog.objects.order_by("id").values_list("action", "object_id")) == [
        ("organisation.changed", str(organisation.pk)),
        ("organisation.deleted", str(organisation.pk)),
    ]


def test_the_action_log_of_one_object_is_one_click_away(organiser_client, kernel):
    organisation = kernel["organisation"]
    log_action(factories.OrganisationFactory(), "organisation.verified")
    page = organiser_client.get(url("organisation_change", organisation.pk)).content.decode()
    link = page.split('<p><a href="')[1].split('"')[0].replace("&amp;", "&")

    response = organiser_client.get(link)

    assert listed(response) == [kernel["actionlog"]]


@pytest.mark.parametrize(
    "term", ["信息通信", "Information and Communications", "caict", "中国 academy"]
)
def test_organisation_search_finds_chinese_and_english_names(organiser_client, term):
    factories.OrganisationFactory(
        name=i18n(zh_hans="中国信息通信研究院", en="China Academy of ICT"),
        short_name="CAICT",
        description=i18n(en="Information and Communications research"),
    )
    factories.OrganisationFactory(name=i18n(zh_hans="浙江大学", en="Zhejiang University"))

    response = organiser_client.get(url("organisation_changelist"), {"q": term})

    assert [o.short_name for o in listed(response)] == ["CAICT"]


def test_people_are_found_by_their_institutions_chinese_name(organiser_client):
    institution = factories.OrganisationFactory(name=i18n(zh_hans="之江实验室", en="Zhejiang Lab"))
    person = factories.PersonFactory(organisation=institution)
    factories.PersonFactory()

    response = organiser_client.get(url("person_changelist"), {"q": "之江"})

    assert listed(response) == [person]


def test_organiser_links_a_membership_by_user_name(organiser_client, co_organiser):
    organisation = factories.OrganisationFactory()

    response = organiser_client.post(
        url("membership_add"), {"user": "itu-staff", "organisation": organisation.pk}
    )

    assert response.status_code == 302
    assert Membership.objects.filter(user=co_organiser, organisation=organisation).exists()
    assert ActionLog.objects.get().action == "membership.created"


def test_a_membership_for_an_unknown_user_name_is_refused(organiser_client):
    organisation = factories.OrganisationFactory()

    response = organiser_client.post(
        url("membership_add"), {"user": "nobody", "organisation": organisation.pk}
    )

    assert response.status_code == 200
    assert "No account has this user name." in response.content.decode()
    assert not Membership.objects.exists()


def test_the_membership_page_shows_the_user_name(organiser_client, kernel):
    page = organiser_client.get(url("membership_change", kernel["membership"].pk)).content.decode()

    assert 'name="user" value="itu-staff"' in page


def test_co_organiser_sees_neither_the_action_log_nor_memberships(co_client, co_organiser, kernel):
    log_action(kernel["person"], "person.created", by=co_organiser)
    statuses = [
        co_client.get(url("actionlog_changelist")).status_code,
        co_client.get(url("membership_changelist")).status_code,
    ]
    response = co_client.get(url("person_change", kernel["person"].pk))

    assert statuses == [403, 403]
    assert response.status_code == 200
    page = response.content.decode()
    assert "What happened" not in page  # the action log panel
    assert 'name="user"' not in page  # linking a person to a login


def test_co_organiser_reads_organisations_but_cannot_change_them(co_client, kernel):
    organisation = kernel["organisation"]
    index = co_client.get(reverse("admin:index")).content.decode()

    responses = [
        co_client.get(url("organisation_change", organisation.pk)).status_code,
        co_client.post(
            url("organisation_change", organisation.pk), organisation_form()
        ).status_code,
        co_client.get(url("organisation_add")).status_code,
    ]

    assert responses == [200, 403, 403]
    assert url("organisation_changelist") not in index
    organisation.refresh_from_db()
    assert organisation.short_name != "CAICT"


def test_co_organiser_finds_institutions_for_a_speaker(co_client, kernel):
    organisation = kernel["organisation"]

    response = co_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "core",
            "model_name": "person",
            "field_name": "organisation",
            "term": organisation.name.data["zh-hans"],
        },
    )

    assert response.json()["results"] == [{"id": str(organisation.pk), "text": str(organisation)}]


def test_staff_without_a_role_sees_nothing(client):
    user = get_user_model().objects.create_user("intern", password="x", is_staff=True)
    client.force_login(user)

    assert client.get(url("organisation_changelist")).status_code == 403


def test_admin_pages_offer_the_other_language():
    # The template overrides Django's admin/base_site.html once huiwu.core precedes
    # django.contrib.admin in INSTALLED_APPS; render it directly meanwhile.
    source = Path(__file__).parents[2] / "src/huiwu/core/templates/admin/base_site.html"
    template = engines["django"].from_string(source.read_text())
    request = RequestFactory().get("/en/admin/summit/forum/?q=AI")
    request.user = factories.UserFactory()

    page = template.render({"title": "Forums"}, request)

    assert 'action="/i18n/setlang/"' in page
    assert '<input type="hidden" name="next" value="/en/admin/summit/forum/?q=AI">' in page
    assert 'value="zh-hans" lang="zh-hans"' in page
    assert 'value="en" lang="en"' not in page


# --- People a co-organiser reaches -------------------------------------------------------------


@pytest.fixture
def speakers(co_organiser):
    """A speaker of a forum the co-organiser's institution co-hosts, and one of another forum."""
    own, other = factories.ForumFactory(), factories.ForumFactory()
    factories.ForumOrganiserFactory(
        forum=own, organisation=co_organiser.memberships.get().organisation, role="co_host"
    )
    factories.ForumOrganiserFactory(forum=other)
    return {
        "own": factories.SessionSpeakerFactory(session__forum=own).person,
        "other": factories.SessionSpeakerFactory(session__forum=other).person,
    }


def person_form(**overrides) -> dict[str, str]:
    data = {
        "name": "李明",
        "name_latin": "Li Ming",
        "country": "CN",
        "organisation": "",
        "email": "",
        "position_0": "",
        "position_1": "",
        "biography_0": "",
        "biography_1": "",
    }
    data.update(overrides)
    return data


def test_co_organiser_lists_only_the_speakers_of_its_forums(co_client, speakers):
    factories.PersonFactory()  # speaks nowhere

    response = co_client.get(url("person_changelist"))

    assert listed(response) == [speakers["own"]]


def test_co_organiser_cannot_open_or_change_other_people(co_client, speakers):
    other = speakers["other"]

    opened = co_client.get(url("person_change", other.pk))
    changed = co_client.post(url("person_change", other.pk), person_form(name_latin="Changed"))

    assert (opened.status_code, changed.status_code) == (302, 302)
    other.refresh_from_db()
    assert other.name_latin != "Changed"
    assert not ActionLog.objects.filter(action="person.changed").exists()


def test_co_organiser_changes_a_speaker_of_its_forum(co_client, speakers):
    own = speakers["own"]

    response = co_client.post(
        url("person_change", own.pk), person_form(biography_0="简介", biography_1="About")
    )

    assert response.status_code == 302
    own.refresh_from_db()
    assert own.biography.data == {"zh-hans": "简介", "en": "About"}


def test_co_organiser_adds_a_person_and_then_finds_it_to_make_it_a_speaker(co_client, speakers):
    response = co_client.post(url("person_add"), person_form())
    added = Person.objects.get(name_latin="Li Ming")
    found = co_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "summit", "model_name": "sessionspeaker", "field_name": "person"},
    )

    assert response.status_code == 302
    assert co_client.get(url("person_change", added.pk)).status_code == 200
    assert {int(result["id"]) for result in found.json()["results"]} == {
        speakers["own"].pk,
        added.pk,
    }


def test_organiser_still_lists_everyone(organiser_client, speakers):
    response = organiser_client.get(url("person_changelist"))

    assert set(listed(response)) == set(Person.objects.all())


# --- Accounts ----------------------------------------------------------------------------------


def account_form(**overrides) -> dict[str, str]:
    data = {
        "username": "cac-staff",
        "password1": "a-Long-pass-phrase-42",
        "password2": "a-Long-pass-phrase-42",
        "usable_password": "true",
    }
    data.update(overrides)
    return data


def test_organiser_creates_an_account_for_a_co_organisers_staff(organiser_client):
    response = organiser_client.post(url_auth("user_add"), account_form())

    assert response.status_code == 302
    account = get_user_model().objects.get(username="cac-staff")
    assert account.check_password("a-Long-pass-phrase-42")
    assert ActionLog.objects.get().action == "user.created"


def test_organiser_can_make_neither_a_superuser_nor_grant_single_permissions(
    organiser_client, co_organiser
):
    data = {
        "username": co_organiser.username,
        "email": co_organiser.email,
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [str(group.pk) for group in co_organiser.groups.all()],
        "user_permissions": [str(Permission.objects.get(codename="delete_user").pk)],
        "date_joined_0": "2024-11-01",
        "date_joined_1": "09:00",
    }

    response = organiser_client.post(url_auth("user_change", co_organiser.pk), data)

    assert response.status_code == 302
    co_organiser.refresh_from_db()
    assert (co_organiser.is_superuser, co_organiser.user_permissions.count()) == (False, 0)


def test_organiser_cannot_change_a_superusers_account(organiser_client):
    boss = get_user_model().objects.create_superuser("boss", password="x")

    response = organiser_client.post(
        url_auth("user_password_change", boss.pk),
        {"password1": "taken-over-123", "password2": "taken-over-123"},
    )

    assert response.status_code == 403
    boss.refresh_from_db()
    assert not boss.check_password("taken-over-123")


def test_co_organiser_cannot_open_accounts(co_client):
    assert co_client.get(url_auth("user_changelist")).status_code == 403


def test_the_account_field_tells_where_to_create_an_account(organiser_client):
    organisation = factories.OrganisationFactory()

    response = organiser_client.post(
        url("membership_add"), {"user": "nobody", "organisation": organisation.pk}
    )

    assert response.context["adminform"].form.errors == {
        "user": [
            "No account has this user name. Check the spelling, or create the account first "
            "under “Users”."
        ]
    }
