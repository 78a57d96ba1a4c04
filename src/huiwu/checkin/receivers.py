"""The check-in side of changes to a registration, wherever they are made (guest pages, the
secretariat's queue, the admin, the API): a descriptor exists only while the guest consents,
has a portrait and is registered, and only for the portrait it was computed from; a new
portrait or a submission enrols the face. However a descriptor goes, the deletion is audited
and every worker drops it from its gallery."""

from functools import partial

from django.db import transaction
from django.db.models import QuerySet

from huiwu.checkin import services
from huiwu.checkin.models import FaceDescriptor
from huiwu.core.services import log_action


def follow_registration(sender, instance, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    if not services.may_hold_descriptor(instance):
        # At once, in the transaction that withdrew the consent, the photo or the registration.
        reason = "consent_withdrawn" if instance.face_consent is not True else "no_longer_needed"
        services.delete_descriptor(instance, reason=reason)
    elif services.needs_enrolment(instance):
        replaced = FaceDescriptor.objects.filter(registration=instance).exclude(
            source=instance.photo.name
        )
        if replaced.exists():
            # The replaced portrait's face must stop opening the gate now, not once the new
            # portrait is enrolled: that may take a while, or never happen if it is refused.
            services.delete_descriptor(instance, reason="photo_replaced")
        # Computing a face takes a moment: after the commit, outside the write lock.
        transaction.on_commit(partial(services.enrol_after_commit, instance.pk))


def forget_descriptor(sender, instance: FaceDescriptor, origin=None, **kwargs) -> None:
    """A descriptor about to be deleted along with something else (its registration, its
    summit): audit it and change the gallery stamp, as ``services`` do for their deletions.
    Before the deletion, while the registration and the stamp's row still exist."""
    if isinstance(origin, QuerySet) and origin.model is FaceDescriptor:
        return  # the services' own deletions, which log and change the stamp themselves
    deleted_with = origin.model if isinstance(origin, QuerySet) else type(origin)
    registration = instance.registration
    services.bump_gallery(registration.summit_id)
    log_action(
        registration, "face.deleted", data={"reason": f"{deleted_with._meta.model_name}_deleted"}
    )
