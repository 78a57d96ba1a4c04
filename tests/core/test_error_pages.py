import pytest
from django.test import Client

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "text"), [("en", "You may not open this page"), ("zh-hans", "您无权打开此页面")]
)
def test_a_refused_page_is_explained_in_the_sites_look_and_language(summit, language, text):
    user = factories.UserFactory(roles=["forum_organiser"])
    client = Client()
    client.force_login(user)

    response = client.get(f"/{language}/admin/core/actionlog/")

    assert response.status_code == 403
    assert text in response.content.decode()


def test_the_favicon_browsers_ask_for_is_the_sites_icon():
    response = Client().get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("core/favicon.svg")
