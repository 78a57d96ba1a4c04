from functools import partial

from django.conf import settings

from huiwu import __version__
from huiwu.core import workspaces


def platform(request) -> dict:
    """What every page needs from the platform itself."""
    return {"huiwu_version": __version__, "map_tiles_url": settings.MAP_TILES_URL}


def staff_workspaces(request) -> dict:
    """The working pages the signed-in person may open, worked out only where a page shows
    them (a template calls the function)."""
    return {"workspaces": partial(workspaces.reachable, request.user)}
