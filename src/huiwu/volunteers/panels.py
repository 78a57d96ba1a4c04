"""Panels that apps built on the volunteers app add to the volunteer's phone page.

The command centre shows a volunteer's tasks and the broadcasts that reached them there,
without the volunteers app knowing of it: an app registers, in its ``AppConfig.ready``, a
function ``(request, application, on_duty) -> str`` that returns the panel's HTML (empty for
nothing), and the phone page renders every panel above the volunteer's shift.
"""

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

DutyPanel = Callable[[HttpRequest, object, bool], str]

_duty_panels: list[DutyPanel] = []


def register_duty_panel(panel: DutyPanel) -> None:
    if panel not in _duty_panels:
        _duty_panels.append(panel)


def duty_panels(request: HttpRequest, application, on_duty: bool) -> list[SafeString]:
    """The registered panels' HTML, rendered by the apps' own templates (hence safe)."""
    rendered = (panel(request, application, on_duty) for panel in _duty_panels)
    return [mark_safe(html) for html in rendered if html]
