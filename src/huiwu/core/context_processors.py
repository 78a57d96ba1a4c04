from django.conf import settings

from huiwu import __version__


def platform(request) -> dict:
    """What every page needs from the platform itself."""
    return {"huiwu_version": __version__, "map_tiles_url": settings.MAP_TILES_URL}
