"""What guests, gate staff and devices read about faces and scans, in one place.

The face engine raises ``FaceError`` with a code and an English developer text; the registration
form, the API and the kiosk show these translated sentences instead. Scan decisions carry a
reason code, which these sentences explain.
"""

from django.utils.translation import gettext as _

# Reasons of a scan's decision (stored with the scan).
NOT_APPROVED = "not_approved"
WRONG_ZONE = "wrong_zone"
NO_SEAT = "no_seat"
REVOKED = "revoked"
ALREADY_INSIDE = "already_inside"
INVALID_BADGE = "invalid_badge"
FACE_MISMATCH = "face_mismatch"
NOT_ENROLLED = "not_enrolled"
UNKNOWN_ID = "unknown_id"
UNCERTAIN = "uncertain"
NOT_INSIDE = "not_inside"
NOT_ON_LIST = "not_on_list"
FULL = "full"


def face_message(code: str, *, frame: bool = False) -> str:
    """The sentence for a ``FaceError`` code, saying what to do next; ``frame`` for a gate's
    camera picture rather than a guest's photo."""
    if frame and code == "no_face":
        return _("No face in the camera picture; please look at the camera.")
    messages = {
        "not_an_image": _("This file is not a picture; send a JPEG, PNG or WebP photo."),
        "truncated": _("This picture is incomplete (the file was cut short); send it again."),
        "too_large": _("This picture is too large; send a smaller one."),
        "bomb": _("This file claims an impossibly large picture and was refused."),
        "no_face": _("No face was found in the photo; send a photo where your face is clear."),
        "several_faces": _("There are several faces in the photo; send a photo of yourself alone."),
        "face_too_small": _(
            "The face is too small in the photo; send one where your face fills more of it."
        ),
        "too_blurred": _("The photo is too blurred; send a sharp photo of your face."),
        "not_frontal": _("The face is turned away; send a photo looking straight at the camera."),
    }
    return messages.get(code, _("This photo cannot be used for face check-in; send another."))


def scan_message(decision: str, reason: str | None) -> str:
    """The sentence a gate shows for a decision."""
    if decision == "admit":
        if reason == NOT_INSIDE:
            return _("Goodbye.")
        return _("Welcome.")
    messages = {
        NOT_APPROVED: _("This guest's registration is not approved; please go to the help desk."),
        WRONG_ZONE: _("This badge does not give access to this area."),
        NO_SEAT: _("No confirmed seat in the forum held here now; please see the forum's desk."),
        REVOKED: _("This badge has been revoked; please go to the help desk."),
        ALREADY_INSIDE: _("This guest has already entered; please see the staff at the gate."),
        INVALID_BADGE: _("This is not a valid badge of this summit."),
        FACE_MISMATCH: _("The face does not match the badge; please go to the staffed lane."),
        NOT_ENROLLED: _(
            "This guest has no face check-in; please show the QR badge at the staffed lane."
        ),
        UNKNOWN_ID: _("No approved guest has this document number; please show the QR badge."),
        UNCERTAIN: _("The face was not recognised with certainty; please show your QR badge."),
        NOT_ON_LIST: _("This badge was not on the offline gate's list; please see the staff."),
        FULL: _("This area is full; please wait until someone leaves."),
    }
    if decision == "no_match":
        return messages.get(reason or "", messages[UNCERTAIN])
    return messages.get(reason or "", _("Access refused; please go to the help desk."))
