import pytest

from tests.checkin.factories import make_site


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Portraits go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def site(summit):
    return make_site(summit)
