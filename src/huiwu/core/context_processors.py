from django.conf import settings

from huiwu import __version__


def platform(request) -> dict:
    """What every page needs: the current summit and the languages to switch between."""
    from huiwu.summit.selectors import current_summit

    return {
        "current_summit": current_summit(),
        "huiwu_version": __version__,
        "map_tiles_url": settings.MAP_TILES_URL,
    }
