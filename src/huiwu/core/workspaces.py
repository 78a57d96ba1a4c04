"""The apps' working pages for staff (the secretariat's queue, the volunteer office, the command
centre …), each shown to the people whose role reaches it, where staff arrive: nobody has to
know the addresses. Apps register theirs when they load, as they do their figures."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse


@dataclass(frozen=True)
class Workspace:
    label: Any  # a lazy translated text
    url_name: str
    allowed: Callable[[Any], bool]


_workspaces: list[Workspace] = []


def register(label, url_name: str, allowed: Callable[[Any], bool]) -> None:
    if all(space.url_name != url_name for space in _workspaces):
        _workspaces.append(Workspace(label, url_name, allowed))


def reachable(user) -> list[tuple[str, str]]:
    """(label, address) of each workspace ``user`` may open, in the order the apps loaded."""
    if not user.is_authenticated:
        return []
    return [
        (str(space.label), reverse(space.url_name)) for space in _workspaces if space.allowed(user)
    ]
